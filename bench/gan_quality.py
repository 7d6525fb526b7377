"""How good are the app's GAN samples after two minutes on a CPU, next to a plain DCGAN loop?

On the bundled MNIST sample, each side trains for ``--seconds`` (default 120) on the CPU:

* **default** — ``train_gan`` with the app's defaults (``GanConfig()``: class-conditional G and D, spectral
  normalisation in D, an EMA of G's weights for sampling, non-saturating loss, Adam 1e-3 with β = (0, 0.9)),
  with its live judge on, so the figures include what judging every epoch costs; its samples are
  class-balanced, as the app draws them;
* **plain** — the loop of the PyTorch DCGAN example: the DCGAN generator and discriminator (width 64, latent
  100, batch norm), BCE, Adam 2e-4 with β1 0.5, batch 64, unconditional, on the same resident tensor.

One independent judge scores both: the app's default CNN (batch norm, augmentation) trained here for
``--judge-epochs`` epochs (a fixed amount of training, so its quality does not depend on how busy the machine
is) with its own seed — not the cached automatic judge, and never shown to either GAN. For each
side it classifies ``--samples`` generated images and prints the share it recognises with confidence ≥ 0.9,
the normalised entropy of their predicted classes (1 = all classes equally often) and the Fréchet classifier
distance (FCD) between generated and real training images in its penultimate-layer features. The judge's own
figures on the real validation images are printed first, as the ceiling.

Targets for the default GAN: confident share ≥ 0.80, entropy ≥ 0.95, FCD ≤ one third of the plain loop's, and
the live judge under 5% of its training time.

Usage::

    .venv/bin/python bench/gan_quality.py                    # 120 s each, the machine's default thread count
    .venv/bin/python bench/gan_quality.py --threads 1        # on a machine shared with other work
    .venv/bin/python bench/gan_quality.py --seconds 30 --which default
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's engine, not an installed one

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.evaluate.judge import Judge, JudgeScores
from gendisc.engine.inference.loading import gan_from_state
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.gan import Discriminator, Generator, balanced_labels
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.control import Control
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.reports import EpochReport, FinishedReport, WeightsReport

TARGET_CONFIDENT, TARGET_ENTROPY, TARGET_FCD_RATIO, TARGET_JUDGE_SHARE = 0.80, 0.95, 1 / 3, 0.05


def load_avg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def train_judge(data: TensorData, epochs: int, folder: Path) -> Judge:
    cfg = CnnConfig(data=DataConfig(val_fraction=0.1, augment=True), budget=TrainBudget(epochs=epochs), device="cpu",
                    seed=1234)
    for _ in train_cnn(cfg, data, Control(), folder, autosave_s=None):
        pass
    judge = Judge.from_run(folder, "cpu", name="bench judge: the default CNN")
    judge.fit_real(data.train_x, max_images=len(data.train_x))
    return judge


def score(judge: Judge, g: Generator, n: int) -> JudgeScores:
    z = torch.randn(n, g.latent_dim, generator=torch.Generator().manual_seed(2024))
    labels = balanced_labels(n, g.n_classes) if g.n_classes else None
    return judge.score(generate_tensor(g, z, labels))


def run_default(data: TensorData, seconds: float, judge: Judge) -> tuple[Generator, int, float, int]:
    """The app's default GAN with its live judge; returns (EMA generator, steps, judge share, epochs judged)."""
    cfg = GanConfig(device="cpu", budget=TrainBudget(epochs=100_000, max_seconds=seconds))
    state, steps, elapsed, judge_s, judged = None, 0, 1.0, 0.0, 0
    for r in train_gan(cfg, data, Control(), judge=judge, autosave_s=None):
        if isinstance(r, WeightsReport):
            state = r.state
        elif isinstance(r, EpochReport):
            judge_s += r.metrics.get("judge_s", 0.0)
            judged += 1
        elif isinstance(r, FinishedReport):
            steps, elapsed = r.step, r.elapsed_s
    assert state is not None
    g, _ = gan_from_state(ModelSpec(cfg, data.image_shape, data.class_names), state)
    return g, steps, judge_s / elapsed, judged


def run_plain(data: TensorData, seconds: float, seed: int = 0) -> tuple[Generator, int]:
    """The PyTorch DCGAN example's loop, for ``seconds`` of wall-clock time."""
    torch.manual_seed(seed)
    latent, batch = 100, 64
    g, d = Generator(latent, data.image_shape, 64), Discriminator(data.image_shape, 64)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = data.train_x.float_all()   # the example holds float tensors
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        order = torch.randperm(len(x))
        for i in range(0, len(x) - batch + 1, batch):
            real = x[order[i:i + batch]]
            fake = g(torch.randn(batch, latent))
            out_real, out_fake = d(real), d(fake.detach())
            loss_d = (F.binary_cross_entropy_with_logits(out_real, torch.ones_like(out_real))
                      + F.binary_cross_entropy_with_logits(out_fake, torch.zeros_like(out_fake)))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            out = d(fake)
            loss_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            steps += 1
            if time.perf_counter() - t0 >= seconds:
                break
    return g.eval(), steps


def row(name: str, steps: str, s: JudgeScores) -> str:
    return f"{name:<28} {steps:>6} {s.confident:>10.3f} {s.entropy:>8.3f} {s.fcd:>8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="training time of each GAN (default 120)")
    parser.add_argument("--judge-epochs", type=int, default=10, help="training epochs of the judge (default 10)")
    parser.add_argument("--samples", type=int, default=2000, help="generated images judged per GAN (default 2000)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--which", default="plain,default", help="comma-separated: plain, default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    which = [w.strip() for w in args.which.split(",") if w.strip()]
    print(f"GAN quality on the bundled MNIST sample: {args.seconds:.0f} s of CPU training each, "
          f"{torch.get_num_threads()} thread(s), load average {load_avg()}", flush=True)
    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1, augment=False), "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        judge = train_judge(data, args.judge_epochs, Path(tmp) / "judge")
    print(f"judge: {judge.name.split(': ', 1)[1]} trained {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"\n{'':<28} {'steps':>6} {'confident':>10} {'entropy':>8} {'FCD':>8}")
    print(row("real validation images", "-", judge.score(data.val_x)), flush=True)
    results: dict[str, JudgeScores] = {}
    if "plain" in which:
        g, steps = run_plain(data, args.seconds)
        results["plain"] = score(judge, g, args.samples)
        print(row("plain DCGAN loop", str(steps), results["plain"]), flush=True)
    share = judged = None
    if "default" in which:
        g, steps, share, judged = run_default(data, args.seconds, judge)
        results["default"] = score(judge, g, args.samples)
        print(row("app default GAN", str(steps), results["default"]), flush=True)
    print(f"\nload average at the end: {load_avg()}")
    if "default" in results:
        d = results["default"]
        verdict = {True: "PASS", False: "FAIL"}
        checks = [f"confident {d.confident:.3f} ≥ {TARGET_CONFIDENT} {verdict[d.confident >= TARGET_CONFIDENT]}",
                  f"entropy {d.entropy:.3f} ≥ {TARGET_ENTROPY} {verdict[d.entropy >= TARGET_ENTROPY]}"]
        if "plain" in results:
            limit = results["plain"].fcd * TARGET_FCD_RATIO
            checks.append(f"FCD {d.fcd:.2f} ≤ plain/3 = {limit:.2f} {verdict[d.fcd <= limit]} "
                          f"({results['plain'].fcd / max(d.fcd, 1e-9):.1f}× lower)")
        checks.append(f"live judge {100 * share:.1f}% of training time ({judged} epochs scored) < "
                      f"{100 * TARGET_JUDGE_SHARE:.0f}% {verdict[share < TARGET_JUDGE_SHARE]}")
        print("default GAN targets: " + "; ".join(checks))


if __name__ == "__main__":
    main()
