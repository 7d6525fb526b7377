"""Training throughput of the engine's trainers against the plain PyTorch loop a typical user writes.

Both sides train the same model class (same seed, same initial weights), on the same resident tensors, at the
same batch size, with the same Adam learning rate, in this one process:

* **engine** — ``train_cnn`` / ``train_gan`` run as generators with ``TrainBudget(max_steps=warmup + steps)``;
  the CNN keeps its default config (channels-last on CPU, one-cycle schedule, label smoothing, weight decay),
  but augmentation is off, because the plain loop does not augment. ``gan`` is the default GAN config
  (class-conditional, spectral norm in D, a moving average of G's weights), ``dcgan`` its plain DCGAN preset;
  the judge is off.
* **plain** — model, ``torch.optim.Adam``, a DataLoader-free loop over a shuffled resident tensor
  (``torch.randperm`` each epoch, then slicing), ``loss.backward()``, ``opt.step()``, ``loss.item()`` every
  step, default memory format. The GAN loop is the PyTorch DCGAN example's (D then G, non-saturating BCE or
  the config's hinge loss), with labels into G and D when the config is conditional, and no weight average.
  Its images are the engine's, copied into the ordinary ``N×C×H×W`` layout a user gets from
  ``torch.from_numpy(images).unsqueeze(1)``: the engine's own gray tensors come from permuting ``N×H×W×1``
  and keep channels-last strides, which would silently make the "plain" convolutions channels-last too.

The validation split is set to zero on both sides, so the engine's epoch-end validation does not count
against it (the plain loop validates nothing). Each side first takes ``--warmup`` untimed steps, then ``--steps``
timed steps; the two sides run alternately ``--repeats`` times and the medians are compared.

Usage::

    .venv/bin/python bench/train_speed.py                  # CNN, GAN, DCGAN on the bundled MNIST sample
    .venv/bin/python bench/train_speed.py --which cnn --steps 200 --repeats 5
    .venv/bin/python bench/train_speed.py --augment        # also time the CNN engine with its default augmentation

Each model's FLOP per training image (forward and backward, PyTorch's flop counter on one plain step) turns its
images/s into GFLOP/s, printed beside a 2048² fp32 matmul timed in the same run: the distance to the machine's
limit.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's engine, not an installed one

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.models.build import build_gan
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.reports import StepReport

TARGET_RATIO = 1.0


def engine_images_per_s(kind: str, cfg: CnnConfig | GanConfig, data: TensorData, warmup: int) -> float:
    """Run the engine trainer for ``cfg.budget.max_steps`` steps; images/s from the first step report at or
    after ``warmup`` to the last step's report (timed here, not taken from the engine's own figures)."""
    trainer = train_cnn if kind == "cnn" else train_gan
    t_start = step_start = None
    run = trainer(cfg, data)
    try:
        for report in run:
            if not isinstance(report, StepReport):
                continue
            if t_start is None and report.step >= warmup:
                t_start, step_start = time.perf_counter(), report.step
            if report.step >= report.total_steps:
                if t_start is None or report.step == step_start:
                    raise SystemExit("too few steps to time: raise --steps or lower --warmup")
                return (report.step - step_start) * cfg.batch_size / (time.perf_counter() - t_start)
    finally:
        run.close()   # skip the final evaluation: it is not training
    raise RuntimeError("the trainer ended before its step budget")


def plain_cnn_step(cfg: CnnConfig, data: TensorData, x: torch.Tensor) -> Callable[[torch.Tensor], None]:
    """One step of the loop a user writes for ``cfg``'s classifier on images ``x``: returns ``step(indices)``."""
    torch.manual_seed(cfg.seed)
    model = build_cnn(cfg.arch, data.image_shape, data.n_classes, cfg.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.optimizer.lr)
    model.train()

    def step(idx: torch.Tensor) -> None:
        loss = F.cross_entropy(model(x[idx]), data.train_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
    return step


def plain_gan_step(cfg: GanConfig, data: TensorData, x: torch.Tensor) -> Callable[[torch.Tensor], None]:
    """One step of the PyTorch DCGAN example's loop (D then G, non-saturating BCE, or hinge if ``cfg`` says so)
    on images ``x``, with the engine's generator and discriminator; class labels go in when ``cfg`` is
    conditional. No moving average of G: a plain loop has none."""
    torch.manual_seed(cfg.seed)
    g, d = build_gan(cfg, data.image_shape, data.n_classes)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.g_optimizer.lr,
                             betas=(cfg.g_optimizer.momentum, cfg.g_optimizer.beta2))
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.d_optimizer.lr,
                             betas=(cfg.d_optimizer.momentum, cfg.d_optimizer.beta2))
    bce = torch.nn.BCEWithLogitsLoss()
    hinge = cfg.loss == "hinge"

    def step(idx: torch.Tensor) -> None:
        real = x[idx]
        labels = data.train_y[idx] if cfg.conditional else None
        fake = g(torch.randn(len(idx), cfg.latent_dim), labels)
        out_real, out_fake = d(real, labels), d(fake.detach(), labels)
        if hinge:
            loss_d = F.relu(1 - out_real).mean() + F.relu(1 + out_fake).mean()
        else:
            loss_d = bce(out_real, torch.ones_like(out_real)) + bce(out_fake, torch.zeros_like(out_fake))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        out = d(fake, labels)
        loss_g = -out.mean() if hinge else bce(out, torch.ones_like(out))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        loss_d.item()
        loss_g.item()
    return step


def plain_images_per_s(step: Callable[[torch.Tensor], None], n: int, batch: int, warmup: int, steps: int) -> float:
    """Drive ``step`` over a shuffled resident tensor of ``n`` images, reshuffled every epoch; time the
    ``steps`` steps after ``warmup``."""
    per_epoch = max(1, n // batch)
    order = torch.randperm(n)
    t_start = time.perf_counter()
    for i in range(warmup + steps):
        if i == warmup:
            t_start = time.perf_counter()
        k = i % per_epoch
        if k == 0 and i > 0:
            order = torch.randperm(n)
        step(order[k * batch:(k + 1) * batch])
    return steps * batch / (time.perf_counter() - t_start)


def flops_per_image(step: Callable[[torch.Tensor], None], batch: int) -> float:
    """Floating-point operations of one training step of ``step`` (forward and backward: the matmuls and
    convolutions PyTorch's flop counter sees; the optimizer's elementwise update is not counted), per image."""
    with FlopCounterMode(display=False) as counter:
        step(torch.arange(batch))
    return counter.get_total_flops() / batch


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of an ``n``×``n`` fp32 matmul on this machine's threads: the practical ceiling for the models."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2):
        a @ b
    t = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - t) / 1e9


def bench(kind: str, data: TensorData, args: argparse.Namespace) -> tuple[list[tuple[str, float]], float]:
    """Time plain and engine alternately; return ``[(row name, median images/s)]`` and the model's FLOP per
    training image."""
    budget = TrainBudget(epochs=10_000, max_steps=args.warmup + args.steps)
    data_cfg = DataConfig(dataset=args.dataset, val_fraction=0.0, augment=False)
    x_nchw = data.train_x.float_all()   # a new contiguous float N×C×H×W tensor: strides (C·H·W, H·W, W, 1)
    cfg: CnnConfig | GanConfig
    if kind == "cnn":
        cfg = CnnConfig(data=data_cfg, budget=budget, arch=args.arch, device="cpu")
        make_plain: Callable[[], Callable[[torch.Tensor], None]] = \
            lambda: plain_cnn_step(cfg, data, x_nchw)  # noqa: E731
    else:
        base = GanConfig(data=data_cfg, budget=budget, device="cpu", judge="off")
        cfg = base if kind == "gan" else GanConfig.preset(kind, base)
        make_plain = lambda: plain_gan_step(cfg, data, x_nchw)  # noqa: E731
    sides: dict[str, Callable[[], float]] = {
        "plain": lambda: plain_images_per_s(make_plain(), len(data.train_x), cfg.batch_size, args.warmup, args.steps),
        "engine": lambda: engine_images_per_s("cnn" if kind == "cnn" else "gan", cfg, data, args.warmup),
    }
    if args.augment and kind == "cnn":   # the GAN's default does not augment
        aug_data = dataclasses.replace(CnnConfig().data, dataset=args.dataset, val_fraction=0.0)
        aug_cfg = dataclasses.replace(cfg, data=aug_data)
        sides["engine+augment"] = lambda: engine_images_per_s(kind, aug_cfg, data, args.warmup)
    flops = flops_per_image(make_plain(), cfg.batch_size)
    runs: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for rep in range(args.repeats):
        for name in names if rep % 2 == 0 else names[::-1]:   # alternate who goes first
            runs[name].append(sides[name]())
            print(f"  {kind:<6} {name:<15} run {rep + 1}: {runs[name][-1]:8.0f} images/s", flush=True)
    return [(name, statistics.median(values)) for name, values in runs.items()], flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="mnist-sample", help="catalog name or path (default: mnist-sample)")
    parser.add_argument("--which", default="cnn,gan,dcgan",
                        help="comma-separated: cnn, gan (the default GAN config), dcgan (its plain DCGAN preset); "
                             "default: all three")
    parser.add_argument("--arch", default=CnnConfig().arch, help="CNN architecture (default: the config default)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (default: 10)")
    parser.add_argument("--steps", type=int, default=100, help="timed steps per run (default: 100)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, interleaved (default: 3)")
    parser.add_argument("--augment", action="store_true", help="also time the CNN engine with its default augmentation")
    args = parser.parse_args()

    raw = load_dataset(args.dataset)
    data = prepare(raw, DataConfig(dataset=args.dataset, val_fraction=0.0), "cpu")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {args.dataset}: {len(data.train_x):,} "
          f"training images {data.image_shape}; {args.warmup} warm-up + {args.steps} timed steps, "
          f"{args.repeats} runs per side")
    rows: list[tuple[str, str, float, float, float]] = []
    ceiling = matmul_gflops()
    for kind in args.which.split(","):
        results, flops = bench(kind.strip(), data, args)
        plain = dict(results)["plain"]
        rows += [(kind, name, ips, ips / plain, flops) for name, ips in results]
        print(f"  {kind:<6} {flops / 1e6:.1f} MFLOP per training image (forward and backward)", flush=True)
    ceiling = max(ceiling, matmul_gflops())   # measured before and after: the better of the two

    print(f"\n2048² fp32 matmul on {torch.get_num_threads()} threads: {ceiling:.1f} GFLOP/s")
    for kind, name, ips, ratio, flops in rows:   # a judged line ends "target ...: PASS|FAIL", as run_all.py reads
        verdict = "" if name == "plain" else \
            f"   target ≥ {TARGET_RATIO:.2f} × plain: {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
        gflops = ips * flops / 1e9
        print(f"{kind:<6} {name:<15} {ips:7.0f} images/s  {gflops:6.1f} GFLOP/s ({gflops / ceiling:4.0%} of the "
              f"matmul)  {ratio:6.3f} × plain{verdict}")

if __name__ == "__main__":
    main()
