"""The GUI thread and helpers run torch on one thread; training threads get the full count whatever they inherit."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.train.control import Control
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


def test_cpu_trainers_share_the_cores_and_take_them_back_when_the_other_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    torch_threads.default_threads()
    monkeypatch.setattr(torch_threads, "_default", 4)
    first_in, second_in, shared, second_out = (threading.Event() for _ in range(4))
    seen: dict[str, list[int]] = {"first": [], "second": [], "beside": []}

    def gpu_trainer() -> None:   # a trainer on a GPU, beside the two: it takes no share
        with torch_threads.CpuShare(on_cpu=False):
            seen["beside"].append(torch_threads.CpuShare().threads())

    def first() -> None:
        torch_threads.for_training()
        with torch_threads.CpuShare() as share:
            seen["first"].append(torch.get_num_threads())   # alone: all four
            first_in.set()
            second_in.wait(5)
            share.update()   # its next report: the second trainer has started
            seen["first"].append(torch.get_num_threads())
            shared.set()
            second_out.wait(5)
            share.update()   # the second has ended: all four again
            seen["first"].append(torch.get_num_threads())

    def second() -> None:
        first_in.wait(5)
        torch_threads.for_training()
        with torch_threads.CpuShare():
            seen["second"].append(torch.get_num_threads())
            in_thread(gpu_trainer)
            paused = Control()
            paused.pause()
            torch_threads._cpu_trainers[-1] = paused   # a third trainer, paused: it leaves its share to the others
            seen["beside"].append(torch_threads.CpuShare().threads())
            del torch_threads._cpu_trainers[-1]
            second_in.set()
            shared.wait(5)
        second_out.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # four threads over two CPU trainers, neither the GPU trainer nor the paused one counted (else 4 // 3 = 1)
    assert seen == {"first": [4, 2, 4], "second": [2], "beside": [2, 2]}
    assert not torch_threads._cpu_trainers   # every trainer counted out


def test_the_cnn_and_the_gan_trained_at_once_from_the_window_share_the_cores(qtbot: QtBot, two_threads: int) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.dataset_panel.dataset() is not None, timeout=10_000)
    w.dataset_panel.val_split.setValue(50)
    w.training_panel.cnn_form.widget("budget.epochs").setValue(2)
    w.training_panel.gan_form.widget("budget.epochs").setValue(2)
    finished: list[FinishedReport] = []
    w.session.training.finished.connect(finished.append)
    names: list[str] = []
    w.session.training.device.connect(lambda _type, name: names.append(name))
    assert w.start_training()
    qtbot.waitUntil(lambda: len(torch_threads._cpu_trainers) == 2, timeout=60_000)   # both counted in
    assert torch_threads.CpuShare().threads() == 1   # so each trains on one of the two threads
    qtbot.waitUntil(lambda: len(finished) == 2 and not w.session.training.is_running(), timeout=120_000)
    assert not torch_threads._cpu_trainers   # and counted out when done
    assert any(n.startswith("CPU (1 thread of") for n in names)   # the status bar said so while they shared
