"""Test configuration shared by engine and GUI tests.

GUI tests run offscreen; this is set here, before anything imports Qt, so nobody sets it by hand.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# keep tests fast and deterministic on a 2-core machine
os.environ.setdefault("OMP_NUM_THREADS", "2")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# fixtures shared by the engine and GUI tests
from tests.helpers.fileserver import file_server  # noqa: E402, F401
