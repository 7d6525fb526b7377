"""``gendisc train flow`` and what the other commands do with a flow run, in a subprocess as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.engine.test_cli import cli, last_json


@pytest.fixture(scope="module")
def judged_flow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("flow-cli")
    judge = root / "judge"
    proc = cli("train", "cnn", "--max-steps", "30", "--batch-size", "128", "--out", str(judge), "--quiet")
    assert proc.returncode == 0, proc.stderr
    run = root / "flow"
    proc = cli("train", "flow", "--max-steps", "8", "--batch-size", "32", "--width", "8", "--sampler-steps", "2",
               "--judge", str(judge), "--judge-samples", "20", "--out", str(run), "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return run, judge, last_json(proc.stdout)


def test_train_flow_writes_a_judged_run_and_a_json_summary(judged_flow: tuple[Path, Path, dict]) -> None:
    run, _judge, summary = judged_flow
    assert summary["kind"] == "flow" and summary["steps"] == 8 and np.isfinite(summary["loss"])
    assert 0 <= summary["judge_confident"] <= 1 and 0 <= summary["judge_entropy"] <= 1 and summary["judge_fcd"] >= 0
    (record,) = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert record["partial"] is True and "judge_fcd" in record
    assert (run / "samples" / "epoch-0001.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((run / "config.json").read_text())["kind"] == "flow"


def test_sample_evaluate_and_export_take_a_flow_run(judged_flow: tuple[Path, Path, dict], tmp_path: Path) -> None:
    run, judge, _summary = judged_flow
    out = tmp_path / "samples.npz"
    proc = cli("sample", str(run), "--n", "20", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as npz:
        images = npz["images"]
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8 and images.std() > 0
    proc = cli("evaluate", str(run), "--json")
    assert proc.returncode == 0, proc.stderr
    result = last_json(proc.stdout)
    assert result["kind"] == "flow" and result["judge"] == str(judge) and result["judge_samples"] == 1000
    assert 0 <= result["judge_confident"] <= 1 and result["judge_fcd"] >= 0
    proc = cli("export", str(run), "--format", "onnx", "--out", str(tmp_path / "flow.onnx"))
    assert proc.returncode == 0, proc.stderr
    assert "velocity network" in proc.stdout and (tmp_path / "flow.onnx").stat().st_size > 10_000
    if "onnxruntime agrees" in proc.stdout:   # onnxruntime is a test dependency: the graph computes the same
        assert float(proc.stdout.rsplit("to ", 1)[1]) < 1e-3


@pytest.mark.parametrize(("args", "needle"), [
    (["--dropout", "0.2"], "the flow model has no --dropout option"),
    (["--width", "12"], "flow network width must be a multiple of 8"),
    (["--guidance", "40"], "guidance scale must be between 0.0 and 20.0"),
])
def test_bad_flow_options_get_one_clear_line(args: list[str], needle: str) -> None:
    proc = cli("train", "flow", "--max-steps", "1", *args)
    assert proc.returncode == 1 and needle in proc.stderr and "Traceback" not in proc.stderr
