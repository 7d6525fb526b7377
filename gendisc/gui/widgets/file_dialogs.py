"""File dialogs that open where the user last was: one remembered folder per purpose, kept in QSettings.

Purposes are short keys ("import", "runs", "export"): importing datasets from a download folder and exporting
figures to a paper's folder should not drag each other around.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

__all__ = ["last_folder", "pick_folder", "pick_open_file", "pick_save_file", "remember"]


def last_folder(purpose: str, default: str | Path = "") -> str:
    """The folder a ``purpose`` dialog last ended in, if it still exists; else ``default``."""
    folder = str(QSettings().value(f"dialogs/{purpose}", "") or "")
    return folder if folder and Path(folder).is_dir() else str(default)


def remember(purpose: str, path: str | Path) -> None:
    """``path`` was chosen: the next ``purpose`` dialog opens in its folder (the folder itself for a folder)."""
    p = Path(path)
    QSettings().setValue(f"dialogs/{purpose}", str(p if p.is_dir() else p.parent))


def pick_folder(parent: QWidget | None, title: str, purpose: str, default: str | Path = "") -> str:
    """A folder, or "" when cancelled. Opens in the parent of the last folder chosen, so a sibling is one click."""
    start = last_folder(purpose)
    start = str(Path(start).parent) if start else str(default)
    folder = QFileDialog.getExistingDirectory(parent, title, start)
    if folder:
        remember(purpose, folder)
    return folder


def pick_open_file(parent: QWidget | None, title: str, purpose: str, filters: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, title, last_folder(purpose), filters)
    if path:
        remember(purpose, path)
    return path


def pick_save_file(parent: QWidget | None, title: str, purpose: str, name: str, filters: str) -> str:
    """Where to save ``name``: proposed in the last folder saved to for ``purpose``."""
    folder = last_folder(purpose)
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path(folder) / name) if folder else name, filters)
    if path:
        remember(purpose, path)
    return path
