"""Measuring a saved run: a CNN (a semi-supervised GAN's discriminator) on its validation and test sets; a GAN by
its discriminator's view and, like a flow model, by the judge CNN's verdict on its samples."""

from __future__ import annotations

import os
from typing import Any

import torch

from gendisc.engine.config import CnnConfig, FlowConfig, GanConfig, SsganConfig, kind_of
from gendisc.engine.data import load_dataset
from gendisc.engine.data.tensors import normalize, prepare
from gendisc.engine.evaluate.classify import evaluate_classifier, predict_logits
from gendisc.engine.evaluate.generator import judge_generator_run
from gendisc.engine.inference.loading import load_classifier, load_gan
from gendisc.engine.inference.predict import generate
from gendisc.engine.runs.folder import RunFolder


def evaluate_run(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Plain numbers describing how good the run's model is, with the split it was trained with."""
    cfg = RunFolder(run_dir).config()
    if isinstance(cfg, (CnnConfig, SsganConfig)):   # a semi-supervised GAN is measured by its discriminator
        loaded = load_classifier(run_dir)
        data = prepare(load_dataset(cfg.data.dataset), cfg.data)
        out: dict[str, Any] = {"kind": kind_of(cfg), "dataset": data.name, "step": loaded.step}
        for split, x, y in (("val", data.val_x, data.val_y), ("test", data.test_x, data.test_y)):
            if x is not None and len(x):
                ev = evaluate_classifier(loaded.model, x, y, data.n_classes)
                out.update({f"{split}_images": ev.n, f"{split}_loss": round(ev.loss, 5),
                            f"{split}_acc": round(ev.accuracy, 5)})
        return out
    data = prepare(load_dataset(cfg.data.dataset), cfg.data)
    if isinstance(cfg, FlowConfig):
        from gendisc.engine.inference.flow_loading import load_flow

        return {"kind": "flow", "dataset": data.name, "step": load_flow(run_dir).step,
                **judge_generator_run(run_dir, cfg, data)}
    assert isinstance(cfg, GanConfig)
    gan = load_gan(run_dir)
    real = data.val_x if len(data.val_x) else data.train_x[:1000]
    fake = normalize(generate(gan.generator, len(real), seed=1))
    d_real = torch.sigmoid(predict_logits(gan.discriminator, real)).mean()
    d_fake = torch.sigmoid(predict_logits(gan.discriminator, fake)).mean()
    return {"kind": kind_of(cfg), "dataset": data.name, "step": gan.step, "images": len(real),
            "d_real": round(float(d_real), 5), "d_fake": round(float(d_fake), 5),
            **judge_generator_run(run_dir, cfg, data)}
