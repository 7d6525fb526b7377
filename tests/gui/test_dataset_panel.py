"""The dataset panel: every source with its state, downloads from a local HTTP server with a moving progress
bar and a working Cancel, imports by drag-and-drop and by dialog, removing cached files, and bad input that
gets one dialog while the previous dataset stays selected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from gendisc.engine.data import download as dl
from gendisc.engine.data import registry
from gendisc.engine.data.sources import REMOTE, RemoteDataset
from gendisc.gui.panels.dataset_panel import DatasetPanel
from gendisc.gui.session.datasets import DatasetModel
from gendisc.gui.session.session import Session
from gendisc.gui.shell.main_window import MainWindow
from gendisc.gui.threads.jobs import running_jobs
from tests.helpers.fileserver import FileServer, remote_for, tiny_idx_files

LOAD_MS = 15_000


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "gendisc-data"
    monkeypatch.setenv("GENDISC_DATA_DIR", str(folder))
    monkeypatch.setenv("GENDISC_FASHION_MNIST_DIR", str(tmp_path / "no-system-fashion"))
    return folder


@pytest.fixture
def server(file_server: FileServer) -> FileServer:
    return file_server


@pytest.fixture
def remotes(server: FileServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, RemoteDataset]:
    """Two small catalog datasets served slowly enough (4 kB chunks, a few ms each) to watch them arrive."""
    monkeypatch.setattr(dl, "CHUNK", 4096)
    monkeypatch.setattr(dl, "RETRIES", 0)
    out = {}
    for key, seed in (("tiny", 0), ("tiny-two", 1)):
        out[key] = remote_for(server, key, tiny_idx_files(1500, 100, seed), mode="slow", delay=0.003)
        monkeypatch.setitem(REMOTE, key, out[key])
    return out


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> DatasetPanel:
    p = DatasetPanel(session.datasets)
    qtbot.addWidget(p)
    p.resize(380, 760)
    p.show()
    qtbot.waitUntil(lambda: p.current_key() == "mnist-sample" and not p.is_loading(), timeout=LOAD_MS)
    return p


def row(panel: DatasetPanel, key: str) -> tuple[str, str]:
    for i in range(panel.list.topLevelItemCount()):
        item = panel.list.topLevelItem(i)
        if item.data(0, Qt.ItemDataRole.UserRole) == key:
            return item.text(0), item.text(1)
    raise KeyError(key)


def click(panel: DatasetPanel, key: str) -> None:
    for i in range(panel.list.topLevelItemCount()):
        item = panel.list.topLevelItem(i)
        if item.data(0, Qt.ItemDataRole.UserRole) == key:
            panel.list.setCurrentItem(item)
            return
    raise KeyError(key)


def highlighted(panel: DatasetPanel) -> str:
    return panel.list.selectedItems()[0].data(0, Qt.ItemDataRole.UserRole)


def drop(panel: DatasetPanel, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    panel.dropEvent(event)
    assert event.isAccepted()


def test_lists_every_source_with_its_state(remotes: dict, panel: DatasetPanel, tmp_path: Path) -> None:
    panel.refresh_catalog()
    assert row(panel, "mnist-sample")[1] == "bundled"
    assert row(panel, "cifar10") == ("CIFAR-10", "download · 170.1 MB")
    assert row(panel, "tiny")[1].startswith("download · ")
    np.savez(tmp_path / "own.npz", images=np.zeros((4, 8, 8), np.uint8), labels=np.arange(4) % 2)
    registry.import_dataset(tmp_path / "own.npz")
    dl.download("tiny")
    panel.refresh_catalog()
    assert row(panel, "own")[1] == "imported" and row(panel, "tiny")[1] == "downloaded"
    assert highlighted(panel) == "mnist-sample"
    assert str(dl.data_dir()) in panel.folder.text()   # where the files go is shown


def test_download_with_moving_progress_then_cancel_another(qtbot: QtBot, remotes: dict[str, RemoteDataset],
                                                          panel: DatasetPanel) -> None:
    values: list[int] = []
    panel.job_bar.valueChanged.connect(values.append)
    texts: list[str] = []
    with qtbot.waitSignal(panel.datasets.loaded, timeout=LOAD_MS, check_params_cb=lambda k: k == "tiny"):
        click(panel, "tiny")
        assert panel.job_box.isVisible() and panel.is_loading() and panel.current_key() == "mnist-sample"
        qtbot.waitUntil(lambda: panel.job_bar.value() > 0, timeout=LOAD_MS)
        texts.append(panel.job_label.text())
        assert row(panel, "tiny")[1].startswith("downloading ")
    distinct = sorted(set(values))
    assert len(distinct) >= 4 and values == sorted(values)   # it moved, forward only
    assert any("/s" in t and " of " in t for t in texts), texts   # bytes and rate
    assert panel.current_key() == "tiny" and panel.dataset() is not None and panel.preview.count() > 0
    assert row(panel, "tiny")[1] == "downloaded" and not panel.job_box.isVisible()
    assert panel.error_box is None

    click(panel, "tiny-two")   # another download: cancel it midway
    qtbot.waitUntil(lambda: panel.job_bar.value() >= 100, timeout=LOAD_MS)
    assert panel.job_bar.value() < 900
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.datasets.is_busy(), timeout=LOAD_MS)
    assert "cancelled" in panel.status.text() and panel.error_box is None
    folder = dl.download_dir("tiny-two")
    assert not folder.exists() or [p.name for p in folder.iterdir()] == []   # no half file
    assert panel.current_key() == "tiny" and highlighted(panel) == "tiny"   # the previous selection stays
    assert row(panel, "tiny-two")[1].startswith("download · ")


def test_failed_download_gives_one_dialog_and_keeps_the_selection(qtbot: QtBot, remotes: dict,
                                                                  server: FileServer, panel: DatasetPanel) -> None:
    route = server.routes["/tiny/train-labels-idx1-ubyte.gz"]
    route.body = bytes(len(route.body))   # right size, wrong bytes
    click(panel, "tiny")
    qtbot.waitUntil(lambda: not panel.datasets.is_busy(), timeout=LOAD_MS)
    box = panel.error_box
    assert box is not None and box.isVisible()
    assert "checksum mismatch" in box.text() and "train-labels-idx1-ubyte.gz" in box.text()
    assert panel.current_key() == "mnist-sample" and highlighted(panel) == "mnist-sample" and not panel.is_loading()
    box.accept()


def test_switching_back_while_another_loads(qtbot: QtBot, remotes: dict, panel: DatasetPanel) -> None:
    dl.download("tiny")
    panel.refresh_catalog()
    changed: list[str] = []
    panel.datasets.loaded.connect(changed.append)
    click(panel, "tiny")
    click(panel, "mnist-sample")   # changed my mind before it loaded
    assert not panel.is_loading() and panel.preview.count() > 0
    qtbot.wait(300)   # the dropped load of "tiny" ends meanwhile and changes nothing
    assert panel.current_key() == "mnist-sample" and highlighted(panel) == "mnist-sample" and changed == []
    with qtbot.waitSignal(panel.datasets.loaded, timeout=LOAD_MS, check_params_cb=lambda k: k == "tiny"):
        click(panel, "tiny")
    assert panel.dataset().image_shape == (1, 28, 28)   # type: ignore[union-attr]


def test_remove_cached_files(qtbot: QtBot, remotes: dict, panel: DatasetPanel) -> None:
    dl.download("tiny")
    panel.refresh_catalog()
    with qtbot.waitSignal(panel.datasets.loaded, timeout=LOAD_MS):
        click(panel, "tiny")
    assert panel.remove_button.isEnabled() and panel.remove_button.text() == "Remove files"
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    box = panel.confirm_box
    assert box is not None and "Delete the downloaded files of Tiny tiny" in box.text()
    with qtbot.waitSignal(panel.datasets.loaded, timeout=LOAD_MS, check_params_cb=lambda k: k == "mnist-sample"):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert not dl.download_dir("tiny").exists()
    assert row(panel, "tiny")[1].startswith("download · ") and panel.current_key() == "mnist-sample"


def test_import_npz_by_drag_and_drop_is_remembered(qtbot: QtBot, panel: DatasetPanel, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "colours.npz", x_train=rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8),
             y_train=np.arange(30) % 3)
    with qtbot.waitSignal(panel.datasets.loaded, timeout=LOAD_MS, check_params_cb=lambda k: k == "colours"):
        drop(panel, tmp_path / "colours.npz")
    assert row(panel, "colours") == ("colours", "imported") and highlighted(panel) == "colours"
    assert panel.datasets.current_info().image_shape == (3, 32, 32)   # type: ignore[union-attr]
    assert panel.preview.count() == 30
    again = DatasetPanel(DatasetModel())   # the next launch
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.current_key() == "mnist-sample", timeout=LOAD_MS)
    assert row(again, "colours")[1] == "imported"
    assert again.select("colours")
    qtbot.waitUntil(lambda: again.current_key() == "colours", timeout=LOAD_MS)
    # and it can be taken off the list again
    qtbot.mouseClick(again.remove_button, Qt.MouseButton.LeftButton)
    assert again.remove_button.text() == "Remove from list"
    again.confirm_box.button(QMessageBox.StandardButton.Yes).click()   # type: ignore[union-attr]
    qtbot.waitUntil(lambda: again.current_key() == "mnist-sample", timeout=LOAD_MS)
    assert "colours" not in [i.key for i in again.datasets.infos()] and (tmp_path / "colours.npz").exists()


def test_import_image_folder_asks_size_and_warns(qtbot: QtBot, panel: DatasetPanel, tmp_path: Path) -> None:
    for c, side in (("circle", 20), ("square", 24)):
        (tmp_path / "shapes" / c).mkdir(parents=True)
        for i in range(5):
            Image.fromarray(np.full((side, side), 40 * i, np.uint8)).save(tmp_path / "shapes" / c / f"{i}.png")
    assert panel.import_path(tmp_path / "shapes")
    dialog = panel.import_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.size_combo.setCurrentIndex(1)   # 28 × 28
    dialog.name.setText("Shapes")
    with qtbot.waitSignal(panel.datasets.loaded, timeout=LOAD_MS, check_params_cb=lambda k: k == "shapes"):
        dialog.accept()
    assert panel.datasets.current_info().image_shape == (1, 28, 28)   # type: ignore[union-attr]
    assert panel.error_box is not None and "Resized 10 image(s) to 28×28" in panel.error_box.text()
    assert panel.error_box.icon() == QMessageBox.Icon.Information
    assert "Resized" in panel.info.text()


@pytest.mark.parametrize("bad", ["broken.npz", "labels.npz", "empty-class", "notes.txt", "text-as-png"])
def test_bad_import_gives_one_dialog_and_keeps_the_selection(qtbot: QtBot, panel: DatasetPanel, tmp_path: Path,
                                                             bad: str) -> None:
    path = tmp_path / bad
    if bad == "broken.npz":
        path.write_bytes(b"PK\x03\x04" + bytes(100))
    elif bad == "labels.npz":
        np.savez(path, images=np.zeros((4, 8, 8), np.uint8), labels=np.array([0, 1, 2, 99999]))
    elif bad == "empty-class":
        for c in ("a", "b"):
            (path / c).mkdir(parents=True)
        Image.new("L", (8, 8)).save(path / "a" / "1.png")
    elif bad == "text-as-png":   # said at once: no dialog counting "2 images in 2 classes" first
        for c in ("a", "b"):
            (path / c).mkdir(parents=True)
            (path / c / "1.png").write_text("not an image")
        assert not panel.import_path(path) and panel.import_dialog is None
        assert "is not a readable PNG or JPEG image" in panel.error_box.text()   # type: ignore[union-attr]
    else:
        path.write_text("hello")
    if panel.import_path(path) and panel.import_dialog is not None:
        panel.import_dialog.accept()
    qtbot.waitUntil(lambda: panel.error_box is not None and not panel.datasets.is_busy(), timeout=LOAD_MS)
    text = panel.error_box.text()   # type: ignore[union-attr]
    assert str(path) in text or str(path / "b") in text
    assert panel.current_key() == "mnist-sample" and highlighted(panel) == "mnist-sample"
    assert registry.load_entries() == []


def test_closing_mid_download_keeps_no_half_file(qtbot: QtBot, remotes: dict, panel: DatasetPanel) -> None:
    click(panel, "tiny")
    qtbot.waitUntil(lambda: panel.job_bar.value() > 50, timeout=LOAD_MS)
    assert [job.name for job in running_jobs()] == ["gendisc-dataset-download"]
    panel.datasets.shutdown()   # what closing the window does: cancel the download and wait for it
    assert running_jobs() == []
    folder = dl.download_dir("tiny")
    assert [p.name for p in folder.iterdir()] == [] if folder.exists() else True


def test_the_file_menu_imports_and_removes_datasets(window: MainWindow) -> None:
    file_menu = window.menus["File"]
    texts = [a.text() for a in file_menu.actions()]
    assert texts[-1] == "&Quit" and "&Import dataset" in texts and "&Remove downloaded datasets…" in texts
    importing = next(a.menu() for a in file_menu.actions() if a.text() == "&Import dataset")
    assert importing.actions()[0].shortcut().toString() == "Ctrl+I"
    window.docks["Training"].raise_()
    remove = next(a for a in file_menu.actions() if a.text().startswith("&Remove"))
    remove.trigger()
    panel = window.dataset_panel
    assert panel.error_box is not None and "No dataset has been downloaded" in panel.error_box.text()
    assert not window.docks["Dataset"].visibleRegion().isEmpty()   # the panel it acts on came to the front
