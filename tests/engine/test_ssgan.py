"""The semi-supervised GAN: its loss, its discriminator as a classifier, its run folder and its command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gendisc.engine.config import DataConfig, SsganConfig, TrainBudget, load_json, save_json
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.errors import ConfigError
from gendisc.engine.evaluate.run import evaluate_run
from gendisc.engine.export.model import export_run
from gendisc.engine.inference.loading import classifier_from_state, load_classifier, load_ssgan
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.ssgan import SsganDiscriminator
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train.reports import EpochReport, FinishedReport, WeightsReport
from gendisc.engine.train.ssgan_parts import LOSS_NAMES, SsganModels, consistency_loss
from gendisc.engine.train.ssgan_trainer import train_ssgan
from tests.engine.test_cli import cli, last_json

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def few() -> TensorData:
    """The bundled sample with 5 labels per class, and a third of its training split as the unlabelled images."""
    data = prepare(load_dataset("mnist-sample"), DataConfig(labels_per_class=5), unlabelled=True)
    assert data.unlabelled_x is not None
    return dataclasses.replace(data, unlabelled_x=data.unlabelled_x[::3], val_x=data.val_x[:200],
                               val_y=data.val_y[:200])


def small(**kw: object) -> SsganConfig:
    base = {"data": DataConfig(labels_per_class=5), "budget": TrainBudget(max_steps=30), "g_width": 16,
            "d_width": 16, "log_every": 5, "n_samples": 8, "device": "cpu"}
    return SsganConfig(**{**base, **kw})   # type: ignore[arg-type]


def test_prepare_keeps_every_training_image_for_the_unlabelled_loss() -> None:
    raw = load_dataset("mnist-sample")
    data = prepare(raw, DataConfig(labels_per_class=10), unlabelled=True)
    assert len(data.train_x) == 100 and data.unlabelled_x is not None and len(data.unlabelled_x) == 4500
    assert prepare(raw, DataConfig(labels_per_class=10)).unlabelled_x is None   # nobody else pays for them
    every = prepare(raw, DataConfig(), unlabelled=True)
    assert every.unlabelled_x is every.train_x


@pytest.mark.parametrize("head", ["implicit", "explicit"])
def test_a_few_steps_lower_the_supervised_loss_and_the_class_head_gives_probabilities(few: TensorData,
                                                                                      head: str) -> None:
    cfg = small(head=head)
    torch.manual_seed(0)
    models = SsganModels(cfg, few, torch.device("cpu"), torch.Generator().manual_seed(1))
    x_lab, y_lab = few.train_x[:], few.train_y   # the 50 labelled images, the same batch every step
    assert few.unlabelled_x is not None
    rows = [models.step(x_lab, y_lab, few.unlabelled_x[:50], step) for step in range(25)]
    sup = [float(r[0]) for r in rows]
    assert np.mean(sup[-5:]) < np.mean(sup[:5]) - 0.3   # it learns the labelled images' classes
    assert all(torch.isfinite(r).all() for r in rows)   # and the unsupervised part, D(real), D(fake) stay numbers
    assert all(0 <= float(r[3]) <= 1 and 0 <= float(r[4]) <= 1 for r in rows)
    models.d.eval()
    with torch.no_grad():
        probs = torch.softmax(models.d(few.val_x[:20]), 1)
    assert probs.shape == (20, 10) and torch.allclose(probs.sum(1), torch.ones(20), atol=1e-5)


def test_the_consistency_loss_pulls_the_augmented_copy_towards_the_images_classes() -> None:
    clean = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 0.0]], requires_grad=True)
    same = clean.detach().clone().requires_grad_(True)
    assert consistency_loss(clean, same).detach().item() == pytest.approx(0.0, abs=1e-6)   # same classes
    moved = torch.tensor([[0.0, 2.0, -1.0], [3.0, 0.0, 0.0]], requires_grad=True)
    loss = consistency_loss(clean, moved)
    p, q = torch.softmax(clean.detach(), 1), torch.softmax(moved.detach(), 1)
    assert loss.detach().item() == pytest.approx(float((p * (p / q).log()).sum(1).mean()), rel=1e-5)   # KL(p ‖ q)
    loss.backward()
    assert clean.grad is None and moved.grad is not None   # only the augmented copy is pulled


def test_training_with_consistency_reports_it_and_without_reports_zero(few: TensorData) -> None:
    assert few.unlabelled_x is not None
    for weight in (1.0, 0.0):
        torch.manual_seed(0)
        models = SsganModels(small(consistency=weight), few, torch.device("cpu"), torch.Generator().manual_seed(1))
        rows = [models.step(few.train_x[:], few.train_y, few.unlabelled_x[:50], step) for step in range(6)]
        cons = [float(r[LOSS_NAMES.index("loss_cons")]) for r in rows]
        assert all(v > 0 for v in cons) if weight else all(v == 0 for v in cons)


def test_the_classifier_is_the_moving_average_of_the_discriminator(few: TensorData) -> None:
    assert few.unlabelled_x is not None
    torch.manual_seed(0)
    models = SsganModels(small(classifier_ema=0.5), few, torch.device("cpu"), torch.Generator().manual_seed(1))
    before = [p.detach().clone() for p in models.d.parameters()]
    models.step(few.train_x[:], few.train_y, few.unlabelled_x[:50], 100)   # decay 0.5 at step 100
    assert models.shown_d is models.d_ema and models.shown_d is not models.d
    for avg, old, new in zip(models.shown_d.parameters(), before, models.d.parameters(), strict=True):
        assert torch.allclose(avg, (old + new) / 2, atol=1e-6)   # ema ← 0.5·ema + 0.5·D, ema started as D
    assert all(k.startswith(("G.", "D.")) for k in models.published())
    published_d = {k[2:]: v for k, v in models.published().items() if k.startswith("D.")}
    assert all(np.array_equal(v, models.d_ema.state_dict()[k].numpy()) for k, v in published_d.items())
    plain = SsganModels(small(classifier_ema=0.0), few, torch.device("cpu"), torch.Generator())
    assert plain.d_ema is None and plain.shown_d is plain.d and "D_ema" not in plain.averages()   # D classifies


def test_the_implicit_fake_class_is_salimans_d_of_x() -> None:
    d = SsganDiscriminator((1, 28, 28), 10, width=8).eval()
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    classes, real = d.all_logits(x)
    z = classes.exp().sum(1)
    assert torch.allclose(torch.sigmoid(real), z / (z + 1), atol=1e-5)   # D(x) = Z / (Z + 1)
    assert torch.equal(d(x), classes)


@pytest.fixture(scope="module")
def ssgan_run(few: TensorData, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    run = tmp_path_factory.mktemp("ssgan") / "run"
    reports = list(train_ssgan(small(), few, run_dir=run))
    return run, reports


def test_a_run_reports_validation_accuracy_and_samples_and_records_its_labels(ssgan_run: tuple[Path, list],
                                                                              few: TensorData) -> None:
    run, reports = ssgan_run
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    assert epochs and all(0 <= r.metrics["val_acc"] <= 1 and r.confusion is not None for r in epochs)
    assert epochs[-1].samples is not None and epochs[-1].samples.shape == (8, 28, 28, 1)
    done = reports[-1]
    assert isinstance(done, FinishedReport) and done.kind == "ssgan" and done.step == 30
    assert done.metrics["val_acc"] == pytest.approx(epochs[-1].metrics["val_acc"], abs=1e-6)
    record = json.loads((run / "labels.json").read_text())
    assert record["labels_per_class"] == 5 and record["per_class_counts"] == [5] * 10
    assert few.labelled is not None and record["indices"] == few.labelled.tolist()
    assert list(run.glob("samples/*.png"))


def test_its_discriminator_is_a_classifier_everywhere_a_cnn_is(ssgan_run: tuple[Path, list], few: TensorData,
                                                               tmp_path: Path) -> None:
    run, reports = ssgan_run
    loaded = load_classifier(run)
    assert loaded.spec.kind == "ssgan" and loaded.class_names == few.class_names
    with torch.no_grad():
        acc = float((loaded.model(few.val_x[:]).argmax(1) == few.val_y).float().mean())
    assert acc == pytest.approx(reports[-1].metrics["val_acc"], abs=1e-6)   # the weights the run measured
    weights = next(r for r in reversed(reports) if isinstance(r, WeightsReport))
    live = classifier_from_state(ModelSpec(small(), few.image_shape, few.class_names), weights.state)
    with torch.no_grad():
        assert torch.allclose(live(few.val_x[:8]), loaded.model(few.val_x[:8]), atol=1e-5)   # what Draw shows
    out = evaluate_run(run)
    assert out["kind"] == "ssgan" and out["val_images"] == 500
    onnx = export_run(run, tmp_path / "d.onnx", "onnx")
    assert onnx.model == "classifier" and onnx.path.stat().st_size > 10_000
    assert onnx.max_abs_diff is None or onnx.max_abs_diff < 1e-4


def test_the_run_keeps_the_averaged_classifier_and_every_loader_reads_it(ssgan_run: tuple[Path, list]) -> None:
    run, _reports = ssgan_run
    tensors, _meta = RunFolder(run).load_checkpoint()
    averaged = {k[len("D_ema."):]: v for k, v in tensors.items() if k.startswith("D_ema.")}
    trained = {k[len("D."):]: v for k, v in tensors.items() if k.startswith("D.")}
    assert averaged.keys() == trained.keys() and any(not torch.equal(averaged[k], trained[k]) for k in averaged)
    for model in (load_classifier(run).model, load_ssgan(run).classifier):
        assert all(torch.equal(v, averaged[k]) for k, v in model.state_dict().items())


def test_a_run_saved_before_consistency_and_the_averaged_classifier_loads_and_resumes(few: TensorData,
                                                                                      tmp_path: Path) -> None:
    """Such a run's config has neither field and its checkpoint neither D_ema nor the consistency's running sum:
    it reads as trained (no consistency, D itself classifies) and resumes so."""
    run = tmp_path / "old"
    list(train_ssgan(small(consistency=0.0, classifier_ema=0.0, budget=TrainBudget(max_steps=12)), few, run_dir=run))
    config = json.loads((run / "config.json").read_text())
    for key in ("consistency", "classifier_ema"):
        del config["config"][key]
    (run / "config.json").write_text(json.dumps(config))
    folder = RunFolder(run)
    tensors, meta = folder.load_checkpoint()
    assert "epoch_partial" in meta and len(meta["epoch_partial"]["sums"]) == 6   # stopped mid-epoch
    meta["epoch_partial"]["sums"] = meta["epoch_partial"]["sums"][:5]
    folder.save_checkpoint(tensors, meta)
    cfg = folder.config()
    assert isinstance(cfg, SsganConfig) and cfg.consistency == 0 and cfg.classifier_ema == 0
    loaded = load_classifier(run).model
    assert all(torch.equal(v, tensors[f"D.{k}"]) for k, v in loaded.state_dict().items())
    resumed = list(train_ssgan(dataclasses.replace(cfg, budget=TrainBudget(max_steps=20)), few, run_dir=run,
                               resume=True))
    assert resumed[-1].step == 20 and resumed[-1].metrics["loss_cons"] == 0


def test_a_stopped_run_resumes_where_it_stopped(few: TensorData, tmp_path: Path) -> None:
    straight = list(train_ssgan(small(budget=TrainBudget(max_steps=20)), few, run_dir=tmp_path / "a"))
    list(train_ssgan(small(budget=TrainBudget(max_steps=12)), few, run_dir=tmp_path / "b"))
    resumed = list(train_ssgan(small(budget=TrainBudget(max_steps=20)), few, run_dir=tmp_path / "b", resume=True))
    assert resumed[-1].step == 20
    assert resumed[-1].metrics["val_acc"] == pytest.approx(straight[-1].metrics["val_acc"], abs=1e-6)
    assert resumed[-1].metrics["loss_sup"] == pytest.approx(straight[-1].metrics["loss_sup"], rel=1e-4)


def test_config_round_trips_and_checks_its_values() -> None:
    cfg = SsganConfig(head="explicit", unsupervised_weight=0.5)
    assert load_json(save_json(cfg)) == cfg
    with pytest.raises(ConfigError, match="discriminator head"):
        SsganConfig(head="k+2")
    with pytest.raises(ConfigError, match="unsupervised loss weight"):
        SsganConfig(unsupervised_weight=-1)
    with pytest.raises(ConfigError, match="consistency loss weight"):
        SsganConfig(consistency=-0.5)
    with pytest.raises(ConfigError, match="classifier EMA decay"):
        SsganConfig(classifier_ema=1.0)


def test_train_ssgan_on_the_command_line(tmp_path: Path) -> None:
    run = tmp_path / "ss"
    proc = cli("train", "ssgan", "--labels-per-class", "10", "--dataset", "mnist-sample", "--max-steps", "6",
               "--d-width", "16", "--out", str(run), "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    summary = last_json(proc.stdout)
    assert summary["kind"] == "ssgan" and summary["steps"] == 6 and 0 <= summary["val_acc"] <= 1
    assert "100 labelled training (of 4,500 used without labels)" in proc.stderr
    assert json.loads((run / "labels.json").read_text())["per_class_counts"] == [10] * 10
    evaluated = cli("evaluate", str(run), "--json")
    assert evaluated.returncode == 0 and last_json(evaluated.stdout)["val_acc"] == pytest.approx(
        summary["val_acc"], abs=1e-4)
    refused = cli("train", "ssgan", "--arch", "bn", "--out", str(tmp_path / "x"))
    assert refused.returncode == 1 and "semi-supervised GAN has no --arch option" in refused.stderr


def test_its_generator_feeds_a_cnn_with_the_classes_its_discriminator_is_surest_of(ssgan_run: tuple[Path, list],
                                                                                  few: TensorData) -> None:
    from gendisc.engine.config import CnnConfig
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.generated import GeneratedImages

    run, _reports = ssgan_run
    source = GeneratedImages.from_run(run, few, torch.device("cpu"))
    images, labels = source.batch(16, torch.Generator().manual_seed(0))
    assert images.shape == (16, 1, 28, 28) and labels.shape == (16,)
    d = load_classifier(run).model
    with torch.no_grad():
        probs = torch.softmax(d(images), 1)
    assert torch.equal(probs.argmax(1), labels)   # the discriminator's classes
    pool = source.source.draw(32, torch.Generator().manual_seed(0), None)   # the same noise the batch drew
    with torch.no_grad():
        all_conf = torch.softmax(d(pool), 1).max(1).values.sort(descending=True).values
    surest = probs.max(1).values.sort(descending=True).values
    assert torch.allclose(surest, all_conf[:16], atol=1e-5)   # the surest half of what it drew
    drawn = source.draw_pool(20, 0, chunk=8)   # a pool drawn once: the discriminator names its images too
    assert drawn.images.shape == (20, 1, 28, 28) and drawn.labels.shape == (20,)
    assert torch.equal(drawn.labels, source.draw_pool(20, 0, chunk=8).labels)   # seeded: the same pool again
    cfg = CnnConfig(data=DataConfig(labels_per_class=5), budget=TrainBudget(max_steps=4), batch_size=16,
                    generated_from=str(run), generated_share=0.5, device="cpu")
    done = list(train_cnn(cfg, few))[-1]
    assert isinstance(done, FinishedReport) and done.step == 4 and 0 <= done.metrics["val_acc"] <= 1
