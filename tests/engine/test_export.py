"""Exported models give the same outputs as the trained PyTorch models; the HTML report holds the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data import load_dataset
from gendisc.engine.data.tensors import prepare
from gendisc.engine.export.model import export_run
from gendisc.engine.export.report import write_report
from gendisc.engine.inference.loading import load_classifier, load_gan
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.gan_trainer import train_gan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("export")
    raw = load_dataset("mnist-sample")
    cnn = CnnConfig(data=DataConfig(val_fraction=0.9), budget=TrainBudget(epochs=1), batch_size=100, device="cpu")
    gan = GanConfig(data=DataConfig(augment=False, val_fraction=0.9), budget=TrainBudget(epochs=1), batch_size=250,
                    latent_dim=8, g_width=8, d_width=8, n_samples=4, device="cpu")
    list(train_cnn(cnn, prepare(raw, cnn.data), run_dir=root / "cnn"))
    list(train_gan(gan, prepare(raw, gan.data), run_dir=root / "gan"))
    return {"cnn": root / "cnn", "gan": root / "gan"}


def test_onnx_classifier_matches_pytorch(runs: dict[str, Path], tmp_path: Path) -> None:
    result = export_run(runs["cnn"], tmp_path / "cnn.onnx", "onnx")
    assert result.model == "classifier" and result.max_abs_diff is not None and result.max_abs_diff < 1e-4
    model = load_classifier(runs["cnn"]).model
    x = torch.rand(7, 1, 28, 28) * 2 - 1   # another batch size than the export's example: the batch is dynamic
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"images": x.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), atol=1e-4)


def test_onnx_and_torchscript_generator_match_pytorch(runs: dict[str, Path], tmp_path: Path) -> None:
    g = load_gan(runs["gan"]).generator
    z = torch.randn(5, g.latent_dim)
    with torch.no_grad():
        want = g(z).numpy()
    onnx_result = export_run(runs["gan"], tmp_path / "g.onnx", "onnx")
    assert onnx_result.model == "generator"
    session = ort.InferenceSession(str(onnx_result.path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"noise": z.numpy()})[0], want, atol=1e-4)
    ts = export_run(runs["gan"], tmp_path / "g.pt", "torchscript")
    with torch.no_grad():
        np.testing.assert_allclose(torch.jit.load(str(ts.path))(z).numpy(), want, atol=1e-5)


def test_html_report_holds_config_curves_metrics_and_samples(runs: dict[str, Path], tmp_path: Path) -> None:
    page = write_report(runs["gan"], tmp_path / "gan.html").read_text()
    assert "<svg" in page and "polyline" in page                 # curves
    assert "data:image/png;base64," in page                      # the last sample grid, embedded
    assert "latent_dim" in page and "loss_g" in page             # config and metrics
    cnn_page = write_report(runs["cnn"], tmp_path / "cnn.html").read_text()
    assert "val_acc" in cnn_page and "data:image/png" not in cnn_page


def test_cli_export(runs: dict[str, Path], tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "export", str(runs["cnn"]), "--format", "onnx",
                          "--out", str(tmp_path / "m.onnx")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "onnxruntime agrees with PyTorch" in out.stdout and (tmp_path / "m.onnx").stat().st_size > 1000
