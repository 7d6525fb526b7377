"""``gendisc evaluate``, ``gendisc sample`` and ``gendisc export``: what can be done with a trained run."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from gendisc.engine.errors import ConfigError


def cmd_evaluate(run_dir: Path, as_json: bool) -> int:
    from gendisc.engine.evaluate.run import evaluate_run

    result = evaluate_run(run_dir)
    print(json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


def cmd_sample(run_dir: Path, n: int, out: Path, seed: int) -> int:
    from gendisc.engine.atomic import atomic_write_bytes
    from gendisc.engine.config import MAX_SEED
    from gendisc.engine.inference.generators import load_generator
    from gendisc.engine.inference.predict import generate

    if not 1 <= n <= 100_000:
        raise ConfigError(f"--n must be between 1 and 100000 (got {n})")
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"--seed must be between 0 and {MAX_SEED} (got {seed})")
    if out.suffix != ".npz":
        raise ConfigError(f"--out must name an .npz file (got {out})")
    images = generate(load_generator(run_dir), n, seed)   # a GAN's generator or a flow model's sampler
    if images.shape[-1] == 1:
        images = images[..., 0]   # same layout as the dataset: N×H×W for gray images
    buf = io.BytesIO()
    np.savez_compressed(buf, images=images)
    atomic_write_bytes(out, buf.getvalue())
    print(f"wrote {n} images of shape {images.shape[1:]} to {out}")
    return 0


def cmd_export(run_dir: Path, fmt: str, out: Path) -> int:
    if fmt == "html":
        from gendisc.engine.export.report import write_report

        print(f"wrote the report of {run_dir} to {write_report(run_dir, out)}")
        return 0
    from gendisc.engine.export.model import export_run

    result = export_run(run_dir, out, fmt)
    check = "" if result.max_abs_diff is None else f"; onnxruntime agrees with PyTorch to {result.max_abs_diff:.1e}"
    print(f"wrote the {result.model} of {run_dir} as {fmt} to {result.path}{check}")
    return 0
