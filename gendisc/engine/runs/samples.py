"""A GAN run's sample grids: written as PNGs at every epoch end, read back as the batches they were made of.

Reading needs only the run folder and the image shape (from the checkpoint's header): File → Open run, following a
run another process writes, the runs table's thumbnails and the HTML report all read them here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gendisc.engine.atomic import atomic_write_bytes
from gendisc.engine.imageio import encode_png, split_grid
from gendisc.engine.runs.layout import SAMPLES_DIR, SampleFile, list_samples, sample_name

MAX_GRID_PIXELS = 64 * 1024 * 1024   # far beyond any grid we write (1,024 samples of 256×256): refuse, don't decode


def save_grid(run_dir: Path, epoch: int, grid: np.ndarray) -> Path:
    file = Path(run_dir) / SAMPLES_DIR / sample_name(epoch)
    atomic_write_bytes(file, encode_png(grid))
    return file


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
