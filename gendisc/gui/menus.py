"""The main window's menus: File, Train, View, Help, and their shortcuts."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gendisc.engine.data.catalog import CREDITS
from gendisc.engine.runs.naming import runs_root
from gendisc.gui.theme import THEMES

if TYPE_CHECKING:
    from gendisc.gui.main_window import MainWindow

SHORTCUTS = (("F5", "Start training"), ("F6", "Pause / resume"), ("Shift+F5", "Stop and save"),
             ("Ctrl+S", "Save a checkpoint now"), ("Ctrl+O", "Open a run folder"),
             ("Ctrl+Shift+O", "Continue training a saved run"), ("Ctrl+,", "Preferences (autosave interval)"),
             ("Ctrl+Q", "Quit"),
             ("Ctrl+Z", "Undo the last stroke (draw canvas)"), ("Delete", "Clear the draw canvas"))


def _action(w: MainWindow, text: str, slot: object, shortcut: str | None = None, tip: str = "") -> QAction:
    a = QAction(text, w)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
    if tip:
        a.setStatusTip(tip)
    a.triggered.connect(slot)
    return a


def build_menus(w: MainWindow) -> None:
    bar = w.menuBar()
    file = bar.addMenu("&File")
    file.addAction(_action(w, "&Open run…", lambda: _open_run(w), "Ctrl+O", "Show a saved run: its curves, "
                           "samples and classifier"))
    file.addAction(_action(w, "&Continue training…", lambda: _continue_run(w), "Ctrl+Shift+O",
                           "Resume a saved run exactly where it stopped"))
    file.addAction(_action(w, "&Follow run folder…", lambda: _follow(w), None,
                           "Watch a run that another process is writing (a headless or torchrun job)"))
    file.addAction(_action(w, "S&top following", lambda: _stop_following(w)))
    file.addAction(_action(w, "&Save checkpoint", w.save_checkpoint, "Ctrl+S", "Write a checkpoint now"))
    export = file.addMenu("&Export")
    export.addAction(_action(w, "Samples as PNG…", lambda: _save(w, "Save samples", "samples.png", "PNG (*.png)",
                                                                  w.gallery_panel.save_png)))
    export.addAction(_action(w, "Plots as PNG…", lambda: _save(w, "Save plots", "plots.png", "PNG (*.png)",
                                                                w.plots_panel.export_png)))
    export.addAction(_action(w, "Metrics as CSV…", lambda: _save(w, "Save metrics", "metrics.csv", "CSV (*.csv)",
                                                                  w.plots_panel.export_csv)))
    export.addSeparator()
    for text, fmt, suffix, filters in (("Run's model as ONNX…", "onnx", ".onnx", "ONNX (*.onnx)"),
                                       ("Run's model as TorchScript…", "torchscript", ".pt", "TorchScript (*.pt)"),
                                       ("Run report (HTML)…", "html", ".html", "HTML (*.html)")):
        export.addAction(_action(w, text, lambda _=False, fmt=fmt, suffix=suffix, filters=filters:
                                 _export_run(w, fmt, suffix, filters)))
    file.addSeparator()
    file.addAction(_action(w, "&Quit", w.close, "Ctrl+Q"))
    edit = bar.addMenu("&Edit")
    prefs = _action(w, "&Preferences…", lambda: _preferences(w), "Ctrl+,",
                    "How often a running training autosaves; where errors are logged")
    prefs.setMenuRole(QAction.MenuRole.PreferencesRole)   # macOS: in the application menu
    edit.addAction(prefs)

    train = bar.addMenu("&Train")
    tp = w.training_panel
    for a in (tp.start_action, tp.pause_action, tp.stop_action):
        train.addAction(a)
        w.addAction(a)   # shortcuts work wherever the focus is
    train.addSeparator()
    train.addAction(_action(w, "&Quick-train a CNN for the canvas", w.quick_train, None,
                            "Train the default CNN for about 20 seconds"))

    view = bar.addMenu("&View")
    for dock in w.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    theme = view.addMenu("&Theme")
    group = QActionGroup(w)
    current = w.theme
    for name in THEMES:
        a = QAction(name.capitalize(), w, checkable=True)
        a.setChecked(name == current)
        a.triggered.connect(lambda _=False, name=name: w.set_theme(name))
        group.addAction(a)
        theme.addAction(a)
    view.addAction(_action(w, "&Reset layout", w.reset_layout))

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(_action(w, "&Keyboard shortcuts", lambda: _shortcuts(w), "F1"))
    help_menu.addAction(_action(w, "&About GenDisc Studio", lambda: _about(w)))


def _preferences(w: MainWindow) -> None:
    from gendisc.gui.preferences import show_preferences

    show_preferences(w)


def _open_run(w: MainWindow) -> None:
    folder = QFileDialog.getExistingDirectory(w, "Open a run folder", str(w.runs_root or runs_root()))
    if folder:
        from gendisc.gui.open_run import open_run

        open_run(w, folder)


def _continue_run(w: MainWindow) -> None:
    folder = QFileDialog.getExistingDirectory(w, "Continue which run?", str(w.runs_root or runs_root()))
    if folder:
        from gendisc.gui.open_run import continue_run

        continue_run(w, folder)


def _follow(w: MainWindow) -> None:
    folder = QFileDialog.getExistingDirectory(w, "Follow which run folder?", str(w.runs_root or runs_root()))
    if folder:
        from gendisc.gui.follow import follow_run

        follow_run(w, folder)


def _stop_following(w: MainWindow) -> None:
    from gendisc.gui.follow import stop_following

    stop_following(w)
    w.statusBar().showMessage("Stopped following", 3000)


def _export_run(w: MainWindow, fmt: str, suffix: str, filters: str) -> None:
    """Pick a run folder, then where to write its model or report."""
    folder = QFileDialog.getExistingDirectory(w, "Export which run?", str(w.runs_root or runs_root()))
    if not folder:
        return

    def write(path: str) -> None:
        from gendisc.engine.errors import GenDiscError
        from gendisc.gui.torch_threads import for_helpers

        for_helpers()   # the GUI thread runs torch on one core, training or not (see gendisc.gui.torch_threads)
        try:
            if fmt == "html":
                from gendisc.engine.export.report import write_report

                write_report(folder, path)
            else:
                from gendisc.engine.export.model import export_run

                export_run(folder, path, fmt)
        except GenDiscError as exc:
            raise ValueError(str(exc)) from None

    from pathlib import Path

    _save(w, "Export run", Path(folder).name + suffix, filters, write)


def _save(w: MainWindow, title: str, name: str, filters: str, writer: object) -> None:
    path, _ = QFileDialog.getSaveFileName(w, title, name, filters)
    if path:
        try:
            writer(path)
        except (OSError, ValueError) as exc:
            w._warn("Export failed", f"{path}: {exc}")
        else:
            w.statusBar().showMessage(f"Saved {path}", 5000)


def _shortcuts(w: MainWindow) -> None:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
    w._info("Keyboard shortcuts", f"<table>{rows}</table>")


def _about(w: MainWindow) -> None:
    QMessageBox.about(w, "About GenDisc Studio", (
        "<h3>GenDisc Studio</h3><p>Train a generative model (a GAN) and a discriminative model (a CNN) side by "
        "side, watch them learn, draw a digit and see it recognised.</p>"
        f"<p><b>Data credits</b><br>{'<br>'.join(html.escape(c) + '.' for c in CREDITS)}</p>"
        "<p>Built with PyTorch, Qt for Python (PySide6) and pyqtgraph.</p>"))
