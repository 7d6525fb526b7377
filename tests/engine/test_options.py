"""Options and the smaller points: every size option has a ceiling; no validation split is said, not "nan%"; a
dataset too small to learn from is warned about; labels with gaps are summarised; a judge that is not there is
refused; run files follow the umask; a full disk names the file and what was kept; ``resume`` says whether it
continues the original schedule exactly or re-plans it (and both claims hold)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from gendisc.engine.atomic import atomic_write_bytes
from gendisc.engine.cli import main
from gendisc.engine.cli.notes import resume_note
from gendisc.engine.cli.parser import build_parser, config_from_args
from gendisc.engine.config import TrainBudget
from gendisc.engine.data.npz import read_npz
from gendisc.engine.errors import ConfigError, DatasetError
from gendisc.engine.runs.folder import RunFolder
from tests.helpers.cli import write_tiny_npz

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def one_error_line(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(("args", "needle"), [
    (["cnn", "--seed", "18446744073709551616"], "seed 18446744073709551616 is too large (at most 4294967295)"),
    (["gan", "--g-width", "100000"], "generator width 100000 is too large (at most 256)"),
    (["gan", "--d-width", "100000"], "discriminator width 100000 is too large (at most 256)"),
    (["cnn", "--epochs", "1000000000"], "epochs 1000000000 is too large"),
    (["cnn", "--max-steps", "10000000000000"], "max steps 10000000000000 is too large"),
    (["cnn", "--max-seconds", "1e12"], "max seconds 1e+12 is too large"),
    (["cnn", "--batch-size", "1000000"], "batch size 1000000 is too large"),
    (["cnn", "--early-stopping", "100000000"], "early stopping patience 100000000 is too large"),
    (["gan", "--latent-dim", "1000000"], "latent size 1000000 is too large"),
    (["gan", "--judge-samples", "1000000"], "judge samples 1000000 is too large"),
])
def test_every_size_option_has_a_ceiling_and_a_clear_message(args: list[str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        config_from_args(build_parser().parse_args(["train", *args]))


def test_an_overflowing_seed_gets_one_line_from_the_command(tiny_npz: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "cnn", "--dataset", str(tiny_npz), "--max-steps", "1", "--seed", "18446744073709551616",
                 "--out", str(tmp_path / "run")])
    assert "seed 18446744073709551616 is too large" in one_error_line(capsys, code)
    for args in (["--autosave-minutes", "1e9"], ["--autosave-minutes", "nan"]):
        code = main(["train", "cnn", "--dataset", str(tiny_npz), *args, "--out", str(tmp_path / "run")])
        assert "--autosave-minutes must be a number from 0 to 10080" in one_error_line(capsys, code)
    for args in (["--n", "1000000000"], ["--seed", str(2**64)]):
        code = main(["sample", str(tmp_path), *args, "--out", str(tmp_path / "x.npz")])
        assert "must be between" in one_error_line(capsys, code)


def test_a_judge_that_is_not_there_is_refused(tiny_npz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GENDISC_JUDGES_DIR", str(tmp_path / "judges"))   # it used to train the automatic one
    code = main(["train", "gan", "--dataset", str(tiny_npz), "--max-steps", "1", "--judge", "/nonexistent",
                 "--out", str(tmp_path / "run")])
    assert "--judge /nonexistent: no such folder (use auto, off or the folder of a CNN run)" in \
        one_error_line(capsys, code)
    code = main(["train", "gan", "--dataset", str(tiny_npz), "--max-steps", "1", "--judge", str(tmp_path),
                 "--out", str(tmp_path / "run")])
    assert "not a trained run folder" in one_error_line(capsys, code)
    assert not (tmp_path / "run").exists()


def test_no_validation_split_is_said_and_the_test_split_measures_the_epochs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_test = write_tiny_npz(tmp_path / "with-test.npz", test=64)
    code = main(["train", "cnn", "--dataset", str(with_test), "--val-fraction", "0", "--batch-size", "16",
                 "--max-steps", "20", "--out", str(tmp_path / "a")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "note: no validation split (--val-fraction 0): each epoch is measured on the test split (64 images)" in err
    assert "nan" not in out + err and "epoch 1: val_loss " in err and "test accuracy: " in out
    assert "validation accuracy" not in out   # the test split's figure is not passed off as validation

    without = write_tiny_npz(tmp_path / "without.npz")
    code = main(["train", "cnn", "--dataset", str(without), "--val-fraction", "0", "--batch-size", "16",
                 "--max-steps", "20", "--out", str(tmp_path / "b")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "note: no validation split (--val-fraction 0) and no test split" in err
    assert "nan" not in out + err and "epoch 1: nothing to validate on" in err
    assert "no validation split, so no validation accuracy" in out


def test_a_dataset_of_one_image_per_class_is_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny = write_tiny_npz(tmp_path / "ten.npz", n=10, n_classes=10, side=30)
    code = main(["train", "cnn", "--dataset", str(tiny), "--max-steps", "2", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "warning: the dataset is too small to learn much from: 9 training images for 10 classes, 0 in class" in err


def test_labels_with_gaps_are_summarised(tmp_path: Path) -> None:
    path = tmp_path / "gaps.npz"
    np.savez(path, images=np.zeros((4, 8, 8), np.uint8), labels=np.array([0, 999, 0, 999]))
    with pytest.raises(DatasetError) as exc:
        read_npz(path)
    message = str(exc.value)
    assert "998 of 1,000 classes have no images (1-998); the labels used are 0, 999" in message
    assert len(message) < 300


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_run_files_follow_the_umask(tiny_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    previous = os.umask(0o022)
    try:
        assert main(["train", "cnn", "--dataset", str(tiny_npz), "--max-steps", "3", "--quiet",
                     "--out", str(tmp_path / "run")]) == 0
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "run").iterdir() if p.is_file()}
        assert modes and set(modes.values()) == {0o644}, modes   # readable by whoever the run is shared with
        os.umask(0o027)
        atomic_write_bytes(tmp_path / "private.bin", b"x")
        assert stat.S_IMODE((tmp_path / "private.bin").stat().st_mode) == 0o640
    finally:
        os.umask(previous)


def test_a_full_disk_names_the_file_and_says_the_last_checkpoint_was_kept(
        tiny_npz: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real_fsync, saves = os.fsync, []

    def fsync(fd: int) -> None:   # the second checkpoint finds the disk full
        if "checkpoint.safetensors" in os.readlink(f"/proc/self/fd/{fd}"):
            saves.append(fd)
            if len(saves) >= 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    run = tmp_path / "run"
    code = main(["train", "cnn", "--dataset", str(tiny_npz), "--batch-size", "16", "--epochs", "3", "--quiet",
                 "--out", str(run)])
    line = one_error_line(capsys, code)
    assert f"No space left on device: could not write {run / 'checkpoint.safetensors'}; the last checkpoint " \
           "(step 14) was kept" in line
    assert RunFolder(run).load_checkpoint()[1]["loop"]["step"] == 14   # and it is whole


def test_resume_says_whether_it_continues_the_schedule_exactly() -> None:
    same = TrainBudget(epochs=2)
    assert "the budget is unchanged, so the run continues its original schedule exactly" in \
        resume_note(same, same, "onecycle", 35, 50)
    grown = resume_note(same, TrainBudget(epochs=4), "onecycle", 35, 50)
    assert "the onecycle learning-rate schedule is re-planned for 140 steps from here" in grown
    assert "the run will differ from one trained with the new budget from the start" in grown
    assert "continues exactly as one started with the new budget" in \
        resume_note(same, TrainBudget(epochs=4), "constant", 35, 70)
    assert "still ends at the same step" in \
        resume_note(TrainBudget(epochs=2, max_steps=50), TrainBudget(epochs=9, max_steps=50), "cosine", 35, 40)
    assert "already used up" in resume_note(same, TrainBudget(epochs=1), "onecycle", 35, 50)


def test_what_resume_says_of_a_larger_budget_is_true(tiny_npz: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``--epochs 2`` then ``resume --epochs 4`` re-plans the one-cycle schedule (the run differs from 4 epochs
    straight, as the message says); with a constant rate it is exactly 4 epochs straight, as that message says."""
    def train(name: str, schedule: str, epochs: int) -> Path:
        out = tmp_path / name
        assert main(["train", "cnn", "--dataset", str(tiny_npz), "--batch-size", "16", "--schedule", schedule,
                     "--epochs", str(epochs), "--quiet", "--out", str(out)]) == 0
        return out

    def weights(run: Path) -> dict[str, torch.Tensor]:
        return {k: v for k, v in RunFolder(run).load_checkpoint()[0].items() if k.startswith("model.")}

    for schedule, exact in (("onecycle", False), ("constant", True)):
        resumed = train(f"{schedule}-2", schedule, 2)
        capsys.readouterr()
        assert main(["resume", str(resumed), "--epochs", "4", "--quiet"]) == 0
        said = capsys.readouterr().out
        assert ("continues exactly as one started with the new budget" if exact else "is re-planned") in said
        straight = weights(train(f"{schedule}-4", schedule, 4))
        same = all(torch.equal(v, straight[k]) for k, v in weights(resumed).items())
        assert same is exact, schedule
