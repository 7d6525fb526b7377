"""The two generative families side by side: the app's default GAN and its flow-matching model, trained for the same
time budgets on the same data, scored by the same judge CNN.

For each dataset (``--datasets``: the bundled MNIST sample, and Fashion-MNIST when Debian's package is installed) and
each budget (``--budgets``, seconds of CPU training), each model trains with the app's defaults and no live judge
(the budget is all training). One independent judge per dataset — the app's default CNN trained here for
``--judge-epochs`` epochs with its own seed — then classifies ``--samples`` class-balanced samples of each and
prints the share it recognises with confidence ≥ 0.9, the normalised entropy of their classes and the Fréchet
classifier distance to the real training images in its penultimate-layer features. Last, the flow model's sampling
time per image on the CPU at its default sampler (FlowConfig's steps, method, guidance and guidance interval) is
measured on a batch of 100, and its samples are judged again at the other guidance scales of ``--guidance-sweep``
(guidance trades variety for typical digits).

Targets (bundled sample, 180 s): flow confident ≥ 0.95, class entropy ≥ 0.99, FCD ≤ 1.5× the GAN's at the same
budget; sampling ≤ 20 ms per image.

Usage::

    .venv/bin/python bench/generator_quality.py                              # 60, 180, 300 s; both datasets
    .venv/bin/python bench/generator_quality.py --budgets 180 --datasets mnist-sample
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's engine, not an installed one

from gan_quality import train_judge  # the same independent judge as the GAN benchmark's

from gendisc.engine.config import DataConfig, FlowConfig, GanConfig, TrainBudget
from gendisc.engine.data import load_dataset
from gendisc.engine.data.catalog import dataset_info
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.evaluate.judge import JudgeScores
from gendisc.engine.inference.flow_loading import flow_from_state
from gendisc.engine.inference.loading import gan_from_state
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.gan import balanced_labels
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import FinishedReport, WeightsReport
from gendisc.engine.train.setup import trainer_for

TARGET_CONFIDENT, TARGET_ENTROPY, TARGET_FCD_RATIO, TARGET_MS = 0.95, 0.99, 1.5, 20.0


def train(cfg: GanConfig | FlowConfig, data: TensorData) -> tuple[torch.nn.Module, int]:
    """Train ``cfg`` for its time budget; the sampler the app would show, and the steps done."""
    state, steps = None, 0
    for r in trainer_for(cfg)(cfg, data, Control(), autosave_s=None):
        if isinstance(r, WeightsReport):
            state = r.state
        elif isinstance(r, FinishedReport):
            steps = r.step
    assert state is not None
    spec = ModelSpec(cfg, data.image_shape, data.class_names)
    sampler = flow_from_state(spec, state) if isinstance(cfg, FlowConfig) else gan_from_state(spec, state)[0]
    return sampler.eval(), steps


def samples(sampler: torch.nn.Module, data: TensorData, n: int) -> torch.Tensor:
    size = getattr(sampler, "latent_dim", None) or int(torch.tensor(data.image_shape).prod())
    z = torch.randn(n, size, generator=torch.Generator().manual_seed(2024))
    return generate_tensor(sampler, z, balanced_labels(n, data.n_classes))


def sampling_ms(sampler: torch.nn.Module, data: TensorData, n: int = 100) -> float:
    samples(sampler, data, 10)   # warm-up
    t0 = time.perf_counter()
    samples(sampler, data, n)
    return 1000 * (time.perf_counter() - t0) / n


def row(name: str, steps: str, s: JudgeScores, extra: str = "") -> str:
    return f"{name:<26} {steps:>6} {s.confident:>10.3f} {s.entropy:>8.3f} {s.fcd:>8.2f} {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", default="60,180,300", help="training seconds of each model (default 60,180,300)")
    parser.add_argument("--datasets", default="mnist-sample,fashion-mnist", help="comma-separated catalog names")
    parser.add_argument("--judge-epochs", type=int, default=10, help="training epochs of each judge (default 10)")
    parser.add_argument("--samples", type=int, default=1000, help="generated images judged per model")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--guidance-sweep", default="2,3",
                        help="other guidance scales the trained flow model is also judged at (sampling only)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    budgets = [float(b) for b in args.budgets.split(",") if b.strip()]
    sweep = [float(w) for w in args.guidance_sweep.split(",") if w.strip()]
    print(f"Generator quality: GAN vs flow matching, {torch.get_num_threads()} CPU thread(s)", flush=True)
    verdict = {True: "PASS", False: "FAIL"}
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        info = dataset_info(name)
        if info is None or info.source == "downloadable":
            print(f"\n{name}: not available here, skipped")
            continue
        data = prepare(load_dataset(name), DataConfig(val_fraction=0.1, augment=False), "cpu")
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            judge = train_judge(data, args.judge_epochs, Path(tmp) / "judge")
        print(f"\n{name}: judge trained {time.perf_counter() - t0:.0f} s", flush=True)
        print(f"{'':<26} {'steps':>6} {'confident':>10} {'entropy':>8} {'FCD':>8}")
        print(row("real validation images", "-", judge.score(data.val_x)), flush=True)
        for seconds in budgets:
            budget = TrainBudget(epochs=100_000, max_seconds=seconds)
            scores = {}
            for label, cfg in (("GAN", GanConfig(device="cpu", budget=budget)),
                               ("flow", FlowConfig(device="cpu", budget=budget))):
                sampler, steps = train(cfg, data)
                scores[label] = judge.score(samples(sampler, data, args.samples))
                extra = ""
                if label == "flow":
                    ms = sampling_ms(sampler, data)
                    extra = f"sampling {ms:.1f} ms/image (target ≤ {TARGET_MS:.0f}) {verdict[ms <= TARGET_MS]}"
                print(row(f"{label} after {seconds:.0f} s", str(steps), scores[label], extra), flush=True)
                if label == "flow":   # guidance trades variety (FCD) for typical, confident digits
                    default = sampler.settings
                    for w in sweep:
                        sampler.settings = dataclasses.replace(default, guidance=w)
                        print(row(f"  same, guidance {w:g}", "", judge.score(samples(sampler, data, args.samples))),
                              flush=True)
                    sampler.settings = default
            if name == "mnist-sample" and seconds == 180:
                f, g = scores["flow"], scores["GAN"]
                print("flow targets at 180 s: "
                      f"confident {f.confident:.3f} ≥ {TARGET_CONFIDENT} {verdict[f.confident >= TARGET_CONFIDENT]}; "
                      f"entropy {f.entropy:.3f} ≥ {TARGET_ENTROPY} {verdict[f.entropy >= TARGET_ENTROPY]}; "
                      f"FCD {f.fcd:.2f} ≤ 1.5 × GAN's {g.fcd:.2f} {verdict[f.fcd <= TARGET_FCD_RATIO * g.fcd]}",
                      flush=True)


if __name__ == "__main__":
    main()
