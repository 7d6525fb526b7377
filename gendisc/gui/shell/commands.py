"""What the menus do that needs a dialog: pick a run to open, continue, follow or export; save exports; show the
shortcuts, the credits and the preferences. Each command takes the main window and acts through its session."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox

from gendisc.engine.data.catalog import CREDITS
from gendisc.gui.widgets.file_dialogs import pick_folder, pick_save_file

if TYPE_CHECKING:
    from gendisc.gui.shell.window_api import Window

SHORTCUTS = (("F5", "Start training"), ("F6", "Pause / resume"), ("Shift+F5", "Stop and save"),
             ("Ctrl+S", "Save a checkpoint now"), ("Ctrl+O", "Open a run folder"),
             ("Ctrl+Shift+O", "Continue training a saved run"), ("Ctrl+I", "Import a dataset folder"),
             ("Ctrl+,", "Preferences (autosave interval)"), ("Ctrl+Q", "Quit"),
             ("Ctrl+Z", "Undo the last stroke (draw canvas)"), ("Delete", "Clear the draw canvas"))


def _pick_run(w: Window, title: str) -> str:
    return pick_folder(w, title, "runs", w.session.runs.root)


def open_run(w: Window) -> None:
    if folder := _pick_run(w, "Open a run folder"):
        w.open_run(folder)


def continue_run(w: Window) -> None:
    """The runs that can be continued, unfinished first; one CNN and one GAN may be continued together."""
    from gendisc.engine.runs.resumable import resumable_runs
    from gendisc.gui.widgets.continue_dialog import ContinueDialog

    root = w.session.runs.root
    dialog = ContinueDialog(resumable_runs(root), root, w)   # type: ignore[arg-type]
    dialog.other_folder_requested.connect(lambda: continue_other_folder(w))
    dialog.accepted.connect(lambda: continue_chosen(w, dialog.chosen(), dialog.extra_epochs()))
    w.continue_dialog = dialog
    dialog.open()


def continue_chosen(w: Window, folders: list[Path], extra_epochs: int | None) -> None:
    for folder in folders:   # CNN first: a GAN continued beside it may be judged by it
        if not w.continue_run(folder, extra_epochs):
            return   # the window said why; the other run is not started behind the dialog


def continue_other_folder(w: Window) -> None:
    if folder := _pick_run(w, "Continue which run?"):
        w.continue_run(folder)


def follow_run(w: Window) -> None:
    if folder := _pick_run(w, "Follow which run folder?"):
        w.session.follow.follow(folder)


def stop_following(w: Window) -> None:
    w.session.follow.stop()
    w.statusBar().showMessage("Stopped following", 3000)


def export_run(w: Window, fmt: str, suffix: str, filters: str) -> None:
    """Pick a run folder, then where to write its model or report."""
    folder = _pick_run(w, "Export which run?")
    if not folder:
        return

    def write(path: str) -> None:
        from gendisc.engine.errors import GenDiscError
        from gendisc.gui.threads.torch_threads import for_helpers

        for_helpers()   # the GUI thread runs torch on one core, training or not
        try:
            if fmt == "html":
                from gendisc.engine.export.report import write_report

                write_report(folder, path)
            else:
                from gendisc.engine.export.model import export_run as export

                export(folder, path, fmt)
        except GenDiscError as exc:
            raise ValueError(str(exc)) from None

    save(w, "Export run", Path(folder).name + suffix, filters, write)


def save(w: Window, title: str, name: str, filters: str, writer: Any) -> None:
    """Ask where, then write; a failure gets one dialog naming the file."""
    path = pick_save_file(w, title, "export", name, filters)
    if path:
        try:
            writer(path)
        except (OSError, ValueError) as exc:
            w.warn("Export failed", f"{path}: {exc}")
        else:
            w.statusBar().showMessage(f"Saved {path}", 5000)


def preferences(w: Window) -> None:
    from gendisc.gui.shell.preferences import show_preferences

    show_preferences(w)


def shortcuts(w: Window) -> None:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
    w.info("Keyboard shortcuts", f"<table>{rows}</table>")


def about(w: Window) -> None:
    QMessageBox.about(w, "About GenDisc Studio", (
        "<h3>GenDisc Studio</h3><p>Train a generative model (a GAN) and a discriminative model (a CNN) side by "
        "side, watch them learn, draw a digit and see it recognised.</p>"
        f"<p><b>Data credits</b><br>{'<br>'.join(html.escape(c) + '.' for c in CREDITS)}</p>"
        "<p>Built with PyTorch, Qt for Python (PySide6) and pyqtgraph.</p>"))
