"""Draw-to-probabilities latency: from a changed canvas to updated bars, on the CPU.

A CNN is trained briefly on the bundled sample, the draw panel gets its weights, then strokes are added one
point at a time and each update (render the canvas, MNIST-style preprocessing, classify, update the bars) is
timed.

    python bench/draw_latency.py [--updates 300]

Target: ≤ 15 ms per update.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()

    from gendisc.engine.config import CnnConfig, TrainBudget
    from gendisc.engine.data import load_dataset
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.models.build import ModelSpec
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.reports import WeightsReport
    from gendisc.gui.panels.draw_panel import DrawPanel
    from gendisc.gui.session.session import Session
    from gendisc.gui.shell.app import create_app
    from gendisc.gui.widgets.draw_canvas import Stroke

    cfg = CnnConfig(budget=TrainBudget(epochs=1, max_steps=40))
    raw = load_dataset("mnist-sample")
    weights = [r for r in train_cnn(cfg, prepare(raw, cfg.data)) if isinstance(r, WeightsReport)][-1]
    app = create_app([])
    session = Session()
    panel = DrawPanel(session.live, session.drawing, session.training)
    panel.resize(700, 420)
    panel.show()
    session.live.expect(ModelSpec(cfg, raw.image_shape, raw.class_names))   # as a CNN job starting does
    session.live.update(weights)
    canvas = panel.canvas
    rng = np.random.default_rng(0)
    times = []
    points: list[tuple[float, float]] = []
    for i in range(args.updates + 10):
        if i % 30 == 0:
            canvas.clear()
            points = []
        points.append((float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.2, 0.8))))
        canvas._strokes[-1:] = [Stroke(tuple(points), canvas.pen_width())] if len(points) > 1 else []
        canvas._image = canvas._render(canvas._pixel_side())
        t0 = time.perf_counter()
        probs = panel.classify_now()
        app.processEvents()
        if i >= 10 and probs is not None:
            times.append((time.perf_counter() - t0) * 1000)
    t = np.array(times)
    print(f"draw → probabilities ({len(t)} updates, canvas {canvas.width()}×{canvas.height()}): "
          f"median {np.median(t):.2f} ms, p95 {np.percentile(t, 95):.2f} ms, max {t.max():.2f} ms   "
          f"target ≤ 15 ms: {'PASS' if np.percentile(t, 95) <= 15 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
