"""File dialogs open where the user last was, one remembered folder per purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from gendisc.gui.widgets import file_dialogs


class Dialogs:
    """Stands in for QFileDialog: records the start folder or path of each dialog, answers from ``answers``."""

    def __init__(self) -> None:
        self.starts: list[str] = []
        self.answers: list[str] = []

    def folder(self, _parent: object, _title: str, start: str) -> str:
        self.starts.append(start)
        return self.answers.pop(0) if self.answers else ""

    def file(self, _parent: object, _title: str, start: str, _filters: str) -> tuple[str, str]:
        return self.folder(_parent, _title, start), ""


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    d = Dialogs()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", d.folder)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", d.file)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", d.file)
    return d


def test_each_purpose_reopens_where_it_was_last(dialogs: Dialogs, tmp_path: Path) -> None:
    downloads, paper, runs = (tmp_path / name for name in ("downloads", "paper", "runs"))
    for folder in (downloads / "digits", paper, runs):
        folder.mkdir(parents=True)
    dialogs.answers += [str(downloads / "digits"), "", str(paper / "fig.png")]
    asked = dialogs.starts
    assert file_dialogs.pick_folder(None, "Import", "import", default=runs) == str(downloads / "digits")
    assert asked[-1] == str(runs)   # first time: the default
    assert file_dialogs.pick_folder(None, "Import", "import") == ""   # cancelled: nothing changes
    assert asked[-1] == str(downloads)   # the parent of the last folder: its siblings are one click away
    assert file_dialogs.pick_save_file(None, "Export", "export", "plots.png", "PNG (*.png)") == str(paper / "fig.png")
    assert asked[-1] == "plots.png"
    file_dialogs.pick_save_file(None, "Export", "export", "more.png", "PNG (*.png)")
    assert asked[-1] == str(paper / "more.png")   # proposed in the folder saved to last
    file_dialogs.pick_open_file(None, "Import a file", "import", "*.npz")
    assert asked[-1] == str(downloads / "digits")   # the import folder, not the export one


def test_a_remembered_folder_that_was_deleted_falls_back_to_the_default(dialogs: Dialogs, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    file_dialogs.remember("runs", gone)
    gone.rmdir()
    assert file_dialogs.last_folder("runs", tmp_path) == str(tmp_path)
