"""The judge: Fréchet distance against SciPy, entropy and confidence figures, scoring, finding and caching judges,
and the judge's verdict in a GAN run's epoch reports. No Qt."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.errors import ConfigError
from gendisc.engine.evaluate.judge import (
    Judge,
    class_histogram,
    confident_share,
    feature_statistics,
    frechet_distance,
    normalized_entropy,
)
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.naming import judges_root
from gendisc.engine.train import judge_setup as judge_mod
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_parts import N_HARDEST
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.judge_setup import auto_judge_dir, prepare_judge
from gendisc.engine.train.reports import EpochReport, FinishedReport, JudgeReport, JudgeTrainingReport, StepReport

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def sample() -> TensorData:
    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu")
    g = torch.Generator().manual_seed(0)
    ti = torch.randperm(len(data.train_x), generator=g)[:256]
    vi = torch.randperm(len(data.val_x), generator=g)[:64]
    return TensorData(data.name, data.train_x[ti], data.train_y[ti], data.val_x[vi], data.val_y[vi], None, None,
                      data.class_names)


def scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    """The textbook formula with SciPy's matrix square root, as TF-GAN and pytorch-fid compute it."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


# -- the figures --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "dim", "shift"), [(400, 16, 0.5), (300, 64, 0.0), (1000, 128, 2.0)])
def test_frechet_distance_matches_scipy(n: int, dim: int, shift: float) -> None:
    rng = np.random.default_rng(dim)
    mix = rng.standard_normal((dim, dim)) / np.sqrt(dim)
    a = rng.standard_normal((n, dim)) @ mix
    b = rng.standard_normal((n, dim)) @ (mix + 0.3 * np.eye(dim)) + shift
    ours = frechet_distance(*feature_statistics(a), *feature_statistics(b))
    assert ours == pytest.approx(scipy_frechet(a, b), rel=1e-6, abs=1e-6)
    assert ours > 0


def test_identical_sets_give_zero_and_distance_is_symmetric() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((500, 32))
    assert frechet_distance(*feature_statistics(a), *feature_statistics(a)) == pytest.approx(0.0, abs=1e-8)
    b = rng.standard_normal((500, 32)) * 1.5
    ab = frechet_distance(*feature_statistics(a), *feature_statistics(b))
    ba = frechet_distance(*feature_statistics(b), *feature_statistics(a))
    assert ab == pytest.approx(ba, rel=1e-9)
    # rank-deficient covariances (fewer samples than dimensions, dead ReLU units) stay finite and ≥ 0
    c = np.zeros((50, 128))
    c[:, :10] = rng.standard_normal((50, 10))
    assert 0 <= frechet_distance(*feature_statistics(c), *feature_statistics(a[:50, :1].repeat(128, 1))) < np.inf


def test_entropy_is_one_for_balanced_and_zero_for_a_single_class() -> None:
    assert normalized_entropy(np.full(10, 7)) == pytest.approx(1.0)
    assert normalized_entropy(np.array([0, 0, 42, 0, 0])) == pytest.approx(0.0)
    two = normalized_entropy(np.array([50, 50, 0, 0]))   # two of four classes: log 2 / log 4
    assert two == pytest.approx(0.5)
    assert 0 < normalized_entropy(np.array([90, 5, 5])) < 1
    assert normalized_entropy(np.zeros(10)) == 0.0
    np.testing.assert_array_equal(class_histogram(np.array([0, 2, 2, 9]), 10), [1, 0, 2, 0, 0, 0, 0, 0, 0, 1])


def test_confident_share_counts_rows_at_or_above_the_threshold() -> None:
    probs = np.array([[0.95, 0.05], [0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    assert confident_share(probs) == pytest.approx(0.5)
    assert confident_share(probs, 0.5) == pytest.approx(1.0)


# -- a judge ------------------------------------------------------------------------------------------------------
def tiny_cnn_run(data: TensorData, folder: Path, steps: int = 8) -> Path:
    cfg = CnnConfig(arch="classic", device="cpu", batch_size=32, budget=TrainBudget(epochs=100, max_steps=steps))
    for _ in train_cnn(cfg, data, Control(), folder, autosave_s=None):
        pass
    return folder


def test_judge_scores_real_images_close_to_real_and_noise_far(sample: TensorData, tmp_path: Path) -> None:
    judge = Judge.from_run(tiny_cnn_run(sample, tmp_path / "cnn", steps=24), "cpu")
    assert "CNN run cnn" in judge.name and "validation accuracy" in judge.name
    judge.fit_real(sample.train_x)
    real = judge.score(sample.val_x)
    noise = judge.score(torch.rand(64, 1, 28, 28) * 2 - 1)
    assert real.fcd < noise.fcd
    assert real.histogram.sum() == 64 and real.histogram.shape == (10,)
    assert real.predicted.shape == real.confidence.shape == (64,)
    assert np.all((real.confidence > 0) & (real.confidence <= 1))
    assert set(real.metrics()) == {"judge_confident", "judge_entropy", "judge_fcd"}


def test_prepare_judge_off_path_and_mismatch(sample: TensorData, tmp_path: Path) -> None:
    control, device = Control(), torch.device("cpu")
    gen = prepare_judge(GanConfig(judge="off"), sample, control, device)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value is None

    folder = tiny_cnn_run(sample, tmp_path / "cnn")
    gen = prepare_judge(GanConfig(judge=str(folder)), sample, control, device)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    judge = stop.value.value
    assert isinstance(judge, Judge) and judge.real_mu is not None

    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="not a CNN run folder"):
        next(prepare_judge(GanConfig(judge=str(tmp_path / "empty")), sample, control, device))
    rgb = dataclasses.replace(sample, train_x=torch.zeros(8, 3, 32, 32))
    with pytest.raises(ConfigError, match="takes"):
        next(prepare_judge(GanConfig(judge=str(folder)), rgb, control, device))


def test_auto_judge_trains_once_and_is_cached(sample: TensorData, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENDISC_JUDGES_DIR", str(tmp_path / "judges"))
    real_config = judge_mod.auto_judge_config
    monkeypatch.setattr(judge_mod, "auto_judge_config", lambda cfg: dataclasses.replace(
        real_config(cfg), arch="classic", budget=dataclasses.replace(real_config(cfg).budget, epochs=3),
        log_every=2))   # 3 epochs of 2 steps: completed, so cached whatever its accuracy
    cfg = GanConfig(judge="auto", device="cpu")
    reports = []
    gen = prepare_judge(cfg, sample, Control(), torch.device("cpu"))
    with pytest.raises(StopIteration) as stop:
        while True:
            reports.append(next(gen))
    assert isinstance(stop.value.value, Judge) and "automatic CNN" in stop.value.value.name
    assert reports and all(isinstance(r, JudgeTrainingReport) and r.kind == "gan" for r in reports)
    assert [r.progress for r in reports][-1] == pytest.approx(1.0)
    assert all(np.isfinite(r.loss) for r in reports)
    folder = auto_judge_dir("mnist-sample", sample.image_shape, sample.class_names)
    assert folder.parent == tmp_path / "judges" and RunFolder(folder).has_checkpoint()
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]   # no temporary folder left

    again = list(prepare_judge(cfg, sample, Control(), torch.device("cpu")))
    assert again == []   # cached: nothing trains

    # a resumed run whose judge folder was deleted goes on with the automatic judge, and its name says so
    gen = prepare_judge(dataclasses.replace(cfg, judge=str(tmp_path / "deleted-cnn-run")), sample, Control(),
                        torch.device("cpu"))
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert "automatic CNN" in stop.value.value.name and "deleted-cnn-run is gone" in stop.value.value.name

    stopped = Control()
    stopped.stop()
    other = dataclasses.replace(cfg, data=DataConfig(dataset="elsewhere"))
    gen = prepare_judge(other, sample, stopped, torch.device("cpu"))
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    assert stop.value.value is None   # stopped before it finished: no judge, nothing cached
    assert not RunFolder(auto_judge_dir("elsewhere", sample.image_shape, sample.class_names)).has_checkpoint()


def test_a_gan_and_a_flow_model_training_their_automatic_judge_at_once_both_get_one(
        sample: TensorData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from gendisc.engine.config import FlowConfig

    monkeypatch.setenv("GENDISC_JUDGES_DIR", str(tmp_path / "judges"))
    real_config = judge_mod.auto_judge_config
    monkeypatch.setattr(judge_mod, "auto_judge_config", lambda cfg: dataclasses.replace(
        real_config(cfg), arch="classic", budget=dataclasses.replace(real_config(cfg).budget, epochs=2),
        log_every=2))
    results: dict[str, object] = {}
    kinds: dict[str, set[str]] = {}
    start = threading.Barrier(2)

    def prepare(name: str, cfg: GanConfig | FlowConfig) -> None:
        start.wait()   # the window's two jobs, in two threads of one process
        gen = prepare_judge(cfg, sample, Control(), torch.device("cpu"))
        try:
            while True:
                kinds.setdefault(name, set()).add(next(gen).kind)
        except StopIteration as stop:
            results[name] = stop.value
        except Exception as exc:   # the assertion below reports it
            results[name] = exc

    threads = [threading.Thread(target=prepare, args=("gan", GanConfig(judge="auto", device="cpu"))),
               threading.Thread(target=prepare, args=("flow", FlowConfig(judge="auto", device="cpu")))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(isinstance(results.get(k), Judge) for k in ("gan", "flow")), results
    assert kinds == {"gan": {"gan"}, "flow": {"flow"}}   # each job's progress reaches its own row
    folder = auto_judge_dir("mnist-sample", sample.image_shape, sample.class_names)
    assert RunFolder(folder).has_checkpoint()
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]   # one cached judge, no temporary left


def test_an_auto_judge_cut_short_and_inaccurate_is_used_once_not_cached(sample: TensorData, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENDISC_JUDGES_DIR", str(tmp_path / "judges"))
    real_config = judge_mod.auto_judge_config
    assert real_config(GanConfig()).budget.max_seconds == judge_mod.AUTO_JUDGE_SECONDS
    monkeypatch.setattr(judge_mod, "auto_judge_config", lambda cfg: dataclasses.replace(
        real_config(cfg), arch="classic", budget=TrainBudget(epochs=3, max_steps=1)))   # cut short after 1 step
    gen = prepare_judge(GanConfig(judge="auto"), sample, Control(), torch.device("cpu"))
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    judge = stop.value.value
    assert isinstance(judge, Judge) and "not cached" in judge.name
    assert judge.score(sample.val_x).histogram.sum() == len(sample.val_x)   # usable for this run
    assert not any((tmp_path / "judges").iterdir())   # nothing cached, no temporary folder left


def test_auto_judge_folders_differ_per_dataset_and_shape(tmp_path: Path) -> None:
    names = tuple(str(i) for i in range(10))
    a = auto_judge_dir("mnist-sample", (1, 28, 28), names, tmp_path)
    assert a == auto_judge_dir("mnist-sample", (1, 28, 28), names, tmp_path)
    assert a != auto_judge_dir("fashion-mnist", (1, 28, 28), names, tmp_path)
    assert a != auto_judge_dir("mnist-sample", (3, 32, 32), names, tmp_path)
    odd = auto_judge_dir("/home/me/my digits.npz", (1, 28, 28), names, tmp_path)
    assert odd.parent == tmp_path and " " not in odd.name and "/" not in odd.name


# -- the judge in a GAN run ----------------------------------------------------------------------------------------
def test_gan_epochs_carry_the_judges_verdict(sample: TensorData, tmp_path: Path) -> None:
    judge = Judge(build_cnn("classic", (1, 28, 28), 10).eval(), sample.class_names, (1, 28, 28), "test judge")
    judge.fit_real(sample.train_x)
    cfg = GanConfig(device="cpu", batch_size=64, latent_dim=16, g_width=8, d_width=8, n_samples=16,
                    judge_samples=40, budget=TrainBudget(epochs=2), log_every=2)
    reports = list(train_gan(cfg, sample, Control(), tmp_path / "gan", judge=judge))
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    assert len(epochs) == 2 and isinstance(reports[-1], FinishedReport)
    for r in epochs:
        assert {"judge_confident", "judge_entropy", "judge_fcd", "judge_s"} <= set(r.metrics)
        assert all(isinstance(v, float) and np.isfinite(v) for v in r.metrics.values())
        assert 0 <= r.metrics["judge_confident"] <= 1 and 0 <= r.metrics["judge_entropy"] <= 1
        v = r.judge
        assert isinstance(v, JudgeReport) and v.judge == "test judge" and v.n_scored == 40
        assert v.histogram.sum() == 40 and v.histogram.dtype == np.int64
        assert v.hardest.shape == (N_HARDEST, 28, 28, 1) and v.hardest.dtype == np.uint8
        assert np.all(np.diff(v.hardest_conf) >= 0)   # least sure first
        assert v.hardest_asked is not None and v.hardest_asked.shape == (N_HARDEST,)   # conditional by default
    assert reports[-1].metrics["judge_fcd"] == epochs[-1].metrics["judge_fcd"]   # the final summary has them too
    saved = RunFolder(tmp_path / "gan").read_metrics()
    assert all("judge_fcd" in m for m in saved)
    assert (tmp_path / "gan" / "judge.txt").read_text().strip() == "test judge"


def test_judging_does_not_change_training(sample: TensorData) -> None:
    """The judge draws its own fixed noise and runs in eval mode: losses with and without it are identical."""
    judge = Judge(build_cnn("classic", (1, 28, 28), 10).eval(), sample.class_names, (1, 28, 28), "j")
    judge.fit_real(sample.train_x[:64])
    cfg = GanConfig(device="cpu", batch_size=64, latent_dim=16, g_width=8, d_width=8, n_samples=16,
                    judge_samples=32, budget=TrainBudget(epochs=3), log_every=1)

    def losses(j: Judge | None) -> list[dict[str, float]]:
        return [r.losses for r in train_gan(cfg, sample, Control(), judge=j) if isinstance(r, StepReport)]

    assert losses(judge) == losses(None)


def test_judges_live_beside_the_runs_not_in_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENDISC_JUDGES_DIR", raising=False)
    monkeypatch.setenv("GENDISC_RUNS_DIR", str(tmp_path / "runs"))
    assert judges_root() == tmp_path / "judges"
    monkeypatch.setenv("GENDISC_JUDGES_DIR", str(tmp_path / "elsewhere"))
    assert judges_root() == tmp_path / "elsewhere"


def test_a_session_judge_joins_at_the_epoch_end_after_it_is_offered(sample: TensorData, tmp_path: Path) -> None:
    """``judge="session"``: no judge (and no automatic one trained first) until the window offers the CNN trained
    beside the GAN; from the next epoch end on, that CNN judges, and the run folder remembers it for a resume."""
    cnn = tiny_cnn_run(sample, tmp_path / "cnn", steps=16)
    cfg = GanConfig(device="cpu", batch_size=64, latent_dim=16, g_width=8, d_width=8, n_samples=16,
                    judge_samples=40, budget=TrainBudget(epochs=3), log_every=2, judge="session")
    control = Control()
    epochs: list[EpochReport] = []
    gan = tmp_path / "gan"
    created = None
    for r in train_gan(cfg, sample, control, gan, autosave_s=None):
        assert not isinstance(r, JudgeTrainingReport)   # no automatic judge is trained first
        if isinstance(r, EpochReport):
            epochs.append(r)
            if len(epochs) == 1:
                created = RunFolder(gan).created()
                control.offer_judge(str(cnn))   # as the window does when the CNN beside it finishes
    assert [r.judge is not None for r in epochs] == [False, True, True]
    assert "judge_fcd" not in epochs[0].metrics and np.isfinite(epochs[1].metrics["judge_fcd"])
    assert epochs[1].judge.judge.startswith("CNN run cnn")   # type: ignore[union-attr]
    run = RunFolder(gan)
    assert run.config().judge == str(cnn) and run.created() == created   # a resume is judged by the same CNN
    assert (gan / "judge.txt").read_text().startswith("CNN run cnn")
    assert control.take_offered_judge() is None   # taken once
