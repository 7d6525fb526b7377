"""Light and dark palettes for the Fusion style, and following the system's choice.

Qt's own colour-scheme hint is not honoured by every platform plugin (X11 without a desktop ignores it), so
the dark theme is an explicit palette. Fusion's dock title buttons are dark bitmaps whatever the palette, so the
style draws them in the palette's text colour; switching themes re-applies the style, which rebuilds them.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QProxyStyle, QStyle, QStyleFactory, QStyleOption, QWidget

THEMES = ("system", "light", "dark")


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colors = {role.Window: "#2b2d31", role.WindowText: "#e6e6e6", role.Base: "#1e1f22", role.AlternateBase: "#2f3136",
              role.ToolTipBase: "#1e1f22", role.ToolTipText: "#e6e6e6", role.Text: "#e6e6e6", role.Button: "#35373c",
              role.ButtonText: "#e6e6e6", role.BrightText: "#ff6b6b", role.Link: "#6aa9ff", role.Highlight: "#3d7bd9",
              role.HighlightedText: "#ffffff", role.PlaceholderText: "#8a8d93", role.Light: "#4a4d52",
              role.Midlight: "#3c3f44", role.Mid: "#2a2c30", role.Dark: "#18191c", role.Shadow: "#000000"}
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7d83"))
    p.setColor(group.Disabled, role.Highlight, QColor("#4a4d52"))
    p.setColor(group.Disabled, role.Base, QColor("#2b2d31"))   # a locked field looks locked, as in the light theme
    return p


def title_button_icon(kind: QStyle.StandardPixmap, color: QColor) -> QIcon:
    """A dock title button's glyph in ``color``: × to close, two overlapping frames to float or dock."""
    side = 48   # drawn large and scaled down: crisp at any device pixel ratio
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    if kind == QStyle.StandardPixmap.SP_TitleBarCloseButton:
        painter.drawLine(10, 10, side - 10, side - 10)
        painter.drawLine(side - 10, 10, 10, side - 10)
    else:
        painter.drawRect(QRectF(16, 6, 26, 24))
        painter.fillRect(QRectF(6, 18, 26, 24), Qt.GlobalColor.transparent)
        painter.drawRect(QRectF(6, 18, 26, 24))
    painter.end()
    return QIcon(pixmap)


CHECK_INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
                    QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)


class ThemedStyle(QProxyStyle):
    """Fusion, with dock title buttons drawn in the palette's text colour (Fusion's are dark on dark) and check
    boxes outlined so an unticked one shows on a dark palette."""

    TITLE_BUTTONS = (QStyle.StandardPixmap.SP_TitleBarCloseButton, QStyle.StandardPixmap.SP_TitleBarNormalButton,
                     QStyle.StandardPixmap.SP_DockWidgetCloseButton)

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def standardIcon(self, standardIcon: QStyle.StandardPixmap, option: QStyleOption | None = None,
                     widget: QWidget | None = None) -> QIcon:
        if standardIcon in self.TITLE_BUTTONS:
            palette = QApplication.palette()   # a widget's own palette may not have followed a theme switch yet
            kind = (QStyle.StandardPixmap.SP_TitleBarNormalButton
                    if standardIcon == QStyle.StandardPixmap.SP_TitleBarNormalButton
                    else QStyle.StandardPixmap.SP_TitleBarCloseButton)
            return title_button_icon(kind, palette.color(QPalette.ColorRole.WindowText))
        return super().standardIcon(standardIcon, option, widget)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element in CHECK_INDICATORS and option.palette.window().color().lightnessF() < 0.5:
            # Fusion outlines a check box in a darker shade of the window: on a dark palette, the same colour as
            # the box itself. A light outline makes an unticked box visible.
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(option.palette.color(QPalette.ColorRole.PlaceholderText), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(option.rect).adjusted(1.5, 1.5, -1.5, -1.5), 2, 2)
            painter.restore()


def _relayout_rich_text(app: QApplication) -> None:
    """Labels lay out rich text with the palette of the moment: set it again, or links keep the old colour."""
    for widget in app.allWidgets():
        if isinstance(widget, QLabel) and "<a " in widget.text():
            text = widget.text()
            widget.setText("")
            widget.setText(text)


def system_prefers_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(name: str) -> str:
    """Apply ``system``, ``light`` or ``dark``; returns the theme applied (unknown names mean system)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return "system"
    name = name if name in THEMES else "system"
    dark = name == "dark" or (name == "system" and system_prefers_dark())
    palette = dark_palette() if dark else QStyleFactory.create("Fusion").standardPalette()
    app.setPalette(palette)
    app.setStyle(ThemedStyle())   # rebuilds the dock title buttons, in the new palette's colours
    app.setPalette(palette)   # setting a style may reset the palette to its own
    _relayout_rich_text(app)
    return name
