"""Measuring a saved generative run (a GAN or a flow model) by the judge CNN's verdict on fresh samples: the share it
recognises with confidence, the entropy of their classes and the Fréchet classifier distance to real images."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from gendisc.engine.config import FlowConfig, GanConfig
from gendisc.engine.data.tensors import TensorData
from gendisc.engine.evaluate.judge import Judge
from gendisc.engine.inference.generators import load_generator
from gendisc.engine.inference.predict import generate_tensor
from gendisc.engine.models.gan import balanced_labels
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.naming import auto_judge_dir

JUDGED_SAMPLES = 1000


def judge_folder(cfg: GanConfig | FlowConfig, data: TensorData) -> Path | None:
    """The CNN run that judges this run: its own judge (a CNN run folder it names), else the automatic judge of its
    dataset when one is cached here; None when there is none."""
    own = cfg.judge.strip()
    candidates = [] if own in ("auto", "off", "session") else [Path(own)]
    candidates.append(auto_judge_dir(cfg.data.dataset, data.image_shape, data.class_names))
    return next((folder for folder in candidates if RunFolder(folder).has_checkpoint()), None)


def judge_generator_run(run_dir: str | os.PathLike[str], cfg: GanConfig | FlowConfig,
                        data: TensorData) -> dict[str, Any]:
    """``judge``, ``judge_samples``, ``judge_confident``, ``judge_entropy`` and ``judge_fcd`` of
    :data:`JUDGED_SAMPLES` class-balanced samples (seed 1), or ``judge: none`` with the reason."""
    folder = judge_folder(cfg, data)
    if folder is None:
        return {"judge": "none (no judge CNN: train the run with --judge, or any GAN with --judge auto once)"}
    judge = Judge.from_run(folder, "cpu")
    judge.fit_real(data.train_x, seed=cfg.seed)
    g = load_generator(run_dir)
    z = torch.randn(JUDGED_SAMPLES, g.latent_dim, generator=torch.Generator().manual_seed(1))
    labels = balanced_labels(JUDGED_SAMPLES, g.n_classes) if g.n_classes else None
    scores = judge.score(generate_tensor(g, z, labels))
    return {"judge": str(folder), "judge_samples": JUDGED_SAMPLES,
            **{k: round(v, 5) for k, v in scores.metrics().items()}}
