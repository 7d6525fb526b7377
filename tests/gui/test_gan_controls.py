"""The GAN's controls: presets, the judge choice in the training panel, and the discriminator's opinion of a
drawing in the draw panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.config import DataConfig, GanConfig
from gendisc.engine.models.build import ModelSpec, build_gan
from gendisc.engine.runs.state import numpy_state
from gendisc.engine.train.reports import JudgeTrainingReport, WeightsReport
from gendisc.gui.panels.draw_panel import DrawPanel
from gendisc.gui.panels.training_panel import TrainingPanel
from gendisc.gui.session.session import Session
from tests.helpers.gui import draw_stroke

NAMES = tuple(str(i) for i in range(10))


@pytest.fixture
def training(qtbot: QtBot, session: Session) -> TrainingPanel:
    w = TrainingPanel(session.settings, session.training)
    qtbot.addWidget(w)
    return w


def test_presets_set_the_form_and_editing_makes_it_custom(training: TrainingPanel) -> None:
    form = training.gan_form
    assert training.current_gan_preset() == "recommended"
    assert form.widget("conditional").isChecked() and form.widget("spectral_norm").isChecked()
    seed = training.gan_preset.findData("seed")
    training.gan_preset.setCurrentIndex(seed)
    training.gan_preset.activated.emit(seed)   # as choosing it in the combo does
    cfg = training.settings.config("gan", DataConfig())
    assert (cfg.g_optimizer.name, cfg.d_optimizer.name) == ("adam", "rmsprop")
    assert form.widget("d_optimizer.name").currentData() == "rmsprop"
    training.settings.apply_gan_preset("dcgan")
    cfg = training.settings.config("gan", DataConfig())
    assert (cfg.conditional, cfg.spectral_norm, cfg.ema, cfg.loss) == (False, False, 0.0, "bce")
    assert training.current_gan_preset() == "dcgan"
    form.widget("ema").setValue(0.99)   # any edit: no preset matches any more
    assert training.current_gan_preset() is None and training.gan_preset.currentText() == "Custom"
    training.settings.apply_gan_preset("recommended")
    assert training.current_gan_preset() == "recommended"
    assert form.widget("ema").value() == pytest.approx(GanConfig().ema)


def test_judge_is_automatic_or_the_sessions_cnn(training: TrainingPanel, session: Session, tmp_path: Path) -> None:
    data = DataConfig()

    def judge() -> str:
        return session.with_judge(session.settings.config("gan", data)).judge

    assert judge() == "auto"
    assert "default CNN" in training.judge_note.text()
    run = tmp_path / "cnn-run"
    session.training.note_cnn_run("mnist-sample", str(run))
    assert judge() == "auto"   # no checkpoint there (yet): automatic
    run.mkdir()
    (run / "checkpoint.safetensors").write_bytes(b"x")
    assert judge() == str(run)
    other = session.with_judge(session.settings.config("gan", DataConfig(dataset="fashion-mnist")))
    assert other.judge == "auto"   # another dataset
    assert "cnn-run" in training.judge_note.text()
    training.gan_form.widget("judge").setCurrentIndex(training.gan_form.widget("judge").findData("off"))
    assert judge() == "off" and "No judge" in training.judge_note.text()
    session.settings.set_gan(GanConfig(judge=str(run)))   # a saved run's folder comes back as automatic
    assert training.gan_form.widget("judge").currentData() == "auto"


def test_progress_says_the_judge_trains_first(training: TrainingPanel) -> None:
    training.show_judge_training(JudgeTrainingReport("gan", 0.4, 0.5, 900.0, 3.0))
    bar = training.progress["gan"]
    assert "judge" in bar.format() and "40%" in bar.format() and bar.value() == 400


# -- the discriminator's opinion in the draw panel --------------------------------------------------------------------
def gan_weights(cfg: GanConfig) -> WeightsReport:
    torch.manual_seed(0)
    g, d = build_gan(cfg, (1, 28, 28), 10)
    state = {**{f"G.{k}": v for k, v in numpy_state(g).items()}, **{f"D.{k}": v for k, v in numpy_state(d).items()}}
    return WeightsReport("gan", 7, state)


@pytest.mark.parametrize("conditional", [True, False])
def test_draw_panel_shows_how_real_the_drawing_looks(qtbot: QtBot, session: Session, conditional: bool) -> None:
    panel = DrawPanel(session.live, session.drawing, session.training)
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    qtbot.waitExposed(panel)
    assert session.live.discriminator() is None and panel.realness.format() == "Train or load a GAN"
    cfg = GanConfig(conditional=conditional, latent_dim=8, g_width=8, d_width=8)
    session.live.expect(ModelSpec(cfg, (1, 28, 28), NAMES))   # what a GAN job starting says
    session.live.update(gan_weights(cfg))
    assert session.live.discriminator() is not None and "in training (step 7)" in panel.realness_source.text()
    assert panel.realness.format() == "Draw a digit"
    values: list[object] = []
    panel.judged_real.connect(values.append)
    draw_stroke(panel.canvas)
    qtbot.waitUntil(lambda: any(v is not None for v in values), timeout=5000)
    value = next(v for v in values if v is not None)
    assert isinstance(value, float) and 0.0 <= value <= 1.0
    assert panel.last_realness == value
    assert panel.realness.value() == round(1000 * value)
    assert panel.realness.format().startswith(f"{100 * value:.0f}% real")
    assert ("(best as a " in panel.realness.format()) == conditional   # no CNN: its most plausible class
    assert ("discriminator finds most plausible" in panel.realness.toolTip()) == conditional
    if conditional:   # with a CNN too, D reads the drawing as the digit the CNN sees
        from gendisc.engine.config import CnnConfig
        from gendisc.engine.inference.predict import realness
        from gendisc.engine.models.cnn import build_cnn

        cnn = CnnConfig(arch="classic")
        session.live.expect(ModelSpec(cnn, (1, 28, 28), NAMES))
        session.live.update(WeightsReport("cnn", 3, numpy_state(build_cnn("classic", (1, 28, 28), 10))))
        probs = panel.bars.probabilities()
        assert probs is not None and panel.realness.format().endswith(f"real as a {NAMES[int(np.argmax(probs))]}")
        assert "the class the CNN sees" in panel.realness.toolTip()
        _, per_class = realness(session.live.discriminator().module, panel.last_input[None])
        assert panel.last_realness == pytest.approx(per_class[0, int(np.argmax(probs))])
    panel.canvas.clear()
    assert panel.last_realness is None and panel.realness.format() == "Draw a digit"


def test_draw_panel_loads_a_gan_run(qtbot: QtBot, session: Session, tmp_path: Path) -> None:
    from gendisc.engine.config import TrainBudget
    from gendisc.engine.data.catalog import load_dataset
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.train.control import Control
    from gendisc.engine.train.gan_trainer import train_gan

    panel = DrawPanel(session.live, session.drawing, session.training)
    qtbot.addWidget(panel)
    assert not panel.load_run(str(tmp_path), "gan")
    assert panel.error_box is not None and "not a run folder" in panel.error_box.text()
    panel.error_box.close()
    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.02), "cpu")
    cfg = GanConfig(device="cpu", batch_size=32, latent_dim=8, g_width=8, d_width=8,
                    budget=TrainBudget(epochs=1, max_steps=2))
    list(train_gan(cfg, data, Control(), tmp_path / "gan"))
    assert panel.load_run(str(tmp_path / "gan"), "gan")
    assert session.live.discriminator() is not None and "saved in gan" in panel.realness_source.text()
    draw_stroke(panel.canvas)
    assert panel.last_realness is not None and np.isfinite(panel.last_realness)
