"""The CNN's training precision: what ``auto`` means where, and bfloat16 steps that really run in bfloat16 and
still learn, with fp32 weights and evaluations."""

from __future__ import annotations

import pytest
import torch

from gendisc.engine.config import CnnConfig, ConfigError, DataConfig, TrainBudget
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.tensors import prepare
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.precision import resolve_precision, training_autocast
from gendisc.engine.train.reports import FinishedReport, StepReport, WeightsReport
from tests.helpers.data import subset

pytestmark = pytest.mark.usefixtures("one_torch_thread")
CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def test_auto_is_bf16_only_on_a_cpu_that_computes_it_natively() -> None:
    assert resolve_precision("auto", CPU, native_bf16=lambda: True) == "bf16"
    assert resolve_precision("auto", CPU, native_bf16=lambda: False) == "fp32"   # emulated bf16 would be slower
    assert resolve_precision("auto", CUDA, native_bf16=lambda: True) == "fp32"
    assert resolve_precision("bf16", CPU, native_bf16=lambda: False) == "bf16"   # asked for: as asked
    assert resolve_precision("fp32", CPU, native_bf16=lambda: True) == "fp32"
    with pytest.raises(ConfigError, match="precision"):
        CnnConfig(precision="fp16")


def test_a_bf16_step_computes_in_bf16() -> None:
    conv = torch.nn.Conv2d(1, 4, 3)
    x = torch.randn(2, 1, 8, 8)
    with training_autocast("bf16", CPU)():
        assert conv(x).dtype == torch.bfloat16
    with training_autocast("fp32", CPU)():
        assert conv(x).dtype == torch.float32


def run(precision: str) -> tuple[list[float], dict[str, float], dict]:
    data = subset(prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.1), "cpu"), 512, 200)
    cfg = CnnConfig(device="cpu", batch_size=64, precision=precision, budget=TrainBudget(epochs=3), log_every=4,
                    data=DataConfig(augment=False))
    losses, metrics, state = [], {}, {}
    for r in train_cnn(cfg, data):
        if isinstance(r, StepReport):
            losses.append(r.losses["train_loss"])
        elif isinstance(r, WeightsReport):
            state = r.state
        elif isinstance(r, FinishedReport):
            metrics = r.metrics
    return losses, metrics, state


def test_bf16_training_learns_with_fp32_weights() -> None:
    bf_losses, bf_metrics, bf_state = run("bf16")
    fp_losses, fp_metrics, _ = run("fp32")
    assert bf_losses != fp_losses   # the steps really ran in another precision
    assert bf_losses[-1] < 0.5 * bf_losses[0]
    assert bf_metrics["val_acc"] > 0.8 and abs(bf_metrics["val_acc"] - fp_metrics["val_acc"]) < 0.08
    assert all(v.dtype.kind == "f" and v.dtype.itemsize == 4 for k, v in bf_state.items() if "weight" in k)
