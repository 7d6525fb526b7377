"""The session's models without any panel: live models rebuilt from published weights in one place, training
settings remembered between launches, the runs list, and the wiring between them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import prepare
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.runs.state import numpy_state
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import WeightsReport
from gendisc.gui.session.session import Session
from gendisc.gui.session.settings import TrainingSettings

NAMES = tuple(str(i) for i in range(10))
SPEC = ModelSpec(CnnConfig(arch="classic"), (1, 28, 28), NAMES)


def weights(step: int, seed: int) -> WeightsReport:
    torch.manual_seed(seed)
    return WeightsReport("cnn", step, numpy_state(build_cnn("classic", (1, 28, 28), 10)))


def test_published_weights_build_one_model_and_refill_it(session: Session) -> None:
    live = session.live
    changed: list[str] = []
    live.changed.connect(changed.append)
    live.update(weights(1, 0))
    assert live.classifier() is None and changed == []   # no job said what its weights are: ignored
    live.expect(SPEC)
    first, second = weights(1, 0), weights(2, 1)
    rng = torch.get_rng_state()
    live.update(first)
    # built without a random initialisation: torch's global generator, which a trainer's dropout draws from,
    # is untouched by the window
    assert torch.equal(rng, torch.get_rng_state())
    model = live.classifier()
    assert model is not None and model.spec == SPEC and model.training and model.step == 1
    np.testing.assert_array_equal(model.module.state_dict()["head.1.weight"].numpy(), first.state["head.1.weight"])
    live.update(second)
    again = live.classifier()
    assert again.module is model.module and again.step == 2   # the same module, new weights
    np.testing.assert_array_equal(again.module.state_dict()["head.1.weight"].numpy(), second.state["head.1.weight"])
    assert changed == ["classifier", "classifier"]


def test_weights_of_another_model_are_refused_and_the_old_one_stays(session: Session) -> None:
    live = session.live
    problems: list[tuple[str, str]] = []
    live.problem.connect(lambda role, text: problems.append((role, text)))
    live.expect(SPEC)
    live.update(weights(1, 0))
    live.expect(ModelSpec(CnnConfig(arch="bn"), (1, 28, 28), NAMES))   # a new job's spec, old weights arrive
    live.update(weights(2, 0))
    assert problems and problems[0][0] == "classifier" and "\n" not in problems[0][1]
    assert live.classifier().step == 1


def test_a_loaded_run_becomes_the_classifier_and_the_inspected_model(session: Session, tmp_path: Path) -> None:
    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.5), "cpu")
    cfg = CnnConfig(arch="classic", device="cpu", batch_size=64, budget=TrainBudget(epochs=1, max_steps=3))
    list(train_cnn(cfg, data, Control(), tmp_path / "cnn-run", autosave_s=None))
    run = session.runs.open(tmp_path / "cnn-run")
    assert run is not None and run.kind == "cnn" and run.name == "cnn-run"
    model = session.live.classifier()
    assert model is not None and model.run == "cnn-run" and model.step == 3
    assert session.inspection.classifier() is model   # what the Inspect panel measures follows
    errors: list[str] = []
    session.runs.error.connect(lambda _title, text: errors.append(text))
    assert session.runs.open(tmp_path) is None and "not a run folder" in errors[0]


def test_training_settings_are_remembered_between_launches(qtbot: QtBot) -> None:
    first = TrainingSettings()
    first.set_cnn(CnnConfig(arch="classic", batch_size=96))
    first.set_run(CnnConfig(seed=5, device="cpu"))
    first.apply_gan_preset("dcgan")
    first.set_gan(GanConfig.preset("dcgan", GanConfig(judge="/some/cnn/run")))   # a folder comes back as auto
    first.set_kinds(["gan"])
    first.save(DataConfig(dataset="mnist-sample"))
    second = TrainingSettings()
    second.restore()
    assert second.cnn().arch == "classic" and second.cnn().batch_size == 96
    assert second.run().seed == 5 and second.config("cnn", DataConfig()).device == "cpu"
    assert second.gan_preset() == "dcgan" and second.gan().judge == "auto"
    assert second.kinds() == ["gan"]
