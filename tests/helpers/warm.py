"""The real headless command without paying for Python and torch to start each time: one helper process imports
everything once, then forks a child per command that calls ``gendisc.engine.cli.main`` — the very code
``python -m gendisc`` runs — with its output in files. Kills land in real trainers, and a test can afford many."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.cli import ENV, ROOT

HELPER = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
import torch  # noqa: F401 - imported once, before the forks
import torch._dynamo  # noqa: F401 - what the first optimizer imports: a second of every child's start otherwise
import gendisc.engine.cli.train, gendisc.engine.train.cnn_trainer, gendisc.engine.train.setup  # noqa: F401
from gendisc.engine.cli import main

for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "fork":
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.chdir(request["cwd"])
                for fd, name in ((1, request["stdout"]), (2, request["stderr"])):
                    os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
                code = main(request["args"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(pid, flush=True)
    elif request["op"] == "reap":
        print(os.waitpid(request["pid"], 0)[1], flush=True)
"""


@dataclass(frozen=True)
class Child:
    pid: int
    stdout: Path
    stderr: Path


@dataclass(frozen=True)
class Result:
    status: int    # os.waitpid's: decode with os.WIFSIGNALED, os.WEXITSTATUS...
    stdout: str
    stderr: str

    @property
    def returncode(self) -> int:
        return os.WEXITSTATUS(self.status) if os.WIFEXITED(self.status) else -os.WTERMSIG(self.status)


class WarmCli:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._n = 0
        self._proc = subprocess.Popen([sys.executable, "-c", HELPER, str(ROOT)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, env=ENV)

    def _ask(self, request: dict[str, object]) -> int:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        return int(self._proc.stdout.readline())

    def start(self, *args: str, cwd: Path | None = None) -> Child:
        self._n += 1
        out, err = self.workdir / f"{self._n}.out", self.workdir / f"{self._n}.err"
        pid = self._ask({"op": "fork", "args": list(args), "cwd": str(cwd or self.workdir), "stdout": str(out),
                         "stderr": str(err)})
        return Child(pid, out, err)

    def wait(self, child: Child) -> Result:
        status = self._ask({"op": "reap", "pid": child.pid})
        return Result(status, child.stdout.read_text(), child.stderr.read_text())

    def run(self, *args: str, cwd: Path | None = None) -> Result:
        return self.wait(self.start(*args, cwd=cwd))

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(30)
