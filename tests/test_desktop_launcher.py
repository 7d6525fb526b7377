"""`make install-desktop` puts a working launcher in the menu; `make uninstall-desktop` takes it away."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make(target: str, data: Path, desktop: Path) -> subprocess.CompletedProcess[str]:
    venv = Path(sys.prefix)   # the environment running the tests, already set up: STAMP_RUN= installs nothing
    return subprocess.run(["make", "-s", target, f"VENV={venv}", "STAMP_RUN=", f"XDG_DATA_HOME={data}",
                           f"DESKTOP_DIR={desktop}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_installed_launcher_starts_the_app_and_uninstall_removes_it(tmp_path: Path) -> None:
    data, desktop = tmp_path / "share", tmp_path / "Desktop"
    desktop.mkdir()
    installed = make("install-desktop", data, desktop)
    assert installed.returncode == 0, installed.stderr
    entry = data / "applications" / "io.github.gendisc.GenDiscStudio.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "io.github.gendisc.GenDiscStudio.svg"
    assert entry.is_file() and icon.is_file() and (desktop / entry.name).is_file()
    assert os.access(desktop / entry.name, os.X_OK)   # desktops only launch executable .desktop files

    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(entry)
    fields = parser["Desktop Entry"]
    assert fields["Terminal"] == "false" and fields["Categories"] == "Education;Science;"
    assert fields["Icon"] == "io.github.gendisc.GenDiscStudio"
    command = shlex.split(fields["Exec"])
    assert Path(command[0]).is_absolute()

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GENDISC_EXIT_WHEN_READY="1",
               GENDISC_RUNS_DIR=str(tmp_path / "runs"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               GENDISC_LOG_DIR=str(tmp_path / "logs"))
    started = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert "GenDisc Studio ready" in started.stdout

    removed = make("uninstall-desktop", data, desktop)
    assert removed.returncode == 0, removed.stderr
    assert not entry.exists() and not icon.exists() and not (desktop / entry.name).exists()
