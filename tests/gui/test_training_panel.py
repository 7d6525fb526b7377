"""The training panel on its own: its forms and the session's training settings stay one and the same, a value the
engine refuses is said at once and again at Start, controls lock while a job runs, and the progress bars say how
far each model is and how it ended."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, ConfigError, DataConfig, SsganConfig, TrainBudget
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.train.reports import EpochReport, FinishedReport, PreparationReport, StepReport
from gendisc.gui.panels.training_panel import TrainingPanel, finished_text
from gendisc.gui.session.session import Session
from gendisc.gui.session.training import TrainingJob

NAMES = tuple(str(i) for i in range(10))


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> TrainingPanel:
    p = TrainingPanel(session.settings, session.training)
    qtbot.addWidget(p)
    return p


def test_the_forms_edit_the_settings_and_show_their_changes(panel: TrainingPanel, session: Session) -> None:
    settings = session.settings
    panel.cnn_form.widget("optimizer.lr").setValue(0.0042)
    panel.run_form.widget("seed").setValue(17)
    panel.gan_form.widget("latent_dim").setValue(24)
    cfg = settings.config("cnn", DataConfig(dataset="mnist-sample", val_fraction=0.2))
    assert cfg.optimizer.lr == pytest.approx(0.0042) and cfg.seed == 17 and cfg.data.val_fraction == 0.2
    gan = settings.config("gan", DataConfig())
    assert gan.latent_dim == 24 and not gan.data.augment

    settings.set_augmentation(DataConfig(augment=False))   # as a dataset recommending no augmentation does
    assert not panel.cnn_form.widget("data.augment").isChecked()
    settings.apply_gan_preset("dcgan")
    assert panel.current_gan_preset() == "dcgan" and not panel.gan_form.widget("conditional").isChecked()

    panel.train_gan.setChecked(False)
    assert settings.kinds() == ["cnn"] and panel.start_action.isEnabled()
    panel.train_cnn.setChecked(False)
    assert settings.kinds() == [] and not panel.start_action.isEnabled()   # nothing to train


def test_a_refused_value_is_said_at_once_and_at_start(panel: TrainingPanel, session: Session) -> None:
    widget = panel.cnn_form.widget("dropout")
    assert isinstance(widget, QDoubleSpinBox)
    widget.setRange(0.0, 5.0)   # as a damaged settings file or a future widget might
    widget.setValue(1.5)
    assert not panel.problem.isHidden() and "dropout" in panel.problem.text()
    with pytest.raises(ConfigError, match="dropout"):   # what Start is told (test_never_lose_a_run: the dialog)
        session.settings.config("cnn", DataConfig())
    widget.setValue(0.3)
    assert panel.problem.isHidden() and session.settings.problem() is None


def test_controls_lock_while_training_and_the_bars_tell_the_story(panel: TrainingPanel, session: Session,
                                                                  qtbot: QtBot, tmp_path: Path) -> None:
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=64, budget=TrainBudget(epochs=50), log_every=2,
                    data=DataConfig(val_fraction=0.5, augment=False))
    steps: list[StepReport] = []
    session.training.step.connect(steps.append)
    with qtbot.waitSignal(session.training.step, timeout=30_000):
        session.training.start(TrainingJob(cfg, ModelSpec(cfg, (1, 28, 28), NAMES), tmp_path / "run",
                                           autosave_s=None))
    assert not panel.cnn_form.isEnabled() and not panel.train_cnn.isEnabled() and not panel.start_action.isEnabled()
    assert panel.stop_action.isEnabled() and panel.pause_action.text() == "Pause"
    fmt = panel.progress["cnn"].format()
    assert fmt.startswith("CNN: ") and "epoch 1" in fmt and panel.progress["cnn"].value() >= 0
    panel.pause_action.trigger()
    assert session.training.paused and panel.pause_action.text() == "Resume"
    panel.pause_action.trigger()
    assert not session.training.paused and panel.pause_action.text() == "Pause"
    finished: list[FinishedReport] = []
    session.training.finished.connect(finished.append)
    with qtbot.waitSignal(session.training.stopped, timeout=30_000):
        panel.stop_action.trigger()
    assert finished and finished[0].reason == "stopped"
    assert panel.progress["cnn"].format().startswith(f"CNN: stopped after {finished[0].epochs_text}  ·  validation "
                                                     "accuracy ")
    assert "of an epoch" in finished[0].epochs_text   # stopped in the first of 50 epochs
    assert panel.cnn_form.isEnabled() and panel.start_action.isEnabled() and not panel.stop_action.isEnabled()


def test_the_eta_comes_from_the_progress_and_the_time_so_far(panel: TrainingPanel) -> None:
    panel.show_step(StepReport("gan", 3, 300, 1000, {"loss_d": 1.0}, 500.0, 60.0, 1e-3, 0.25))
    assert panel.progress["gan"].format() == "GAN: 25%  ·  epoch 3  ·  1:00  ·  ETA 3:00"
    assert panel.progress["gan"].value() == 250
    # it slowed down: the next quarter took two minutes; the ETA follows that rate (the average would say 3:00)
    panel.show_step(StepReport("gan", 6, 600, 1000, {"loss_d": 1.0}, 250.0, 180.0, 1e-3, 0.5))
    assert panel.progress["gan"].format().endswith("ETA 4:00")


def test_a_run_preparing_its_images_says_what_it_does_and_how_far(panel: TrainingPanel, session: Session) -> None:
    session.training._on_item(PreparationReport("cnn", "drawing 5,000 images from flow-1", 0.4, 30.0))
    assert panel.progress["cnn"].format() == "CNN: drawing 5,000 images from flow-1 first… 40%"
    assert panel.progress["cnn"].value() == 400


def test_a_finished_gan_says_what_its_judge_thought() -> None:
    report = FinishedReport("gan", 4, 900, "completed", {"loss_d": 1.2, "judge_confident": 0.874, "judge_fcd": 12.34},
                            60.0)
    assert finished_text(report) == "done  ·  87% recognised  ·  FCD 12.3"
    assert finished_text(FinishedReport("gan", 1, 9, "stopped", {"loss_d": 1.2}, 6.0, epochs_done=0.15)) == \
        "stopped after 0.15 of an epoch"


def test_a_typed_value_out_of_range_is_clamped_and_said(panel: TrainingPanel, session: Session) -> None:
    box = panel.cnn_form.widget("optimizer.lr")
    assert isinstance(box, QDoubleSpinBox)
    assert f"Allowed: {box.textFromValue(box.minimum())} to {box.textFromValue(box.maximum())}" in box.toolTip()
    panel.show()
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, "10")
    assert box.text() == "10"   # the keystroke was not swallowed: what was typed stays until Return
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert box.value() == box.maximum() == session.settings.cnn().optimizer.lr
    note = panel.cnn_form.clamped_note
    assert not note.isHidden() and "Learning rate: 10 is out of range" in note.text()
    assert f"maximum {box.textFromValue(box.maximum())} is used" in note.text()

    epochs = panel.cnn_form.widget("budget.epochs")   # whole numbers clamp the same way, at the minimum too
    assert isinstance(epochs, QSpinBox)
    epochs.setFocus()
    epochs.selectAll()
    QTest.keyClicks(epochs, "0")
    QTest.keyClick(epochs, Qt.Key.Key_Return)
    assert epochs.value() == epochs.minimum() == 1
    assert note.text().startswith("Epochs: 0 is out of range, so the minimum 1 is used.")
    epochs.setValue(7)   # the note goes once the field holds another value
    assert note.isHidden()


def test_advice_from_an_epoch_stays_until_that_model_trains_again(panel: TrainingPanel, session: Session,
                                                                  qtbot: QtBot, tmp_path: Path) -> None:
    warning = "Validation accuracy has stayed at chance (10.2%, chance is 10%) for 3 epochs: lower the learning rate."
    panel.show_epoch(EpochReport("cnn", 3, 30, {"val_acc": 0.102}, 9.0, warning=warning))
    assert not panel.advice.isHidden() and panel.advice.text() == f"CNN: {warning}"
    panel.show_epoch(EpochReport("cnn", 4, 40, {"val_acc": 0.101}, 12.0))   # said once: later epochs keep it
    assert not panel.advice.isHidden()
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=64, budget=TrainBudget(epochs=1, max_steps=2),
                    data=DataConfig(val_fraction=0.5, augment=False))
    with qtbot.waitSignal(session.training.stopped, timeout=30_000):
        session.training.start(TrainingJob(cfg, ModelSpec(cfg, (1, 28, 28), NAMES), tmp_path / "run",
                                           autosave_s=None))
    assert panel.advice.isHidden()   # a new CNN run: the old advice is gone


def test_a_loaded_dataset_brings_its_recommended_augmentation(panel: TrainingPanel, session: Session,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from gendisc.engine.data import augment

    monkeypatch.setitem(augment._RECOMMENDED, "mnist-sample", {"augment": False, "hflip": True, "shift": 0.0})
    session.datasets.loaded.emit("mnist-sample")
    cnn = session.settings.config("cnn", DataConfig(dataset="mnist-sample"))
    ssgan = session.settings.config("ssgan", DataConfig(dataset="mnist-sample"))
    for cfg in (cnn, ssgan):
        assert not cfg.data.augment and cfg.data.hflip and cfg.data.shift == 0.0
        assert cfg.data.rotate_deg == DataConfig().rotate_deg   # the rest: the handwriting default
    assert not panel.cnn_form.widget("data.augment").isChecked()
    monkeypatch.delitem(augment._RECOMMENDED, "mnist-sample")
    session.datasets.loaded.emit("mnist-sample")   # back to the default: every strength, not only the switch
    cnn = session.settings.config("cnn", DataConfig(dataset="mnist-sample"))
    assert cnn.data.augment and not cnn.data.hflip and cnn.data.shift == DataConfig().shift


def test_a_loaded_dataset_brings_its_recommended_consistency(session: Session,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from gendisc.engine.data import augment

    monkeypatch.setitem(augment._RECOMMENDED_CONSISTENCY, "mnist-sample", 0.25)
    session.datasets.loaded.emit("mnist-sample")
    assert session.settings.config("ssgan", DataConfig(dataset="mnist-sample")).consistency == 0.25
    monkeypatch.delitem(augment._RECOMMENDED_CONSISTENCY, "mnist-sample")
    session.datasets.loaded.emit("mnist-sample")
    assert session.settings.config("ssgan", DataConfig(dataset="mnist-sample")).consistency == \
        SsganConfig().consistency
