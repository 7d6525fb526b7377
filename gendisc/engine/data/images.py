"""Images held as bytes and normalised batch by batch, as a trainer slices them.

A dataset stays uint8 (a quarter of float32) wherever it lives: on the training device when it fits, in pinned
CPU memory when CUDA is the device and it does not, or in a memory-mapped cache file when it is larger than memory
should hold. The splits of one dataset share one store (the training and validation images are rows of the same
array), and each batch comes out as float ``N×C×H×W`` in [-1, 1] on the device, with exactly the values
:func:`~gendisc.engine.data.tensors.normalize` gives.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

Key = int | slice | torch.Tensor | np.ndarray | list[int]


def from_numpy(array: np.ndarray) -> torch.Tensor:
    """``array`` as a tensor sharing its memory (a read-only cached array or a memory map is never copied)."""
    with warnings.catch_warnings():   # "not writable": nothing ever writes to a store, slices are copies
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(array)


def scale(x: torch.Tensor) -> torch.Tensor:
    """uint8 → float in [-1, 1]: the same operations as ``normalize``, so the values are bit-identical."""
    return x.float().div_(127.5).sub_(1.0)


class Images:
    """``N`` images as a model sees them (float ``N×C×H×W`` in [-1, 1]), held compactly.

    Parameters
    ----------
    store
        uint8 ``M×H×W×C`` rows (a NumPy array, a memory map or a tensor), or a tensor already ``N×C×H×W``: float
        (kept as it is: generated images, tests) or uint8.
    rows
        Which rows of ``store`` these images are (int64); ``None``: all of them, in order.
    device
        Where batches come out; ``None``: where the store is.
    """

    def __init__(self, store: torch.Tensor | np.ndarray, rows: torch.Tensor | np.ndarray | None = None,
                 device: torch.device | str | None = None) -> None:
        self._nhwc = isinstance(store, np.ndarray)
        self.mapped = self._nhwc and is_mapped(store)   # a memory map stays one: from_numpy maps the same pages
        t = from_numpy(np.asarray(store)) if isinstance(store, np.ndarray) else store
        if t.ndim != 4:
            raise ValueError(f"images must be 4-D; got shape {tuple(t.shape)}")
        self.store = t
        # the rows live with the store: picking them costs no copy between devices
        self.rows = None if rows is None else torch.as_tensor(rows, dtype=torch.long).to(t.device)
        self.device = torch.device(device) if device is not None else t.device

    def _with(self, store: torch.Tensor, rows: torch.Tensor | None, device: torch.device) -> Images:
        out = Images.__new__(Images)
        out._nhwc, out.store, out.device = self._nhwc, store, device
        out.rows = None if rows is None else rows.to(store.device)
        out.mapped = self.mapped and store is self.store
        return out

    @classmethod
    def of(cls, x: Images | torch.Tensor) -> Images:
        """``x`` as :class:`Images` (a tensor ``N×C×H×W`` is wrapped as it is)."""
        return x if isinstance(x, Images) else cls(x)

    # --- what the trainers ask ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.store) if self.rows is None else len(self.rows)

    @property
    def shape(self) -> torch.Size:
        if self._nhwc:
            _, h, w, c = self.store.shape
        else:
            _, c, h, w = self.store.shape
        return torch.Size((len(self), c, h, w))

    @property
    def stored_dtype(self) -> torch.dtype:
        """What one pixel is held as: ``torch.uint8`` for a dataset (``float32`` only for tensors passed in)."""
        return self.store.dtype

    @property
    def nbytes(self) -> int:
        """Bytes of the images this holds (of its rows, not of the store it shares with other splits)."""
        return len(self) * self.store[0].numel() * self.store.element_size() if len(self.store) else 0

    def __getitem__(self, key: Key) -> torch.Tensor:
        """The images ``key`` picks (a slice, an index tensor or array, a boolean mask or one index) as float
        ``N×C×H×W`` in [-1, 1] on :attr:`device` (one index: ``C×H×W``)."""
        if isinstance(key, int):
            return self[torch.tensor([key])][0]
        if isinstance(key, (list, np.ndarray)):
            key = torch.as_tensor(np.asarray(key))
        if isinstance(key, torch.Tensor) and key.dtype == torch.bool:
            key = key.nonzero().flatten()
        if self.rows is not None:
            key = self.rows[key.to(self.rows.device) if isinstance(key, torch.Tensor) else key]
        if isinstance(key, torch.Tensor):
            key = key.to(self.store.device)
        x = self.store[key]
        if self._nhwc:
            x = x.permute(0, 3, 1, 2).contiguous()   # bytes reordered, not floats; the layout trainers always got
        x = x.to(self.device)
        return scale(x) if x.dtype == torch.uint8 else x

    def float_all(self) -> torch.Tensor:
        """Every image as one float tensor (for small consumers: a test, a plot)."""
        return self[:]

    # --- placing and sharing -----------------------------------------------------------------------------------
    def to(self, device: torch.device | str) -> Images:
        """These images with batches coming out on ``device``. The store moves there when it fits; when CUDA is
        the device and it does not, it stays in pinned CPU memory, or memory-mapped if it is a memory map."""
        device = torch.device(device)
        store = self.store
        if store.device != device:
            if fits(self.store_bytes, device):
                store = store.to(device)
            elif device.type == "cuda" and not self.mapped and not store.is_pinned():
                store = store.pin_memory()   # page-locked: copies to the GPU need no staging buffer
        if store is self.store and device == self.device:
            return self
        return self._with(store, self.rows, device)

    def take(self, index: torch.Tensor | np.ndarray) -> Images:
        """A subset (``index`` into these images) that shares this store: nothing is copied or converted."""
        index = torch.as_tensor(index, dtype=torch.long).to(self.store.device)
        return self._with(self.store, index if self.rows is None else self.rows[index], self.device)

    @property
    def store_bytes(self) -> int:
        return self.store.numel() * self.store.element_size()

    def __repr__(self) -> str:
        where = "memory-mapped" if self.mapped else str(self.store.device)
        return f"Images({tuple(self.shape)}, {self.stored_dtype} {where}, batches on {self.device})"


def fits(nbytes: int, device: torch.device) -> bool:
    """Whether ``nbytes`` of images may live on ``device``: always on a CPU; on a GPU with room to spare for the
    models and activations."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes * 2 < free


def is_mapped(array: np.ndarray) -> bool:
    """Whether ``array`` (or the array it is a view of) lies in a memory-mapped file."""
    import mmap

    a: object = array
    while a is not None:
        if isinstance(a, (np.memmap, mmap.mmap)):
            return True
        a = getattr(a, "base", None)
    return False


ImageBatches = Images | torch.Tensor   # what a consumer slices batches from: both give float N×C×H×W
