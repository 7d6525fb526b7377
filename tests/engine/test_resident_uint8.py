"""A prepared dataset holds uint8 images and normalises each batch as it is sliced, to exactly the float values the
float tensors of before held: the same seeds give the same batches and the same training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gendisc.engine.config import CnnConfig, DataConfig, GanConfig, TrainBudget
from gendisc.engine.data import images
from gendisc.engine.data.catalog import load_dataset
from gendisc.engine.data.dataset import RawDataset
from gendisc.engine.data.images import Images
from gendisc.engine.data.tensors import TensorData, few_labels, normalize, prepare, split_indices
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.gan_trainer import train_gan
from gendisc.engine.train.reports import FinishedReport, StepReport

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def raw() -> RawDataset:
    full = load_dataset("mnist-sample")
    pick = np.random.default_rng(0).permutation(len(full.train_labels))[:300]
    return RawDataset("small", full.train_images[pick], full.train_labels[pick], full.class_names,
                      full.train_images[:40], full.train_labels[:40])


def float_path(raw: RawDataset, cfg: DataConfig) -> TensorData:
    """The dataset as ``prepare`` held it before: every split normalised once into float tensors."""
    split_idx, val_idx = split_indices(len(raw.train_labels), cfg.val_fraction, cfg.split_seed)
    train_idx = split_idx
    if cfg.labels_per_class > 0:
        train_idx = few_labels(raw.train_labels, split_idx, cfg.labels_per_class, cfg.labels_seed)
    assert raw.test_images is not None and raw.test_labels is not None

    def y(labels: np.ndarray) -> torch.Tensor:
        return torch.tensor(labels, dtype=torch.long)

    return TensorData(raw.name, normalize(raw.train_images[train_idx]), y(raw.train_labels[train_idx]),
                      normalize(raw.train_images[val_idx]), y(raw.train_labels[val_idx]),
                      normalize(raw.test_images), y(raw.test_labels), raw.class_names, False, None,
                      normalize(raw.train_images[split_idx]), len(split_idx))


def test_the_resident_images_are_bytes_shared_by_the_splits(raw: RawDataset) -> None:
    data = prepare(raw, DataConfig(val_fraction=0.2), "cpu", unlabelled=True)
    for x in (data.train_x, data.val_x, data.test_x, data.unlabelled_x):
        assert isinstance(x, Images) and x.stored_dtype == torch.uint8
    assert data.train_x.store.data_ptr() == data.val_x.store.data_ptr()   # one store, not a copy per split
    assert data.train_x.store.data_ptr() == raw.train_images.ctypes.data   # nor a copy of the dataset
    assert data.train_x.shape == (240, 1, 28, 28) and data.image_shape == (1, 28, 28)
    assert data.train_x.nbytes == 240 * 28 * 28


def test_batches_are_bit_identical_to_the_float_path(raw: RawDataset) -> None:
    cfg = DataConfig(val_fraction=0.2, split_seed=5)
    new, old = prepare(raw, cfg, "cpu", unlabelled=True), float_path(raw, cfg)
    order = torch.randperm(len(new.train_x), generator=torch.Generator().manual_seed(0))
    mask = torch.arange(len(new.val_x)) % 3 == 0
    for got, want in ((new.train_x[order[:64]], old.train_x[order[:64]]), (new.train_x[10:50], old.train_x[10:50]),
                      (new.val_x[mask], old.val_x[mask]), (new.val_x[7], old.val_x[7]),
                      (new.train_x[np.array([3, 1, 2])], old.train_x[[3, 1, 2]]),
                      (new.test_x.float_all(), old.test_x[:]),    # type: ignore[union-attr]
                      (new.unlabelled_x[:], old.unlabelled_x[:])):   # type: ignore[index]
        assert got.dtype == torch.float32 and got.is_contiguous()
        assert torch.equal(got, want)
    assert torch.equal(new.train_y, old.train_y) and torch.equal(new.val_y, old.val_y)


def test_a_rank_share_and_a_few_label_subset_pick_rows_of_the_same_store(raw: RawDataset) -> None:
    data = prepare(raw, DataConfig(val_fraction=0.2, labels_per_class=3), "cpu", unlabelled=True)
    old = float_path(raw, DataConfig(val_fraction=0.2, labels_per_class=3))
    assert len(data.train_x) == 30 and data.unlabelled_x is not None and len(data.unlabelled_x) == 240
    part = data.train_x.take(torch.tensor([4, 0, 9]))
    assert part.store is data.train_x.store
    assert torch.equal(part[:], old.train_x[[4, 0, 9]])


def test_float_tensors_pass_through_unchanged() -> None:
    x = torch.rand(6, 3, 8, 8) * 2 - 1
    data = TensorData("t", x, torch.zeros(6, dtype=torch.long), x[:2], torch.zeros(2, dtype=torch.long), None, None,
                      ("a",))
    assert data.train_x.stored_dtype == torch.float32 and torch.equal(data.train_x[[5, 1]], x[[5, 1]])
    assert data.train_x.to("cpu") is data.train_x


def _losses(reports: list) -> tuple[list[dict[str, float]], dict[str, float]]:
    steps = [r.losses for r in reports if isinstance(r, StepReport)]
    final = next(r for r in reports if isinstance(r, FinishedReport))
    return steps, final.metrics


def test_training_gives_the_same_numbers_as_the_float_path(raw: RawDataset) -> None:
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=32, log_every=1, budget=TrainBudget(max_steps=4),
                    data=DataConfig(val_fraction=0.2, augment=False))
    new, old = prepare(raw, cfg.data, "cpu"), float_path(raw, cfg.data)
    assert _losses(list(train_cnn(cfg, new))) == _losses(list(train_cnn(cfg, old)))
    gan = GanConfig(device="cpu", batch_size=16, log_every=1, budget=TrainBudget(max_steps=3), judge="off",
                    data=DataConfig(val_fraction=0.2, augment=False))
    assert _losses(list(train_gan(gan, new)))[0] == _losses(list(train_gan(gan, old)))[0]


# -- where the store goes when the device is a GPU (decided here on the CPU: the copies themselves need CUDA) ------
def test_the_store_moves_to_a_gpu_only_with_room_to_spare(monkeypatch: pytest.MonkeyPatch) -> None:
    gib = 1 << 30
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (8 * gib, 16 * gib))
    cuda = torch.device("cuda")
    assert images.fits(4 * gib - 1, cuda)       # twice the images still leave room for models and activations
    assert not images.fits(4 * gib, cuda)
    assert images.fits(10**15, torch.device("cpu"))   # the CPU never refuses: a memory map bounds it instead


def test_a_store_too_large_for_the_gpu_stays_in_pinned_cpu_memory(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    pinned: list[torch.Tensor] = []

    def pin(self: torch.Tensor) -> torch.Tensor:
        pinned.append(self)
        return self.clone()

    monkeypatch.setattr(images, "fits", lambda nbytes, device: False)
    monkeypatch.setattr(torch.Tensor, "pin_memory", pin)
    monkeypatch.setattr(torch.Tensor, "is_pinned", lambda self: False)
    store = np.zeros((10, 28, 28, 1), np.uint8)
    on_gpu = Images(store).to("cuda")
    assert pinned and on_gpu.store.device.type == "cpu" and on_gpu.device == torch.device("cuda")
    assert on_gpu.stored_dtype == torch.uint8            # still bytes: batches are normalised on the GPU

    pinned.clear()                                        # a memory map is never copied into pinned memory
    mapped = np.lib.format.open_memmap(tmp_path / "cache.npy", "w+", np.uint8, (10, 28, 28, 1))
    assert Images(mapped).to("cuda").mapped and not pinned
