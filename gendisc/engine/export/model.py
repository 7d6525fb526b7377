"""Exporting a trained run's models: ONNX (checked with onnxruntime when it is installed) and TorchScript.

The CNN (and a semi-supervised GAN's discriminator) takes images ``N×C×H×W`` in [-1, 1] (``x / 127.5 - 1`` of the
uint8 pixels) and returns class logits; the generator takes noise ``N×latent_dim`` and returns images in [-1, 1]; a
flow model's velocity network takes ``x_t`` (``N×C×H×W``), the time ``t`` (``N``, 0 = noise, 1 = image) and class
labels (int64 ``N``; the class count means "no class", for guidance) and returns the velocity ``N×C×H×W`` (a
sampler integrates it from t = 0 to 1).
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gendisc.engine.atomic import atomic_write_bytes
from gendisc.engine.config import CnnConfig, FlowConfig, SsganConfig
from gendisc.engine.errors import GenDiscError
from gendisc.engine.inference.flow_loading import load_flow
from gendisc.engine.inference.loading import load_classifier, load_gan
from gendisc.engine.runs.folder import RunFolder

FORMATS = ("onnx", "torchscript")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    model: str                        # "classifier" | "generator" | "velocity network"
    max_abs_diff: float | None        # onnxruntime vs PyTorch on a test batch; None if onnxruntime is missing


class _ImagesOnly(nn.Module):
    """Wraps a model so the exported graph has exactly one input and one output."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _Velocity(nn.Module):
    """A flow model's network with its three inputs spelled out (labels always given: the null class for none)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.net(x, t, labels if self.net.n_classes else None)


def _model_and_input(run_dir: str | os.PathLike[str]) -> tuple[nn.Module, tuple[torch.Tensor, ...], str,
                                                              tuple[tuple[str, ...], str]]:
    cfg = RunFolder(run_dir).config()
    g = torch.Generator().manual_seed(0)
    if isinstance(cfg, (CnnConfig, SsganConfig)):   # a semi-supervised GAN exports its classifying discriminator
        loaded = load_classifier(run_dir)
        x = torch.rand(4, *loaded.image_shape, generator=g) * 2 - 1
        return _ImagesOnly(loaded.model).eval(), (x,), "classifier", (("images",), "logits")
    if isinstance(cfg, FlowConfig):
        flow = load_flow(run_dir)
        x = torch.randn(4, *flow.image_shape, generator=g)
        t = torch.rand(4, generator=g)
        labels = torch.arange(4) % max(flow.sampler.n_classes, 1)
        return _Velocity(flow.sampler.net).eval(), (x, t, labels), "velocity network", (("x_t", "t", "labels"),
                                                                                         "velocity")
    gan = load_gan(run_dir)
    z = torch.randn(4, gan.generator.latent_dim, generator=g)
    return _ImagesOnly(gan.generator).eval(), (z,), "generator", (("noise",), "images")


def export_run(run_dir: str | os.PathLike[str], out: str | os.PathLike[str], fmt: str) -> ExportResult:
    """Export the run's CNN (the GAN's generator, the flow model's velocity network) to ``out`` as ``onnx`` or
    ``torchscript``."""
    if fmt not in FORMATS:
        raise GenDiscError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    model, examples, what, (input_names, output_name) = _model_and_input(run_dir)
    out = Path(out)
    buf = io.BytesIO()
    with torch.no_grad():
        if fmt == "torchscript":
            traced = torch.jit.trace(model, examples)
            torch.jit.save(traced, buf)
            atomic_write_bytes(out, buf.getvalue())
            return ExportResult(out, fmt, what, None)
        try:
            import onnx  # noqa: F401 - the exporter needs it; say so clearly if it is missing
        except ImportError:
            raise GenDiscError("ONNX export needs the 'onnx' package: pip install onnx") from None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)   # the TorchScript-based exporter: no onnxscript
            torch.onnx.export(model, examples, buf, dynamo=False, input_names=list(input_names),
                              output_names=[output_name],
                              dynamic_axes={**{name: {0: "batch"} for name in input_names}, output_name: {0: "batch"}})
    atomic_write_bytes(out, buf.getvalue())
    return ExportResult(out, fmt, what, check_onnx(out, model, examples))


def check_onnx(path: Path, model: nn.Module, examples: tuple[torch.Tensor, ...]) -> float | None:
    """Largest absolute difference between onnxruntime's and PyTorch's outputs; None without onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), examples, strict=True)}
    (got,) = session.run(None, feeds)
    with torch.no_grad():
        want = model(*examples).numpy()
    return float(np.max(np.abs(got - want)))
