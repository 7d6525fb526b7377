"""Run folders and checkpoints: atomic writes, config and metrics files, refusing pickles and foreign files."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save

from gendisc.engine import atomic
from gendisc.engine.atomic import atomic_write_bytes
from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, OptimizerConfig, TrainBudget
from gendisc.engine.errors import CheckpointError
from gendisc.engine.runs import checkpoint_format as checkpoint
from gendisc.engine.runs.checkpoint_format import FORMAT, VERSION
from gendisc.engine.runs.folder import CONFIG_VERSION, RunFolder, open_for_training


class WritesFile:
    """A pickle payload: unpickling it runs code that creates ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.path)!r}, 'w').close()",)


def cnn_cfg(**kw: object) -> CnnConfig:
    return CnnConfig(data=DataConfig(val_fraction=0.2, augment=False), budget=TrainBudget(epochs=3, max_steps=50),
                     optimizer=OptimizerConfig("sgd", 0.05, 0.8), batch_size=32, seed=7, **kw)  # type: ignore[arg-type]


TENSORS = {"model.w": torch.arange(12, dtype=torch.float32).reshape(3, 4), "rng.torch": torch.arange(5).byte()}
META = {"kind": "cnn", "loop": {"step": 12, "elapsed_s": 1.5, "best_val_loss": None, "bad_epochs": 0}}


# -- atomic writes ----------------------------------------------------------------------------------------------
def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.bin"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


@pytest.mark.parametrize(("where", "error"), [("replace", OSError), ("fsync", OSError),
                                              ("fsync", KeyboardInterrupt)])
def test_atomic_write_failure_keeps_old_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str,
                                                error: type[BaseException]) -> None:
    target = tmp_path / "config.json"
    target.write_bytes(b"old and complete")
    calls: list[str] = []

    def fail(*args: object) -> None:
        calls.append(where)
        raise error("simulated crash")

    monkeypatch.setattr(atomic.os, where, fail)
    with pytest.raises(error):
        atomic_write_bytes(target, b"new but never finished")
    monkeypatch.undo()
    assert calls == [where]
    assert target.read_bytes() == b"old and complete"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]   # the temporary file is gone


def test_atomic_write_failure_when_writing_data(tmp_path: Path) -> None:
    target = tmp_path / "checkpoint.safetensors"
    target.write_bytes(b"old")

    class Unwritable:   # fails in the middle of fh.write(), after the temporary file exists
        def __buffer__(self, flags: int) -> memoryview:
            raise OSError("disk full")

    with pytest.raises((OSError, TypeError)):
        atomic_write_bytes(target, Unwritable())  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.safetensors"]


# -- config and metrics -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg", [cnn_cfg(arch="classic", dropout=0.1), GanConfig(latent_dim=32, loss="hinge")],
                         ids=["cnn", "gan"])
def test_run_folder_config_round_trip(tmp_path: Path, cfg: CnnConfig | GanConfig) -> None:
    run = RunFolder.create(tmp_path / "run", cfg)
    again = RunFolder(tmp_path / "run").config()
    assert again == cfg
    assert type(again) is type(cfg)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["kind"] == ("cnn" if "Cnn" in
                                                                                   type(cfg).__name__ else "gan")
    assert not run.has_checkpoint()


def test_config_missing_or_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not a run folder"):
        RunFolder(tmp_path).config()
    (tmp_path / "config.json").write_text('{"kind": "cnn", "config": {"batch_size": 0}}')
    with pytest.raises(CheckpointError, match="batch size"):
        RunFolder(tmp_path).config()
    (tmp_path / "config.json").write_bytes(b"\xff\xfe not text")
    with pytest.raises(CheckpointError, match=r"config\.json"):
        RunFolder(tmp_path).config()


def test_create_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("not a folder")
    with pytest.raises(CheckpointError, match="not a folder"):
        RunFolder.create(tmp_path / "run", cnn_cfg())


def test_metrics_append_and_read_skip_a_truncated_last_line(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    assert run.read_metrics() == []
    records = [{"epoch": e, "step": 10 * e, "val_loss": 1.0 / e} for e in (1, 2, 3)]
    for r in records:
        run.append_metrics(r)
    assert run.read_metrics() == records
    with open(tmp_path / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"epoch": 4, "step": 40, "val_lo')   # a crash in the middle of a line
    assert run.read_metrics() == records
    run.append_metrics({"epoch": 5, "step": 50, "val_loss": float("nan")})
    after = run.read_metrics()
    assert after[:3] == records   # the torn line is skipped, the lines around it survive
    assert after[3]["step"] == 50 and np.isnan(after[3]["val_loss"])


def test_truncate_metrics(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    for step in (10, 20, 30, 40):
        run.append_metrics({"epoch": step // 10, "step": step})
    run.truncate_metrics(25)
    assert [r["step"] for r in run.read_metrics()] == [10, 20]
    run.append_metrics({"epoch": 3, "step": 30})
    assert [r["step"] for r in run.read_metrics()] == [10, 20, 30]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "metrics.jsonl"]


def test_a_partial_epoch_record_is_an_epoch_record_that_a_resume_drops(tmp_path: Path) -> None:
    from gendisc.engine.runs.metrics import epoch_fraction, epoch_record, epochs_done, is_partial, metric_values

    run = RunFolder.create(tmp_path, cnn_cfg())
    tail = run.metrics_tail()
    whole = epoch_record(1, 10, 1.5, {"val_acc": 0.9})
    partial = epoch_record(2, 13, 2.0, {"val_acc": 0.92}, epoch_fraction=0.3)
    assert whole == {"epoch": 1, "step": 10, "elapsed_s": 1.5, "val_acc": 0.9}   # as whole epochs always were
    assert partial == {"epoch": 2, "step": 13, "elapsed_s": 2.0, "partial": True, "epoch_fraction": 0.3,
                       "val_acc": 0.92}
    run.append_metrics(whole)
    run.append_metrics(partial)
    records = tail.read_new()
    assert records == [whole, partial]
    assert [is_partial(r) for r in records] == [False, True] and [epoch_fraction(r) for r in records] == [1.0, 0.3]
    assert metric_values(records[1]) == {"val_acc": 0.92}   # bookkeeping, not a metric to plot
    assert epochs_done(records) == pytest.approx(1.3) and epochs_done(records[:1]) == 1.0 and epochs_done([]) == 0
    run.truncate_metrics(13)   # resuming from the checkpoint saved right after the partial record
    assert run.read_metrics() == [whole]
    assert tail.read_new() == [whole] and tail.restarted   # a follower reads the shorter file again


def test_save_samples_writes_png(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    path = run.save_samples(3, np.zeros((10, 12), np.uint8))
    assert path == tmp_path / "samples" / "epoch-0003.png"
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(data[16:20], "big") == 12 and int.from_bytes(data[20:24], "big") == 10


# -- checkpoints ----------------------------------------------------------------------------------------------------
def test_checkpoint_round_trip(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    run.save_checkpoint(TENSORS, META)
    assert run.has_checkpoint()
    tensors, meta = RunFolder(tmp_path).load_checkpoint()
    assert meta == META
    assert tensors.keys() == TENSORS.keys()
    for name, value in TENSORS.items():
        assert torch.equal(tensors[name], value) and tensors[name].dtype == value.dtype
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.safetensors", "config.json"]


def test_load_checkpoint_refuses_a_pickle_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    run = RunFolder.create(tmp_path / "run", cnn_cfg())
    torch.save({"model.w": torch.zeros(3), "payload": WritesFile(marker)}, run.checkpoint_file)
    with pytest.raises(CheckpointError, match="not a GenDisc Studio checkpoint"):
        run.load_checkpoint()
    assert not marker.exists()
    # and the plain-pickle flavour of the same trick
    run.checkpoint_file.write_bytes(pickle.dumps({"payload": WritesFile(marker)}))
    with pytest.raises(CheckpointError):
        run.load_checkpoint()
    assert not marker.exists()
    # the payload is live: unpickling it the unsafe way does run it
    pickle.loads(run.checkpoint_file.read_bytes())
    assert marker.exists()


@pytest.mark.parametrize(("header", "words"), [
    ({"format": "someone-else", "version": str(VERSION), "meta": "{}"}, "not a GenDisc Studio checkpoint"),
    ({"version": str(VERSION), "meta": "{}"}, "not a GenDisc Studio checkpoint"),
    ({"format": FORMAT, "version": str(VERSION + 1), "meta": "{}"}, f"version {VERSION + 1}"),
    ({"format": FORMAT, "version": str(VERSION), "meta": "{not json"}, "metadata is missing or corrupt"),
    ({"format": FORMAT, "version": str(VERSION)}, "metadata is missing or corrupt"),
])
def test_load_checkpoint_refuses_foreign_headers(tmp_path: Path, header: dict[str, str], words: str) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    run.checkpoint_file.write_bytes(st_save(TENSORS, metadata=header))
    for read in (run.load_checkpoint, run.read_meta):
        with pytest.raises(CheckpointError, match=words):
            read()


@pytest.mark.parametrize("damage", ["truncate", "empty", "header-length", "garbage"])
def test_load_checkpoint_refuses_damaged_files(tmp_path: Path, damage: str) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    run.save_checkpoint(TENSORS, META)
    blob = run.checkpoint_file.read_bytes()
    damaged = {"truncate": blob[: len(blob) // 2], "empty": b"",
               "header-length": (10**12).to_bytes(8, "little") + blob[8:],
               "garbage": os.urandom(64)}[damage]
    run.checkpoint_file.write_bytes(damaged)
    with pytest.raises(CheckpointError, match="checkpoint"):
        run.load_checkpoint()


def test_load_checkpoint_when_there_is_none(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    for read in (run.load_checkpoint, run.read_meta):
        with pytest.raises(CheckpointError, match="no checkpoint"):
            read()


def test_read_meta_reads_the_header_and_decodes_no_tensor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    run.save_checkpoint(TENSORS, META)

    def no_tensors(blob: bytes) -> dict[str, torch.Tensor]:
        raise AssertionError("the tensors were decoded")

    monkeypatch.setattr(checkpoint, "st_load", no_tensors)
    assert RunFolder(tmp_path).read_meta() == META
    with pytest.raises(AssertionError, match="decoded"):   # the patch is live: the full load does decode
        RunFolder(tmp_path).load_checkpoint()


@pytest.mark.parametrize("damage", ["empty", "short", "header-length", "header-cut", "garbage"])
def test_read_meta_refuses_a_damaged_header(tmp_path: Path, damage: str) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    run.save_checkpoint(TENSORS, META)
    blob = run.checkpoint_file.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    damaged = {"empty": b"", "short": blob[:5], "header-length": (10**12).to_bytes(8, "little") + blob[8:],
               "header-cut": blob[:8 + n // 2], "garbage": os.urandom(64)}[damage]
    run.checkpoint_file.write_bytes(damaged)
    with pytest.raises(CheckpointError, match="not a GenDisc Studio checkpoint"):
        run.read_meta()


# -- open_run -------------------------------------------------------------------------------------------------------
def test_open_run_without_folder(tmp_path: Path) -> None:
    assert open_for_training(None, cnn_cfg(), resume=False) is None
    with pytest.raises(CheckpointError, match="resum"):
        open_for_training(None, cnn_cfg(), resume=True)


def test_open_run_never_overwrites_a_trained_run(tmp_path: Path) -> None:
    cfg = cnn_cfg()
    run = open_for_training(tmp_path / "run", cfg, resume=False)
    assert run is not None and run.config() == cfg
    # a folder without a checkpoint yet may be started again
    again = open_for_training(tmp_path / "run", cfg, resume=False)
    assert again is not None
    again.save_checkpoint(TENSORS, META)
    before = run.checkpoint_file.read_bytes()
    with pytest.raises(CheckpointError, match="already holds a trained run"):
        open_for_training(tmp_path / "run", cnn_cfg(arch="classic"), resume=False)
    assert run.checkpoint_file.read_bytes() == before
    assert RunFolder(tmp_path / "run").config() == cfg
    resumed = open_for_training(tmp_path / "run", cfg, resume=True)
    assert resumed is not None and resumed.path == tmp_path / "run"


def test_open_run_resume_needs_a_checkpoint(tmp_path: Path) -> None:
    RunFolder.create(tmp_path / "run", cnn_cfg())
    with pytest.raises(CheckpointError, match="no checkpoint to resume from"):
        open_for_training(tmp_path / "run", cnn_cfg(), resume=True)
    with pytest.raises(CheckpointError, match="no checkpoint to resume from"):
        open_for_training(tmp_path / "nowhere", cnn_cfg(), resume=True)


def test_open_run_resume_allows_only_a_new_budget(tmp_path: Path) -> None:
    cfg = cnn_cfg()
    run = RunFolder.create(tmp_path, cfg)
    run.save_checkpoint(TENSORS, META)
    with pytest.raises(CheckpointError, match="other settings"):
        open_for_training(tmp_path, cnn_cfg(dropout=0.5), resume=True)
    with pytest.raises(CheckpointError, match="other settings"):
        open_for_training(tmp_path, GanConfig(), resume=True)
    assert RunFolder(tmp_path).config() == cfg
    longer = CnnConfig(**{**cfg.__dict__, "budget": TrainBudget(epochs=9)})
    assert open_for_training(tmp_path, longer, resume=True) is not None
    assert RunFolder(tmp_path).config() == longer   # the folder remembers the budget it now runs under


# -- safe loading: every entry point, every disguise --------------------------------------------------------------
def _disguises(marker: Path) -> dict[str, bytes]:
    """Files that would run ``WritesFile(marker)`` if anything unpickled them, posing as our checkpoint."""
    import io

    zip_buf, legacy_buf = io.BytesIO(), io.BytesIO()
    torch.save({"model.w": torch.zeros(3), "payload": WritesFile(marker)}, zip_buf)
    torch.save({"payload": WritesFile(marker)}, legacy_buf, _use_new_zipfile_serialization=False)
    pickled = pickle.dumps({"payload": WritesFile(marker)})
    # a well-formed safetensors file whose tensor bytes are a pickle and whose header claims to be ours
    smuggled = st_save({"model.w": torch.frombuffer(bytearray(pickled), dtype=torch.uint8)},
                       metadata={"format": FORMAT, "version": str(VERSION),
                                 "meta": json.dumps({"kind": "cnn", "pickle": pickled.hex()})})
    header = json.dumps({"__metadata__": {"format": FORMAT, "version": str(VERSION), "meta": "{}"},
                         "x": {"dtype": "object", "shape": [1], "data_offsets": [0, len(pickled)]}}).encode()
    return {"torch-zip": zip_buf.getvalue(), "torch-legacy": legacy_buf.getvalue(), "pickle": pickled,
            "safetensors-smuggling-a-pickle": smuggled,
            "safetensors-object-dtype": len(header).to_bytes(8, "little") + header + pickled}


@pytest.mark.parametrize("disguise", ["torch-zip", "torch-legacy", "pickle", "safetensors-smuggling-a-pickle",
                                      "safetensors-object-dtype"])
def test_no_loader_runs_a_pickle_payload(tmp_path: Path, disguise: str) -> None:
    from gendisc.engine.evaluate.run import evaluate_run
    from gendisc.engine.inference.loading import load_classifier, load_gan

    marker = tmp_path / "pwned"
    run = RunFolder.create(tmp_path / "run", cnn_cfg())
    run.checkpoint_file.write_bytes(_disguises(marker)[disguise])
    for load in (lambda: run.load_checkpoint(), lambda: load_classifier(run.path), lambda: load_gan(run.path),
                 lambda: evaluate_run(run.path)):
        try:
            load()
        except CheckpointError as exc:
            assert str(exc)   # a clear message, never a traceback from the unpickler
        except Exception as exc:   # pragma: no cover - the test fails below with the reason
            pytest.fail(f"{disguise}: {type(exc).__name__}: {exc}")
        else:
            assert disguise == "safetensors-smuggling-a-pickle"   # a valid file: its bytes are data, nothing more
        assert not marker.exists(), f"{disguise} ran its payload"
    if disguise != "safetensors-smuggling-a-pickle":
        with pytest.raises(CheckpointError, match="not a GenDisc Studio checkpoint"):
            run.load_checkpoint()
    else:   # it loads as what it is: bytes in a uint8 tensor and a string of hex digits
        tensors, meta = run.load_checkpoint()
        assert tensors["model.w"].dtype == torch.uint8 and isinstance(meta["pickle"], str)
    assert not marker.exists()


# -- format versions ----------------------------------------------------------------------------------------------
def _write_version(run: RunFolder, version: str, meta: dict[str, object] | None = None) -> None:
    run.checkpoint_file.write_bytes(st_save(TENSORS, metadata={"format": FORMAT, "version": version,
                                                                "meta": json.dumps(meta or META)}))


def test_a_newer_checkpoint_asks_to_update_the_app(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    _write_version(run, str(VERSION + 1))
    with pytest.raises(CheckpointError, match=r"made by a newer version of GenDisc Studio \(checkpoint format "
                                              rf"version {VERSION + 1}; this version reads up to {VERSION}\): "
                                              "update the app"):
        run.load_checkpoint()


def test_an_older_checkpoint_without_a_migration_is_refused_clearly(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    _write_version(run, str(VERSION - 1))
    with pytest.raises(CheckpointError, match=rf"made by an older version of GenDisc Studio \(checkpoint format "
                                              rf"version {VERSION - 1}\) that this version cannot convert"):
        run.load_checkpoint()


@pytest.mark.parametrize("version", ["x", "", "1.5", "-"])
def test_a_checkpoint_version_that_is_not_a_number_is_refused(tmp_path: Path, version: str) -> None:
    run = RunFolder.create(tmp_path, cnn_cfg())
    _write_version(run, version)
    with pytest.raises(CheckpointError, match=r"not a GenDisc Studio checkpoint .*format version"):
        run.load_checkpoint()


def test_older_checkpoints_are_migrated_step_by_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the app were at format 3: a format-1 file goes through the 1→2 and 2→3 migrations, in order."""
    def one_to_two(tensors: dict[str, torch.Tensor], meta: dict[str, object]) -> tuple[dict, dict]:
        return {k.replace("model.", "net."): v for k, v in tensors.items()}, {**meta, "seen": ["1→2"]}

    def two_to_three(tensors: dict[str, torch.Tensor], meta: dict[str, object]) -> tuple[dict, dict]:
        return tensors, {**meta, "seen": [*meta["seen"], "2→3"]}   # type: ignore[misc]

    monkeypatch.setattr(checkpoint, "VERSION", 3)
    monkeypatch.setattr(checkpoint, "MIGRATIONS", {1: one_to_two, 2: two_to_three})
    run = RunFolder.create(tmp_path, cnn_cfg())
    _write_version(run, "1")
    tensors, meta = run.load_checkpoint()
    assert meta["seen"] == ["1→2", "2→3"] and meta["loop"] == META["loop"]
    assert run.read_meta() == meta   # the header alone cannot be migrated: the whole file is
    assert set(tensors) == {"net.w", "rng.torch"} and torch.equal(tensors["net.w"], TENSORS["model.w"])
    assert run.saved_step == 12

    monkeypatch.setattr(checkpoint, "MIGRATIONS", {2: two_to_three})   # the 1→2 step is gone
    with pytest.raises(CheckpointError, match=r"older version .* cannot convert"):
        run.load_checkpoint()

    def broken(tensors: dict[str, torch.Tensor], meta: dict[str, object]) -> tuple[dict, dict]:
        raise KeyError("optim")

    monkeypatch.setattr(checkpoint, "MIGRATIONS", {1: broken, 2: two_to_three})
    with pytest.raises(CheckpointError, match=r"older version .* could not be converted: 'optim'"):
        run.load_checkpoint()


def test_config_records_its_format_version_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    cfg = cnn_cfg()
    run = RunFolder.create(tmp_path, cfg)
    doc = json.loads(run.path.joinpath("config.json").read_text())
    assert doc["version"] == CONFIG_VERSION and doc["kind"] == "cnn"
    del doc["version"]   # written before versions were recorded: still read, as version 1
    run.path.joinpath("config.json").write_text(json.dumps(doc))
    assert run.config() == cfg
    doc["version"] = CONFIG_VERSION + 1
    doc["config"]["new_option"] = 1
    run.path.joinpath("config.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=r"made by a newer version of GenDisc Studio .*update the app"):
        run.config()


# -- never a non-finite checkpoint; leftovers of killed saves --------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_checkpoint_with_nan_or_inf_is_never_written(tmp_path: Path, bad: float) -> None:
    from gendisc.engine.errors import TrainingError

    run = RunFolder.create(tmp_path, cnn_cfg())
    with pytest.raises(TrainingError, match=r"by step 12 \(model.w\).* No checkpoint had been saved yet"):
        run.save_checkpoint({**TENSORS, "model.w": torch.full((2, 2), bad)}, META)
    assert not run.has_checkpoint()
    run.save_checkpoint(TENSORS, {**META, "loop": {**META["loop"], "step": 10}})
    good = run.checkpoint_file.read_bytes()
    with pytest.raises(TrainingError, match=r"The last good checkpoint \(step 10\) was kept"):
        run.save_checkpoint({**TENSORS, "optim.0.exp_avg": torch.tensor([1.0, bad])}, META)
    assert run.checkpoint_file.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.safetensors", "config.json"]


def test_the_next_save_removes_what_a_killed_save_left_behind(tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    run = RunFolder.create(tmp_path, cnn_cfg())
    (tmp_path / "samples").mkdir()
    leftovers = [tmp_path / f".checkpoint.safetensors.{dead_pid}.k1l2.tmp",
                 tmp_path / "samples" / f".epoch-0003.png.{dead_pid}.zz9.tmp"]
    alive = [tmp_path / f".checkpoint.safetensors.{os.getpid()}.mine.tmp",     # this process: may be mid-write
             tmp_path / f".checkpoint.safetensors.{os.getppid()}.yours.tmp",   # a live process: its business
             tmp_path / "notes.tmp"]                                          # not ours at all
    for p in leftovers + alive:
        p.write_bytes(b"half a file")
    run.save_checkpoint(TENSORS, META)
    assert not any(p.exists() for p in leftovers)
    assert all(p.exists() for p in alive)
    assert RunFolder(tmp_path).load_checkpoint()[1] == META


def test_atomic_write_syncs_the_file_and_then_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else str(fd))
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    atomic_write_bytes(tmp_path / "f.bin", b"data")
    if not os.path.exists("/proc/self/fd"):   # pragma: no cover - Linux shows names; elsewhere count the calls
        assert len(synced) == 2
        return
    assert len(synced) == 2
    assert Path(synced[0]).name.startswith(".f.bin.") and Path(synced[1]) == tmp_path
