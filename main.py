"""GenDisc Studio launcher.

``python main.py`` opens the desktop app; ``python main.py train|evaluate|sample ...`` runs headless.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and not args[0].startswith("-"):
        from engine.cli import main as cli_main

        return cli_main(args)
    from engine.cli import main as cli_main

    return cli_main(["--help"]) if not args else cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
