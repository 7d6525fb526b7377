"""A dataset as resident uint8 images, split, on the training device when it fits; batches are normalised as they
are sliced (:class:`~gendisc.engine.data.images.Images`).

No DataLoader and no worker processes: for MNIST-sized data, slicing one tensor already in memory is several
times faster than collating batches from Python objects. Bytes, not floats: a quarter of the memory, and the
splits share the dataset's own array (a memory map stays one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gendisc.engine.config import DataConfig
from gendisc.engine.data.dataset import RawDataset
from gendisc.engine.data.images import Images


def normalize(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 ``N×H×W×C`` (or ``N×C×H×W`` tensor) → float ``N×C×H×W`` in [-1, 1]; background is -1.

    One scaling for both networks: the GAN's tanh output and the CNN's input live in the same space, so the
    CNN can judge generated images as they are.
    """
    # a copy: cached dataset arrays are read-only, and the caller's array must never change
    t = torch.tensor(images) if isinstance(images, np.ndarray) else images
    if t.ndim == 3:
        t = t.unsqueeze(-1)
    if t.shape[-1] in (1, 3) and t.shape[1] not in (1, 3):
        t = t.permute(0, 3, 1, 2)
    return t.contiguous().float().div(127.5).sub_(1.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float ``N×C×H×W`` in [-1, 1] → uint8 ``N×H×W×C`` NumPy array (CPU)."""
    y = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return y.permute(0, 2, 3, 1).cpu().numpy()


@dataclass
class TensorData:
    """Training, validation and (when the dataset has one) test images and labels, plus what the models need to
    know. Images given as float tensors (``N×C×H×W`` in [-1, 1]: tests, generated sets) are wrapped as they are."""

    name: str
    train_x: Images
    train_y: torch.Tensor
    val_x: Images
    val_y: torch.Tensor
    test_x: Images | None
    test_y: torch.Tensor | None
    class_names: tuple[str, ...]
    val_from_test: bool = False   # no validation split was asked for: val_* are the test split's tensors
    labelled: np.ndarray | None = None   # few labels: the training images kept, as indices into the dataset's own
    #                                      training images (None: every training image is used)
    unlabelled_x: Images | None = None   # every image of the training split, labelled or not, for a trainer
    #                                            that learns from unlabelled images too (asked of prepare)
    split_size: int = 0   # images in the training split, labelled or not (few labels: more than train_x holds)

    def __post_init__(self) -> None:
        pool_is_train = self.unlabelled_x is self.train_x   # one set of images, wrapped once
        self.train_x, self.val_x = Images.of(self.train_x), Images.of(self.val_x)
        if self.test_x is not None:
            self.test_x = Images.of(self.test_x)
        if self.unlabelled_x is not None:
            self.unlabelled_x = self.train_x if pool_is_train else Images.of(self.unlabelled_x)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        c, h, w = self.train_x.shape[1:]
        return (int(c), int(h), int(w))

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def device(self) -> torch.device:
        return self.train_x.device

    @property
    def epoch_images(self) -> int:
        """Images an epoch passes over: the training split's size. With few labels that is more than the labelled
        images, which an epoch then draws many times: epochs (a budget, a validation) mean as much as with every
        label, and the few-label CNN and the semi-supervised GAN (whose epoch is the whole split) stay in step."""
        return max(len(self.train_x), self.split_size) if self.labelled is not None else len(self.train_x)


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded shuffle, cut into train and validation indices (validation at least one image if asked)."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = 0 if val_fraction <= 0 else min(n - 1, max(1, round(n * val_fraction)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def prepare(raw: RawDataset, cfg: DataConfig, device: torch.device | str = "cpu",
            unlabelled: bool = False) -> TensorData:
    """Split ``raw`` as ``cfg`` says and hold it as uint8 images on ``device`` (or in CPU memory if it won't fit:
    pinned for CUDA, or the dataset's memory map), normalised batch by batch.

    ``unlabelled``: also hold every image of the training split as ``unlabelled_x`` (the same images as
    ``train_x`` when every label is used), for the semi-supervised GAN.
    """
    device = torch.device(device)
    split_idx, val_idx = split_indices(len(raw.train_labels), cfg.val_fraction, cfg.split_seed)
    train_idx, labelled = split_idx, None
    if cfg.labels_per_class > 0:
        train_idx = labelled = few_labels(raw.train_labels, split_idx, cfg.labels_per_class, cfg.labels_seed)
    # one store for the training split and the validation split: their images are rows of the same array
    store = Images(raw.train_images).to(device)

    def labels_of(labels: np.ndarray) -> torch.Tensor:
        return torch.tensor(labels, dtype=torch.long).to(device)   # small: always on the device

    train_x, train_y = store.take(train_idx), labels_of(raw.train_labels[train_idx])
    val_x, val_y = store.take(val_idx), labels_of(raw.train_labels[val_idx])
    test_x = test_y = None
    if raw.test_images is not None and raw.test_labels is not None:
        test_x, test_y = Images(raw.test_images).to(device), labels_of(raw.test_labels)
    pool = None
    if unlabelled:
        pool = train_x if labelled is None else store.take(split_idx)
    if len(val_idx) == 0 and test_x is not None and test_y is not None:
        # no validation split asked for (val_fraction 0): epochs are measured on the test split, not on nothing
        return TensorData(raw.name, train_x, train_y, test_x, test_y, test_x, test_y, raw.class_names, True,
                          labelled, pool, len(split_idx))
    return TensorData(raw.name, train_x, train_y, val_x, val_y, test_x, test_y, raw.class_names, False, labelled,
                      pool, len(split_idx))


def few_labels(labels: np.ndarray, train_idx: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """``per_class`` training images of each class (all of a class that has fewer), drawn with ``seed`` from the
    training split ``train_idx``: sorted indices into the dataset's training images."""
    order = train_idx[np.random.default_rng(seed).permutation(len(train_idx))]
    chosen = [order[labels[order] == k][:per_class] for k in np.unique(labels[train_idx])]
    return np.sort(np.concatenate(chosen)) if chosen else train_idx[:0]


MIN_PER_CLASS = 10   # training images per class below which a classifier learns next to nothing


def size_warning(data: TensorData) -> str | None:
    """A warning for a dataset too small to learn from (1 image per class trains, silently, to 0% validation
    accuracy), or None."""
    n_classes = data.n_classes
    counts = torch.bincount(data.train_y.detach().cpu(), minlength=n_classes)[:n_classes]
    fewest = int(counts.min()) if len(counts) else 0
    if fewest >= MIN_PER_CLASS:
        return None
    name = data.class_names[int(counts.argmin())]
    val = len(data.val_x)
    return (f"the dataset is too small to learn much from: {len(data.train_x):,} training images for {n_classes} "
            f"classes, {fewest} in class {name!r}, and {val:,} image{'s' if val != 1 else ''} to validate on; "
            f"expect an accuracy that means little (at least {MIN_PER_CLASS} images per class, better hundreds)")
