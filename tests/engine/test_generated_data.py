"""A CNN trained on images a GAN or flow run generates: only them (the Classification Accuracy Score, measured on
real images) or a share of every batch, from fresh noise or a pool drawn once. The source's checks, its labels, the
batch mix, the pool, the config, the command line and resuming. No Qt."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from gendisc.engine.cli import main
from gendisc.engine.cli.parser import build_parser, config_from_args
from gendisc.engine.config import (
    CnnConfig,
    DataConfig,
    FlowConfig,
    GanConfig,
    TrainBudget,
    from_dict,
    load_json,
    save_json,
    to_dict,
)
from gendisc.engine.data import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.errors import ConfigError
from gendisc.engine.export.report import write_report
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.summary import summarize
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.flow_trainer import train_flow
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.generated import (
    GeneratedImages,
    GeneratedPool,
    MixedBatches,
    generated_count,
    generated_images,
    pool_size,
    result_of,
)
from gendisc.engine.train.reports import FinishedReport, PreparationReport, Report, StepReport
from tests.helpers.cli import write_tiny_npz
from tests.helpers.runs import make_run

pytestmark = pytest.mark.usefixtures("one_torch_thread")
CPU = torch.device("cpu")


def tiny_data(path: Path) -> TensorData:
    return prepare(load_dataset(str(path)), DataConfig(dataset=str(path), val_fraction=0.1), "cpu")


@pytest.fixture(scope="module")
def data(tiny_npz: Path) -> TensorData:
    """230 training and 26 validation images, 12×12, 4 classes."""
    return tiny_data(tiny_npz)


def train_tiny_gan(data: TensorData, dataset: Path, folder: Path, **kw: object) -> Path:
    cfg = GanConfig(data=DataConfig(dataset=str(dataset), augment=False), budget=TrainBudget(epochs=1, max_steps=2),
                    batch_size=32, latent_dim=8, g_width=8, d_width=8, n_samples=4, device="cpu",
                    **kw)   # type: ignore[arg-type]
    list(train_gan(cfg, data, run_dir=folder))
    return folder


@pytest.fixture(scope="module")
def gan_run(data: TensorData, tiny_npz: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A conditional GAN trained for two steps on the tiny dataset."""
    return train_tiny_gan(data, tiny_npz, tmp_path_factory.mktemp("gan") / "run")


def train_tiny_flow(data: TensorData, dataset: Path, folder: Path, **kw: object) -> Path:
    cfg = FlowConfig(data=DataConfig(dataset=str(dataset), augment=False), budget=TrainBudget(epochs=1, max_steps=2),
                     batch_size=32, width=8, n_samples=4, sampler_steps=2, device="cpu",
                     **kw)   # type: ignore[arg-type]
    list(train_flow(cfg, data, run_dir=folder))
    return folder


@pytest.fixture(scope="module")
def flow_run(data: TensorData, tiny_npz: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A conditional flow model trained for two steps on the tiny dataset (a two-step sampler: a cheap source)."""
    return train_tiny_flow(data, tiny_npz, tmp_path_factory.mktemp("flow") / "run")


def cnn(gan_run: Path, dataset: Path, share: float = 1.0, **kw: object) -> CnnConfig:
    base = {"device": "cpu", "batch_size": 16, "log_every": 1, "budget": TrainBudget(epochs=1, max_steps=3)}
    return CnnConfig(data=DataConfig(dataset=str(dataset)), generated_from=str(gan_run), generated_share=share,
                     **{**base, **kw})   # type: ignore[arg-type]


def prepared(cfg: CnnConfig, data: TensorData, device: torch.device,
             control: Control | None = None) -> GeneratedImages | GeneratedPool | None:
    """What :func:`generated_images` gives a trainer, its reports passed over."""
    return result_of(generated_images(cfg, data, device, control))


def finished(reports: list[Report]) -> FinishedReport:
    final = reports[-1]
    assert isinstance(final, FinishedReport)
    return final


# -- the CAS experiment: trained on generated images only, measured on real ones -------------------------------------
def test_a_synthetic_cnn_never_sees_a_real_training_image_and_is_measured_on_real_ones(
        data: TensorData, gan_run: Path, tiny_npz: Path, tmp_path: Path) -> None:
    poisoned = dataclasses.replace(data, train_x=torch.full(data.train_x.shape, float("nan")))
    cfg = cnn(gan_run, tiny_npz, budget=TrainBudget(epochs=1))   # one whole epoch
    reports = list(train_cnn(cfg, poisoned, Control(), tmp_path / "cas"))   # a NaN image read would stop it
    losses = [r.losses["train_loss"] for r in reports if isinstance(r, StepReport)]
    assert losses and all(torch.isfinite(torch.tensor(losses)))
    final = finished(reports)
    assert final.step == len(data.train_x) // 16   # an epoch is as long as with real images: budgets mean the same
    assert 0 <= final.metrics["val_acc"] <= 1 and final.metrics["val_loss"] > 0   # the real validation split
    summary = summarize(tmp_path / "cas")
    assert summary.generated_share == 1.0 and summary.best_text().startswith("CAS ")
    page = write_report(tmp_path / "cas", tmp_path / "cas.html").read_text()
    assert "Trained on images generated by <b>run</b> only: Classification Accuracy Score" in page


def test_a_mixed_run_trains_and_says_its_share(data: TensorData, gan_run: Path, tiny_npz: Path,
                                               tmp_path: Path) -> None:
    final = finished(list(train_cnn(cnn(gan_run, tiny_npz, 0.5), data, Control(), tmp_path / "mixed")))
    assert final.step == 3 and 0 <= final.metrics["val_acc"] <= 1
    assert summarize(tmp_path / "mixed").best_text().startswith("val acc ")
    page = write_report(tmp_path / "mixed", tmp_path / "mixed.html").read_text()
    assert "with 50% of every batch generated by <b>run</b>" in page


def test_a_synthetic_run_resumes_exactly(data: TensorData, gan_run: Path, tiny_npz: Path, tmp_path: Path) -> None:
    cfg = cnn(gan_run, tiny_npz, batch_size=64, budget=TrainBudget(epochs=2))   # 3 steps an epoch, 6 in all

    def run(folder: Path, resume: bool = False, stop_at: int | None = None) -> dict[int, float]:
        control, losses = Control(), {}
        for r in train_cnn(cfg, data, control, folder, resume):
            if isinstance(r, StepReport):
                losses[r.step] = r.losses["train_loss"]
                if r.step == stop_at:
                    control.stop()
        return losses

    whole = run(tmp_path / "whole")
    first = run(tmp_path / "split", stop_at=2)
    rest = run(tmp_path / "split", resume=True)   # the generator is loaded again from the config's folder
    assert sorted(first) == [1, 2] and sorted(rest) == [3, 4, 5, 6]
    assert {**first, **rest} == whole   # the same noise after the stop: the trainer's generator was restored


def test_a_cnn_whose_generator_trained_on_since_is_refused_on_resume_before_drawing(
        data: TensorData, tiny_npz: Path, tmp_path: Path) -> None:
    import shutil

    gan = train_tiny_gan(data, tiny_npz, tmp_path / "gan")   # its own: this test trains it on
    first = list(train_cnn(cnn(gan, tiny_npz, budget=TrainBudget(epochs=2, max_steps=2)), data, Control(),
                           tmp_path / "cas"))
    assert finished(first).step == 2 and RunFolder(tmp_path / "cas").read_meta()["generator_step"] == 2
    shutil.copytree(tmp_path / "cas", tmp_path / "cas-copy")
    more = dataclasses.replace(RunFolder(gan).config(), budget=TrainBudget(epochs=2, max_steps=4))
    list(train_gan(more, data, run_dir=gan, resume=True))   # the generator trains on, to step 4
    later = cnn(gan, tiny_npz, budget=TrainBudget(epochs=2, max_steps=4))
    with pytest.raises(ConfigError, match=r"has trained on since this CNN began: its GAN was at step 2 then and is "
                                          r"at step 4 now"):
        list(train_cnn(later, data, Control(), tmp_path / "cas", resume=True))
    assert RunFolder(tmp_path / "cas").read_meta() == RunFolder(tmp_path / "cas-copy").read_meta()   # kept as it was
    assert (tmp_path / "cas" / "metrics.jsonl").read_bytes() == (tmp_path / "cas-copy" / "metrics.jsonl").read_bytes()
    fresh = list(train_cnn(later, data, Control(), tmp_path / "cas-new"))   # a new CNN on it trains
    assert finished(fresh).step == 4 and RunFolder(tmp_path / "cas-new").read_meta()["generator_step"] == 4


# -- the source: a trained conditional GAN, checked against the real data -------------------------------------------
def test_a_conditional_gan_gives_class_balanced_images_of_the_classes_asked(data: TensorData, gan_run: Path) -> None:
    source = GeneratedImages.from_run(gan_run, data, CPU)
    asked: list[torch.Tensor] = []
    source.source.generator.project.register_forward_hook(lambda _m, args, _o: asked.append(args[0][:, 8:]))
    x, y = source.batch(8, torch.Generator().manual_seed(0))
    assert x.shape == (8, 1, 12, 12) and x.dtype == torch.float32 and not x.requires_grad
    assert x.min() >= -1 and x.max() <= 1
    assert y.dtype == torch.long and torch.bincount(y, minlength=4).tolist() == [2, 2, 2, 2]
    assert torch.equal(asked[-1].argmax(1), y)   # each image was drawn as the class it is labelled
    gen = torch.Generator().manual_seed(1)
    extra = set()
    for _ in range(12):   # 5 of 4 classes: which one gets a second image changes from batch to batch
        counts = torch.bincount(source.batch(5, gen)[1], minlength=4)
        assert sorted(counts.tolist()) == [1, 1, 1, 2]
        extra.add(int(counts.argmax()))
    assert len(extra) > 1
    again = source.batch(8, torch.Generator().manual_seed(0))   # seeded: the same images again
    assert torch.equal(again[0], x) and torch.equal(again[1], y)
    assert not source.source.generator.training


def test_runs_that_cannot_teach_the_classes_are_refused(data: TensorData, tiny_npz: Path, tmp_path: Path) -> None:
    unconditional = train_tiny_gan(data, tiny_npz, tmp_path / "uncond", conditional=False)
    with pytest.raises(ConfigError, match="uncond: its GAN is unconditional, so its images have no classes"):
        GeneratedImages.from_run(unconditional, data, CPU)
    cnn_run = tmp_path / "cnn"
    list(train_cnn(CnnConfig(device="cpu", batch_size=16, budget=TrainBudget(epochs=1, max_steps=1)), data,
                   run_dir=cnn_run))
    with pytest.raises(ConfigError, match="cnn is a CNN run, not a GAN or flow run"):
        GeneratedImages.from_run(cnn_run, data, CPU)
    with pytest.raises(ConfigError, match="nowhere: no such folder"):
        GeneratedImages.from_run(tmp_path / "nowhere", data, CPU)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="empty: not a run folder"):
        GeneratedImages.from_run(tmp_path / "empty", data, CPU)
    untrained = make_run(tmp_path, "untrained", GanConfig(), [], step=0, created=0, checkpoint=False)
    with pytest.raises(ConfigError, match="untrained: the GAN run has no checkpoint yet"):
        GeneratedImages.from_run(untrained, data, CPU)
    # the trainer refuses before it writes the run folder
    with pytest.raises(ConfigError, match="unconditional"):
        list(train_cnn(cnn(unconditional, tiny_npz), data, run_dir=tmp_path / "never"))
    assert not (tmp_path / "never").exists()


def test_a_gan_of_other_images_or_classes_is_refused(gan_run: Path, tmp_path: Path) -> None:
    bigger = tiny_data(write_tiny_npz(tmp_path / "big.npz", side=16))
    with pytest.raises(ConfigError, match="its GAN draws 1×12×12 images, but big has 1×16×16 images"):
        GeneratedImages.from_run(gan_run, bigger, CPU)
    fewer = tiny_data(write_tiny_npz(tmp_path / "three.npz", n_classes=3))
    with pytest.raises(ConfigError, match=r"its GAN draws the classes 4 \(.*\), but three has 3 \("):
        GeneratedImages.from_run(gan_run, fewer, CPU)


# -- the batch mix ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("share", "batch", "n"), [(0, 16, 0), (1, 16, 16), (0.5, 16, 8), (0.75, 16, 12),
                                                   (0.01, 16, 1), (0.99, 16, 15), (0.5, 1, 1)])
def test_the_generated_count_of_a_batch(share: float, batch: int, n: int) -> None:
    assert generated_count(share, batch) == n


def test_half_generated_batches_hold_the_epoch_order_then_the_generated_images(data: TensorData,
                                                                               gan_run: Path) -> None:
    order = torch.randperm(len(data.train_x), generator=torch.Generator().manual_seed(0))
    mix = MixedBatches.plan(data.train_x, data.train_y, 16, GeneratedImages.from_run(gan_run, data, CPU), 0.5)
    assert (mix.n_real, mix.n_generated) == (8, 8)
    x, y = mix.take(order, 2, torch.Generator().manual_seed(0))
    assert x.shape == (16, 1, 12, 12) and y.shape == (16,)
    assert torch.equal(x[:8], data.train_x[order[16:24]]) and torch.equal(y[:8], data.train_y[order[16:24]])
    assert torch.bincount(y[8:], minlength=4).tolist() == [2, 2, 2, 2]
    real_only = MixedBatches.plan(data.train_x, data.train_y, 16, None, 0.0)   # as before: a slice of the order
    x, y = real_only.take(order, 1, torch.Generator())
    assert torch.equal(x, data.train_x[order[16:32]]) and torch.equal(y, data.train_y[order[16:32]])
    only = MixedBatches.plan(data.train_x, data.train_y, 16, mix.generated, 1.0)
    assert only.n_real == 0 and only.take(None, 0, torch.Generator())[0].shape == (16, 1, 12, 12)


# -- config and command line --------------------------------------------------------------------------------------
def test_the_config_checks_the_two_fields_together_and_old_configs_load() -> None:
    with pytest.raises(ConfigError, match=r"generated share must be between 0\.0 and 1\.0"):
        CnnConfig(generated_from="gan", generated_share=1.5)
    with pytest.raises(ConfigError, match="needs the folder of the GAN or flow run"):
        CnnConfig(generated_share=0.5)
    with pytest.raises(ConfigError, match="need a generated share above 0"):
        CnnConfig(generated_from="gan")
    cfg = CnnConfig(generated_from="/runs/gan", generated_share=0.25)
    assert load_json(save_json(cfg)) == cfg and from_dict(CnnConfig, to_dict(cfg)) == cfg
    old = {k: v for k, v in to_dict(CnnConfig()).items() if k not in ("generated_from", "generated_share")}
    assert from_dict(CnnConfig, old) == CnnConfig()


def test_the_options_give_the_share_and_refuse_what_contradicts(tmp_path: Path) -> None:
    def cfg(*args: str) -> CnnConfig:
        made = config_from_args(build_parser().parse_args(["train", "cnn", *args]))
        assert isinstance(made, CnnConfig)
        return made

    synthetic = cfg("--synthetic-from", "gan-run")
    assert synthetic.generated_share == 1.0 and synthetic.generated_from == str(Path("gan-run").absolute())
    assert cfg("--augment-from", "gan-run").generated_share == 0.5
    assert cfg("--augment-from", "gan-run", "--generated-share", "0.25").generated_share == 0.25
    with pytest.raises(ConfigError, match="--generated-share needs --augment-from"):
        cfg("--generated-share", "0.5")
    with pytest.raises(ConfigError, match="--synthetic-from and --augment-from exclude each other"):
        cfg("--synthetic-from", "a", "--augment-from", "b")
    with pytest.raises(ConfigError, match="generated share must be between"):
        cfg("--augment-from", "gan-run", "--generated-share", "2")


def test_train_cnn_synthetic_from_prints_real_accuracies_as_json(gan_run: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    dataset = write_tiny_npz(tmp_path / "with-test.npz", test=64)   # the GAN's images and classes, and a test split
    code = main(["train", "cnn", "--synthetic-from", str(gan_run), "--dataset", str(dataset), "--max-steps", "3",
                 "--batch-size", "16", "--out", str(tmp_path / "cas"), "--json", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert 0 <= summary["val_acc"] <= 1 and 0 <= summary["test_acc"] <= 1
    assert summary["generated_from"] == str(gan_run) and summary["generated_share"] == 1.0
    assert summary["generated_pool"] == 0   # a GAN's images: fresh noise every batch
    assert "(fresh noise every batch)" in err
    assert "note: every training image is generated by" in err
    assert RunFolder(tmp_path / "cas").config() == load_json(save_json(RunFolder(tmp_path / "cas").config()))


@pytest.mark.parametrize("folder", ["nowhere", "cnn-run"])
def test_a_source_that_is_no_gan_run_gets_one_line(folder: str, tiny_npz: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / folder
    if folder == "cnn-run":
        make_run(tmp_path, folder, CnnConfig(), [1.0], step=1, created=0)
    code = main(["train", "cnn", "--synthetic-from", str(source), "--dataset", str(tiny_npz), "--max-steps", "1",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert str(source) in lines[0]
    assert "no such folder" in lines[0] or "is a CNN run, not a GAN or flow run" in lines[0]
    assert not (tmp_path / "run").exists()


# -- a flow run as the source, and a pool drawn once ------------------------------------------------------------
def test_a_cnn_trains_on_a_pool_of_flow_images_only_and_is_measured_on_real_ones(
        data: TensorData, flow_run: Path, tiny_npz: Path, tmp_path: Path) -> None:
    poisoned = dataclasses.replace(data, train_x=torch.full(data.train_x.shape, float("nan")))
    cfg = cnn(flow_run, tiny_npz, generated_pool=40)
    reports = list(train_cnn(cfg, poisoned, Control(), tmp_path / "cas"))   # a NaN image read would stop it
    losses = [r.losses["train_loss"] for r in reports if isinstance(r, StepReport)]
    assert len(losses) == 3 and all(torch.isfinite(torch.tensor(losses)))
    final = finished(reports)
    assert final.step == 3 and 0 <= final.metrics["val_acc"] <= 1 and final.metrics["val_loss"] > 0
    assert summarize(tmp_path / "cas").best_text().startswith("CAS ")
    page = write_report(tmp_path / "cas", tmp_path / "cas.html").read_text()
    assert "generated by <b>run</b> (picked from 40 images drawn once) only: Classification Accuracy Score" in page


def test_a_pool_is_class_balanced_seeded_by_the_config_and_picked_from_with_the_trainers_generator(
        data: TensorData, flow_run: Path, tiny_npz: Path) -> None:
    cfg = cnn(flow_run, tiny_npz, generated_pool=42, seed=3)
    pool = prepared(cfg, data, CPU)
    assert isinstance(pool, GeneratedPool) and len(pool) == 42
    assert pool.images.shape == (42, 1, 12, 12) and pool.images.dtype == torch.uint8
    assert sorted(torch.bincount(pool.labels, minlength=4).tolist()) == [10, 10, 11, 11]   # 42 over 4 classes
    torch.manual_seed(123)   # the trainer's global RNG (and anything else) has no say in the pool
    again = prepared(cfg, data, CPU)   # what a resumed run rebuilds
    assert isinstance(again, GeneratedPool)
    assert torch.equal(again.images, pool.images) and torch.equal(again.labels, pool.labels)
    other = prepared(dataclasses.replace(cfg, seed=4), data, CPU)
    assert isinstance(other, GeneratedPool) and not torch.equal(other.images, pool.images)
    chunked = GeneratedImages.from_run(flow_run, data, CPU).draw_pool(42, 3, chunk=5)
    assert torch.equal(chunked.labels, pool.labels)   # the classes are drawn for the whole pool, not per chunk
    x, y = pool.batch(64, torch.Generator().manual_seed(0))
    assert x.shape == (64, 1, 12, 12) and x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
    idx = torch.randint(42, (64,), generator=torch.Generator().manual_seed(0))   # with replacement, from the generator
    assert torch.equal(y, pool.labels[idx]) and torch.equal(x, pool.images[idx].float() / 127.5 - 1)
    fresh = GeneratedImages.from_run(flow_run, data, CPU).batch(4, torch.Generator().manual_seed(0))[0]
    assert fresh.shape == (4, 1, 12, 12)   # fresh flow images too, when asked of the source itself


def test_a_flow_source_gets_a_pool_by_default_and_a_gan_fresh_noise(data: TensorData, flow_run: Path,
                                                                       gan_run: Path, tiny_npz: Path) -> None:
    assert pool_size(cnn(flow_run, tiny_npz), "flow", 230) == 230   # as many as the real training split...
    assert pool_size(cnn(flow_run, tiny_npz), "flow", 60_000) == 5_000   # ... up to 5,000
    assert pool_size(cnn(flow_run, tiny_npz, generated_pool=7), "flow", 60_000) == 7
    assert pool_size(cnn(gan_run, tiny_npz), "gan", 60_000) == 0
    assert pool_size(cnn(gan_run, tiny_npz, generated_pool=9), "ssgan", 60_000) == 9
    pool = prepared(cnn(flow_run, tiny_npz), data, CPU)
    assert isinstance(pool, GeneratedPool) and len(pool) == len(data.train_x) == 230
    assert isinstance(prepared(cnn(gan_run, tiny_npz), data, CPU), GeneratedImages)
    assert prepared(CnnConfig(), data, CPU) is None


def test_drawing_a_pool_reports_how_far_it_is_and_a_stop_ends_it_early(data: TensorData, flow_run: Path,
                                                                        tiny_npz: Path) -> None:
    cfg = cnn(flow_run, tiny_npz, generated_pool=1000)   # 4 chunks of 256
    reports = list(generated_images(cfg, data, CPU))
    assert all(isinstance(r, PreparationReport) and r.kind == "cnn" for r in reports)
    assert [r.progress for r in reports] == [0.0, 256 / 1000, 512 / 1000, 768 / 1000]
    assert reports[0].task == f"drawing 1,000 images from {flow_run.name}"

    control = Control()
    drawing = generated_images(cfg, data, CPU, control)
    next(drawing), next(drawing)   # the first chunk is drawn (and reported)
    control.stop()
    with pytest.raises(StopIteration) as done:
        next(drawing)   # sees the stop after the chunk in progress
    assert isinstance(done.value.value, GeneratedPool) and len(done.value.value) == 256

    control = Control()
    reports = []
    for r in train_cnn(cfg, data, control):
        reports.append(r)
        if isinstance(r, PreparationReport) and r.progress > 0:
            control.stop()
    assert not any(isinstance(r, StepReport) for r in reports)   # stopped before its first step
    assert finished(reports).reason == "stopped" and finished(reports).step == 0


def test_a_run_on_a_flow_pool_resumes_exactly(data: TensorData, flow_run: Path, tiny_npz: Path,
                                              tmp_path: Path) -> None:
    cfg = cnn(flow_run, tiny_npz, 0.5, batch_size=64, generated_pool=24, budget=TrainBudget(epochs=2))

    def run(folder: Path, resume: bool = False, stop_at: int | None = None) -> dict[int, float]:
        control, losses = Control(), {}
        for r in train_cnn(cfg, data, control, folder, resume):
            if isinstance(r, StepReport):
                losses[r.step] = r.losses["train_loss"]
                if r.step == stop_at:
                    control.stop()
        return losses

    whole = run(tmp_path / "whole")
    first = run(tmp_path / "split", stop_at=2)
    rest = run(tmp_path / "split", resume=True)   # the pool is drawn again, from the config's seed
    assert sorted(first) == [1, 2] and sorted(rest) == [3, 4, 5, 6]
    assert {**first, **rest} == whole


def test_an_unconditional_flow_run_is_refused_and_a_flow_of_other_images_too(data: TensorData, flow_run: Path,
                                                                             tiny_npz: Path, tmp_path: Path) -> None:
    unconditional = train_tiny_flow(data, tiny_npz, tmp_path / "uncond", conditional=False)
    with pytest.raises(ConfigError, match="uncond: its flow model is unconditional, so its images have no classes"):
        GeneratedImages.from_run(unconditional, data, CPU)
    with pytest.raises(ConfigError, match="unconditional"):
        list(train_cnn(cnn(unconditional, tiny_npz, generated_pool=8), data, run_dir=tmp_path / "never"))
    assert not (tmp_path / "never").exists()
    bigger = tiny_data(write_tiny_npz(tmp_path / "big.npz", side=16))
    with pytest.raises(ConfigError, match="its flow model draws 1×12×12 images, but big has 1×16×16 images"):
        GeneratedImages.from_run(flow_run, bigger, CPU)


def test_the_config_checks_the_pool() -> None:
    for bad in (-1, 200_001):
        with pytest.raises(ConfigError, match="generated pool"):
            CnnConfig(generated_from="flow", generated_share=1.0, generated_pool=bad)
    with pytest.raises(ConfigError, match="a pool of 100 generated images needs the folder"):
        CnnConfig(generated_pool=100)
    with pytest.raises(ConfigError, match="generated_pool must be of type int"):
        from_dict(CnnConfig, {**to_dict(CnnConfig(generated_from="f", generated_share=1.0)), "generated_pool": "9"})
    cfg = CnnConfig(generated_from="/runs/flow", generated_share=1.0, generated_pool=200_000)
    assert load_json(save_json(cfg)) == cfg
    old = {k: v for k, v in to_dict(cfg).items() if k != "generated_pool"}   # a config from before the pool
    assert from_dict(CnnConfig, old).generated_pool == 0


def test_the_pool_option(tmp_path: Path) -> None:
    def cfg(*args: str) -> CnnConfig:
        made = config_from_args(build_parser().parse_args(["train", "cnn", *args]))
        assert isinstance(made, CnnConfig)
        return made

    assert cfg("--synthetic-from", "flow-run", "--generated-pool", "500").generated_pool == 500
    mixed = cfg("--augment-from", "flow-run", "--generated-pool", "64")
    assert mixed.generated_pool == 64 and mixed.generated_share == 0.5
    assert cfg("--synthetic-from", "flow-run").generated_pool == 0
    with pytest.raises(ConfigError, match="--generated-pool needs --synthetic-from RUN_DIR or --augment-from"):
        cfg("--generated-pool", "10")
    with pytest.raises(ConfigError, match="generated pool must be a whole number ≥ 0"):
        cfg("--synthetic-from", "flow-run", "--generated-pool", "-5")


def test_train_cnn_synthetic_from_a_flow_run_says_its_pool(flow_run: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    dataset = write_tiny_npz(tmp_path / "with-test.npz", test=64)
    code = main(["train", "cnn", "--synthetic-from", str(flow_run), "--dataset", str(dataset), "--max-steps", "2",
                 "--batch-size", "16", "--out", str(tmp_path / "cas"), "--json", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["generated_pool"] == 230 and 0 <= summary["test_acc"] <= 1   # the default: the training split
    assert "(picked from 230 images drawn once)" in err
