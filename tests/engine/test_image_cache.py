"""An image folder is decoded once into a memory-mapped cache, reused while the folder is unchanged and decoded
again when it changes; a cancelled import leaves nothing; a folder over the memory budget trains from its map."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gendisc.engine.config import CnnConfig, DataConfig, TrainBudget
from gendisc.engine.data import image_cache, image_folder, registry
from gendisc.engine.data.image_cache import BUDGET_ENV, load_image_folder
from gendisc.engine.data.image_folder import read_image_folder
from gendisc.engine.data.images import is_mapped
from gendisc.engine.data.tensors import prepare
from gendisc.engine.errors import Cancelled, DatasetError
from gendisc.engine.train.cnn_trainer import train_cnn
from gendisc.engine.train.reports import FinishedReport, StepReport

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "gendisc-data"
    monkeypatch.setenv("GENDISC_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file decoded, in order: an import that reuses its cache decodes none."""
    seen: list[Path] = []
    real = image_folder._decode

    def counting(path: Path, color: str, size: int | None) -> tuple[np.ndarray, tuple[int, int]]:
        seen.append(path)
        return real(path, color, size)

    monkeypatch.setattr(image_folder, "_decode", counting)
    return seen


def write_folder(folder: Path, n: int = 6, side: int = 8, colour: bool = True) -> None:
    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        (folder / c).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = rng.integers(0, 256, (side, side, 3) if colour else (side, side), dtype=np.uint8)
            Image.fromarray(a).save(folder / c / f"{i:03d}.png")


def caches(data_dir: Path) -> list[Path]:
    root = data_dir / "imported"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []


def test_a_cache_is_built_once_and_holds_what_the_folder_holds(tmp_path: Path, data_dir: Path,
                                                               decoded: list[Path]) -> None:
    write_folder(tmp_path / "f")
    path, result = load_image_folder(tmp_path / "f")
    assert len(decoded) == 12 and caches(data_dir) == [path]
    assert sorted(os.listdir(path)) == ["meta.json", "train_images.npy", "train_labels.npy"]
    want = read_image_folder(tmp_path / "f").dataset
    np.testing.assert_array_equal(result.dataset.train_images, want.train_images)
    np.testing.assert_array_equal(result.dataset.train_labels, want.train_labels)
    before = len(decoded)
    again_path, again = load_image_folder(tmp_path / "f")
    assert again_path == path and len(decoded) == before   # nothing decoded the second time
    np.testing.assert_array_equal(again.dataset.train_images, want.train_images)


def test_gray_images_are_cached_with_one_channel(tmp_path: Path) -> None:
    write_folder(tmp_path / "g", colour=False)
    path, result = load_image_folder(tmp_path / "g")
    assert result.dataset.image_shape == (1, 8, 8)
    assert sorted(os.listdir(path)) == ["meta.json", "train_images_gray.npy", "train_labels.npy"]


@pytest.mark.parametrize("change", ["add", "rewrite", "touch"])
def test_a_changed_folder_is_decoded_again_and_its_old_cache_removed(tmp_path: Path, data_dir: Path,
                                                                     decoded: list[Path], change: str) -> None:
    write_folder(tmp_path / "f")
    first, _ = load_image_folder(tmp_path / "f")
    target = tmp_path / "f" / "a" / "000.png"
    if change == "add":
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "f" / "b" / "new.png")
    elif change == "rewrite":
        Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(target)
    else:
        st = target.stat()
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    decoded.clear()
    second, result = load_image_folder(tmp_path / "f")
    assert second != first and decoded and caches(data_dir) == [second]
    np.testing.assert_array_equal(result.dataset.train_images, read_image_folder(tmp_path / "f").dataset.train_images)


def test_another_size_is_another_cache(tmp_path: Path, data_dir: Path) -> None:
    write_folder(tmp_path / "f")
    a, _ = load_image_folder(tmp_path / "f")
    b, small = load_image_folder(tmp_path / "f", size=16)
    assert a != b and caches(data_dir) == sorted([a, b]) and small.dataset.image_shape == (3, 16, 16)


def test_a_cancelled_import_leaves_no_cache_to_reuse(tmp_path: Path, data_dir: Path, decoded: list[Path]) -> None:
    write_folder(tmp_path / "f", n=60)
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        registry.import_dataset(tmp_path / "f", progress=lambda done, total: cancel.set() if done >= 50 else None,
                                cancel=cancel)
    assert not (data_dir / "imported").exists() and registry.load_entries() == []
    decoded.clear()
    entry, ds = registry.import_dataset(tmp_path / "f")   # starts again from the first image
    assert len(decoded) == 120 and len(ds.train_labels) == 120
    assert Path(entry.path) in caches(data_dir)


def test_a_failed_import_leaves_no_cache(tmp_path: Path, data_dir: Path) -> None:
    write_folder(tmp_path / "f")
    (tmp_path / "f" / "b" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match=r"broken\.png"):
        load_image_folder(tmp_path / "f")
    assert caches(data_dir) == []


def test_reimporting_an_unchanged_folder_reuses_its_cache(tmp_path: Path, data_dir: Path,
                                                          decoded: list[Path]) -> None:
    write_folder(tmp_path / "f")
    e1, _ = registry.import_dataset(tmp_path / "f")
    e2, _ = registry.import_dataset(tmp_path / "f", title="again")
    assert e1.key == e2.key and e1.path == e2.path and len(decoded) == 12
    registry.forget(e2.key)
    assert caches(data_dir) == []


def test_a_folder_over_the_memory_budget_trains_from_its_memory_map(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_folder(tmp_path / "f", n=40, side=28, colour=False)
    _, small = load_image_folder(tmp_path / "f")
    assert not is_mapped(small.dataset.train_images)   # within the budget: read into memory
    monkeypatch.setenv(BUDGET_ENV, "1000")
    assert image_cache.memory_budget() == 1000
    _, big = load_image_folder(tmp_path / "f")
    assert is_mapped(big.dataset.train_images)
    cfg = CnnConfig(device="cpu", arch="classic", batch_size=16, log_every=1, budget=TrainBudget(max_steps=3),
                    data=DataConfig(val_fraction=0.25, augment=False))
    mapped, resident = prepare(big.dataset, cfg.data), prepare(small.dataset, cfg.data)
    assert mapped.train_x.mapped and not resident.train_x.mapped
    assert torch.equal(mapped.train_x[torch.tensor([5, 2, 30])], resident.train_x[torch.tensor([5, 2, 30])])

    def run(data: object) -> tuple[list[dict[str, float]], dict[str, float]]:
        reports = list(train_cnn(cfg, data))  # type: ignore[arg-type]
        final = next(r for r in reports if isinstance(r, FinishedReport))
        return [r.losses for r in reports if isinstance(r, StepReport)], final.metrics

    assert run(mapped) == run(resident)
