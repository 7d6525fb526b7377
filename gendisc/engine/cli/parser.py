"""The command line's options: ``gendisc train|resume|evaluate|sample|export|datasets``, and the run config that the
options of ``train`` describe (the defaults of the chosen model, overridden by every option given)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from gendisc.engine.cli.datasets import add_dataset_commands
from gendisc.engine.config import (
    CNN_ARCHS,
    FLOW_SAMPLERS,
    GAN_LOSSES,
    GAN_PRESETS,
    OPTIMIZERS,
    SCHEDULES,
    CnnConfig,
    FlowConfig,
    GanConfig,
    RunConfig,
)
from gendisc.engine.errors import ConfigError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _budget_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("how long")
    g.add_argument("--epochs", type=int, help="passes over the training set")
    g.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    g.add_argument("--max-seconds", type=float, help="stop after this many seconds of training (pauses excluded)")


def _train_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", choices=("cnn", "gan", "flow"),
                   help="cnn: a classifier; gan: a DCGAN that draws images; flow: a flow-matching model that draws "
                        "images by integrating a learnt velocity from noise")
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
    g.add_argument("--labels-per-class", type=int,
                   help="few labels: train on this many labelled images of each class, drawn from the training split "
                        "(0 or absent: all); validation and test stay fully labelled")
    g.add_argument("--labels-seed", type=int, help="which labelled images --labels-per-class draws (default 0)")
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
                   help="class-conditional generator and discriminator (flow: network); samples are class-balanced "
                        "(default: on)")
    g.add_argument("--spectral-norm", action=argparse.BooleanOptionalAction, default=None,
                   help="spectral normalisation in the discriminator (default: on)")
    g.add_argument("--ema", type=float, help="decay of the moving average of G's (flow: the network's) weights that "
                                             "draws the samples; 0 = off (default 0.999)")
    g.add_argument("--g-width", type=int, help="channels of the generator's last hidden layer (default 32)")
    g.add_argument("--d-width", type=int, help="channels of the discriminator's first layer (default 32)")
    g.add_argument("--judge", help="a CNN that scores every epoch's samples (confident share, class entropy, "
                                   "Frechet classifier distance): off (default), auto (the default CNN, trained once "
                                   "per dataset and cached), or the folder of a CNN run")
    g.add_argument("--judge-samples", type=int, help="generated images the judge scores per epoch (default 256)")
    g = p.add_argument_group("flow only (also --conditional, --ema, --judge, --judge-samples)")
    g.add_argument("--width", type=int, help="channels of the velocity network's first level (default 16; "
                                            "then 2× and 4×)")
    g.add_argument("--class-dropout", type=float,
                   help="share of labels replaced by 'no class' while training, for guidance (default 0.1)")
    g.add_argument("--sampler", choices=FLOW_SAMPLERS,
                   help="ODE solver of the samples: euler (default) or heun (twice the network evaluations, a little "
                        "more accurate)")
    g.add_argument("--sampler-steps", type=int, help="solver steps per sample (default 16)")
    g.add_argument("--guidance", type=float,
                   help="classifier-free guidance scale: 1 = conditional, more = more typical (default 2)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gendisc", description="GenDisc Studio, headless: train, evaluate and sample models.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("train", help="train a CNN, a GAN or a flow model",
                       description="Train a CNN, a GAN or a flow-matching model.")
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
    p = sub.add_parser("datasets", help="list, download, remove or import datasets (default: list)",
                       description="Datasets without the app: list them, fetch a catalog dataset ahead of a headless "
                                   "run (a cluster's login node has network, its compute nodes may not), free the "
                                   "disk space again, or import a dataset of your own.")
    add_dataset_commands(p)
    return parser


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--autosave-minutes", type=float, default=5.0,
                   help="also save a checkpoint this often; 0 = only at epoch ends and at the end (default: 5)")
    p.add_argument("--json", action="store_true", help="print the final summary as one JSON object on the last line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Defaults of the chosen model, overridden by every option given on the command line."""
    if args.model == "flow":
        return _flow_config(args)
    base: RunConfig = CnnConfig() if args.model == "cnn" else GanConfig.preset(args.preset or "recommended")
    data = replace(base.data, dataset=args.dataset, **given(args, "val_fraction", "augment", "labels_per_class",
                                                                "labels_seed"))
    if args.augment is None and args.model == "cnn":
        from gendisc.engine.data.catalog import recommended_augment

        data = replace(data, augment=recommended_augment(args.dataset))
    budget = replace(base.budget, **given(args, "epochs", "max_steps", "max_seconds"))
    common = given(args, "schedule", "batch_size", "l1", "l2", "dropout", "label_smoothing", "seed", "device")
    opt = {k: v for k, v in (("name", args.optimizer), ("lr", args.lr), ("momentum", args.momentum)) if v is not None}
    if isinstance(base, CnnConfig):
        return replace(base, data=data, budget=budget, optimizer=replace(base.optimizer, **opt), **common,
                       **given(args, "arch", "early_stopping"))
    g_opt = replace(base.g_optimizer, **opt, **_renamed(args, "g_"))
    d_opt = replace(base.d_optimizer, **opt, **_renamed(args, "d_"))
    return replace(base, data=data, budget=budget, g_optimizer=g_opt, d_optimizer=d_opt, **common,
                   **given(args, "latent_dim", "loss", "conditional", "spectral_norm", "ema", "g_width", "d_width",
                            "judge", "judge_samples"))


def _flow_config(args: argparse.Namespace) -> FlowConfig:
    """The flow model's defaults, overridden by the options given; options it has no use for are refused."""
    unused = [f"--{n.replace('_', '-')}" for n in ("l1", "dropout", "label_smoothing", "arch", "early_stopping",
                                                   "latent_dim", "g_optimizer", "d_optimizer", "g_lr", "d_lr", "loss",
                                                   "preset", "spectral_norm", "g_width", "d_width")
              if getattr(args, n, None) is not None]
    if unused:
        raise ConfigError(f"the flow model has no {', '.join(unused)} option (see gendisc train --help)")
    base = FlowConfig()
    data = replace(base.data, dataset=args.dataset, **given(args, "val_fraction", "augment", "labels_per_class",
                                                                "labels_seed"))
    budget = replace(base.budget, **given(args, "epochs", "max_steps", "max_seconds"))
    opt = {k: v for k, v in (("name", args.optimizer), ("lr", args.lr), ("momentum", args.momentum)) if v is not None}
    return replace(base, data=data, budget=budget, optimizer=replace(base.optimizer, **opt),
                   **given(args, "schedule", "batch_size", "l2", "seed", "device", "conditional", "ema", "judge",
                           "judge_samples", "width", "class_dropout", "sampler", "sampler_steps", "guidance"))


def _renamed(args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    out = {}
    if getattr(args, prefix + "optimizer") is not None:
        out["name"] = getattr(args, prefix + "optimizer")
    if getattr(args, prefix + "lr") is not None:
        out["lr"] = getattr(args, prefix + "lr")
    return out
