"""Before opening a window on Linux: is there a display, and are the X11 libraries Qt 6 needs installed?

``python -m gui.platform_check`` prints what is missing and how to install it, and exits non-zero.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

# Qt 6's xcb platform plugin loads these at start-up; without them it aborts with a cryptic message
XCB_LIBS = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
            "xkbcommon-x11": "libxkbcommon-x11-0"}


def problems() -> list[str]:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb") not in ("xcb", ""):
        return []
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return []
    found: list[str] = []
    if not os.environ.get("DISPLAY"):
        found.append("No display: run GenDisc Studio from a desktop session (or under Xvfb). Headless training "
                     "works anywhere: python main.py train cnn --help")
    missing = [pkg for lib, pkg in XCB_LIBS.items() if ctypes.util.find_library(lib) is None]
    if missing:
        found.append(f"Qt needs these system libraries for a window: sudo apt install {' '.join(missing)}")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
