"""A semi-supervised GAN's discriminator is a classifier wherever the window uses one: the Draw panel (with a choice
when a CNN is there too), Inspect, opened runs, and the comparison of classifier runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, DataConfig, SsganConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import prepare
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.runs.state import numpy_state
from gendisc.engine.runs.summary import summarize
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.reports import WeightsReport
from gendisc.engine.train.ssgan_trainer import train_ssgan
from gendisc.gui.panels.draw_panel import DrawPanel
from gendisc.gui.session.runs import read_run
from gendisc.gui.session.session import Session
from gendisc.gui.widgets.compare_metrics import incomparable_reason
from gendisc.gui.widgets.run_compare import comparable_part
from tests.helpers.gui import draw_stroke

NAMES = tuple(str(i) for i in range(10))
SS = SsganConfig(g_width=8, d_width=8, budget=TrainBudget(max_steps=3), n_samples=4, device="cpu")
CNN = CnnConfig(arch="classic", budget=TrainBudget(max_steps=3), device="cpu")


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> DrawPanel:
    p = DrawPanel(session.live, session.drawing, session.training)
    qtbot.addWidget(p)
    p.resize(700, 500)
    p.show()
    qtbot.waitExposed(p)
    return p


def published(cfg: SsganConfig | CnnConfig, seed: int) -> tuple[ModelSpec, WeightsReport]:
    """The weights a trainer of ``cfg`` publishes, for a model of seeded random weights."""
    spec = ModelSpec(cfg, (1, 28, 28), NAMES)
    torch.manual_seed(seed)
    if isinstance(cfg, SsganConfig):
        g, d = spec.ssgan()
        state = {**{f"G.{k}": v for k, v in numpy_state(g).items()}, **{f"D.{k}": v for k, v in numpy_state(d).items()}}
        return spec, WeightsReport("ssgan", 7, state)
    return spec, WeightsReport("cnn", 5, numpy_state(spec.classifier()))


def test_the_draw_panel_classifies_with_the_cnn_or_the_ssgan_discriminator_as_asked(panel: DrawPanel,
                                                                                      session: Session) -> None:
    live = session.live
    ss_spec, ss_weights = published(SS, 1)
    live.expect(ss_spec)
    live.update(ss_weights)   # only a semi-supervised GAN in training: it classifies
    assert live.classifier() is not None and live.classifier().spec.kind == "ssgan"
    assert panel.source.text() == "Using the semi-supervised GAN's discriminator in training (step 7)."
    assert not panel.choice_row.isVisible()   # nothing to choose between yet
    draw_stroke(panel.canvas, ((0.5, 0.2), (0.5, 0.8)))
    by_ssgan = session.drawing.probabilities()
    cnn_spec, cnn_weights = published(CNN, 2)
    live.expect(cnn_spec)
    live.update(cnn_weights)   # a CNN too: the CNN is the default, and the choice appears
    assert live.classifier().spec.kind == "cnn" and panel.choice_row.isVisible()
    assert panel.classifier_choice.currentData() == "cnn" and panel.source.text().startswith("Using the CNN")
    by_cnn = session.drawing.probabilities()
    assert by_ssgan is not None and by_cnn is not None and not (by_ssgan == by_cnn).all()   # the drawing re-read
    panel.classifier_choice.setCurrentIndex(panel.classifier_choice.findData("ssgan"))
    assert live.classifier().spec.kind == "ssgan" and (session.drawing.probabilities() == by_ssgan).all()
    live.update(cnn_weights)   # new CNN weights do not take the choice back
    assert live.classifier().spec.kind == "ssgan"
    live.training_ended("ssgan")
    assert panel.source.text() == "Using the semi-supervised GAN's discriminator trained in this session (step 7)."


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A semi-supervised GAN run and a CNN run of three steps each, on 10 labels per class."""
    raw = load_dataset("mnist-sample")
    root = tmp_path_factory.mktemp("classifier-runs")
    few = DataConfig(labels_per_class=10)
    list(train_ssgan(SS, prepare(raw, few, unlabelled=True), run_dir=root / "ssgan-run"))
    list(train_cnn(CNN, prepare(raw, few), run_dir=root / "cnn-run"))
    return root / "ssgan-run", root / "cnn-run"


def test_an_opened_ssgan_run_is_its_classifier_and_compares_with_cnn_runs(runs: tuple[Path, Path], panel: DrawPanel,
                                                                          session: Session) -> None:
    ss_run, cnn_run = runs
    opened = read_run(ss_run)
    assert opened.kind == "ssgan" and opened.records and opened.records[-1]["val_acc"] >= 0
    assert panel.load_run(str(ss_run))   # the Draw panel's "CNN…" button takes it
    assert session.live.classifier().spec.kind == "ssgan" and "ssgan-run" in panel.source.text()
    summaries = [summarize(ss_run), summarize(cnn_run)]
    assert incomparable_reason(summaries) is None   # both record a classifier's figures
    assert comparable_part(summaries) == (summaries, [])
    assert summaries[0].best_text().startswith("val acc ")
