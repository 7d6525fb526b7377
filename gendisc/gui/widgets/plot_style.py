"""Small pyqtgraph touches of the live plots: legends inline in the titles, titles that ask for no width, scatter
symbols styled before their first point."""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gendisc.gui.widgets.plot_specs import SPECS


def style_symbols(item: pg.PlotDataItem, brush: object, pen: object) -> None:
    item.setSymbolBrush(brush)
    item.setSymbolPen(pen)
    # The legend draws its sample from the scatter's own options, which an empty curve has not received yet.
    item.scatter.setBrush(brush)
    item.scatter.setPen(pen)
    item.scatter.setSize(item.opts["symbolSize"])


def short_judge(name: str, limit: int = 20) -> str:
    """The judge's name without its accuracy or a leading article, elided: it shares the FCD plot's legend line,
    which must fit a 1280-pixel screen's narrow column (the full name is in the plot's tooltip)."""
    head = name.split(" · ")[0].split(" (")[0]
    head = head[4:] if head.startswith("the ") else head
    return head if len(head) <= limit else head[:limit - 1] + "…"


def shrinkable_title(plot: pg.PlotItem) -> None:
    """Let the plot's title ask for no width: by default a title (with its legend) as wide as the column makes
    the layout wider than a narrow window's centre, and the right-hand column is cut off. pyqtgraph resets a
    label's minimum to its text at every resize, so the reset itself is wrapped."""
    label = plot.titleLabel
    reset = label.updateMin

    def update_min() -> None:
        reset()
        label.setMinimumWidth(0)
        label._sizeHint[Qt.SizeHint.MinimumSize] = (0, label._sizeHint[Qt.SizeHint.MinimumSize][1])

    label.updateMin = update_min
    update_min()


def title_html(key: str, title: str, text: QColor, muted: QColor, note: str = "") -> str:
    """The plot's title with its legend inline, in the curves' colours: a legend box would cover the curves."""
    marks = {"o": "●", "t": "▼"}
    specs = [spec for spec in SPECS if spec.plot == key and spec.label]
    if key == "gan_judge":   # the GAN's and the flow model's curves of a figure share an entry: a short legend
        gan = [spec for spec in specs if spec.kind == "gan"]
        flow = {spec.key: spec for spec in specs if spec.kind == "flow"}
        entries = [f"<span style='color:{g.color}'>●</span><span style='color:{flow[g.key].color}'>▼</span> "
                   f"<span style='color:{g.color}'>{g.label}</span>" for g in gan if g.key in flow]
        entries.append(f"<span style='color:{muted.name()}'>● GAN ▼ flow</span>")
    else:
        entries = [f"<span style='color:{spec.color}'>"
                   f"{marks.get(spec.symbol, '●') if spec.source == 'epoch' else '━'} {spec.label}</span>"
                   for spec in specs]
    if key in ("gan_loss", "gan_prob", "flow_loss"):
        entries.append(f"<span style='color:{muted.name()}'>● epoch mean</span>")
    legend = "&nbsp;&nbsp;".join(entries) if len(entries) > 1 else ""
    head = f"<b style='color:{text.name()}'>{title}</b>"
    note_html = f"<span style='color:{muted.name()}; font-size:9pt'>{html.escape(note)}</span>" if note else ""
    if note and not legend:   # the second line is free: the note goes there, not beside the title
        return head + "<br>" + note_html
    if note and key == "gan_fcd":   # a short legend (GAN, flow): the judge's name still fits beside it
        return head + f"<br><span style='font-size:9pt'>{legend}</span>&nbsp;&nbsp;" + note_html
    return head + (f"<br><span style='font-size:9pt'>{legend}</span>" if legend else "")
