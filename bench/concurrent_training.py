"""Two models trained at once on the CPU, as the window trains them (two threads of one process), with and without
sharing the cores between them.

The window's default Start trains the CNN and the GAN together. Each training thread used to take PyTorch's whole
thread count; two OpenMP teams that size on as many cores wait on each other after every operation. With
:class:`~gendisc.gui.threads.torch_threads.CpuShare` each thread takes its share of the count, again at every report.
For each pairing (``--pairs``), both trainers run ``--seconds`` of training side by side, first each on the whole
count ("whole"), then sharing ("shared"), and the steps per second of each are printed; ``--alone`` also times
the first of each pair by itself.

Usage::

    .venv/bin/python bench/concurrent_training.py                     # cnn+gan, cnn+ssgan (10 labels), 20 s each
    .venv/bin/python bench/concurrent_training.py --pairs cnn+flow --seconds 30 --alone
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's engine, not an installed one

from gendisc.engine.config import CnnConfig, DataConfig, FlowConfig, GanConfig, RunConfig, SsganConfig, TrainBudget
from gendisc.engine.data import load_dataset
from gendisc.engine.data.tensors import prepare
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import FinishedReport
from gendisc.engine.train.setup import trainer_for
from gendisc.gui.threads.torch_threads import CpuShare, for_training

FEW = DataConfig(labels_per_class=10)


CONFIGS = {"cnn": CnnConfig, "gan": GanConfig, "flow": FlowConfig, "ssgan": SsganConfig}


def config(kind: str, few: bool, seconds: float) -> RunConfig:
    """The model's defaults, ``seconds`` of CPU training; on 10 labels per class when ``few`` (the semi-supervised
    GAN always)."""
    base: RunConfig = CONFIGS[kind]()
    if few and kind in ("cnn", "ssgan"):
        base = dataclasses.replace(base, data=FEW)
    return dataclasses.replace(base, budget=TrainBudget(epochs=100_000, max_seconds=seconds), device="cpu")


def train(kind: str, cfg: RunConfig, share: bool, out: dict[str, float]) -> None:
    """One training thread as the window's: the default count first, then (``share``) its share of the cores."""
    for_training()
    data = prepare(load_dataset("mnist-sample"), cfg.data, "cpu", unlabelled=kind == "ssgan")
    with CpuShare(on_cpu=share) as cores:
        for report in trainer_for(cfg)(cfg, data, Control(), autosave_s=None):
            cores.update()
            if isinstance(report, FinishedReport):
                out[kind] = report.step / report.elapsed_s


def side_by_side(kinds: list[str], cfgs: list[RunConfig], share: bool) -> dict[str, float]:
    """Steps per second of each model, trained at once in threads of this process."""
    out: dict[str, float] = {}
    threads = [threading.Thread(target=train, args=(k, c, share, out)) for k, c in zip(kinds, cfgs, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", default="cnn+gan,cnn+ssgan", help="comma-separated pairs of cnn, gan, flow, ssgan")
    parser.add_argument("--seconds", type=float, default=20.0, help="training seconds of each run (default 20)")
    parser.add_argument("--alone", action="store_true", help="also time the first model of each pair alone")
    args = parser.parse_args()
    for pair in [p.strip() for p in args.pairs.split(",") if p.strip()]:
        kinds = pair.split("+")
        few = "ssgan" in kinds   # a CNN beside the semi-supervised GAN learns from the same 10 labels per class
        cfgs = [config(kind, few, args.seconds) for kind in kinds]
        print(f"{pair} ({'10 labels per class' if few else 'all labels'}), {args.seconds:.0f} s side by side:")
        for label, share in (("whole", False), ("shared", True)):
            rates = side_by_side(kinds, cfgs, share)
            print(f"  {label:<7}" + "  ".join(f"{k}: {rates[k]:5.1f} steps/s" for k in kinds), flush=True)
        if args.alone:
            rate = side_by_side(kinds[:1], cfgs[:1], True)[kinds[0]]
            print(f"  alone   {kinds[0]}: {rate:5.1f} steps/s", flush=True)


if __name__ == "__main__":
    main()
