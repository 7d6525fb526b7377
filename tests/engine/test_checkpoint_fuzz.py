"""Fuzzing real checkpoints: hypothesis mutates the tensors and the metadata JSON of a tiny CNN run and a tiny GAN
run (shapes, dtypes, names, values, keys, nesting) and runs ``evaluate``, ``resume``, ``sample`` or ``export`` on
the result. Each must work or fail with the app's own error in one line: never a crash, a traceback, or more
than :data:`MAX_PEAK_MB` of memory (issue 17).

The commands run in one long-lived worker process (``tests/helpers/cli_worker.py``), so an example that crashed
the interpreter fails the test (and the worker is started again) instead of taking pytest down with it.
"""

from __future__ import annotations

import json
import math
import os
import select
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gendisc.engine.runs.layout import CHECKPOINT_FILE
from tests.helpers.checkpoints import DEEP, read, write
from tests.helpers.fuzz import MUTATION, mutate

ROOT = Path(__file__).resolve().parents[2]
MAX_PEAK_MB = 300
TIMEOUT_S = 120

DTYPES = [torch.float16, torch.bfloat16, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool,
          torch.float32]
SPECIAL = [math.nan, math.inf, -math.inf, -1.0, 0.0, 1e30, 2.0**63]
JSON_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
               | st.sampled_from([-1, 0, 1, 3, 10**6, 2**63, 10**30, -1000, "x", DEEP, [], {}, [1, 1200, 1200],
                                  [3, 1024, 1024], [3, 256, 256], [1, 28, 28]])
               | st.builds(list, st.just(range(10_000))))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=6)


class Worker:
    """The worker process; started again after a crash so that hypothesis can go on shrinking."""

    def __init__(self, log: Path) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.log = log   # the worker's own stderr: what a dying interpreter says

    def _start(self) -> subprocess.Popen[str]:
        with open(self.log, "a") as log:
            proc = subprocess.Popen([sys.executable, "-m", "tests.helpers.cli_worker"], cwd=ROOT, text=True,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        assert json.loads(self._line(proc))["ready"]
        return proc

    def _line(self, proc: subprocess.Popen[str]) -> str:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT_S)
        if not ready:
            proc.kill()
            raise AssertionError(f"no answer in {TIMEOUT_S} s")
        line = proc.stdout.readline()
        if not line:
            code = proc.wait()
            raise AssertionError(f"the worker died (exit {code}): {self.log.read_text()[-3000:]}")
        return line

    def run(self, argv: list[str]) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(argv) + "\n")
        self.proc.stdin.flush()
        try:
            return json.loads(self._line(self.proc))
        except AssertionError:
            self.proc = None
            raise

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    w = Worker(tmp_path_factory.mktemp("worker") / "stderr.txt")
    yield w
    w.close()


@pytest.fixture(scope="module")
def runs(worker: Worker, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    for kind, extra in (("cnn", ["--optimizer", "adam"]),
                        ("gan", ["--g-width", "8", "--d-width", "8", "--latent-dim", "8"])):
        result = worker.run(["train", kind, "--max-steps", "2", "--batch-size", "8", "--out", str(root / kind),
                             "--quiet", *extra])
        assert result["rc"] == 0, result
    return {"cnn": root / "cnn", "gan": root / "gan"}


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every place in a JSON document: the keys and indices that lead to it (long lists: their first items)."""
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node[:3]) if isinstance(node, list) else ()
    for key, child in items:
        yield from _paths(child, (*prefix, key))


def _mutate_meta(draw: st.DrawFn, meta: dict[str, Any]) -> str:
    path = draw(st.sampled_from([p for p in _paths(meta) if p]))
    parent = meta
    for key in path[:-1]:
        parent = parent[key]
    op = draw(st.sampled_from(["replace", "delete", "add"]))
    op = "replace" if op == "add" and not isinstance(parent, dict) else op
    if op == "delete":
        del parent[path[-1]]
    elif op == "add":
        parent[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return f"meta {op} {path}"


def _new_tensor(draw: st.DrawFn, like: torch.Tensor) -> torch.Tensor:
    how = draw(st.sampled_from(["shape", "dtype", "values", "scalar"]))
    if how == "shape":
        shape = draw(st.lists(st.integers(0, 40), max_size=4))
        return torch.zeros(shape, dtype=like.dtype)
    if how == "dtype":
        return like.to(draw(st.sampled_from(DTYPES)))
    if how == "scalar":
        return torch.tensor(draw(st.sampled_from(SPECIAL)), dtype=torch.float32)
    out = like.clone()
    if out.numel():
        value = draw(st.sampled_from(SPECIAL))
        if not out.is_floating_point():
            value = -1 if not math.isfinite(value) else value
        flat = out.view(-1) if out.is_contiguous() else out.reshape(-1)
        index = draw(st.integers(0, out.numel() - 1))
        flat[index] = value if out.dtype != torch.uint8 else int(abs(value)) % 256
        if draw(st.booleans()):
            flat[:] = flat[index]
        out = flat.view(like.shape)
    return out


def _mutate_tensors(draw: st.DrawFn, tensors: dict[str, torch.Tensor]) -> str:
    name = draw(st.sampled_from(sorted(tensors)))
    op = draw(st.sampled_from(["replace", "replace", "delete", "rename", "add"]))
    if op == "delete":
        del tensors[name]
    elif op == "rename":
        prefix, _, rest = name.partition(".")
        new = draw(st.sampled_from([f"{prefix}.x.{rest}", f"{prefix}.99.{rest}", name + ".x", f"{prefix}.{rest}x",
                                    f"{prefix}.-1.{rest}", "rng.cuda.x", "rng.cuda.0"]))
        tensors[new] = tensors.pop(name)
        name = f"{name} -> {new}"
    elif op == "add":
        tensors[f"{name.partition('.')[0]}.{draw(st.text('abcdef.0123', max_size=8))}"] = torch.zeros(3)
    else:
        tensors[name] = _new_tensor(draw, tensors[name])
    return f"tensor {op} {name}"


COMMANDS = {"cnn": ["evaluate", "resume", "export"], "gan": ["evaluate", "resume", "sample", "export"]}


# a fixed set of examples by default (the same test time every run); GENDISC_FUZZ_EXAMPLES=2000 explores afresh
EXPLORE = int(os.environ.get("GENDISC_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int) -> settings:
    return settings(max_examples=EXPLORE or examples, deadline=None, derandomize=not EXPLORE, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def check(result: dict[str, Any], why: str) -> None:
    """Worked, or refused in one line of the app's own error; no traceback, little memory."""
    why = f"{why}: {result}"
    assert result["exception"] is None, why
    assert result["rc"] in (0, 1), why
    if result["rc"] == 1:
        errors = [ln for ln in result["stderr"].splitlines() if "error" in ln.lower() or "Traceback" in ln]
        assert len(errors) == 1 and errors[0].startswith("gendisc: error: "), why
        assert result["stderr"].rstrip().endswith(errors[0]), why
    assert result["peak_mb"] < MAX_PEAK_MB, why


@fuzz(100)
@given(data=st.data())
def test_a_mutated_checkpoint_works_or_is_refused_in_one_line(worker: Worker, runs: dict[str, Path],
                                                              data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["cnn", "gan"]), label="kind")
    command = data.draw(st.sampled_from(COMMANDS[kind]), label="command")
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        shutil.copytree(runs[kind], run)
        tensors, meta = read(run)
        done: list[str] = []
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            if data.draw(st.booleans(), label="in the metadata"):
                done.append(_mutate_meta(data.draw, meta))
            else:
                done.append(_mutate_tensors(data.draw, tensors))
        write(run, tensors, meta)
        argv = {"evaluate": ["evaluate", str(run)],
                "resume": ["resume", str(run), "--max-steps", "3", "--quiet"],
                "sample": ["sample", str(run), "--n", "4", "--out", str(Path(tmp) / "x.npz")],
                "export": ["export", str(run), "--format", "torchscript", "--out", str(Path(tmp) / "m.pt")]}[command]
        result = worker.run(argv)
    check(result, f"{command} after {done}")


@fuzz(50)
@given(kind=st.sampled_from(["cnn", "gan"]), mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_a_checkpoint_with_mutated_header_bytes_works_or_is_refused(worker: Worker, runs: dict[str, Path], kind: str,
                                                                    mutations: list[tuple[str, int, int]]) -> None:
    """The safetensors header itself (its length, the tensors' dtypes, shapes and offsets, the metadata string)
    damaged byte by byte."""
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        shutil.copytree(runs[kind], run)
        blob = (run / CHECKPOINT_FILE).read_bytes()
        end = 8 + int.from_bytes(blob[:8], "little")
        (run / CHECKPOINT_FILE).write_bytes(mutate(blob[:end], mutations, header_words=2) + blob[end:])
        argv = ["evaluate", str(run)] if kind == "cnn" else ["sample", str(run), "--n", "4", "--out",
                                                               str(Path(tmp) / "x.npz")]
        check(worker.run(argv), f"{argv[0]} after {mutations}")
