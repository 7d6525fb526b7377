"""The headless commands: ``gendisc train``, ``resume``, ``evaluate``, ``sample``, ``export`` and ``datasets``.

Bad options, values and paths get one clear line on stderr and a non-zero exit, never a traceback. ``train`` and
``resume`` handle SIGINT, SIGTERM and SIGHUP from their very first moment (:mod:`.signals`), so this module
imports nothing heavy before it installs them.
"""

from __future__ import annotations

import sys

from gendisc.engine.cli.signals import StopSignals
from gendisc.engine.errors import GenDiscError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    stops = StopSignals().install() if args[:1] in (["train"], ["resume"]) else None
    try:
        return _run(args, stops)
    except GenDiscError as exc:
        print(f"gendisc: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:   # a folder we cannot write, a full disk...
        print(f"gendisc: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:   # evaluate, sample, export (train and resume never see one)
        print("\ngendisc: interrupted", file=sys.stderr)
        return 130
    finally:
        if stops is not None:
            stops.restore()


def _run(argv: list[str], stops: StopSignals | None) -> int:
    from dataclasses import replace
    from pathlib import Path

    from gendisc.engine.cli.parser import build_parser, config_from_args, given
    from gendisc.engine.config import kind_of

    args = build_parser().parse_args(argv)
    if args.command in ("train", "resume"):
        from gendisc.engine.cli.train import run_training

        if args.command == "train":   # torch is not imported before the run folder's lock is taken
            from gendisc.engine.runs.naming import new_run_dir

            cfg = config_from_args(args)
            run_dir = args.out or new_run_dir(Path("runs"), kind_of(cfg), cfg.data.dataset)
            return run_training(cfg, run_dir, False, args.quiet, args.json, args.autosave_minutes, stops)
        from gendisc.engine.runs.folder import RunFolder

        cfg = RunFolder(args.run_dir).config()
        cfg = replace(cfg, budget=replace(cfg.budget, **given(args, "epochs", "max_steps", "max_seconds")))
        return run_training(cfg, args.run_dir, True, args.quiet, args.json, args.autosave_minutes, stops)
    if args.command == "datasets":
        from gendisc.engine.cli.datasets import cmd_datasets

        return cmd_datasets(args)
    from gendisc.engine.cli import commands

    if args.command == "evaluate":
        return commands.cmd_evaluate(args.run_dir, args.json)
    if args.command == "sample":
        return commands.cmd_sample(args.run_dir, args.n, args.out, args.seed)
    return commands.cmd_export(args.run_dir, args.format, args.out)
