"""GenDisc Studio launcher.

``python main.py`` opens the desktop app; ``python main.py train|evaluate|sample ...`` runs headless.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:   # a command (train, resume, evaluate, sample, datasets) or --help: headless, no Qt imported
        from engine.cli import main as cli_main

        return cli_main(args)
    from gui.app import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(main())
