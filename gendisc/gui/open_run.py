"""File → Open run: show a saved run's curves, its samples (GAN) or its classifier (CNN)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gendisc.engine.config import CnnConfig, kind_of
from gendisc.engine.errors import GenDiscError
from gendisc.engine.runs.folder import RunFolder

if TYPE_CHECKING:
    from gendisc.gui.main_window import MainWindow


def open_run(w: MainWindow, folder: str | Path) -> bool:
    """Load ``folder`` into the window; a folder that is not a run gets a dialog. True on success."""
    from gendisc.engine.inference.loading import load_classifier, load_gan
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
        history = run.sample_history(cfg.n_samples, loaded.image_shape)
        w.gallery_panel.reset()
        w.gallery_panel.load_history(history)
        if (judge := run.judge_name()) is not None:
            w.plots_panel.set_judge_name(judge)
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
