"""Datasets: the catalog, readers for IDX and .npz, resident tensors and batch augmentation."""

from engine.data.catalog import DatasetInfo, list_datasets, load_dataset
from engine.data.dataset import RawDataset
from engine.data.tensors import TensorData, normalize, prepare, to_uint8

__all__ = ["DatasetInfo", "RawDataset", "TensorData", "list_datasets", "load_dataset", "normalize", "prepare",
           "to_uint8"]
