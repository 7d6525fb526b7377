"""A GAN run's sample grids: written as PNGs at every epoch end, read back as the batches they were made of.

The folder keeps at most :data:`MAX_SAMPLE_FILES` of them: the first epoch's, the latest :data:`RECENT_SAMPLES` and
an evenly thinned set of the others (:mod:`.thinning`), so a run of thousands of epochs stays a few MB on disk and
opens as quickly as a short one.

Reading needs only the run folder and the image shape (from the checkpoint's header): File → Open run, following a
run another process writes, the runs table's thumbnails and the HTML report all read them here.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from gendisc.engine.atomic import atomic_write_bytes
from gendisc.engine.imageio import encode_png, split_grid
from gendisc.engine.runs.layout import SAMPLES_DIR, SampleFile, list_samples, sample_name
from gendisc.engine.runs.thinning import epochs_to_drop

MAX_GRID_PIXELS = 64 * 1024 * 1024   # far beyond any grid we write (1,024 samples of 256×256): refuse, don't decode
MAX_SAMPLE_FILES = 200   # 200 grids of 64 RGB 32×32 samples: about 40 MB; of MNIST digits about 8 MB
RECENT_SAMPLES = 50      # the latest epochs, every one kept


def save_grid(run_dir: Path, epoch: int, grid: np.ndarray, keep: int = MAX_SAMPLE_FILES,
              recent: int = RECENT_SAMPLES) -> Path:
    """Write one epoch's grid, then thin the older grids so at most ``keep`` remain (never this one)."""
    file = Path(run_dir) / SAMPLES_DIR / sample_name(epoch)
    atomic_write_bytes(file, encode_png(grid))
    prune_samples(run_dir, keep, recent, pinned=(epoch,))
    return file


def prune_samples(run_dir: Path, keep: int = MAX_SAMPLE_FILES, recent: int = RECENT_SAMPLES,
                  pinned: tuple[int, ...] = ()) -> list[int]:
    """Delete sample grids until at most ``keep`` remain: never the first, the latest ``recent`` or a ``pinned``
    epoch; returns the epochs deleted. A file that cannot be deleted is left for next time."""
    samples = {s.epoch: s.path for s in list_samples(Path(run_dir))}
    dropped = epochs_to_drop(sorted(samples), keep, recent, pinned)
    for epoch in dropped:
        with contextlib.suppress(OSError):
            samples[epoch].unlink(missing_ok=True)
    return dropped


def read_grid(file: Path, channels: int) -> np.ndarray | None:
    """A sample grid as uint8 ``H×W`` (gray) or ``H×W×3``; None for a file that is missing, still being written
    or not a PNG of a sensible size."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as im:
            if im.width * im.height > MAX_GRID_PIXELS:
                return None
            return np.asarray(im.convert("L" if channels == 1 else "RGB"), dtype=np.uint8).copy()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):   # PIL raises SyntaxError for some damage
        return None


def read_batch(sample: SampleFile, n: int, shape: tuple[int, int, int]) -> np.ndarray | None:
    """The ``n`` images (uint8 ``N×H×W×C``) of one grid of images of ``shape`` (C, H, W); None if unreadable."""
    c, h, w = shape
    grid = read_grid(sample.path, c)
    if grid is None:
        return None
    try:
        return split_grid(grid, n, h, w)
    except ValueError:   # a grid of another size than the run's samples
        return None


def sample_history(run_dir: Path, n: int, shape: tuple[int, int, int]) -> list[tuple[int, np.ndarray]]:
    """Every readable epoch's sample batch, oldest first: ``(epoch, uint8 N×H×W×C)``."""
    history = []
    for sample in list_samples(Path(run_dir)):
        batch = read_batch(sample, n, shape)
        if batch is not None:
            history.append((sample.epoch, batch))
    return history
