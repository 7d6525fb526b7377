"""The flow-matching model: its network, the ODE sampler with guidance, and its trainer (loss, resume, run folder).
No Qt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gendisc.engine.config import DataConfig, FlowConfig, TrainBudget, from_dict, load_json, save_json, to_dict
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.errors import ConfigError
from gendisc.engine.models.flow import FlowUNet, ResBlock
from gendisc.engine.models.flow_sampler import FlowSampler, SamplerSettings, integrate, velocity
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.train.control import Control
from gendisc.engine.train.flow_parts import FlowModels, training_times
from gendisc.engine.train.flow_trainer import train_flow
from gendisc.engine.train.reports import EpochReport, FinishedReport, StepReport, WeightsReport
from tests.helpers.data import subset

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def sample() -> TensorData:
    return subset(prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu"), 128, 32)


def tiny(**kw: object) -> FlowConfig:
    base = {"device": "cpu", "batch_size": 32, "width": 8, "n_samples": 10, "sampler_steps": 2,
            "budget": TrainBudget(epochs=5, max_steps=4), "log_every": 1}
    return FlowConfig(**{**base, **kw})   # type: ignore[arg-type]


def net_with_weights(shape: tuple[int, int, int] = (1, 28, 28), n_classes: int = 10,
                     conditioning: str = "scale-shift", patch: int = 2) -> FlowUNet:
    torch.manual_seed(0)
    net = FlowUNet(shape, n_classes, width=8, conditioning=conditioning, patch=patch).eval()
    with torch.no_grad():   # the output layer starts at zero: give it weights so predictions differ by input
        net.conv_out.weight.normal_(0, 0.1)
    return net


# -- the network -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("conditioning", "patch"), [("shift", 1), ("scale-shift", 1), ("scale-shift", 2)])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_the_network_keeps_the_image_shape_and_depends_on_time_and_class(shape: tuple[int, int, int],
                                                                          conditioning: str, patch: int) -> None:
    net = net_with_weights(shape, conditioning=conditioning, patch=patch)
    x = torch.randn(4, *shape)
    labels = torch.tensor([0, 1, 2, 10])   # 10: the null class
    out = net(x, torch.full((4,), 0.3), labels)
    assert out.shape == x.shape
    assert not torch.allclose(out, net(x, torch.full((4,), 0.8), labels))
    assert not torch.allclose(out[:3], net(x[:3], torch.full((3,), 0.3), torch.tensor([5, 6, 7])))


def test_scale_shift_blocks_scale_and_shift_the_norm_and_shift_blocks_keep_the_first_runs_weights() -> None:
    torch.manual_seed(0)
    film, shift = ResBlock(8, 16, 32, "scale-shift"), ResBlock(8, 16, 32, "shift")
    assert film.emb.out_features == 32 and shift.emb.out_features == 16   # the first runs' checkpoints load
    x, emb = torch.randn(2, 8, 7, 7), torch.randn(2, 32)
    with torch.no_grad():   # a zero embedding layer: no scale, no shift, the block is the plain norm → conv one
        film.emb.weight.zero_()
        film.emb.bias.zero_()
        normed = film.norm2(film.conv1(F.silu(film.norm1(x))))
        torch.testing.assert_close(film(x, emb), film.conv2(F.silu(normed)) + film.skip(x))
        film.emb.bias[:16] = 1.0   # scale 1 + 1 = 2 on every channel
        torch.testing.assert_close(film(x, emb), film.conv2(F.silu(2 * normed)) + film.skip(x))
    with pytest.raises(ValueError, match="conditioning"):
        ResBlock(8, 16, 32, "film")


def test_the_default_network_is_small() -> None:
    params = sum(p.numel() for p in FlowUNet((1, 28, 28), 10).parameters())
    assert 300_000 < params < 800_000


def test_a_patch_network_runs_its_unet_on_blocks_of_pixels_and_puts_them_back_in_place() -> None:
    net = net_with_weights((1, 28, 28), patch=2)
    seen: dict[str, torch.Tensor] = {}
    net.conv_in.register_forward_hook(lambda _m, args, _out: seen.update(into=args[0]))
    net.down1.register_forward_hook(lambda _m, _args, out: seen.update(first=out))
    net.conv_out.register_forward_hook(lambda _m, _args, out: seen.update(out=out))
    x = torch.randn(2, 1, 28, 28)
    out = net(x, torch.full((2,), 0.5), torch.tensor([3, 8]))
    assert seen["first"].shape == (2, 8, 14, 14)   # the first level works at half the resolution
    # pixel (2i + a, 2j + b) is channel 2a + b of block (i, j), on the way in and on the way out
    for i, j, a, b in ((0, 0, 0, 0), (1, 2, 1, 1), (13, 6, 0, 1), (7, 13, 1, 0)):
        assert seen["into"][1, 2 * a + b, i, j] == x[1, 0, 2 * i + a, 2 * j + b]
        assert out[1, 0, 2 * i + a, 2 * j + b] == seen["out"][1, 2 * a + b, i, j]
    assert FlowUNet((1, 28, 28), 10, width=8, patch=1).conv_in.in_channels == 1   # the first runs' network
    with pytest.raises(ValueError, match="patch"):
        FlowUNet((1, 27, 27), 10, width=8, patch=2)


# -- the sampler -----------------------------------------------------------------------------------------------------
def test_one_sampler_step_is_one_euler_step_of_the_network() -> None:
    net = net_with_weights()
    noise, labels = torch.randn(3, 1, 28, 28), torch.tensor([1, 4, 7])
    for method in ("euler", "heun"):   # Heun's last step is Euler: one step is Euler either way
        images, _ = integrate(net, noise, labels, SamplerSettings(steps=1, guidance=1.0, method=method,
                                                                          precision="float32"))
        with torch.no_grad():
            expected = noise + net(noise, torch.zeros(3), labels)
        torch.testing.assert_close(images, expected)


def test_guidance_one_is_the_conditional_prediction_and_zero_the_unconditional() -> None:
    net = net_with_weights()
    x, labels = torch.randn(3, 1, 28, 28), torch.tensor([2, 2, 9])
    t = torch.full((3,), 0.4)
    with torch.no_grad():
        cond, uncond = net(x, t, labels), net(x, t, torch.full((3,), 10))
        torch.testing.assert_close(velocity(net, x, 0.4, labels, 1.0), cond)
        torch.testing.assert_close(velocity(net, x, 0.4, labels, 0.0), uncond)
        torch.testing.assert_close(velocity(net, x, 0.4, labels, 3.0), uncond + 3.0 * (cond - uncond),
                                   rtol=1e-4, atol=1e-5)


def test_guidance_applies_only_inside_its_interval() -> None:
    net = net_with_weights()
    noise, labels = torch.randn(2, 1, 28, 28), torch.tensor([3, 8])
    settings = SamplerSettings(steps=2, guidance=3.0, precision="float32", interval=(0.5, 1.0))
    images, _ = integrate(net, noise, labels, settings)
    with torch.no_grad():   # t = 0 is before the interval: the conditional prediction; t = 0.5 is guided
        x = noise + 0.5 * net(noise, torch.zeros(2), labels)
        expected = x + 0.5 * velocity(net, x, 0.5, labels, 3.0)
    torch.testing.assert_close(images, expected)
    everywhere, _ = integrate(net, noise, labels, SamplerSettings(steps=2, guidance=3.0, precision="float32",
                                                                  interval=(0.0, 1.0)))
    assert not torch.allclose(everywhere, images)   # the interval changes the samples
    assert [settings.guidance_at(t) for t in (0.0, 0.49, 0.5, 0.99)] == [1.0, 1.0, 3.0, 3.0]
    cfg = FlowConfig(guidance=2.0, guidance_start=0.2, guidance_end=0.6)
    assert SamplerSettings.of(cfg).interval == (0.2, 0.6)


def test_the_trajectory_runs_from_the_noise_to_the_final_sample() -> None:
    net = net_with_weights()
    noise, labels = torch.randn(2, 1, 28, 28), torch.tensor([3, 8])
    settings = SamplerSettings(steps=8, guidance=2.0, method="heun", precision="float32")
    images, path = integrate(net, noise, labels, settings, keep=5)
    assert [t for t, _ in path] == [0.0, 0.25, 0.5, 0.75, 1.0]
    torch.testing.assert_close(path[0][1], noise)
    torch.testing.assert_close(path[-1][1], images)
    sampler = FlowSampler(net, settings)   # the generator view: flat noise in, clamped images out, deterministic
    out = sampler(noise.reshape(2, -1), labels)
    torch.testing.assert_close(out, images.clamp(-1, 1))
    torch.testing.assert_close(sampler(noise.reshape(2, -1), labels), out)


def test_bfloat16_sampling_draws_nearly_the_same_images() -> None:
    net = net_with_weights()
    noise, labels = torch.randn(8, 1, 28, 28), torch.arange(8)
    exact, _ = integrate(net, noise, labels, SamplerSettings(steps=8, precision="float32"))
    fast, _ = integrate(net, noise, labels, SamplerSettings(steps=8, precision="bfloat16"))
    assert fast.dtype == torch.float32
    assert 0 < float((fast - exact).abs().mean()) < 0.02 * float(exact.abs().mean())


@pytest.mark.parametrize("bad", [{"steps": 0}, {"guidance": -1.0}, {"method": "rk4"}, {"precision": "fp8"},
                                 {"interval": (0.5, 0.5)}, {"interval": (-0.1, 0.5)}, {"interval": (0.2, 1.5)}])
def test_sampler_settings_refuse_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SamplerSettings(**bad)   # type: ignore[arg-type]


# -- the config ------------------------------------------------------------------------------------------------------
def test_the_config_round_trips_and_refuses_bad_values() -> None:
    cfg = FlowConfig(width=24, guidance=3.5, sampler="euler")
    assert from_dict(FlowConfig, to_dict(cfg)) == cfg
    assert load_json(save_json(cfg)) == cfg
    for bad in ({"width": 12}, {"guidance": 50.0}, {"sampler": "rk4"}, {"class_dropout": 1.0},
                {"time_sampling": "beta"}, {"precision": "fp16"}, {"conditioning": "film"}, {"patch": 3},
                {"patch": True}, {"guidance_start": -0.1}, {"guidance_end": 1.2},
                {"guidance_start": 0.6, "guidance_end": 0.6}):
        with pytest.raises(ConfigError):
            FlowConfig(**bad)   # type: ignore[arg-type]


# -- training --------------------------------------------------------------------------------------------------------
def test_a_few_steps_lower_the_flow_matching_loss(sample: TensorData) -> None:
    cfg = tiny(optimizer=FlowConfig().optimizer, budget=TrainBudget(epochs=100, max_steps=40))
    torch.manual_seed(0)
    models = FlowModels(cfg, sample, torch.device("cpu"), torch.Generator().manual_seed(1))
    losses = []
    for step in range(40):
        idx = torch.randint(0, len(sample.train_x), (32,), generator=torch.Generator().manual_seed(step))
        losses.append(float(models.step(sample.train_x[idx], sample.train_y[idx], step)))
    assert np.mean(losses[-8:]) < 0.8 * np.mean(losses[:8])


def test_logit_normal_times_lie_inside_the_path_and_mostly_in_its_middle() -> None:
    def middle_share(how: str) -> float:
        t = training_times(how, 20_000, torch.Generator().manual_seed(0))
        assert t.min() > 0 and t.max() < 1
        return float(((t > 0.25) & (t < 0.75)).float().mean())

    assert abs(middle_share("uniform") - 0.5) < 0.02
    assert abs(middle_share("logit-normal") - 0.728) < 0.02   # P(|z| < logit(0.75)) for a standard normal z


@pytest.mark.parametrize("how", ["uniform", "logit-normal"])
def test_the_training_step_uses_the_chosen_times(sample: TensorData, how: str) -> None:
    cfg = tiny(time_sampling=how, precision="fp32")
    models = FlowModels(cfg, sample, torch.device("cpu"), torch.Generator().manual_seed(1))
    seen = []
    models.net.register_forward_pre_hook(lambda _m, args: seen.append(args[1].clone()))
    models.step(sample.train_x[:32], sample.train_y[:32], 0)
    gen = torch.Generator().manual_seed(1)
    torch.randn((32, 1, 28, 28), generator=gen)   # the step draws the noise first, then the times
    assert torch.equal(seen[0], training_times(how, 32, gen))


def test_a_bfloat16_step_rounds_but_follows_the_fp32_step(sample: TensorData) -> None:
    def first_loss(precision: str) -> tuple[float, torch.dtype]:
        torch.manual_seed(0)
        models = FlowModels(tiny(precision=precision), sample, torch.device("cpu"), torch.Generator().manual_seed(1))
        dtypes = []
        models.net.conv_in.register_forward_hook(lambda _m, _a, out: dtypes.append(out.dtype))
        with torch.no_grad():
            models.net.conv_out.weight.normal_(0, 0.1)   # a non-zero prediction, so rounding shows in the loss
        return float(models.step(sample.train_x[:32], sample.train_y[:32], 0)), dtypes[0]

    (fp32, fp32_type), (bf16, bf16_type) = first_loss("fp32"), first_loss("bf16")
    assert (fp32_type, bf16_type) == (torch.float32, torch.bfloat16)
    assert fp32 != bf16 and abs(fp32 - bf16) < 0.02 * fp32


def test_training_reports_saves_and_resumes_exactly(sample: TensorData, tmp_path: Path) -> None:
    cfg = tiny(budget=TrainBudget(epochs=2))   # 128 images / 32: 4 steps an epoch, 8 in all

    def run(folder: Path, resume: bool = False, stop_at: int | None = None) -> tuple[dict[int, float], list]:
        control, losses, reports = Control(), {}, []
        for r in train_flow(cfg, sample, control, folder, resume):
            reports.append(r)
            if isinstance(r, StepReport):
                losses[r.step] = r.losses["loss"]
                if r.step == stop_at:
                    control.stop()
        return losses, reports

    whole, reports = run(tmp_path / "whole")
    assert list(whole) == list(range(1, 9)) and all(np.isfinite(v) for v in whole.values())
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    assert [(r.kind, r.epoch) for r in epochs] == [("flow", 1), ("flow", 2)]
    assert epochs[-1].samples.shape == (10, 28, 28, 1) and epochs[-1].samples.dtype == np.uint8
    assert any(isinstance(r, WeightsReport) and r.kind == "flow" for r in reports)
    finished = reports[-1]
    assert isinstance(finished, FinishedReport) and finished.reason == "completed" and finished.kind == "flow"

    part, _ = run(tmp_path / "split", stop_at=3)
    more, _ = run(tmp_path / "split", resume=True)
    assert {**part, **more} == whole
    folder = RunFolder(tmp_path / "split")
    assert isinstance(folder.config(), FlowConfig)
    assert [r["epoch"] for r in folder.read_metrics()] == [1, 2]
    assert len(folder.sample_files()) == 2


def test_colour_images_train_too() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 3, 32, 32, generator=g) * 2 - 1
    y = torch.arange(64) % 10
    data = TensorData("colour", x, y, x[:8], y[:8], None, None, tuple(str(i) for i in range(10)))
    reports = list(train_flow(tiny(), data))
    samples = [r for r in reports if isinstance(r, EpochReport)][-1].samples
    assert samples.shape == (10, 32, 32, 3)


def test_a_flow_run_loads_as_the_sampler_it_trained(sample: TensorData, tmp_path: Path) -> None:
    from gendisc.engine.inference.flow_loading import flow_from_state, load_flow
    from gendisc.engine.inference.predict import generate_tensor

    reports = list(train_flow(tiny(), sample, run_dir=tmp_path / "run"))
    loaded = load_flow(tmp_path / "run")
    assert loaded.conditional and loaded.image_shape == (1, 28, 28) and loaded.step == 4
    weights = [r for r in reports if isinstance(r, WeightsReport)][-1]
    live = flow_from_state(loaded.spec, weights.state)
    z = torch.randn(4, 28 * 28, generator=torch.Generator().manual_seed(3))
    labels = torch.tensor([0, 1, 2, 3])
    torch.testing.assert_close(generate_tensor(loaded.sampler, z, labels), generate_tensor(live, z, labels))


def test_a_flow_run_saved_before_its_newer_fields_existed_resumes_as_trained(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path / "old", FlowConfig())
    doc = json.loads((folder.path / "config.json").read_text())
    del doc["config"]["time_sampling"], doc["config"]["precision"], doc["config"]["conditioning"]
    (folder.path / "config.json").write_text(json.dumps(doc))
    cfg = RunFolder(folder.path).config()
    assert isinstance(cfg, FlowConfig) and (cfg.time_sampling, cfg.precision) == ("uniform", "fp32")
    assert cfg.conditioning == "shift"


# -- a run folder written by the code of before FiLM (commit 69607fe): 3 steps, width 8, 64 bundled images ----------
BEFORE_FILM = Path(__file__).resolve().parents[1] / "data" / "flow-run-before-film"


def test_a_run_written_before_film_samples_what_its_code_drew_and_resumes(tmp_path: Path) -> None:
    import shutil
    from dataclasses import replace

    from gendisc.engine.inference.flow_loading import load_flow
    from gendisc.engine.inference.predict import generate_tensor

    loaded = load_flow(BEFORE_FILM)
    assert loaded.cfg.conditioning == "shift" and loaded.step == 3
    loaded.sampler.settings = replace(loaded.sampler.settings, precision="float32")
    z = torch.randn(4, 28 * 28, generator=torch.Generator().manual_seed(3))
    drawn = generate_tensor(loaded.sampler, z, torch.tensor([0, 3, 7, 9]))   # what the old code drew from it
    torch.testing.assert_close(drawn, torch.from_numpy(np.load(BEFORE_FILM / "expected-samples.npy")))

    run = tmp_path / "old"
    shutil.copytree(BEFORE_FILM, run)   # resumed in a copy: the fixture stays as the old code wrote it
    data = subset(prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, split_seed=0), "cpu"), 64, 16)
    cfg = replace(RunFolder(run).config(), budget=TrainBudget(epochs=5, max_steps=5))
    reports = list(train_flow(cfg, data, run_dir=run, resume=True, autosave_s=None))
    steps = [r.step for r in reports if isinstance(r, StepReport)]
    assert steps[-1] == 5 and isinstance(reports[-1], FinishedReport) and reports[-1].step == 5
    assert RunFolder(run).config().conditioning == "shift"
