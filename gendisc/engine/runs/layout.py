"""What a run folder holds, by name. Every reader and writer of run folders takes its file names from here.

::

    RUN/config.json               the run's settings (kind and config), versioned
    RUN/metrics.jsonl             one JSON line per epoch: epoch, step, elapsed_s and the epoch's metrics
    RUN/steps.jsonl               one JSON line per step report (every log_every steps): step, epoch, elapsed_s,
                                  lr, images_per_s, progress and the losses; thinned past 200,000 lines
    RUN/checkpoint.safetensors    weights, optimizer and RNG state; JSON metadata in the header
    RUN/judge.txt                 which CNN computed a GAN run's judge_* metrics
    RUN/samples/epoch-0001.png    a GAN's fixed-noise samples at each epoch end, as one grid
    RUN/.writer.lock              locked by the one process writing the run (see :mod:`.lock`): who, since when
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
STEPS_FILE = "steps.jsonl"
CHECKPOINT_FILE = "checkpoint.safetensors"
JUDGE_FILE = "judge.txt"
SAMPLES_DIR = "samples"
LOCK_FILE = ".writer.lock"

_SAMPLE = re.compile(r"^epoch-(\d{1,9})\.png$")


@dataclass(frozen=True, order=True)
class SampleFile:
    """One epoch's sample grid in a run folder."""

    epoch: int
    path: Path


def sample_name(epoch: int) -> str:
    return f"epoch-{epoch:04d}.png"


def list_samples(run_dir: Path) -> list[SampleFile]:
    """The sample grids of a run folder, oldest epoch first (files of other names are ignored)."""
    folder = Path(run_dir) / SAMPLES_DIR
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:
        return []
    return sorted(SampleFile(int(m[1]), folder / name) for name in names if (m := _SAMPLE.match(name)))
