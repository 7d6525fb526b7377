"""Where the app keeps its runs: the user's data folder (or ``GENDISC_RUNS_DIR``)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def runs_root() -> Path:
    env = os.environ.get("GENDISC_RUNS_DIR")
    import platformdirs  # not at import time: the window's first paint waits for nothing it does not need

    return Path(env) if env else platformdirs.user_data_path("gendisc-studio", appauthor=False) / "runs"


def new_run_dir(root: Path | None, kind: str, dataset: str) -> Path:
    """A fresh, unused folder name like ``runs/cnn-mnist-sample-20261125-143000``."""
    root = root or runs_root()
    name = Path(dataset).name if ("/" in dataset or os.sep in dataset) else dataset
    base = root / f"{kind}-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path
