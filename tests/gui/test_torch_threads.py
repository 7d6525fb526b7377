"""The GUI thread and helpers run torch on one thread; training threads get the full count whatever they inherit."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.train.reports import FinishedReport
from gendisc.gui.shell.main_window import MainWindow
from gendisc.gui.threads import torch_threads


def in_thread(fn: Callable[[], object]) -> object:
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


@pytest.fixture
def two_threads(monkeypatch: pytest.MonkeyPatch) -> int:
    """Pretend PyTorch's default is 2 threads (true on CI; forced so that one core could not hide a bug)."""
    torch_threads.default_threads()   # the real default is read before any thread here lowers the count
    monkeypatch.setattr(torch_threads, "_default", 2)
    return 2


def test_helpers_stay_on_one_thread_and_training_threads_get_the_default(two_threads: int) -> None:
    def helper() -> tuple[int, int]:
        torch_threads.for_helpers()
        first = torch.get_num_threads()
        torch_threads.for_helpers()   # repeating it changes nothing
        return first, torch.get_num_threads()

    assert in_thread(helper) == (1, 1)

    def trainer() -> tuple[int, int]:
        torch.set_num_threads(1)   # as a new thread may inherit from a helper
        return torch_threads.for_training(), torch.get_num_threads()

    assert in_thread(trainer) == (two_threads, two_threads)


def test_training_from_the_window_uses_every_thread_after_the_gui_thread_went_single(
        qtbot: QtBot, two_threads: int) -> None:
    torch_threads.for_helpers()   # as the draw panel does on the GUI thread before classifying
    assert torch.get_num_threads() == 1
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.dataset_panel.dataset() is not None, timeout=10_000)
    w.dataset_panel.val_split.setValue(50)
    w.training_panel.train_gan.setChecked(False)
    w.training_panel.cnn_form.widget("batch_size").setValue(256)
    w.training_panel.cnn_form.widget("budget.epochs").setValue(1)
    devices: list[tuple[str, str]] = []
    finished: list[FinishedReport] = []
    w.session.training.device.connect(lambda device_type, name: devices.append((device_type, name)))
    w.session.training.finished.connect(finished.append)
    assert w.start_training()
    qtbot.waitUntil(lambda: bool(finished) and not w.session.training.is_running(), timeout=60_000)
    assert devices and devices[0][0] == "cpu" and devices[0][1].startswith(f"CPU ({two_threads} threads")
    assert torch.get_num_threads() == 1   # the GUI thread itself stays on one
