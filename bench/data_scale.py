"""Memory and training speed of datasets of growing size, held as uint8 and normalised batch by batch.

Cases (each measured in a fresh subprocess, so one case's peak is not another's):

* ``mnist``  — the bundled ``mnist-sample``;
* ``cifar``  — a generated 50,000×32×32×3 set (the size of CIFAR-10), trained both ways: uint8 (now) and the
  float path of before (every image normalised once into a float32 tensor), alternately, for the throughput check;
* ``folder`` — a generated folder of 64×64 colour PNGs (200,000 by default; ``--folder-images`` makes it smaller),
  written once to ``--work`` and imported through the memory-mapped cache, with the memory budget set below its
  size so it trains from the map.

Peak memory is ``VmHWM`` (peak resident set, file-backed pages of a memory map included) less the process's
resident set after the imports; "models" is that growth for the same training on 256 images and the same 1,000
validation images (the network, its optimizer state, activations and allocator caches). Targets, printed PASS/FAIL:

* peak growth ≤ 1.3 × (uint8 images + models);
* CIFAR-size training images/s (uint8) within 5% of the float path.

Run: ``.venv/bin/python bench/data_scale.py [--folder-images 20000] [--steps 60]``.

Measured with ``--folder-images 20000 --steps 60 --repeats 3`` (2 CPU cores shared with another training job,
torch 2.13 CPU, classic CNN, batch 128; "models" is large because a validation batch of 1,000 images takes more
activation memory than anything else, 3 GB at 64×64)::

    mnist-sample           uint8   3.9 MB  models  502 MB  peak growth  497 MB  limit  658 MB  resident  PASS
    50,000×32×32×3 uint8   uint8 153.6 MB  models  828 MB  peak growth  970 MB  limit 1277 MB  resident  PASS
    50,000×32×32×3 float   (the path of before)            peak growth 1681 MB                         FAIL
    CIFAR-size throughput  uint8 1071 img/s vs float 1075 img/s (-0.4%); within 5%: PASS
    20,000×64×64×3 folder  uint8 245.8 MB  models 3028 MB  peak growth 3262 MB  limit 4256 MB  mapped  PASS
    (20,000 PNGs decoded into the cache in 14 s; opening it again: 0.4 s)

The full run on 2 December 2026 (``.venv/bin/python bench/data_scale.py``, a quiet machine for the CIFAR rows)::

    200,000×64×64×3 folder uint8 2457.6 MB models 2828 MB  peak growth 5263 MB  limit 6872 MB  mapped  PASS
    (200,000 PNGs written in 119 s, decoded into the cache in 65 s)
    CIFAR-size throughput  uint8 1864 img/s vs float 1922 img/s (-3.0%); within 5%: PASS

Slicing alone (128 random 32×32×3 images): 0.80 ms as uint8 (gather, reorder, normalise) vs 0.53 ms as float32 —
under 1% of a training step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # this checkout's engine, not an installed one

from bench._procmem import status_kib  # noqa: E402

MODEL_IMAGES, VAL_IMAGES = 256, 1000   # the models' run trains on 256 images; every run validates on 1,000


def rss_kib(field: str) -> int:
    kib = status_kib(field)
    if kib is None:
        raise RuntimeError(f"no {field} in /proc/self/status: this benchmark needs Linux")
    return kib


def write_folder(folder: Path, n: int, side: int = 64) -> None:
    """``n`` random-ish colour PNGs in 10 class folders (skipped when already written)."""
    import numpy as np
    from PIL import Image

    done = folder / ".complete"
    if done.exists():
        return
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (64, side, side, 3), dtype=np.uint8)
    for i in range(n):
        c = folder / f"class{i % 10}"
        c.mkdir(parents=True, exist_ok=True)
        img = np.roll(base[i % 64], i // 64, axis=1)   # differ from each other without a random draw each
        Image.fromarray(img).save(c / f"{i:06d}.png", compress_level=1)
    done.write_text("ok")


def child(args: argparse.Namespace) -> dict[str, float]:
    """One measurement, in this (fresh) process: build the data, train, report figures as JSON."""
    import numpy as np
    import torch

    from gendisc.engine.config import CnnConfig, DataConfig, TrainBudget
    from gendisc.engine.data.catalog import load_dataset
    from gendisc.engine.data.dataset import RawDataset
    from gendisc.engine.data.image_cache import load_image_folder
    from gendisc.engine.data.tensors import TensorData, normalize, prepare, split_indices
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.reports import StepReport

    base = rss_kib("VmRSS")
    t0 = time.perf_counter()
    if args.case == "mnist":
        raw = load_dataset("mnist-sample")
    elif args.case == "cifar":
        n = args.n or 50_000
        rng, images = np.random.default_rng(0), np.empty((n, 32, 32, 3), np.uint8)
        for i in range(0, n, 5000):   # in chunks: drawing all at once takes int64 temporaries of 8× the size
            images[i:i + 5000] = rng.integers(0, 256, (min(5000, n - i), 32, 32, 3), dtype=np.uint8)
        raw = RawDataset("cifar-like", images, np.arange(n) % 10, tuple(str(i) for i in range(10)))
    else:
        folder = Path(args.work) / f"folder-{args.folder_images}"
        os.environ["GENDISC_DATA_DIR"] = str(Path(args.work) / "data")
        raw = load_image_folder(folder)[1].dataset if not args.n else None
        if raw is None:   # the models' run: as many images of the same shape, in memory
            raw = RawDataset("tiny", np.zeros((args.n, 64, 64, 3), np.uint8), np.arange(args.n) % 10,
                             tuple(str(i) for i in range(10)))
    if args.n and len(raw.train_labels) > args.n:
        raw = RawDataset(raw.name, raw.train_images[:args.n], raw.train_labels[:args.n], raw.class_names)
    load_s = time.perf_counter() - t0
    # the same validation set in every run (the models' run too): its batches of 1,000 take more activation
    # memory than the training batches
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=128, log_every=10,
                    budget=TrainBudget(epochs=10_000, max_steps=args.warmup + args.steps),
                    data=DataConfig(val_fraction=VAL_IMAGES / len(raw.train_labels), augment=False))
    if args.float:
        split, val = split_indices(len(raw.train_labels), cfg.data.val_fraction, cfg.data.split_seed)
        data = TensorData(raw.name, normalize(raw.train_images[split]), torch.tensor(raw.train_labels[split]),
                          normalize(raw.train_images[val]), torch.tensor(raw.train_labels[val]), None, None,
                          raw.class_names)
    else:
        data = prepare(raw, cfg.data, "cpu")
    reports = [r for r in train_cnn(cfg, data) if isinstance(r, StepReport)]
    speeds = [r.images_per_s for r in reports if r.step > args.warmup]
    return {"base_kib": base, "hwm_kib": rss_kib("VmHWM"), "images_per_s": statistics.median(speeds),
            "data_bytes": int(raw.train_images.nbytes), "load_s": load_s,
            "mapped": bool(getattr(data.train_x, "mapped", False))}


def measure(args: argparse.Namespace, case: str, *extra: str, env: dict[str, str] | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", case, "--work", args.work, "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--folder-images", str(args.folder_images), *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def memory_row(name: str, got: dict, models: dict) -> None:
    growth = (got["hwm_kib"] - got["base_kib"]) * 1024
    model = (models["hwm_kib"] - models["base_kib"]) * 1024
    limit = 1.3 * (got["data_bytes"] + model)
    print(f"{name:<28} uint8 {got['data_bytes'] / 1e6:8.1f} MB  models {model / 1e6:7.1f} MB  peak growth "
          f"{growth / 1e6:8.1f} MB  limit {limit / 1e6:8.1f} MB  {'mapped' if got['mapped'] else 'resident'}  "
          f"{got['images_per_s']:7.0f} img/s  load {got['load_s']:6.1f} s  {verdict(growth <= limit)}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", choices=("mnist", "cifar", "folder"), help=argparse.SUPPRESS)
    p.add_argument("--case", dest="case_", default=None, help=argparse.SUPPRESS)
    p.add_argument("--float", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "gendisc-data-scale"))
    p.add_argument("--folder-images", type=int, default=200_000)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--repeats", type=int, default=2, help="runs of each path for the CIFAR-size speed check")
    args = p.parse_args()
    if args.child:
        args.case = args.child
        print(json.dumps(child(args)))
        return
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; work folder {args.work}", flush=True)
    Path(args.work).mkdir(parents=True, exist_ok=True)
    memory_row("mnist-sample", measure(args, "mnist"), measure(args, "mnist", "--n", str(MODEL_IMAGES + VAL_IMAGES)))
    cifar_models = measure(args, "cifar", "--n", str(MODEL_IMAGES + VAL_IMAGES))
    uint8, floats = [], []
    for _ in range(args.repeats):   # alternately: a busy machine slows both alike
        uint8.append(measure(args, "cifar"))
        floats.append(measure(args, "cifar", "--float"))
    memory_row("50,000×32×32×3 uint8", uint8[0], cifar_models)
    memory_row("50,000×32×32×3 float path", floats[0], cifar_models)
    u = statistics.median(r["images_per_s"] for r in uint8)
    f = statistics.median(r["images_per_s"] for r in floats)
    print(f"{'CIFAR-size throughput':<28} uint8 {u:.0f} img/s vs float {f:.0f} img/s ({u / f - 1:+.1%}); "
          f"within 5%: {verdict(u >= 0.95 * f)}", flush=True)
    t0 = time.perf_counter()
    write_folder(Path(args.work) / f"folder-{args.folder_images}", args.folder_images)
    print(f"{args.folder_images:,} PNGs written (or found) in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    measure(args, "folder", "--steps", "1", "--warmup", "0")   # builds the cache (timed apart from training)
    print(f"cache built (or found) in {time.perf_counter() - t0:.0f} s", flush=True)
    budget = {"GENDISC_MEMORY_BUDGET": str(args.folder_images * 64 * 64 * 3 // 2)}   # below its size: mapped
    memory_row(f"{args.folder_images:,}×64×64×3 folder", measure(args, "folder", env=budget),
               measure(args, "folder", "--n", str(MODEL_IMAGES + VAL_IMAGES)))


if __name__ == "__main__":
    main()
