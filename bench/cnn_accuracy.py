"""Accuracy of the default CNN config within a fixed training time, against the targets of the issue.

* MNIST sample (bundled, 5,000 digits, no test split): ≥ 99 % validation accuracy within 60 s of training.
* Fashion-MNIST (60k/10k, when installed): ≥ 93.5 % test accuracy within 120 s of training.

Each run is ``CnnConfig()`` with only ``data.dataset`` and ``budget.max_seconds`` set (and augmentation as the app
and the CLI choose it for the dataset: ``engine.data.augment.recommended_augmentation``), trained by ``train_cnn`` on
the CPU. For reference the script
also runs the plain loop a user would write from the Keras MNIST example — the classic two-conv network, Adam,
batch 128, no augmentation — on Fashion-MNIST for ``BASELINE_SECONDS``.

Columns: *epochs* is how many passes over the training split the budget allowed and *img/s* the mean
throughput behind them; *train s* is the time from starting the trainer to the end of its last step (epoch-end
validation included, as the budget counts it; the final evaluation excluded); *wall s* adds loading and
preparing the data and the final evaluation. Timings depend on the machine: the targets are for two CPU cores,
so run it alone.

Usage::

    .venv/bin/python bench/cnn_accuracy.py             # full budgets, ~5 minutes on 2 cores
    .venv/bin/python bench/cnn_accuracy.py --quick     # short budgets (no verdicts), ~1.5 minutes
    .venv/bin/python bench/cnn_accuracy.py --runs 2 --datasets fashion-mnist
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's engine, not an installed one

import torch
import torch.nn.functional as F

from gendisc.engine.config import CnnConfig
from gendisc.engine.data import list_datasets, load_dataset
from gendisc.engine.data.augment import recommended_augmentation
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.evaluate.classify import evaluate_classifier
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.reports import FinishedReport, WeightsReport


@dataclass(frozen=True)
class Target:
    seconds: float          # training budget of the full run
    quick_seconds: float    # training budget with --quick
    metric: str             # the FinishedReport metric judged
    accuracy: float


TARGETS = {
    "mnist-sample": Target(60.0, 20.0, "val_acc", 0.99),
    "fashion-mnist": Target(120.0, 30.0, "test_acc", 0.935),
}
BASELINE_SECONDS, BASELINE_QUICK_SECONDS = 41.0, 10.0



@dataclass(frozen=True)
class Row:
    dataset: str
    model: str
    budget_s: float
    epochs: float
    train_s: float
    wall_s: float
    metric: str
    accuracy: float
    target: float | None
    n_train: int

    @property
    def images_per_s(self) -> float:
        """Mean training throughput, epoch-end validation included."""
        return self.epochs * self.n_train / self.train_s


def default_config(dataset: str, seconds: float, seed: int = 0) -> CnnConfig:
    """``CnnConfig()`` for ``dataset`` with a training-time budget (and ``seed``: weights and batch order, not the
    split); everything else stays the default."""
    cfg = CnnConfig(seed=seed)
    data = dataclasses.replace(cfg.data, dataset=dataset)
    data = recommended_augmentation(data)   # as the app and the CLI do
    return dataclasses.replace(cfg, data=data, budget=dataclasses.replace(cfg.budget, max_seconds=seconds))


def run_engine(dataset: str, seconds: float, metric: str, target: float | None, seed: int = 0) -> Row:
    """Train the default config for ``seconds`` and return its row."""
    t_wall = time.perf_counter()
    cfg = default_config(dataset, seconds, seed)
    data = prepare(load_dataset(dataset), cfg.data, "cpu")
    t_train = time.perf_counter()
    train_s = float("nan")
    finished = None
    for report in train_cnn(cfg, data):
        if isinstance(report, WeightsReport):   # the only one: after the last step, before the final metrics
            train_s = time.perf_counter() - t_train
        if isinstance(report, FinishedReport):
            finished = report
    assert finished is not None
    name = f"default {cfg.arch}" + ("" if cfg.data.augment else " (no aug.)") + (f", seed {seed}" if seed else "")
    epochs = finished.step * min(cfg.batch_size, len(data.train_x)) / len(data.train_x)
    return Row(dataset, name, seconds, epochs, train_s, time.perf_counter() - t_wall, metric,
               finished.metrics[metric], target, len(data.train_x))


def run_baseline(dataset: str, seconds: float, metric: str) -> Row:
    """The plain loop of the Keras example: classic CNN, Adam(1e-3), batch 128, no augmentation, for ``seconds``."""
    t_wall = time.perf_counter()
    data: TensorData = prepare(load_dataset(dataset), CnnConfig().data, "cpu")
    torch.manual_seed(0)
    model = build_cnn("classic", data.image_shape, data.n_classes)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch, n = 128, len(data.train_x)
    steps = 0
    t_train = time.perf_counter()
    while time.perf_counter() - t_train < seconds:
        order = torch.randperm(n)
        for i in range(0, n - batch + 1, batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(data.train_x[idx]), data.train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
            steps += 1
            if time.perf_counter() - t_train >= seconds:
                break
    train_s = time.perf_counter() - t_train
    x, y = (data.test_x, data.test_y) if metric == "test_acc" else (data.val_x, data.val_y)
    accuracy = evaluate_classifier(model, x, y, data.n_classes).accuracy
    return Row(dataset, "classic, plain loop", seconds, steps * batch / n, train_s, time.perf_counter() - t_wall,
               metric, accuracy, None, n)


def print_table(rows: list[Row], verdicts: bool) -> None:
    """One line per run; a judged line ends ``target ≥ X: PASS|FAIL`` (the form ``bench/run_all.py`` collects)."""
    print(f"{'dataset':<14} {'model':<24} {'budget':>6} {'epochs':>6} {'img/s':>6} {'train s':>7} {'wall s':>7} "
          f"{'metric':<8} {'accuracy':>8}")
    for r in rows:
        if r.target is None:
            judged = "baseline"
        elif verdicts:
            judged = f"target ≥ {r.target:.1%}: {'PASS' if r.accuracy >= r.target else 'FAIL'}"
        else:
            judged = f"(full-run target ≥ {r.target:.1%}; no verdict with --quick)"
        print(f"{r.dataset:<14} {r.model:<24} {r.budget_s:5.0f}s {r.epochs:6.2f} {r.images_per_s:6.0f} "
              f"{r.train_s:7.1f} {r.wall_s:7.1f} {r.metric:<8} {r.accuracy:8.2%}  {judged}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short budgets; prints accuracies but no verdicts")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs of each default config, with seeds 0, 1, ... (default: 1)")
    parser.add_argument("--datasets", default=",".join(TARGETS), help="comma-separated (default: all targets)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the classic plain-loop baseline")
    args = parser.parse_args()

    available = {info.key for info in list_datasets() if info.ready}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    rows: list[Row] = []
    for dataset in args.datasets.split(","):
        if dataset not in available:
            print(f"{dataset}: not installed here, skipped")
            continue
        t = TARGETS[dataset]
        seconds = t.quick_seconds if args.quick else t.seconds
        for seed in range(args.runs):
            rows.append(run_engine(dataset, seconds, t.metric, t.accuracy, seed))
            _progress(rows[-1])
        if dataset == "fashion-mnist" and not args.no_baseline:
            rows.append(run_baseline(dataset, BASELINE_QUICK_SECONDS if args.quick else BASELINE_SECONDS, t.metric))
            _progress(rows[-1])
    print()
    print_table(rows, not args.quick)


def _progress(r: Row) -> None:
    print(f"  {r.dataset}, {r.model}: {r.accuracy:.2%} {r.metric} after {r.epochs:.2f} epochs in {r.train_s:.1f} s",
          flush=True)

if __name__ == "__main__":
    main()
