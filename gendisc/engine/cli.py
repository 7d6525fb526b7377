"""The headless commands: ``train``, ``resume``, ``evaluate``, ``sample``, ``export`` and ``datasets``.

Bad options, values and paths get one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from gendisc.engine.config import (
    CNN_ARCHS,
    GAN_LOSSES,
    GAN_PRESETS,
    OPTIMIZERS,
    SCHEDULES,
    CnnConfig,
    GanConfig,
    RunConfig,
    kind_of,
)
from gendisc.engine.errors import ConfigError, GenDiscError
from gendisc.engine.progress import ProgressPrinter
from gendisc.engine.train.reports import FinishedReport, Report


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _budget_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("how long")
    g.add_argument("--epochs", type=int, help="passes over the training set")
    g.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    g.add_argument("--max-seconds", type=float, help="stop after this many seconds of training (pauses excluded)")


def _train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", choices=("cnn", "gan"), help="cnn: a classifier; gan: a DCGAN that draws images")
    p.add_argument("--dataset", default="mnist-sample",
                   help="mnist-sample (bundled), fashion-mnist (if installed), or a path to an .npz file or a "
                        "folder of IDX files (default: %(default)s)")
    p.add_argument("--out", type=Path, help="run folder to write (default: runs/MODEL-DATASET-TIME)")
    _budget_options(p)
    g = p.add_argument_group("optimisation")
    g.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer (for a GAN: both networks)")
    g.add_argument("--lr", type=float, help="learning rate (for a GAN: both networks)")
    g.add_argument("--momentum", type=float, help="Adam's beta1, or the momentum of RMSprop and SGD")
    g.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule over the run")
    g.add_argument("--batch-size", type=int, help="images per optimizer step")
    g.add_argument("--l1", type=float, help="L1 penalty on the weights")
    g.add_argument("--l2", type=float, help="L2 penalty (weight decay)")
    g.add_argument("--dropout", type=float, help="dropout probability (GAN: in the discriminator)")
    g.add_argument("--label-smoothing", type=float, help="label smoothing (GAN: one-sided, on real images)")
    g.add_argument("--seed", type=int, help="random seed: the same seed gives the same run on CPU")
    g.add_argument("--device", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    g = p.add_argument_group("data")
    g.add_argument("--val-fraction", type=float, help="share of the training set held out for validation")
    g.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random shifts, rotations and zooms of each batch")
    g = p.add_argument_group("CNN only")
    g.add_argument("--arch", choices=CNN_ARCHS, help="bn: batch-norm network (default); classic: conv32-conv64")
    g.add_argument("--early-stopping", type=int, metavar="EPOCHS",
                   help="stop when validation loss has not improved for this many epochs (0: never)")
    g = p.add_argument_group("GAN only")
    g.add_argument("--latent-dim", type=int, help="size of the generator's noise vector")
    g.add_argument("--g-optimizer", choices=OPTIMIZERS, help="the generator's optimizer")
    g.add_argument("--d-optimizer", choices=OPTIMIZERS, help="the discriminator's optimizer")
    g.add_argument("--g-lr", type=float, help="the generator's learning rate")
    g.add_argument("--d-lr", type=float, help="the discriminator's learning rate")
    g.add_argument("--loss", choices=GAN_LOSSES, help="bce: non-saturating GAN loss; hinge: hinge loss")
    g.add_argument("--preset", choices=GAN_PRESETS,
                   help="model and optimiser settings at once (other options then override them): recommended (the "
                        "defaults: conditional, spectral norm, EMA), seed (the seed's original pairing: G Adam, "
                        "D RMSprop), dcgan (the plain DCGAN of 2016)")
    g.add_argument("--conditional", action=argparse.BooleanOptionalAction, default=None,
                   help="class-conditional generator and discriminator; samples are class-balanced (default: on)")
    g.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="spectral normalisation in the discriminator (default: on)")
    g.add_argument("--ema", type=float, help="decay of the moving average of G's weights that draws the samples; "
                                             "0 = off (default 0.999)")
    g.add_argument("--g-width", type=int, help="channels of the generator's last hidden layer (default 32)")
    g.add_argument("--d-width", type=int, help="channels of the discriminator's first layer (default 32)")
    g.add_argument("--judge", help="a CNN that scores every epoch's samples (confident share, class entropy, "
                                   "Frechet classifier distance): off (default), auto (the default CNN, trained once "
                                   "per dataset and cached), or the folder of a CNN run")
    g.add_argument("--judge-samples", type=int, help="generated images the judge scores per epoch (default 256)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gendisc", description="GenDisc Studio, headless: train, evaluate and sample models.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("train", help="train a CNN or a GAN", description="Train a CNN or a GAN.")
    _train_options(p)
    _output_options(p)
    p = sub.add_parser("resume", help="continue a stopped run exactly where it stopped")
    p.add_argument("run_dir", type=Path, help="the run folder to continue")
    _budget_options(p)
    _output_options(p)
    p = sub.add_parser("evaluate", help="measure a trained run on its validation and test data")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p = sub.add_parser("sample", help="write images generated by a trained GAN to an .npz file")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--n", type=int, default=64, help="how many images (default: %(default)s)")
    p.add_argument("--out", type=Path, required=True, help="the .npz file to write (key 'images')")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default: %(default)s)")
    p = sub.add_parser("export", help="export a run's model (ONNX, TorchScript) or an HTML report")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--format", choices=("onnx", "torchscript", "html"), required=True,
                   help="onnx / torchscript: the CNN, or the GAN's generator; html: a one-page report")
    p.add_argument("--out", type=Path, required=True, help="the file to write")
    sub.add_parser("datasets", help="list the datasets available on this machine")
    return parser


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--autosave-minutes", type=float, default=5.0,
                   help="also save a checkpoint this often; 0 = only at epoch ends and at the end (default: 5)")
    p.add_argument("--json", action="store_true", help="print the final summary as one JSON object on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Defaults of the chosen model, overridden by every option given on the command line."""
    base: RunConfig = CnnConfig() if args.model == "cnn" else GanConfig.preset(args.preset or "recommended")
    data = replace(base.data, dataset=args.dataset, **_given(args, "val_fraction", "augment"))
    if args.augment is None and args.model == "cnn":
        from gendisc.engine.data.catalog import recommended_augment

        data = replace(data, augment=recommended_augment(args.dataset))
    budget = replace(base.budget, **_given(args, "epochs", "max_steps", "max_seconds"))
    common = _given(args, "schedule", "batch_size", "l1", "l2", "dropout", "label_smoothing", "seed", "device")
    opt = {k: v for k, v in (("name", args.optimizer), ("lr", args.lr), ("momentum", args.momentum)) if v is not None}
    if isinstance(base, CnnConfig):
        return replace(base, data=data, budget=budget, optimizer=replace(base.optimizer, **opt), **common,
                       **_given(args, "arch", "early_stopping"))
    g_opt = replace(base.g_optimizer, **opt, **_renamed(args, "g_"))
    d_opt = replace(base.d_optimizer, **opt, **_renamed(args, "d_"))
    return replace(base, data=data, budget=budget, g_optimizer=g_opt, d_optimizer=d_opt, **common,
                   **_given(args, "latent_dim", "loss", "conditional", "spectral_norm", "ema", "g_width", "d_width",
                            "judge", "judge_samples"))


def _renamed(args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    out = {}
    if getattr(args, prefix + "optimizer") is not None:
        out["name"] = getattr(args, prefix + "optimizer")
    if getattr(args, prefix + "lr") is not None:
        out["lr"] = getattr(args, prefix + "lr")
    return out


def run_training(cfg: RunConfig, run_dir: Path, resume: bool, quiet: bool, as_json: bool,
                 autosave_minutes: float = 5.0) -> int:
    from gendisc.engine.data import ensure_downloaded, load_dataset
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.devices import describe_device, pick_device
    from gendisc.engine.distributed import barrier as torch_barrier
    from gendisc.engine.distributed import cleanup, from_environment
    from gendisc.engine.train.cnn_trainer import train_cnn
    from gendisc.engine.train.control import Control
    from gendisc.engine.train.gan_trainer import train_gan

    if not autosave_minutes >= 0:
        raise ConfigError(f"--autosave-minutes must be a number ≥ 0 (got {autosave_minutes})")
    autosave_s = autosave_minutes * 60 if autosave_minutes > 0 else None
    dist = from_environment(cfg.device)   # under torchrun: join the process group
    if dist is not None and not dist.is_main:   # rank 0 speaks for everyone
        quiet, as_json = True, False
    device = dist.device if dist else pick_device(cfg.device)
    log = sys.stderr if as_json else sys.stdout
    silent = dist is not None and not dist.is_main
    t0 = time.perf_counter()
    if dist is None or dist.is_main:
        ensure_downloaded(cfg.data.dataset, sys.stderr)   # a catalog dataset not here yet: fetch it, with progress
    if dist is not None:
        torch_barrier()   # the other ranks wait for the download
    data = prepare(load_dataset(cfg.data.dataset), cfg.data, device)
    if not silent:
        ranks = "" if dist is None else f" on {dist.world} processes (each trains on 1/{dist.world} of the images)"
        print(f"{kind_of(cfg).upper()} on {data.name}: {len(data.train_x):,} training / {len(data.val_x):,} "
              f"validation{'' if data.test_x is None else f' / {len(data.test_x):,} test'} images, "
              f"{describe_device(device)}{ranks}, run folder {run_dir}", file=log)
    control = Control()

    def on_interrupt(*_: object) -> None:
        control.stop()   # the trainer finishes its step and saves; a second Ctrl+C aborts for real
        signal.signal(signal.SIGINT, previous)
        print("\nstopping after this step and saving (Ctrl+C again to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    trainer = train_cnn if isinstance(cfg, CnnConfig) else train_gan
    extra = {"dist": dist} if dist is not None else {}
    reports: Iterator[Report] = trainer(cfg, data, control, run_dir, resume=resume, autosave_s=autosave_s, **extra)
    printer = ProgressPrinter(sys.stderr, enabled=not quiet)
    final: FinishedReport | None = None
    try:
        for report in reports:
            printer.show(report)
            if isinstance(report, FinishedReport):
                final = report
    finally:
        signal.signal(signal.SIGINT, previous)
        printer.close()
        if dist is not None:
            cleanup()
    assert final is not None
    if silent:
        return 0
    summary = {"kind": final.kind, "reason": final.reason, "epochs": final.epoch, "steps": final.step,
               "train_seconds": round(final.elapsed_s, 2), "wall_seconds": round(time.perf_counter() - t0, 2),
               "run_dir": final.run_dir, **{k: round(v, 5) for k, v in final.metrics.items()}}
    print(_summary_text(summary), file=log)
    if as_json:
        print(json.dumps(summary))
    return 0


def _summary_text(s: dict[str, Any]) -> str:
    parts = [f"{s['kind'].upper()} run {s['reason']} after {s['steps']} steps ({s['epochs']} epoch"
             f"{'' if s['epochs'] == 1 else 's'}, "
             f"{s['train_seconds']:.1f} s training)."]
    for key, label in (("val_acc", "validation accuracy"), ("test_acc", "test accuracy")):
        if key in s:
            parts.append(f"{label}: {100 * s[key]:.2f}%")
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "judge_confident", "judge_entropy", "judge_fcd"):
        if key in s:
            parts.append(f"{key} {s[key]:.3f}")
    parts.append(f"saved in {s['run_dir']}")
    return "  ".join(parts)


def cmd_evaluate(run_dir: Path, as_json: bool) -> int:
    from gendisc.engine.evaluate.run import evaluate_run

    result = evaluate_run(run_dir)
    print(json.dumps(result) if as_json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


def cmd_sample(run_dir: Path, n: int, out: Path, seed: int) -> int:
    from gendisc.engine.checkpoint import atomic_write_bytes
    from gendisc.engine.inference import generate, load_gan

    if not 1 <= n <= 100_000:
        raise ConfigError(f"--n must be between 1 and 100000 (got {n})")
    if out.suffix != ".npz":
        raise ConfigError(f"--out must name an .npz file (got {out})")
    images = generate(load_gan(run_dir).generator, n, seed)
    if images.shape[-1] == 1:
        images = images[..., 0]   # same layout as the dataset: N×H×W for gray images
    buf = io.BytesIO()
    np.savez_compressed(buf, images=images)
    atomic_write_bytes(out, buf.getvalue())
    print(f"wrote {n} images of shape {images.shape[1:]} to {out}")
    return 0


def cmd_export(run_dir: Path, fmt: str, out: Path) -> int:
    if fmt == "html":
        from gendisc.engine.report import write_report

        print(f"wrote the report of {run_dir} to {write_report(run_dir, out)}")
        return 0
    from gendisc.engine.export import export_run

    result = export_run(run_dir, out, fmt)
    check = "" if result.max_abs_diff is None else f"; onnxruntime agrees with PyTorch to {result.max_abs_diff:.1e}"
    print(f"wrote the {result.model} of {run_dir} as {fmt} to {result.path}{check}")
    return 0


def cmd_datasets() -> int:
    from gendisc.engine.data import list_datasets

    for info in list_datasets():
        c, h, w = info.image_shape
        print(f"{info.key:16} {info.source:10} {info.n_train:>7,} train {info.n_test:>7,} test  {h}×{w}×{c}  "
              f"{len(info.class_names)} classes  {info.title}")
    return 0


def _default_run_dir(cfg: RunConfig) -> Path:
    name = Path(cfg.data.dataset).stem if "/" in cfg.data.dataset else cfg.data.dataset
    return Path("runs") / f"{kind_of(cfg)}-{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            cfg = config_from_args(args)
            return run_training(cfg, args.out or _default_run_dir(cfg), False, args.quiet, args.json,
                                args.autosave_minutes)
        if args.command == "resume":
            from gendisc.engine.checkpoint import RunFolder

            cfg = RunFolder(args.run_dir).config()
            cfg = replace(cfg, budget=replace(cfg.budget, **_given(args, "epochs", "max_steps", "max_seconds")))
            return run_training(cfg, args.run_dir, True, args.quiet, args.json, args.autosave_minutes)
        if args.command == "evaluate":
            return cmd_evaluate(args.run_dir, args.json)
        if args.command == "sample":
            return cmd_sample(args.run_dir, args.n, args.out, args.seed)
        if args.command == "export":
            return cmd_export(args.run_dir, args.format, args.out)
        return cmd_datasets()
    except GenDiscError as exc:
        print(f"gendisc: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:   # a folder we cannot write, a full disk...
        print(f"gendisc: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
