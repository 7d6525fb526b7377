"""The ``gendisc-studio`` launcher: no arguments open the window; a command runs headless, without Qt.

``gendisc-studio --install-desktop`` (or ``--uninstall-desktop``) adds the app to the desktop's applications
menu, from wherever it was installed (a wheel, ``pipx``, a checkout's virtual environment).
"""

from __future__ import annotations

import sys

DESKTOP_OPTIONS = ("--install-desktop", "--uninstall-desktop")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in DESKTOP_OPTIONS:
        from gendisc.desktop import desktop_command

        return desktop_command(args[0], args[1:])
    if args:   # a command (train, resume, evaluate, sample, export, datasets) or --help: headless
        from gendisc.engine.cli import main as cli_main

        return cli_main(args)
    from gendisc.gui.shell.app import main as gui_main

    return gui_main()
