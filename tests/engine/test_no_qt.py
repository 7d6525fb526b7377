"""The engine never imports Qt (or the GUI): it must run in a Python without PySide6 installed."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "gendisc" / "engine"
BANNED = ("PySide6", "PySide2", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6", "shiboken2", "qtpy", "gendisc.gui")


def _banned(module: str) -> bool:
    return any(module == b or module.startswith(b + ".") for b in BANNED)


def qt_imports(source: str, filename: str = "<source>") -> list[str]:
    """Every import of a banned package in ``source``: statements, ``__import__`` and ``import_module`` calls."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__"):
                names = [node.args[0].value]
        found += [f"{filename}:{node.lineno}: {name}" for name in names if _banned(name)]
    return found


def engine_modules() -> list[str]:
    mods = []
    for path in sorted(ENGINE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        mods.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return mods


def test_the_checker_finds_qt_imports() -> None:
    sample = ("import os\nimport PySide6.QtCore\nfrom pyqtgraph import PlotWidget\nfrom gendisc.gui.worker import W\n"
              "from gendisc.engine.gui_free import x\nimport importlib\nimportlib.import_module('PyQt6')\n"
              "__import__('shiboken6')\nfrom . import gui\n")
    assert [hit.split(": ")[1] for hit in qt_imports(sample)] == [
        "PySide6.QtCore", "pyqtgraph", "gendisc.gui.worker", "PyQt6", "shiboken6"]


def test_engine_sources_import_no_qt() -> None:
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) >= 20   # the walk really covers the engine
    hits = [hit for f in files for hit in qt_imports(f.read_text(encoding="utf-8"), str(f.relative_to(ROOT)))]
    assert hits == []


HOOK = r"""
import importlib, importlib.abc, sys

BANNED = sys.argv[1].split(",")


def banned(name):
    return any(name == b or name.startswith(b + ".") for b in BANNED)


class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if banned(name):
            raise ImportError(f"{name} must not be imported by the engine")
        return None


assert not [m for m in sys.modules if banned(m)]
sys.meta_path.insert(0, NoQt())
try:
    import PySide6  # noqa: F401
except ImportError as exc:
    assert "must not be imported" in str(exc), exc
else:
    raise SystemExit("the import hook does not work")

modules = sys.argv[2].split(",")
for name in modules:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if banned(m))
assert not leaked, leaked
print("imported", len(modules))
"""


def test_engine_imports_in_a_python_without_qt() -> None:
    modules = engine_modules()
    assert "gendisc.engine.train.cnn_trainer" in modules and "gendisc.engine.data.catalog" in modules
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", HOOK, ",".join(BANNED), ",".join(modules)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == f"imported {len(modules)}"
