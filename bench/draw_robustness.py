"""Freehand robustness: does the CNN still recognise a validation digit drawn small, large, off-centre, thick or thin?

Every validation digit is rendered onto a blank 280×280 canvas (the draw panel's preprocessing resolution) several
times, each time at a random size (its longer side 40–90% of the canvas), a random position (anywhere the digit
fits) and a random stroke thickness; each canvas then goes through the app's own pipeline
(:func:`engine.preprocess.canvas_to_mnist`, then the classifier) and the accuracy is printed next to the plain
validation accuracy of the same model on the same digits. Target: the canvas accuracy within 2 points of it.

Rendering without Qt: the digit is cropped to its ink, upscaled to the target size by bilinear interpolation, its
soft grey levels are turned into pen-like ink (full intensity with a one-or-two-pixel anti-aliased edge, like the
canvas's strokes; ``--ink soft`` keeps MNIST's grey ramps instead), and the strokes are thinned or thickened by a
grey-scale erosion or dilation (NumPy min/max filters over a square) of -0.5 to +1 MNIST pixels per side, i.e.
strokes from about a pixel thinner to two pixels thicker once the digit is scaled back into MNIST's 20×20 box.
``--slant DEG`` also leans each digit by a random angle within ±DEG (a horizontal shear about its centre, as a
writer whose hand slants does), for the figure on other people's handwriting styles.

The classifier is the app's default ``CnnConfig()`` (augmentation on, as in the app), trained on the CPU for its
default budget (20 epochs), or for ``--seconds``; ``--save DIR`` keeps the run and ``--run DIR`` reuses one.

    .venv/bin/python bench/draw_robustness.py                 # train (~2 min on 2 cores), then measure
    .venv/bin/python bench/draw_robustness.py --save /tmp/r1  # ... and keep the run folder
    .venv/bin/python bench/draw_robustness.py --run /tmp/r1   # measure a saved run only
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CANVAS = 280
SCALE_RANGE = (0.4, 0.9)           # longer side of the digit, as a fraction of the canvas side
THICKNESS_RANGE = (-0.5, 1.0)      # erosion (<0) or dilation (>0) radius, in MNIST pixels of the 20×20 box
MNIST_BOX = 20


def linear_weights(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` matrix of 1-D bilinear interpolation (pixel centres aligned, edges clamped)."""
    u = (np.arange(n_out, dtype=np.float64) + 0.5) * n_in / n_out - 0.5
    u = np.clip(u, 0.0, n_in - 1.0)
    lo = np.floor(u).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = u - lo
    w = np.zeros((n_out, n_in), dtype=np.float32)
    np.add.at(w, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(w, (np.arange(n_out), hi), frac)
    return w


def _filter(img: np.ndarray, radius: int, reduce: np.ufunc) -> np.ndarray:
    """Grey-scale dilation (``np.maximum``) or erosion (``np.minimum``) over a square of side ``2·radius+1``."""
    if radius <= 0:
        return img
    k = 2 * radius + 1
    out = img
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad)
        windows = np.lib.stride_tricks.sliding_window_view(padded, k, axis=axis)
        out = reduce.reduce(windows, axis=-1)
    return out


def lean(d: np.ndarray, degrees: float) -> np.ndarray:
    """``d`` (float H×W) sheared horizontally by ``degrees`` about its middle row (top to the right for > 0),
    widened so no ink is cut; each row is shifted by linear interpolation."""
    h, w = d.shape
    offsets = (h / 2 - 0.5 - np.arange(h)) * np.tan(np.radians(degrees))
    pad = int(np.ceil(np.abs(offsets).max())) + 1
    out = np.zeros((h, w + 2 * pad), dtype=np.float32)
    x = np.arange(w + 2 * pad, dtype=np.float32) - pad
    for r in range(h):
        out[r] = np.interp(x - offsets[r], np.arange(w), d[r], left=0.0, right=0.0)
    return out


def render(digit: np.ndarray, rng: np.random.Generator, ink: str = "pen",
           slant: float = 0.0) -> tuple[np.ndarray, float, float]:
    """Draw a 28×28 uint8 digit onto a blank canvas, leant by up to ``slant`` degrees either way; returns the uint8
    canvas, the scale and the thickness."""
    d = digit.astype(np.float32) / 255.0
    if slant > 0:
        d = lean(d, float(rng.uniform(-slant, slant)))
    rows, cols = np.flatnonzero(d.any(axis=1)), np.flatnonzero(d.any(axis=0))
    crop = d[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = float(rng.uniform(*SCALE_RANGE))
    thickness = float(rng.uniform(*THICKNESS_RANGE))
    side = scale * CANVAS
    factor = side / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * factor)), max(1, round(crop.shape[1] * factor))
    big = linear_weights(crop.shape[0], h) @ crop @ linear_weights(crop.shape[1], w).T
    if ink == "pen":   # hard-edged strokes: the canvas paints full-intensity ink with an anti-aliased rim
        big = np.clip((big - 0.3) / 0.3, 0.0, 1.0)
    radius = round(abs(thickness) * side / MNIST_BOX)
    big = np.pad(big, radius)   # room for the dilated strokes
    big = _filter(big, radius, np.maximum if thickness > 0 else np.minimum)
    big = big[:CANVAS, :CANVAS]
    top = int(rng.integers(0, CANVAS - big.shape[0] + 1))
    left = int(rng.integers(0, CANVAS - big.shape[1] + 1))
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
    return np.rint(canvas * 255).astype(np.uint8), scale, thickness


def train(dataset: str, seconds: float | None, save: str | None) -> tuple[Any, Any]:
    from gendisc.engine.config import CnnConfig
    from gendisc.engine.data import load_dataset
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.inference.loading import classifier_from_state
    from gendisc.engine.models.build import ModelSpec
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.reports import FinishedReport, WeightsReport

    cfg = CnnConfig()
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, dataset=dataset))
    if seconds is not None:
        cfg = dataclasses.replace(cfg, budget=dataclasses.replace(cfg.budget, epochs=1000, max_seconds=seconds))
    data = prepare(load_dataset(dataset), cfg.data)
    t0 = time.perf_counter()
    weights = finished = None
    for report in train_cnn(cfg, data, run_dir=save):
        if isinstance(report, WeightsReport):
            weights = report
        elif isinstance(report, FinishedReport):
            finished = report
    assert weights is not None and finished is not None
    print(f"trained default CnnConfig ({cfg.arch}, augment={cfg.data.augment}, shift={cfg.data.shift}, "
          f"rotate={cfg.data.rotate_deg}°, scale={cfg.data.scale}, slant={cfg.data.shear_deg}°, "
          f"bend={cfg.data.elastic}, stroke={cfg.data.stroke}) on {dataset}: {finished.epoch} epochs, "
          f"{finished.step} steps in {time.perf_counter() - t0:.1f} s ({finished.reason})")
    return classifier_from_state(ModelSpec(cfg, data.image_shape, data.class_names), weights.state), cfg.data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mnist-sample")
    parser.add_argument("--renders", type=int, default=4, help="canvases per validation digit (default 4)")
    parser.add_argument("--seconds", type=float, default=None, help="train for this long instead of its default epochs")
    parser.add_argument("--ink", choices=("pen", "soft"), default="pen")
    parser.add_argument("--slant", type=float, default=0.0, help="lean each digit by up to ±DEG (default 0)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="keep the trained run in this folder")
    parser.add_argument("--run", help="measure this saved CNN run instead of training one")
    args = parser.parse_args()

    from gendisc.engine.data import load_dataset
    from gendisc.engine.data.tensors import split_indices
    from gendisc.engine.evaluate.classify import confusion_matrix
    from gendisc.engine.inference.loading import load_classifier
    from gendisc.engine.inference.predict import classify
    from gendisc.engine.preprocess import canvas_to_mnist

    if args.run:
        loaded = load_classifier(args.run)
        model, data_cfg = loaded.model, loaded.cfg.data
        print(f"loaded {args.run} (step {loaded.step})")
    else:
        model, data_cfg = train(args.dataset, args.seconds, args.save)
    raw = load_dataset(data_cfg.dataset)
    _, val_idx = split_indices(len(raw.train_labels), data_cfg.val_fraction, data_cfg.split_seed)
    images, labels = raw.train_images[val_idx, :, :, 0], raw.train_labels[val_idx]

    plain = classify(model, images).argmax(1)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    canvases, scales, thicknesses, truth = [], [], [], []
    for _ in range(args.renders):
        for digit, label in zip(images, labels, strict=True):
            canvas, s, t = render(digit, rng, args.ink, args.slant)
            prepared = canvas_to_mnist(canvas)
            assert prepared is not None
            canvases.append(prepared)
            scales.append(s)
            thicknesses.append(t)
            truth.append(label)
    render_s = time.perf_counter() - t0
    pred = classify(model, np.stack(canvases)).argmax(1)
    truth_arr, scales_arr, thick_arr = np.array(truth), np.array(scales), np.array(thicknesses)
    ok = pred == truth_arr
    plain_acc, canvas_acc = float(np.mean(plain == labels)), float(ok.mean())
    gap = 100 * (plain_acc - canvas_acc)
    print(f"{len(labels)} validation digits, {len(truth)} canvases ({args.renders} per digit, ink={args.ink}, "
          f"slant ±{args.slant:g}°, "
          f"rendered and preprocessed in {render_s:.1f} s)")
    print(f"  plain validation accuracy   {100 * plain_acc:6.2f} %")
    print(f"  canvas accuracy             {100 * canvas_acc:6.2f} %   gap {gap:+.2f} points   "
          f"target ≤ 2 points: {'PASS' if gap <= 2 else 'FAIL'}")
    for name, values, edges in (("size (fraction of canvas)", scales_arr, np.linspace(*SCALE_RANGE, 6)),
                                ("stroke change (MNIST px)", thick_arr, np.linspace(*THICKNESS_RANGE, 7))):
        cells = []
        for lo, hi in itertools.pairwise(edges):
            sel = (values >= lo) & (values <= hi)
            cells.append(f"{lo:+.2f}..{hi:+.2f}: {100 * ok[sel].mean():5.1f}%")
        print(f"  by {name}: " + "  ".join(cells))
    cm = confusion_matrix(truth_arr, pred, raw.n_classes)
    np.fill_diagonal(cm, 0)
    worst = np.dstack(np.unravel_index(np.argsort(cm, axis=None)[::-1][:5], cm.shape))[0]
    print("  most frequent canvas mistakes (true→predicted: count): "
          + ", ".join(f"{raw.class_names[i]}→{raw.class_names[j]}: {cm[i, j]}" for i, j in worst if cm[i, j]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
