"""Datasets: the catalog, readers for IDX and .npz, resident tensors and batch augmentation.

Importing this package does not import torch (the GUI lists datasets before torch is loaded); the tensor side
lives in :mod:`engine.data.tensors`.
"""

from engine.data.catalog import DatasetInfo, list_datasets, load_dataset
from engine.data.dataset import RawDataset

__all__ = ["DatasetInfo", "RawDataset", "list_datasets", "load_dataset"]

