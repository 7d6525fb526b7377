"""Putting GenDisc Studio into the desktop's applications menu (and onto the desktop), without a checkout.

Writes the bundled ``.desktop`` entry, with ``Exec`` pointing at the launcher that was run, and the icon into the
XDG folders (``$XDG_DATA_HOME/applications`` and ``.../icons/hicolor/scalable/apps``), as the freedesktop.org
specifications ask. Plain file operations: no Qt, so it works from a terminal on a machine without a display.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gendisc.resources import DESKTOP_ENTRY, ICON, read_bytes

APP_ID = "io.github.gendisc.GenDiscStudio"
DESKTOP_DIR_ENV = "GENDISC_DESKTOP_DIR"   # overrides `xdg-user-dir DESKTOP` (tests, unusual setups)


@dataclass(frozen=True)
class DesktopPaths:
    """Where the launcher goes: the menu entry, the icon, and the copy on the desktop (None without one)."""

    entry: Path
    icon: Path
    on_desktop: Path | None


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def desktop_folder() -> Path | None:
    """The user's desktop folder, when there is one."""
    env = os.environ.get(DESKTOP_DIR_ENV)
    folder = Path(env) if env else Path.home() / "Desktop"
    if not env and shutil.which("xdg-user-dir"):
        try:
            out = subprocess.run(["xdg-user-dir", "DESKTOP"], capture_output=True, text=True, timeout=5)
            if out.returncode == 0 and out.stdout.strip():
                folder = Path(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    # xdg-user-dir answers the home folder itself when no desktop is configured: never litter it
    return folder if folder.is_dir() and folder != Path.home() else None


def paths() -> DesktopPaths:
    desktop = desktop_folder()
    return DesktopPaths(data_home() / "applications" / f"{APP_ID}.desktop",
                        data_home() / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
                        None if desktop is None else desktop / f"{APP_ID}.desktop")


def launch_command() -> str:
    """The command the menu entry runs: this very ``gendisc-studio`` launcher, else ``python -m gendisc``."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name.startswith("gendisc-studio") and script.is_file():
        return shlex.quote(str(script.resolve()))
    return f"{shlex.quote(sys.executable)} -m gendisc"


def desktop_entry(command: str) -> str:
    """The bundled entry with ``Exec`` set to ``command``."""
    lines = read_bytes(DESKTOP_ENTRY).decode("utf-8").splitlines()
    return "\n".join(f"Exec={command}" if line.startswith("Exec=") else line for line in lines) + "\n"


def install(command: str | None = None) -> DesktopPaths:
    """Write the menu entry, the icon and (when there is a desktop folder) an executable copy on the desktop."""
    where = paths()
    text = desktop_entry(command or launch_command())
    where.entry.parent.mkdir(parents=True, exist_ok=True)
    where.icon.parent.mkdir(parents=True, exist_ok=True)
    where.entry.write_text(text, encoding="utf-8")
    where.icon.write_bytes(read_bytes(ICON))
    if where.on_desktop is not None:
        where.on_desktop.write_text(text, encoding="utf-8")
        where.on_desktop.chmod(0o755)   # desktops launch only executable entries
        _quietly(["gio", "set", str(where.on_desktop), "metadata::trusted", "true"])   # GNOME asks otherwise
    _quietly(["update-desktop-database", str(where.entry.parent)])
    return where


def uninstall() -> list[Path]:
    """Remove what :func:`install` wrote; returns the files removed."""
    where = paths()
    removed = []
    for path in (where.entry, where.icon, where.on_desktop):
        if path is not None and path.is_file():
            path.unlink()
            removed.append(path)
    _quietly(["update-desktop-database", str(where.entry.parent)])
    return removed


def _quietly(command: list[str]) -> None:
    """Run an optional helper (not every desktop has it); its absence or failure changes nothing."""
    if shutil.which(command[0]) is None:
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(command, capture_output=True, timeout=10, check=False)


def desktop_command(option: str, extra: list[str]) -> int:
    """``--install-desktop`` / ``--uninstall-desktop`` of the launcher; one line of output either way."""
    if extra:
        print(f"gendisc-studio: {option} takes no arguments (got {' '.join(extra)})", file=sys.stderr)
        return 2
    try:
        if option == "--install-desktop":
            where = install()
            also = "" if where.on_desktop is None else f" and on the desktop ({where.on_desktop})"
            print(f"GenDisc Studio is in your applications menu ({where.entry}){also}")
        else:
            removed = uninstall()
            print(f"removed {len(removed)} file(s): {', '.join(map(str, removed))}" if removed
                  else "GenDisc Studio was not installed in the menu")
    except OSError as exc:
        print(f"gendisc-studio: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    return 0
