"""Where runs live and what a new run folder is called (the app, the command line and the judge cache agree).

No torch here, and ``platformdirs`` only when asked: the window's first paint waits for nothing it does not need.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

RUNS_ENV = "GENDISC_RUNS_DIR"
JUDGES_ENV = "GENDISC_JUDGES_DIR"


def user_data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("gendisc-studio", appauthor=False)


def runs_root() -> Path:
    """The app's runs folder: ``$GENDISC_RUNS_DIR``, else ``runs`` in the user's data folder."""
    env = os.environ.get(RUNS_ENV)
    return Path(env) if env else user_data_dir() / "runs"


def judges_root() -> Path:
    """Where automatic judges are cached: ``$GENDISC_JUDGES_DIR``, else a ``judges`` folder beside the runs folder
    (beside it, not in it, so the runs folder holds only the user's runs)."""
    env = os.environ.get(JUDGES_ENV)
    if env:
        return Path(env)
    runs = os.environ.get(RUNS_ENV)
    return Path(runs).parent / "judges" if runs else user_data_dir() / "judges"


def dataset_stem(dataset: str) -> str:
    """A dataset's name as a folder-name part: a path's last component, anything unusual replaced."""
    name = Path(dataset).name if ("/" in dataset or os.sep in dataset) else dataset
    return re.sub(r"[^\w.+=@-]+", "-", name).strip("-") or "dataset"


def new_run_dir(root: Path, kind: str, dataset: str, now: float | None = None) -> Path:
    """A fresh, unused folder name like ``ROOT/cnn-mnist-sample-20261125-143000`` (``-2``, ``-3``… on a clash)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = Path(root) / f"{kind}-{dataset_stem(dataset)}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def auto_judge_dir(dataset: str, image_shape: tuple[int, int, int], class_names: tuple[str, ...],
                   root: Path | None = None) -> Path:
    """The cache folder of the automatic judge of one dataset (name, image shape and classes)."""
    key = f"{dataset}|{tuple(image_shape)}|{','.join(class_names)}"
    return (root or judges_root()) / f"judge-{dataset_stem(dataset)}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
