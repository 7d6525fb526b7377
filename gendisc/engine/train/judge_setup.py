"""Finding the judge a generative run (GAN or flow) asks for (``GeneratorConfig.judge``): a CNN run folder, or the
automatic one — the default CNN, trained once per dataset before the first step and cached beside the user's runs."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from gendisc.engine.config import CnnConfig, GeneratorConfig, TrainBudget, kind_of
from gendisc.engine.data.tensors import TensorData
from gendisc.engine.errors import ConfigError
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.naming import auto_judge_dir
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import FinishedReport, JudgeTrainingReport, StepReport

AUTO_JUDGE_EPOCHS = 3        # the automatic judge: the default CNN for 3 epochs (~98.5% on the MNIST sample)...
AUTO_JUDGE_SECONDS = 60.0    # ...or this long at most (a big dataset, a busy CPU)
AUTO_JUDGE_MIN_ACC = 0.9     # a judge cut short by the time limit below this accuracy is used once, not cached
SESSION_JUDGE = "session"    # GeneratorConfig.judge: the CNN trained beside the GAN, offered through its Control


def auto_judge_config(gan_cfg: GeneratorConfig) -> CnnConfig:
    """The automatic judge: the app's default CNN with augmentation, for AUTO_JUDGE_EPOCHS epochs or
    AUTO_JUDGE_SECONDS, whichever ends first (about 10 s for the MNIST sample on two idle CPU cores)."""
    data = dataclasses.replace(gan_cfg.data, augment=True)
    return CnnConfig(data=data, budget=TrainBudget(epochs=AUTO_JUDGE_EPOCHS, max_seconds=AUTO_JUDGE_SECONDS),
                     device=gan_cfg.device, seed=0, log_every=5)


def prepare_judge(cfg: GeneratorConfig, data: TensorData, control: Control,
                  device: torch.device) -> Iterator[JudgeTrainingReport]:
    """Find (or train, then cache) the judge ``cfg.judge`` names; the generator's return value is the
    :class:`Judge` with its real statistics, or ``None`` when judging is off or training was stopped.

    While the automatic judge trains, :class:`JudgeTrainingReport`\\ s say how far it is.
    """
    choice = cfg.judge.strip()
    if choice in ("off", SESSION_JUDGE):   # a session judge arrives later (see load_judge)
        return None
    instead = ""
    if choice != "auto" and not RunFolder(choice).path.exists():
        # a run resumed after its judge's folder was deleted goes on with the automatic judge, and says so
        instead, choice = f" — {Path(choice).name} is gone", "auto"
    if choice == "auto":
        folder = auto_judge_dir(cfg.data.dataset, data.image_shape, data.class_names)
        note = ""
        if not RunFolder(folder).has_checkpoint():
            trained = yield from _train_auto_judge(cfg, data, control, folder)
            if trained is None:
                return None
            folder, note = trained
        judge = Judge.from_run(folder, device, name="the automatic CNN (the default CNN, trained for the purpose"
                                                    f"{instead}{note})")
        if note:   # used for this run only
            shutil.rmtree(folder, ignore_errors=True)
        return _ready(judge, data, cfg.seed)
    return load_judge(choice, data, cfg.seed, device)


def load_judge(folder: str, data: TensorData, seed: int, device: torch.device) -> Judge:
    """The CNN saved in ``folder`` as a judge of ``data``'s images, with its statistics of the real ones."""
    if not RunFolder(folder).has_checkpoint():
        raise ConfigError(f"judge {folder!r}: not a CNN run folder with a checkpoint (use auto, off or a folder)")
    return _ready(Judge.from_run(folder, device), data, seed)


def _ready(judge: Judge, data: TensorData, seed: int) -> Judge:
    if judge.image_shape != data.image_shape or len(judge.class_names) != data.n_classes:
        raise ConfigError(f"the judge CNN ({judge.name}) takes {judge.image_shape} images in "
                          f"{len(judge.class_names)} classes; this dataset has {data.image_shape} in {data.n_classes}")
    judge.fit_real(data.train_x, seed=seed)
    return judge


def _train_auto_judge(cfg: GeneratorConfig, data: TensorData, control: Control,
                      folder: Path) -> Iterator[JudgeTrainingReport]:
    """Train the default CNN into a temporary folder, then rename it into the cache. Returns ``(folder, note)``:
    the cache folder and "", or — for a judge the time limit cut short below AUTO_JUDGE_MIN_ACC — the temporary
    folder and a note saying it is not cached; ``None`` when training was stopped (nothing is kept)."""
    from gendisc.engine.train.cnn_trainer import train_cnn

    # per process and thread: the window's GAN and flow jobs may both train one at once (the first renamed wins)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    finished: FinishedReport | None = None
    for r in train_cnn(auto_judge_config(cfg), data, control, tmp, autosave_s=None):
        if isinstance(r, StepReport):
            yield JudgeTrainingReport(kind_of(cfg), r.progress, r.losses.get("train_loss", float("nan")),
                                      r.images_per_s, r.elapsed_s)
        elif isinstance(r, FinishedReport):
            finished = r
    if finished is None or finished.reason == "stopped":
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    acc = finished.metrics.get("val_acc", float("nan"))
    if finished.reason != "completed" and not acc >= AUTO_JUDGE_MIN_ACC:
        shown = "unknown" if not np.isfinite(acc) else f"{100 * acc:.0f}%"
        return tmp, f"; not cached: {shown} accurate when its time ran out"
    try:
        tmp.rename(folder)
    except OSError:   # another process cached one meanwhile: use theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return folder, ""
