"""File → Open run: show a saved run's curves, its samples (GAN) or its classifier (CNN)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage

from gendisc.engine.checkpoint import SAMPLES_DIR, RunFolder
from gendisc.engine.config import CnnConfig, kind_of
from gendisc.engine.errors import GenDiscError
from gendisc.engine.imageio import split_grid
from gendisc.gui.widgets.qimage import qimage_to_gray, qimage_to_rgb

if TYPE_CHECKING:
    import numpy as np

    from gendisc.gui.main_window import MainWindow


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
    from gendisc.engine.inference import load_classifier, load_gan
    from gendisc.gui.torch_threads import for_helpers

    run = RunFolder(folder)
    for_helpers()   # the models are built here, on the GUI thread
    try:
        cfg = run.config()
        # read once, for every panel that shows it
        loaded = load_classifier(folder) if isinstance(cfg, CnnConfig) else load_gan(folder)
    except GenDiscError as exc:
        w._warn("Cannot open run", str(exc))
        return False
    kind = kind_of(cfg)
    records = run.read_metrics()
    w.plots_panel.reset(kind)
    w.plots_panel.load_history(kind, [], records)
    if isinstance(cfg, CnnConfig):
        w.draw_panel.use_classifier(loaded, run.path.name)
        w.docks["Draw"].raise_()
    else:
        history = sample_history(run, cfg.n_samples, loaded.image_shape)
        w.gallery_panel.reset()
        w.gallery_panel.load_history(history)
        judge_file = run.path / "judge.txt"
        if judge_file.is_file():
            w.plots_panel.set_judge_name(judge_file.read_text(encoding="utf-8").strip())
        w.latent_panel.use_gan(loaded, run.path.name)
        w.draw_panel.use_gan(loaded, run.path.name)
        w.docks["Samples"].raise_()
    w.statusBar().showMessage(f"Opened {kind.upper()} run {run.path.name}: {len(records)} epochs", 8000)
    return True


def continue_run(w: MainWindow, folder: str | Path, extra_epochs: int | None = None) -> bool:
    """Show a saved run and continue training it exactly where it stopped (model, optimizer, RNGs, counters).

    A run that used up its epochs or steps gets ``extra_epochs`` more (default: as many again); a time limit
    starts afresh. Returns False (after a dialog) when the folder cannot be continued.
    """
    if not open_run(w, folder):
        return False
    run = RunFolder(folder)
    cfg = run.config()
    kind = kind_of(cfg)
    if w.session.is_running(kind):
        w._warn("Already training", f"A {kind.upper()} is training; stop it before continuing another run.")
        return False
    meta = run.read_meta()   # open_run has read the whole file; the header is enough here
    loop = meta["loop"]
    budget = cfg.budget
    epochs_done = max((int(r.get("epoch", 0)) for r in run.read_metrics()), default=0)
    if epochs_done >= budget.epochs or (budget.max_steps is not None and loop["step"] >= budget.max_steps):
        budget = replace(budget, epochs=epochs_done + (extra_epochs or budget.epochs), max_steps=None)
    if budget.max_seconds is not None:   # the clock resumes at the run's training time so far
        budget = replace(budget, max_seconds=budget.max_seconds + float(loop.get("elapsed_s", 0.0)))
    shape = tuple(meta.get("image_shape", (1, 28, 28)))
    w._launch(replace(cfg, budget=budget), shape, tuple(meta.get("class_names", ())), resume_dir=Path(folder))
    return True
