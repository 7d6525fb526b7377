"""File → Open run: show a saved run's curves, its samples (GAN) or its classifier (CNN)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage

from engine.checkpoint import SAMPLES_DIR, RunFolder
from engine.config import CnnConfig, kind_of
from engine.errors import GenDiscError
from engine.imageio import split_grid
from gui.widgets.qimage import qimage_to_gray, qimage_to_rgb

if TYPE_CHECKING:
    import numpy as np

    from gui.main_window import MainWindow


def sample_history(run: RunFolder, n: int, shape: tuple[int, int, int]) -> list[tuple[int, np.ndarray]]:
    """The per-epoch sample batches of a GAN run, read back from its PNG grids (unreadable ones skipped)."""
    c, h, w = shape
    history = []
    for png in sorted((run.path / SAMPLES_DIR).glob("epoch-*.png")):
        image = QImage(str(png))
        if image.isNull():
            continue
        grid = qimage_to_gray(image) if c == 1 else qimage_to_rgb(image)
        try:
            history.append((int(png.stem.split("-")[1]), split_grid(grid, n, h, w)))
        except (ValueError, IndexError):
            continue
    return history


def open_run(w: MainWindow, folder: str | Path) -> bool:
    """Load ``folder`` into the window; a folder that is not a run gets a dialog. True on success."""
    run = RunFolder(folder)
    try:
        cfg = run.config()
        _, meta = run.load_checkpoint()
    except GenDiscError as exc:
        w._warn("Cannot open run", str(exc))
        return False
    kind = kind_of(cfg)
    records = run.read_metrics()
    w.plots_panel.reset(kind)
    w.plots_panel.load_history(kind, [], records)
    if isinstance(cfg, CnnConfig):
        w.draw_panel.load_run(folder)
        w.docks["Draw"].raise_()
    else:
        shape = tuple(meta.get("image_shape", (1, 28, 28)))
        history = sample_history(run, cfg.n_samples, shape)
        w.gallery_panel.reset()
        w.gallery_panel.load_history(history)
        w.docks["Samples"].raise_()
    w.statusBar().showMessage(f"Opened {kind.upper()} run {run.path.name}: {len(records)} epochs", 8000)
    return True
