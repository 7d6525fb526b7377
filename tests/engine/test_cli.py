"""The headless commands end to end, in a subprocess, exactly as a user or a script runs them."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OMP_NUM_THREADS="2")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    run_dir = tmp_path_factory.mktemp("cli") / "cnn"
    proc = cli("train", "cnn", "--dataset", "mnist-sample", "--max-steps", "40", "--batch-size", "128",
               "--out", str(run_dir), "--json", "--seed", "3")
    return run_dir, proc


def test_train_cnn_prints_progress_and_a_json_summary(cnn_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    run_dir, proc = cnn_run
    assert proc.returncode == 0, proc.stderr
    summary = last_json(proc.stdout)
    assert summary["kind"] == "cnn" and summary["steps"] == 40 and summary["reason"] == "step-budget"
    assert summary["val_acc"] > 0.6   # 40 steps of 128 images: far above the 0.1 of chance
    assert Path(summary["run_dir"]) == run_dir and (run_dir / "checkpoint.safetensors").is_file()
    assert "validation accuracy" in proc.stderr   # the human summary goes to stderr with --json
    assert "epoch 1:" in proc.stderr               # progress on a pipe: a line per epoch
    # 35 steps of 128 per epoch: the budget ends 5 steps into epoch 2, which is still validated and recorded
    assert summary["epochs_done"] == pytest.approx(40 / 35, abs=1e-4)
    assert "after 40 steps (1.14 epochs, " in proc.stderr
    assert "epoch 2 (partial, 14% of it): " in proc.stderr
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["step"], r.get("partial", False)) for r in records] == [(1, 35, False), (2, 40, True)]
    assert records[1]["val_acc"] == pytest.approx(summary["val_acc"], abs=1e-5)


def test_evaluate_reports_the_same_accuracy(cnn_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    run_dir, proc = cnn_run
    trained = last_json(proc.stdout)
    out = cli("evaluate", str(run_dir), "--json")
    assert out.returncode == 0, out.stderr
    result = last_json(out.stdout)
    assert result["kind"] == "cnn" and result["val_images"] == 500
    assert result["val_acc"] == pytest.approx(trained["val_acc"], abs=1e-4)


def test_resume_continues_to_a_larger_budget(cnn_run: tuple[Path, subprocess.CompletedProcess[str]],
                                             tmp_path: Path) -> None:
    run_dir, _ = cnn_run
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(run_dir, copy)
    out = cli("resume", str(copy), "--max-steps", "50", "--json", "--quiet")
    assert out.returncode == 0, out.stderr
    summary = last_json(out.stdout)
    assert summary["steps"] == 50
    # the first run's partial epoch 2 (step 40) is replaced by the resumed run's (step 50)
    records = [json.loads(line) for line in (copy / "metrics.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["step"], r.get("partial", False)) for r in records] == [(1, 35, False), (2, 50, True)]


def test_train_gan_then_sample_writes_images_in_the_dataset_layout(tmp_path: Path) -> None:
    run_dir = tmp_path / "gan"
    proc = cli("train", "gan", "--max-steps", "6", "--batch-size", "32", "--latent-dim", "16", "--out",
               str(run_dir), "--json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    summary = last_json(proc.stdout)
    assert summary["kind"] == "gan" and summary["steps"] == 6
    assert all(np.isfinite(summary[k]) for k in ("loss_d", "loss_g"))
    # 6 of 140 steps: not even an epoch, yet a metrics line and a sample grid, and the summary says how much
    assert "(0.04 of an epoch, " in proc.stderr and summary["epochs_done"] == pytest.approx(6 / 140, abs=1e-4)
    (record,) = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert record["partial"] is True and record["epoch_fraction"] == pytest.approx(6 / 140)
    assert (run_dir / "samples" / "epoch-0001.png").read_bytes().startswith(b"\x89PNG")
    out_file = tmp_path / "samples.npz"
    sampled = cli("sample", str(run_dir), "--n", "20", "--out", str(out_file))
    assert sampled.returncode == 0, sampled.stderr
    with np.load(out_file) as npz:
        images = npz["images"]
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8 and images.std() > 0
    evaluated = cli("evaluate", str(run_dir), "--json")
    assert evaluated.returncode == 0 and 0 <= last_json(evaluated.stdout)["d_fake"] <= 1


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["train", "cnn", "--lr", "-1"], 1, "learning rate must be a finite number > 0"),
    (["train", "cnn", "--batch-size", "0"], 1, "batch size must be a whole number ≥ 1"),
    (["train", "cnn", "--dataset", "/no/such/data.npz"], 1, "no such dataset or path"),
    (["train", "cnn", "--optimizer", "adagrad"], 2, "invalid choice: 'adagrad'"),
    (["train", "cnn", "--epochs", "two"], 2, "invalid int value: 'two'"),
    (["train", "cnn", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["evaluate", "/no/such/run"], 1, "is not a run folder"),
    (["sample", "/no/such/run", "--out", "x.npz"], 1, "is not a run folder"),
    (["train", "cnn", "--device", "cuda:7"], 1, "CUDA"),
])
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(args: list[str], code: int, needle: str) -> None:
    out = cli(*args, "--out", "/tmp/never-written") if args[0] == "train" else cli(*args)
    assert out.returncode == code
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    assert needle in lines[0] and "Traceback" not in out.stderr


def test_help_explains_every_option() -> None:
    out = cli("train", "--help")
    assert out.returncode == 0
    for option in ("--lr", "--batch-size", "--epochs", "--optimizer", "--seed", "--device", "--max-seconds",
                   "--json", "--latent-dim", "--g-lr", "--d-optimizer", "--early-stopping", "--augment"):
        assert option in out.stdout


def test_cnn_augmentation_follows_the_dataset_unless_asked() -> None:
    from gendisc.engine.cli.parser import build_parser, config_from_args
    from gendisc.engine.config import DataConfig
    from gendisc.engine.data.augment import recommended_augmentation

    def data(*args: str) -> DataConfig:
        return config_from_args(build_parser().parse_args(["train", "cnn", *args])).data

    for name in ("mnist-sample", "fashion-mnist"):
        recommended = recommended_augmentation(DataConfig(dataset=name))
        assert data("--dataset", name) == recommended
        for switch in (True, False):   # the switch turns it on or off; the strengths stay the dataset's
            flag = "--augment" if switch else "--no-augment"
            assert data("--dataset", name, flag) == dataclasses.replace(recommended, augment=switch)
    assert data("--dataset", "mnist-sample").augment and not data("--dataset", "mnist-sample").hflip


def test_the_semi_supervised_gans_consistency_follows_the_dataset_unless_asked() -> None:
    from gendisc.engine.cli.parser import build_parser, config_from_args
    from gendisc.engine.config import SsganConfig

    def consistency(*args: str) -> float:
        cfg = config_from_args(build_parser().parse_args(["train", "ssgan", *args]))
        assert isinstance(cfg, SsganConfig)
        return cfg.consistency

    assert consistency("--dataset", "mnist-sample") == SsganConfig().consistency > 0   # digits: on
    assert consistency("--dataset", "fashion-mnist") == 0   # garments: it cost 8 points there
    assert consistency("--dataset", "fashion-mnist", "--consistency", "0.5") == 0.5   # asked: as asked


def test_python_m_gendisc_is_the_same_launcher(tmp_path: Path) -> None:
    """``python -m gendisc COMMAND`` runs the headless command; the window's launcher is never involved (no Qt)."""
    env = dict(os.environ, GENDISC_DATA_DIR=str(tmp_path / "data"))
    listed = subprocess.run([sys.executable, "-m", "gendisc", "datasets"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith("mnist-sample"))
    assert "bundled" in line
    probe = subprocess.run([sys.executable, "-c", "import sys, gendisc.launcher as l; l.main(['datasets']); "
                            "print('PySide6' in sys.modules)"], capture_output=True, text=True, cwd=tmp_path,
                           env=env, timeout=120)
    assert probe.stdout.strip().endswith("False")   # a headless command never loads Qt


def test_progress_lines_say_partial_epochs_and_warnings_even_when_quiet() -> None:
    import io

    from gendisc.engine.cli.progress import ProgressPrinter
    from gendisc.engine.train.reports import EpochReport, FinishedReport, StepReport

    stuck = EpochReport("cnn", 3, 30, {"val_acc": 0.1}, 9.0, warning="accuracy at chance")
    partial = EpochReport("cnn", 4, 33, {"val_acc": 0.1}, 9.5, epoch_fraction=0.3)
    quiet = io.StringIO()
    ProgressPrinter(quiet, enabled=False).show(stuck)
    assert quiet.getvalue() == "warning: accuracy at chance\n"
    shown = io.StringIO()
    printer = ProgressPrinter(shown)
    for report in (stuck, partial):
        printer.show(report)
    assert shown.getvalue().splitlines() == ["epoch 3: val_acc 0.1000", "warning: accuracy at chance",
                                             "epoch 4 (partial, 30% of it): val_acc 0.1000"]
    # the ETA follows the recent rate: 0.5 in 100 s, then half as fast; the plain average would say 1:07
    for t in range(1, 201):
        p = t / 200 if t <= 100 else 0.5 + (t - 100) / 400
        printer.show(StepReport("cnn", 1, t, 200, {"train_loss": 1.0}, 10.0, float(t), 1e-3, p))
    printer.show(FinishedReport("cnn", 1, 200, "completed", {}, 200.0))   # on a pipe: the last step line, once
    assert shown.getvalue().splitlines()[-1].endswith(("ETA 1:39", "ETA 1:40"))   # 100 s left


def test_a_run_preparing_its_images_shows_a_progress_line() -> None:
    import io

    from gendisc.engine.cli.progress import ProgressPrinter
    from gendisc.engine.train.reports import FinishedReport, PreparationReport

    shown = io.StringIO()
    printer = ProgressPrinter(shown, width=10)
    printer.show(PreparationReport("cnn", "drawing 5,000 images from flow-1", 0.5, 42.0))
    printer.show(FinishedReport("cnn", 0, 0, "stopped", {}, 0.0))   # stopped while drawing: the line, once
    assert shown.getvalue() == "█████·····  50%  drawing 5,000 images from flow-1 first  0:42 elapsed\n"


def test_precision_is_a_cnn_and_flow_option_and_time_sampling_a_flow_one() -> None:
    from gendisc.engine.cli.parser import build_parser, config_from_args
    from gendisc.engine.config import ConfigError

    def parse(*args: str) -> object:
        return config_from_args(build_parser().parse_args(["train", *args]))

    for model in ("cnn", "flow"):
        assert parse(model).precision == "auto"
        assert parse(model, "--precision", "fp32").precision == "fp32"
    for model in ("gan", "ssgan"):
        with pytest.raises(ConfigError, match="--precision"):
            parse(model, "--precision", "bf16")
    assert parse("flow", "--time-sampling", "uniform").time_sampling == "uniform"
    assert parse("flow").conditioning == "scale-shift"
    assert parse("flow", "--conditioning", "shift").conditioning == "shift"
    for model in ("cnn", "gan", "ssgan"):
        with pytest.raises(ConfigError, match="--conditioning"):
            parse(model, "--conditioning", "shift")
    assert parse("flow").patch == 2 and parse("flow", "--patch", "1").patch == 1
    for model in ("cnn", "gan", "ssgan"):
        with pytest.raises(ConfigError, match="--time-sampling"):
            parse(model, "--time-sampling", "uniform")


# a value of every option that one model or a few read, unlike its default (and what it needs beside it)
ONE_MODEL_VALUES: dict[str, list[str]] = {
    "arch": ["classic"], "early_stopping": ["3"], "synthetic_from": ["/tmp/a-gan-run"],
    "augment_from": ["/tmp/a-gan-run"], "generated_share": ["0.25", "--augment-from", "/tmp/a-gan-run"],
    "generated_pool": ["500", "--synthetic-from", "/tmp/a-gan-run"], "l1": ["0.001"], "label_smoothing": ["0.1"],
    "dropout": ["0.45"], "l2": ["0.001"], "precision": ["fp32"], "latent_dim": ["33"], "g_optimizer": ["sgd"],
    "d_optimizer": ["sgd"], "g_lr": ["0.0123"], "d_lr": ["0.0123"], "g_width": ["40"], "d_width": ["40"],
    "loss": ["hinge"], "preset": ["dcgan"], "spectral_norm": [], "conditional": [], "ema": ["0.5"],
    "judge": ["auto"], "judge_samples": ["100"], "width": ["32"], "class_dropout": ["0.3"], "sampler": ["heun"],
    "sampler_steps": ["9"], "guidance": ["3.5"], "guidance_start": ["0.05"], "guidance_end": ["0.9"],
    "time_sampling": ["uniform"], "conditioning": ["shift"],
    "patch": ["1"], "head": ["explicit"], "unsupervised_weight": ["0.5"], "consistency": ["0.25"],
    "classifier_ema": ["0.9"],
}


@pytest.mark.parametrize("model", ["cnn", "gan", "flow", "ssgan"])
def test_every_model_reads_the_options_it_takes_and_refuses_the_others(model: str) -> None:
    from gendisc.engine.cli.parser import ONLY_FOR, build_parser, config_from_args
    from gendisc.engine.config import to_dict
    from gendisc.engine.errors import ConfigError

    def parse(*args: str) -> dict:
        return to_dict(config_from_args(build_parser().parse_args(["train", model, *args])))

    assert set(ONE_MODEL_VALUES) == set(ONLY_FOR)   # every such option has a value to try here
    default = parse()
    for name, value in ONE_MODEL_VALUES.items():
        option = f"--{name.replace('_', '-')}"
        args = [option, *value] if value else ["--no-" + option[2:]]   # a switch: on by default
        if model in ONLY_FOR[name]:
            assert parse(*args) != default, f"{model} ignores {option}"
        else:
            with pytest.raises(ConfigError, match=option):
                parse(*args)
