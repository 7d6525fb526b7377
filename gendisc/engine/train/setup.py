"""What happens before a trainer's first step, the same for the command line and the app's training job: pick the
device, load the dataset, split it and hold it on the device, and choose the trainer for the config."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from gendisc.engine.config import CnnConfig, FlowConfig, RunConfig, SsganConfig, kind_of, model_name
from gendisc.engine.data import load_dataset
from gendisc.engine.data.tensors import TensorData, prepare
from gendisc.engine.devices import describe_device, pick_device
from gendisc.engine.train.control import Control
from gendisc.engine.train.reports import Report

if TYPE_CHECKING:
    from gendisc.engine.train.distributed import Dist


@dataclass(frozen=True)
class TrainingSetup:
    """A config with its device and its data resident there; :meth:`reports` runs the trainer."""

    cfg: RunConfig
    device: torch.device
    data: TensorData
    dist: Dist | None = None

    @property
    def kind(self) -> str:
        return kind_of(self.cfg)

    @property
    def device_name(self) -> str:
        """In words: ``CPU (2 threads of 2 cores)``, ``NVIDIA H100 80GB HBM3``..."""
        return describe_device(self.device)

    def describe(self) -> str:
        """One line on what trains on what: model, dataset and its splits."""
        d = self.data
        test = "" if d.test_x is None else f" / {len(d.test_x):,} test"
        train = f"{len(d.train_x):,} training"
        if d.labelled is not None:
            train = f"{len(d.train_x):,} labelled training"
            if d.unlabelled_x is not None:
                train += f" (of {len(d.unlabelled_x):,} used without labels)"
        name = self.kind.upper() if self.kind != "ssgan" else model_name(self.kind, capital=True)
        return f"{name} on {d.name}: {train} / {len(d.val_x):,} validation{test} images"

    def reports(self, control: Control, run_dir: str | os.PathLike[str] | None, resume: bool = False,
                publish_weights_s: float | None = None, autosave_s: float | None = 300.0) -> Iterator[Report]:
        """The trainer's reports, from its first step to its :class:`~gendisc.engine.train.reports.FinishedReport`."""
        extra = {"dist": self.dist} if self.dist is not None else {}
        return trainer_for(self.cfg)(self.cfg, self.data, control, run_dir, resume=resume,
                                     publish_weights_s=publish_weights_s, autosave_s=autosave_s, **extra)


def trainer_for(cfg: RunConfig) -> Callable[..., Iterator[Report]]:
    """:func:`train_cnn` for a CNN config, :func:`train_gan` for a GAN's, :func:`train_flow` for a flow model's,
    :func:`train_ssgan` for a semi-supervised GAN's."""
    if isinstance(cfg, CnnConfig):
        from gendisc.engine.train.cnn_trainer import train_cnn

        return train_cnn
    if isinstance(cfg, FlowConfig):
        from gendisc.engine.train.flow_trainer import train_flow

        return train_flow
    if isinstance(cfg, SsganConfig):
        from gendisc.engine.train.ssgan_trainer import train_ssgan

        return train_ssgan
    from gendisc.engine.train.gan_trainer import train_gan

    return train_gan


def setup_training(cfg: RunConfig, dist: Dist | None = None, device: torch.device | None = None) -> TrainingSetup:
    """Device (this rank's under ``torchrun``), then the dataset: loaded (a catalog dataset must be downloaded
    already), split as ``cfg.data`` says and held on the device when it fits."""
    device = device or (dist.device if dist is not None else pick_device(cfg.device))
    data = prepare(load_dataset(cfg.data.dataset), cfg.data, device, unlabelled=isinstance(cfg, SsganConfig))
    return TrainingSetup(cfg, device, data, dist)
