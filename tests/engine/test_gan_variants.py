"""The GAN's options: conditional sampling, spectral normalisation, EMA, presets, published weights (G and D),
loading runs of every variant (older ones included) and the discriminator's opinion. No Qt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gendisc.engine.config import GAN_PRESETS, DataConfig, GanConfig, OptimizerConfig, TrainBudget, from_dict, to_dict
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.errors import ConfigError
from gendisc.engine.inference.loading import gan_from_state, load_gan
from gendisc.engine.inference.predict import generate, realness, sample_images
from gendisc.engine.models.build import build_gan
from gendisc.engine.models.gan import Discriminator, Generator, balanced_labels, one_hot
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_parts import ema_decay, ema_update
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.reports import FinishedReport, StepReport, WeightsReport
from tests.helpers.data import subset

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def sample() -> TensorData:
    return subset(prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu"), 128, 32)


def tiny(**kw: object) -> GanConfig:
    base = {"device": "cpu", "batch_size": 32, "latent_dim": 16, "g_width": 8, "d_width": 8, "n_samples": 16,
            "budget": TrainBudget(epochs=5, max_steps=4), "log_every": 1}
    return GanConfig(**{**base, **kw})   # type: ignore[arg-type]


# -- conditional sampling -----------------------------------------------------------------------------------------
def test_conditional_sampling_respects_the_requested_class_in_shape_and_labels() -> None:
    torch.manual_seed(0)
    g = Generator(16, (1, 28, 28), 8, n_classes=10).eval()
    z = torch.randn(6, 16)
    labels = torch.tensor([3, 3, 7, 0, 9, 3])
    seen: list[torch.Tensor] = []
    g.project.register_forward_hook(lambda _m, args, _out: seen.append(args[0].detach()))
    images = sample_images(g, z, labels)
    assert images.shape == (6, 28, 28, 1) and images.dtype == np.uint8
    # the generator read exactly the classes asked for: one-hot rows beside the noise
    np.testing.assert_array_equal(seen[-1][:, 16:].argmax(1).numpy(), labels.numpy())
    np.testing.assert_array_equal(seen[-1][:, 16:].sum(1).numpy(), np.ones(6))
    torch.testing.assert_close(seen[-1][:, :16], z)
    # the class changes the image, the same class and noise give the same one, a one-hot soft label too
    same_noise = z[:1].repeat(10, 1)
    per_class = sample_images(g, same_noise, torch.arange(10))
    assert len({per_class[i].tobytes() for i in range(10)}) == 10
    np.testing.assert_array_equal(sample_images(g, z, labels), images)
    np.testing.assert_array_equal(sample_images(g, z, one_hot(labels, 10)), images)
    # the public API: generate() with labels, and class-balanced by default
    generated = generate(g, 20, seed=3, labels=np.full(20, 5))
    assert generated.shape == (20, 28, 28, 1)
    balanced = generate(g, 20, seed=3)
    z3 = torch.randn(20, 16, generator=torch.Generator().manual_seed(3))
    np.testing.assert_array_equal(balanced, sample_images(g, z3, balanced_labels(20, 10)))
    with pytest.raises(ValueError, match="expected 20 labels"):
        generate(g, 20, labels=np.zeros(3))


def test_balanced_labels_and_soft_labels() -> None:
    np.testing.assert_array_equal(balanced_labels(12, 5).numpy(), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1])
    soft = torch.tensor([[0.25, 0.75, 0.0]])
    assert one_hot(soft, 3) is soft
    with pytest.raises(ValueError, match="soft labels"):
        one_hot(torch.ones(2, 4), 3)


def test_unconditional_models_ignore_labels_and_keep_the_dcgan_layout() -> None:
    g = Generator(16, (1, 28, 28), 8).eval()
    z = torch.randn(4, 16)
    torch.testing.assert_close(g(z), g(z, torch.tensor([1, 2, 3, 4])))
    d = Discriminator((1, 28, 28), 8)
    names = list(d.state_dict())
    assert "body.3.running_mean" in names and not any("parametrizations" in n for n in names)   # batch norm, no SN
    d_sn = Discriminator((1, 28, 28), 8, n_classes=10, spectral_norm=True)
    assert any("parametrizations.weight.original" in n for n in d_sn.state_dict())
    assert not any("running_mean" in n for n in d_sn.state_dict())


def test_conditional_discriminator_scores_each_class() -> None:
    torch.manual_seed(0)
    d = Discriminator((1, 28, 28), 8, n_classes=10, spectral_norm=True).eval()
    x = torch.randn(5, 1, 28, 28)
    per_class = d.class_logits(x)
    assert per_class.shape == (5, 10)
    labels = torch.tensor([0, 4, 9, 2, 2])
    torch.testing.assert_close(d(x, labels), per_class[torch.arange(5), labels])
    torch.testing.assert_close(d(x), per_class.max(1).values)


def test_spectral_norm_bounds_the_discriminator_weights() -> None:
    d = Discriminator((1, 28, 28), 8, spectral_norm=True).train()
    with torch.no_grad():
        d.body[0].parametrizations.weight.original.mul_(100.0)
        for _ in range(30):   # power iteration converges as it runs
            d(torch.randn(2, 1, 28, 28))
    w = d.body[0].weight.detach().reshape(8, -1)
    assert float(torch.linalg.matrix_norm(w, ord=2)) == pytest.approx(1.0, rel=0.05)


# -- EMA ------------------------------------------------------------------------------------------------------------
def test_ema_update_averages_weights_and_copies_batch_norm_statistics() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    ema = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    with torch.no_grad():
        for p in ema.parameters():
            p.zero_()
        for p in model.parameters():
            p.fill_(1.0)
        model[1].running_mean.fill_(5.0)
    ema_update(ema, model, 0.9)
    for p in ema.parameters():
        torch.testing.assert_close(p, torch.full_like(p, 0.1))
    torch.testing.assert_close(ema[1].running_mean, torch.full((2,), 5.0))
    assert ema_decay(0.999, 0) == pytest.approx(0.1) and ema_decay(0.999, 10**6) == 0.999


def test_ema_generator_draws_the_samples_and_is_checkpointed(sample: TensorData, tmp_path: Path) -> None:
    reports = list(train_gan(tiny(ema=0.9), sample, Control(), tmp_path / "run", publish_weights_s=1e-6))
    tensors, _ = RunFolder(tmp_path / "run").load_checkpoint()
    assert any(k.startswith("G_ema.") for k in tensors)
    assert not all(torch.equal(tensors[f"G_ema.{k}"], tensors[f"G.{k}"])
                   for k in ("project.0.weight", "body.0.weight"))
    weights = [r for r in reports if isinstance(r, WeightsReport)]
    assert weights and all(r.kind == "gan" for r in weights)
    last = weights[-1].state
    assert {k.split(".")[0] for k in last} == {"G", "D"}
    np.testing.assert_array_equal(last["G.project.0.weight"], tensors["G_ema.project.0.weight"].numpy())
    assert all(isinstance(v, np.ndarray) for v in last.values())
    # the loaded run samples with the averaged generator, and the published state rebuilds both networks
    loaded = load_gan(tmp_path / "run")
    torch.testing.assert_close(loaded.generator.project[0].weight, tensors["G_ema.project.0.weight"])
    g, d = gan_from_state(loaded.spec, last)
    torch.testing.assert_close(g.project[0].weight, loaded.generator.project[0].weight)
    assert not g.training and not d.training


def test_no_ema_saves_no_average(sample: TensorData, tmp_path: Path) -> None:
    list(train_gan(tiny(ema=0.0), sample, Control(), tmp_path / "run"))
    tensors, _ = RunFolder(tmp_path / "run").load_checkpoint()
    assert not any(k.startswith("G_ema.") for k in tensors)
    assert load_gan(tmp_path / "run").cfg.ema == 0.0


# -- every variant trains, saves, resumes and loads ---------------------------------------------------------------
VARIANTS = {
    "default": {},
    "unconditional": {"conditional": False},
    "plain-dcgan": {"conditional": False, "spectral_norm": False, "ema": 0.0},
    "hinge": {"loss": "hinge"},
    "seed-pairing": {"d_optimizer": OptimizerConfig("rmsprop", 2e-4, 0.0)},
}


@pytest.mark.parametrize("overrides", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_variant_trains_resumes_exactly_and_loads(sample: TensorData, tmp_path: Path,
                                                        overrides: dict[str, object]) -> None:
    cfg = tiny(**overrides)

    def run(folder: Path, resume: bool = False, stop_at: int | None = None) -> dict[int, dict[str, float]]:
        control, losses = Control(), {}
        for r in train_gan(cfg, sample, control, folder, resume):
            if isinstance(r, StepReport):
                losses[r.step] = r.losses
                if r.step == stop_at:
                    control.stop()
        return losses

    whole = run(tmp_path / "whole")
    assert list(whole) == [1, 2, 3, 4] and all(np.isfinite(v) for r in whole.values() for v in r.values())
    part = run(tmp_path / "split", stop_at=2)
    part.update(run(tmp_path / "split", resume=True))
    assert part == whole
    loaded = load_gan(tmp_path / "whole")
    assert loaded.conditional == cfg.conditional
    images = generate(loaded.generator, 10)
    assert images.shape == (10, 28, 28, 1)
    real, per_class = realness(loaded.discriminator, images)
    assert real.shape == (10,) and np.all((real >= 0) & (real <= 1))
    assert (per_class is None) == (not cfg.conditional)
    if per_class is not None:
        assert per_class.shape == (10, 10)
        np.testing.assert_allclose(real, per_class.max(1))


def test_a_run_saved_before_these_options_existed_still_loads(sample: TensorData, tmp_path: Path) -> None:
    """Its config.json lacks the new fields, which read back as today's defaults; the weights say otherwise."""
    list(train_gan(tiny(conditional=False, spectral_norm=False, ema=0.0), sample, Control(), tmp_path / "old"))
    config = tmp_path / "old" / "config.json"
    doc = json.loads(config.read_text())
    for key in ("conditional", "spectral_norm", "ema", "judge", "judge_samples"):
        del doc["config"][key]
    config.write_text(json.dumps(doc))
    assert RunFolder(tmp_path / "old").config().conditional   # read back as the new default...
    loaded = load_gan(tmp_path / "old")                       # ...yet the run loads as what it was
    assert (loaded.cfg.conditional, loaded.cfg.spectral_norm, loaded.cfg.ema) == (False, False, 0.0)
    assert generate(loaded.generator, 4).shape == (4, 28, 28, 1)
    finished = list(train_gan(RunFolder(tmp_path / "old").config(), sample, Control(), tmp_path / "old",
                              resume=True))[-1]
    assert isinstance(finished, FinishedReport)


# -- config: presets and compatibility --------------------------------------------------------------------------------
def test_presets() -> None:
    assert GanConfig.preset("recommended") == GanConfig()
    seed = GanConfig.preset("seed")
    assert (seed.g_optimizer.name, seed.d_optimizer.name) == ("adam", "rmsprop")
    dcgan = GanConfig.preset("dcgan")
    assert (dcgan.conditional, dcgan.spectral_norm, dcgan.ema, dcgan.loss) == (False, False, 0.0, "bce")
    assert dcgan.g_optimizer == dcgan.d_optimizer == OptimizerConfig("adam", 2e-4, 0.5)
    base = GanConfig(budget=TrainBudget(epochs=3), seed=5, judge="auto", n_samples=16)
    for name in GAN_PRESETS:   # a preset changes the model and optimisation, nothing else
        p = GanConfig.preset(name, base)
        assert (p.budget, p.seed, p.judge, p.n_samples) == (base.budget, 5, "auto", 16)
    with pytest.raises(ConfigError, match="GAN preset"):
        GanConfig.preset("wgan")


def test_new_fields_have_defaults_and_are_validated() -> None:
    old = {k: v for k, v in to_dict(GanConfig()).items()
           if k not in ("conditional", "spectral_norm", "ema", "judge", "judge_samples")}
    assert from_dict(GanConfig, old) == GanConfig()
    for bad, field in ((dict(ema=1.0), "EMA decay"), (dict(judge=" "), "judge"), (dict(judge_samples=2), "judge"),
                       (dict(conditional="yes"), "conditional")):
        with pytest.raises(ConfigError, match=field):
            GanConfig(**bad)   # type: ignore[arg-type]


def test_build_gan_follows_the_config() -> None:
    g, d = build_gan(GanConfig(), (1, 28, 28), 10)
    assert g.n_classes == d.n_classes == 10
    g, d = build_gan(GanConfig(conditional=False), (3, 32, 32), 10)
    assert g.n_classes == d.n_classes == 0
    assert g(torch.randn(2, 64)).shape == (2, 3, 32, 32)
