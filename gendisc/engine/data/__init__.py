"""Datasets: the catalog, downloads, imports, readers for IDX, .npz, CIFAR-10 and image folders, resident
tensors and batch augmentation.

Importing this package does not import torch (the GUI lists datasets before torch is loaded); the tensor side
lives in :mod:`engine.data.tensors`.
"""

from gendisc.engine.data.catalog import (
           DatasetInfo,
           dataset_info,
           ensure_downloaded,
           list_datasets,
           load_dataset,
           unload,
)
from gendisc.engine.data.dataset import Cancelled, RawDataset

__all__ = ["Cancelled", "DatasetInfo", "RawDataset", "dataset_info", "ensure_downloaded", "list_datasets",
           "load_dataset", "unload"]
