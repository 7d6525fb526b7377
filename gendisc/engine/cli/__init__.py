"""The headless commands: ``gendisc train``, ``resume``, ``evaluate``, ``sample``, ``export`` and ``datasets``.

Bad options, values and paths get one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from gendisc.engine.cli.parser import build_parser, config_from_args, given
from gendisc.engine.config import kind_of
from gendisc.engine.errors import GenDiscError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in ("train", "resume"):
            from gendisc.engine.cli.train import run_training
            from gendisc.engine.runs.folder import RunFolder
            from gendisc.engine.runs.naming import new_run_dir

            if args.command == "train":
                cfg = config_from_args(args)
                run_dir = args.out or new_run_dir(Path("runs"), kind_of(cfg), cfg.data.dataset)
                return run_training(cfg, run_dir, False, args.quiet, args.json, args.autosave_minutes)
            cfg = RunFolder(args.run_dir).config()
            cfg = replace(cfg, budget=replace(cfg.budget, **given(args, "epochs", "max_steps", "max_seconds")))
            return run_training(cfg, args.run_dir, True, args.quiet, args.json, args.autosave_minutes)
        if args.command == "datasets":
            from gendisc.engine.cli.datasets import cmd_datasets

            return cmd_datasets(args)
        from gendisc.engine.cli import commands

        if args.command == "evaluate":
            return commands.cmd_evaluate(args.run_dir, args.json)
        if args.command == "sample":
            return commands.cmd_sample(args.run_dir, args.n, args.out, args.seed)
        return commands.cmd_export(args.run_dir, args.format, args.out)
    except GenDiscError as exc:
        print(f"gendisc: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:   # a folder we cannot write, a full disk...
        print(f"gendisc: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1

