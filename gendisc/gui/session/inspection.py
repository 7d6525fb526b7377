"""When and on what the classifier in use is measured: its confusion matrix, mistakes and feature map over the
validation or test set.

A pass over a set runs in a background job, only while someone shows its results (the Inspect panel, visible), at
most every few seconds while a CNN trains (:attr:`InspectionScheduler.min_interval_s`, stretched when a pass is
slow), on a copy of the model: the live one keeps receiving weights on the GUI thread.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from gendisc.engine.config import DataConfig
from gendisc.gui.session.throttled import ThrottledPass

if TYPE_CHECKING:
    from gendisc.engine.data import RawDataset
    from gendisc.engine.evaluate.inspect import Inspection
    from gendisc.gui.session.live_models import LiveModel

SETS = ("val", "test")


@dataclass(frozen=True)
class SetResult:
    """An :class:`Inspection` with what it was computed on, as the background pass returns it."""

    inspection: Inspection
    images: np.ndarray          # uint8 N×H×W (gray) or N×H×W×3, for the galleries
    class_names: tuple[str, ...]
    set_title: str
    seconds: float
    model: Any                  # the copy measured: it places the drawing on the same feature map


def inspect_set(model: Any, images: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...],
                set_title: str) -> SetResult:
    """The background pass (no Qt): normalise, run the copy over the set, gather the inspection."""
    from gendisc.engine.data.tensors import normalize
    from gendisc.engine.evaluate.inspect import inspect_classifier
    from gendisc.gui.threads.torch_threads import for_helpers

    t0 = time.perf_counter()
    for_helpers()   # a helper thread beside the training thread (see gendisc.gui.threads.torch_threads)
    inspection = inspect_classifier(model, normalize(images), labels, len(class_names))
    shown = images[..., 0] if images.shape[-1] == 1 else images
    return SetResult(inspection, np.ascontiguousarray(shown), class_names, set_title, time.perf_counter() - t0,
                     model)


class InspectionScheduler(ThrottledPass):
    """Fed with :meth:`set_classifier`, :meth:`set_dataset` and :meth:`set_active`; ``started`` (a pass began),
    then ``inspected(SetResult)`` or ``problem(text)``."""

    started = Signal()
    inspected = Signal(object)
    problem = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("InspectThrottle", min_interval_s=5.0, cost_factor=4.0, parent=parent)
        self._model: LiveModel | None = None
        self._raw: RawDataset | None = None
        self._data_cfg: DataConfig | None = None
        self._set = "val"
        self.result: SetResult | None = None
        self.passes = 0                  # set-level passes started (the throttle's test reads it)

    # -- inputs ---------------------------------------------------------------------------------------------------
    def classifier(self) -> LiveModel | None:
        return self._model

    def set_classifier(self, model: LiveModel | None) -> None:
        """A new classifier, or new weights of the one in training (measured again, throttled)."""
        self._model = model
        self._mark_stale()

    def set_dataset(self, raw: RawDataset | None, data_config: DataConfig) -> None:
        """The dataset and split whose held-out images are measured."""
        self._raw, self._data_cfg = raw, data_config
        if self._set == "test" and not self.has_test_set():
            self._set = "val"
        self.refresh()

    def dataset(self) -> RawDataset | None:
        return self._raw

    def has_test_set(self) -> bool:
        return self._raw is not None and self._raw.test_images is not None

    def set_which(self, which: str) -> None:
        """Measure on ``"val"`` or ``"test"``."""
        if which not in SETS:
            raise ValueError(f"unknown set {which!r}; use one of {SETS}")
        if which != self._set:
            self._set = which
            self.refresh()

    def which(self) -> str:
        return self._set

    def refresh(self) -> None:
        """Measure again as soon as possible (not throttled)."""
        self._mark_stale(urgent=True)

    def problem_text(self) -> str | None:
        """Why nothing can be measured now, or None."""
        if self._model is None:
            return "No classifier yet: train a CNN or load one in the Draw panel."
        if self._raw is None or self._data_cfg is None:
            return "Waiting for the dataset…"
        names = self._model.class_names
        if tuple(self._raw.class_names) != names:
            return (f"The classifier knows other classes ({', '.join(names[:4])}…) than {self._raw.name} "
                    f"({', '.join(self._raw.class_names[:4])}…): select its dataset to inspect it.")
        return None

    def held_out(self) -> tuple[np.ndarray, np.ndarray, str]:
        """The images, labels and title of the set measured: the test split, or the validation split the
        classifier was trained with (when it came with its config) or the dataset's current one."""
        from gendisc.engine.data.tensors import split_indices

        raw, cfg = self._raw, self._data_cfg
        assert raw is not None and cfg is not None
        if self._set == "test" and raw.test_images is not None and raw.test_labels is not None:
            return raw.test_images, raw.test_labels, f"Test set of {raw.name}"
        trained = getattr(self._model.spec.cfg, "data", None) if self._model is not None else None
        if isinstance(trained, DataConfig) and trained.dataset == cfg.dataset:
            cfg = trained
        _, val_idx = split_indices(len(raw.train_labels), cfg.val_fraction, cfg.split_seed)
        return raw.train_images[val_idx], raw.train_labels[val_idx], f"Validation set of {raw.name}"

    # -- the pass ---------------------------------------------------------------------------------------------------
    def _start(self) -> None:
        problem = self.problem_text()
        if problem is not None:
            self.result = None
            self.problem.emit(problem)
            return
        images, labels, title = self.held_out()
        if len(labels) == 0:
            self.result = None
            self.problem.emit(f"{title} is empty: choose a validation split or the test set.")
            return
        assert self._model is not None
        snapshot = copy.deepcopy(self._model.module).cpu().eval()
        names = self._model.class_names
        self.passes += 1
        self._launch(lambda: inspect_set(snapshot, images, labels, names, title), "inspection")
        self.started.emit()

    def _done(self, result: SetResult) -> None:
        self.result = result
        self.inspected.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.result = None
        self.problem.emit(f"Could not measure the classifier: {exc}")
