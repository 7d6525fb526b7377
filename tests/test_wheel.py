"""The app installs like an app: a wheel built from the checkout, installed elsewhere without the checkout on the
path, lists and loads its bundled dataset, trains, opens its window and installs its desktop entry."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "gendisc/resources/datasets/mnist-sample-5k.npz"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and a wheel, built as `python -m build` builds them (without network: --no-isolation)."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a folder of its own, without dependencies (they are this environment's)."""
    (wheel,) = dist.glob("*.whl")
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                           "--disable-pip-version-check", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return target


def run(target: Path, cwd: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A command from an empty folder, the installed copy first on the path and the checkout not on it."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    full = {**base, "PYTHONPATH": str(target), "GENDISC_RUNS_DIR": str(cwd / "runs"),
            "GENDISC_DATA_DIR": str(cwd / "data"), "GENDISC_LOG_DIR": str(cwd / "logs"),
            "XDG_CONFIG_HOME": str(cwd / "config"), **env}
    return subprocess.run(list(command), cwd=cwd, env=full, capture_output=True, text=True, timeout=300)


def test_both_distributions_carry_the_bundled_files(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    assert SAMPLE in names and "gendisc/resources/icons/gendisc-studio.svg" in names
    assert not [n for n in names if n.split("/")[0] in ("engine", "gui", "main.py", "tests")]   # one namespace
    with tarfile.open(sdist) as tar:
        assert any(n.endswith(SAMPLE) for n in tar.getnames())


def test_the_installed_app_lists_loads_and_trains_on_its_bundled_sample(installed: Path, tmp_path: Path) -> None:
    listed = run(installed, tmp_path, str(installed / "bin" / "gendisc"), "datasets")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith("mnist-sample"))
    assert "bundled" in line and "5,000 train" in line
    loaded = run(installed, tmp_path, sys.executable, "-c",
                 "import gendisc; from gendisc.engine.data import load_dataset; "
                 "print(gendisc.__file__); print(len(load_dataset('mnist-sample').train_labels))")
    assert loaded.returncode == 0, loaded.stderr
    where, count = loaded.stdout.split()
    assert Path(where).is_relative_to(installed) and count == "5000"   # the installed copy, not the checkout

    trained = run(installed, tmp_path, str(installed / "bin" / "gendisc"), "train", "cnn", "--max-seconds", "3",
                  "--quiet", "--json")
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert summary["reason"] == "time-budget" and summary["val_acc"] > 0.5   # chance is 0.1
    assert (tmp_path / summary["run_dir"] / "checkpoint.safetensors").is_file()   # runs/... where it ran


def test_the_installed_window_opens_and_closes(installed: Path, tmp_path: Path) -> None:
    started = run(installed, tmp_path, str(installed / "bin" / "gendisc-studio"), QT_QPA_PLATFORM="offscreen",
                  GENDISC_EXIT_WHEN_READY="1")
    assert started.returncode == 0, started.stderr[-3000:]
    assert "GenDisc Studio ready" in started.stdout


def test_the_installed_launcher_puts_itself_in_the_menu(installed: Path, tmp_path: Path) -> None:
    launcher = installed / "bin" / "gendisc-studio"
    share = tmp_path / "share"
    done = run(installed, tmp_path, str(launcher), "--install-desktop", XDG_DATA_HOME=str(share),
               GENDISC_DESKTOP_DIR=str(tmp_path / "no-desktop"))
    assert done.returncode == 0, done.stderr
    entry = share / "applications" / "io.github.gendisc.GenDiscStudio.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(entry)
    assert parser["Desktop Entry"]["Exec"] == str(launcher.resolve())
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "io.github.gendisc.GenDiscStudio.svg").is_file()
    removed = run(installed, tmp_path, str(launcher), "--uninstall-desktop", XDG_DATA_HOME=str(share),
                  GENDISC_DESKTOP_DIR=str(tmp_path / "no-desktop"))
    assert removed.returncode == 0 and not entry.exists()
