"""Look inside the classifier: confusion matrix, worst mistakes, a feature map, saliency, activations, summary.

The set-level views (confusion matrix, per-class accuracy, mistakes, the feature map) need a pass over the whole
validation or test set: it runs in a background thread, only while the panel is visible, at most every few
seconds while a CNN trains (:attr:`InspectPanel.min_interval_s`, stretched when a pass is slow). The drawing
views (saliency, activations, the drawing's place on the map) need one image and run on the GUI thread, on one
CPU thread, each time the draw panel classifies. All the numbers come from ``engine.evaluate``; this file only
displays them.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.config import DataConfig
from gendisc.engine.data import RawDataset
from gendisc.gui.background import BackgroundCall
from gendisc.gui.torch_threads import for_helpers
from gendisc.gui.widgets.activation_view import ActivationView
from gendisc.gui.widgets.confusion_matrix import ConfusionMatrix
from gendisc.gui.widgets.feature_map import FeatureMap
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.saliency_view import SaliencyView
from gendisc.gui.widgets.summary_table import SummaryTable
from gendisc.gui.widgets.titled import caption

if TYPE_CHECKING:
    from gendisc.engine.evaluate.inspect import Inspection

CELL_LIMIT = 200       # images shown for one confusion cell (hardest first)
MISTAKES = 48          # images in the worst-mistakes gallery


@dataclass(frozen=True)
class SetResult:
    """An :class:`Inspection` with what it was computed on, as the background pass returns it."""

    inspection: Inspection
    images: np.ndarray          # uint8 N×H×W (gray) or N×H×W×3, for the galleries
    class_names: tuple[str, ...]
    set_title: str
    seconds: float


def _inspect_set(model: Any, images: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...],
                 set_title: str) -> SetResult:
    """The background pass (no Qt): normalise, run the snapshot over the set, gather the inspection."""
    from gendisc.engine.data.tensors import normalize
    from gendisc.engine.evaluate.inspect import inspect_classifier

    t0 = time.perf_counter()
    for_helpers()   # a helper thread beside the training thread (see gendisc.gui.torch_threads)
    inspection = inspect_classifier(model, normalize(images), labels, len(class_names))
    shown = images[..., 0] if images.shape[-1] == 1 else images
    return SetResult(inspection, np.ascontiguousarray(shown), class_names, set_title, time.perf_counter() - t0)


class InspectPanel(QWidget):
    """Feed it with :meth:`set_model`, :meth:`set_dataset` and :meth:`set_drawing`; ``inspected(SetResult)`` is
    emitted each time a set-level pass has been shown."""

    inspected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_interval_s = 5.0
        self._model: Any = None
        self._names: tuple[str, ...] = ()
        self._model_data: DataConfig | None = None
        self._raw: RawDataset | None = None
        self._data_cfg: DataConfig | None = None
        self._drawing: np.ndarray | None = None
        self.result: SetResult | None = None
        self.cell_indices: np.ndarray = np.zeros(0, dtype=np.int64)   # the images of the selected cell, shown
        self.mistake_indices: np.ndarray = np.zeros(0, dtype=np.int64)
        self.passes = 0                              # set-level passes started (the throttle's test reads it)
        self._stale = True
        self._urgent = False
        self._call: BackgroundCall | None = None
        self._last_start = -1e9
        self._last_seconds = 0.0
        self._summary_of: Any = None
        self._filters_stale = True       # the first layer's weights change only with the model
        self._exposed = True             # False while the dock is a background tab (Qt keeps it "visible")
        self._snapshot: Any = None       # the copy of the model a running pass measures
        self._measured: Any = None       # the copy the result shown was measured with (places the drawing)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setObjectName("InspectThrottle")
        self._timer.timeout.connect(self._schedule)

        self.set_choice = QComboBox()
        self.set_choice.addItem("Validation set", "val")
        self.set_choice.addItem("Test set", "test")
        self.set_choice.setToolTip("The held-out images to measure the classifier on.")
        self.set_choice.currentIndexChanged.connect(lambda _i: self.refresh())
        self.status = caption("No classifier yet: train a CNN or load one in the Draw panel.")
        refresh = QPushButton("Refresh")
        refresh.setToolTip("Measure the classifier on the set again now.")
        refresh.clicked.connect(self.refresh)
        head = QHBoxLayout()
        head.addWidget(self.set_choice)
        head.addStretch(1)
        head.addWidget(refresh)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_confusion(), "Confusion")
        self.tabs.addTab(self._build_mistakes(), "Mistakes")
        self.tabs.addTab(self._build_map(), "Map")
        self.saliency = SaliencyView()
        self.saliency.target_changed.connect(lambda _t: self._update_drawing_views())
        self.activations = ActivationView()
        self.summary = SummaryTable()
        self.tabs.addTab(self.saliency, "Saliency")
        self.tabs.addTab(self.activations, "Activations")
        self.tabs.addTab(self.summary, "Model")
        self.tabs.currentChanged.connect(lambda _i: self._update_drawing_views())
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

    # -- building the tabs ----------------------------------------------------------------------------------------
    def _build_confusion(self) -> QWidget:
        self.matrix = ConfusionMatrix()
        self.matrix.set_placeholder("No classifier yet")
        self.matrix.setToolTip("Rows: the true class; columns: what the classifier said. Click a cell to see its "
                               "images. The last column is each class's accuracy (its share of the diagonal).")
        self.matrix.cell_clicked.connect(self.show_cell)
        self.cell_caption = caption("Click a cell to see its images.")
        self.cell_grid = ImageGrid()
        self.cell_grid.set_placeholder("")
        self.cell_grid.image_clicked.connect(lambda i: self.cell_caption.setText(self._describe(self.cell_indices, i)))
        lower = QWidget()
        lay = QVBoxLayout(lower)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.cell_caption)
        lay.addWidget(self.cell_grid, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.matrix)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        return split

    def _build_mistakes(self) -> QWidget:
        self.mistakes_caption = caption()
        self.mistakes = ImageGrid()
        self.mistakes.set_placeholder("No mistakes to show yet")
        self.mistakes.image_clicked.connect(lambda i: self.detail.setText(self._describe(self.mistake_indices, i)))
        self.detail = caption("")
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.addWidget(self.mistakes_caption)
        lay.addWidget(self.mistakes, 1)
        lay.addWidget(self.detail)
        return box

    def _build_map(self) -> QWidget:
        self.map_caption = caption()
        self.feature_map = FeatureMap()
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.addWidget(self.map_caption)
        lay.addWidget(self.feature_map, 1)
        return box

    # -- inputs ---------------------------------------------------------------------------------------------------
    def set_model(self, model: Any, class_names: tuple[str, ...] | list[str],
                  data_config: DataConfig | None = None) -> None:
        """Use ``model`` (a CPU classifier, read only; None for none) with ``class_names``; ``data_config`` is
        the split it was trained with, when known (otherwise the dataset's current one is used)."""
        names = tuple(class_names)
        self.saliency.set_classes(names)
        self._model, self._names, self._model_data = model, names, data_config
        self._stale = self._filters_stale = True
        self._schedule()
        self._update_drawing_views()

    def set_dataset(self, raw: RawDataset | None, data_config: DataConfig) -> None:
        """The dataset and split whose held-out images are inspected."""
        self._raw, self._data_cfg = raw, data_config
        has_test = raw is not None and raw.test_images is not None
        item = self.set_choice.model().item(1)
        item.setEnabled(has_test)
        if not has_test and self.set_choice.currentIndex() == 1:
            self.set_choice.blockSignals(True)
            self.set_choice.setCurrentIndex(0)
            self.set_choice.blockSignals(False)
        self.refresh()

    def set_drawing(self, digit: np.ndarray | None) -> None:
        """The 28×28 image the classifier saw of the user's drawing (None: the canvas is empty)."""
        self._drawing = None if digit is None else np.asarray(digit)
        self._update_drawing_views()

    def drawing(self) -> np.ndarray | None:
        return self._drawing

    def refresh(self) -> None:
        """Measure the set again as soon as possible (not throttled)."""
        self._stale = True
        self._urgent = True
        self._schedule()

    # -- the set-level pass ---------------------------------------------------------------------------------------
    def is_busy(self) -> bool:
        return self._call is not None

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until a running pass has finished (closing the window; tests)."""
        if self._call is not None:
            self._call.wait(timeout)

    def _schedule(self) -> None:
        if not self._stale or not self.is_shown() or self._call is not None:
            return   # a hidden panel computes nothing; a running pass re-schedules when it is done
        if not self._urgent:
            interval = max(self.min_interval_s, 4 * self._last_seconds)
            wait = self._last_start + interval - time.monotonic()
            if wait > 0:
                if not self._timer.isActive():
                    self._timer.start(int(wait * 1000) + 1)
                return
        self._timer.stop()
        self._start()

    def _problem(self) -> str | None:
        if self._model is None:
            return "No classifier yet: train a CNN or load one in the Draw panel."
        if self._raw is None or self._data_cfg is None:
            return "Waiting for the dataset…"
        if tuple(self._raw.class_names) != self._names:
            return (f"The classifier knows other classes ({', '.join(self._names[:4])}…) than {self._raw.name} "
                    f"({', '.join(self._raw.class_names[:4])}…): select its dataset to inspect it.")
        return None

    def _held_out(self) -> tuple[np.ndarray, np.ndarray, str]:
        from gendisc.engine.data.tensors import split_indices

        raw, cfg = self._raw, self._data_cfg
        assert raw is not None and cfg is not None
        if self.set_choice.currentData() == "test" and raw.test_images is not None:
            assert raw.test_labels is not None
            return raw.test_images, raw.test_labels, f"Test set of {raw.name}"
        # the split the classifier was trained with, when the draw panel knows it
        if self._model_data is not None and self._model_data.dataset == cfg.dataset:
            cfg = self._model_data
        _, val_idx = split_indices(len(raw.train_labels), cfg.val_fraction, cfg.split_seed)
        return raw.train_images[val_idx], raw.train_labels[val_idx], f"Validation set of {raw.name}"

    def _start(self) -> None:
        self._stale = self._urgent = False
        problem = self._problem()
        if problem is not None:
            self._show_problem(problem)
            return
        images, labels, title = self._held_out()
        if len(labels) == 0:
            self._show_problem(f"{title} is empty: choose a validation split or the test set.")
            return
        # the pass measures a copy: the draw panel keeps loading new weights into its model on this thread
        snapshot = self._snapshot = copy.deepcopy(self._model).cpu().eval()
        names = self._names
        self._last_start = time.monotonic()
        self.passes += 1
        call = BackgroundCall(lambda: _inspect_set(snapshot, images, labels, names, title), self)
        call.done.connect(self._on_done)
        call.failed.connect(self._on_failed)
        self._call = call.start()
        self.status.setText(self.status.text().split(" · updating")[0] + " · updating…")

    def _on_done(self, result: SetResult) -> None:
        self._call = None
        self._last_seconds = result.seconds
        self.result, self._measured = result, self._snapshot
        self._show_result(result)
        self.inspected.emit(result)
        self._schedule()

    def _on_failed(self, exc: BaseException, _details: str) -> None:
        self._call = None
        self._show_problem(f"Could not measure the classifier: {exc}")
        self._schedule()

    def _show_problem(self, text: str) -> None:
        self.status.setText(text)
        self.result = None
        self.matrix.clear()
        self.matrix.set_placeholder(text)
        self.cell_grid.clear()
        self.cell_indices = np.zeros(0, dtype=np.int64)
        self.mistakes.clear()
        self.mistake_indices = np.zeros(0, dtype=np.int64)
        self.mistakes_caption.setText("")
        self.map_caption.setText("")
        self.feature_map.clear_points()

    def _show_result(self, r: SetResult) -> None:
        ins, names = r.inspection, r.class_names
        wrong = int(np.sum(ins.labels != ins.predictions))
        self.status.setText(f"{ins.n:,} images · accuracy {100 * ins.accuracy:.1f}% · loss {ins.loss:.3f} · "
                            f"{wrong:,} mistakes · {time.strftime('%H:%M:%S')}")
        self.status.setToolTip(f"{r.set_title}, measured in {r.seconds:.1f} s (updated at most every "
                               f"{max(self.min_interval_s, 4 * r.seconds):.0f} s while a CNN trains).")
        self.matrix.set_matrix(ins.confusion, names)
        if self.matrix.selected() is not None:
            self.show_cell(*self.matrix.selected())
        self.mistake_indices = ins.worst_mistakes(MISTAKES)
        self.mistakes.set_images(r.images[self.mistake_indices],
                                 [f"{names[ins.labels[i]]}→{names[ins.predictions[i]]}" for i in self.mistake_indices])
        self.mistakes_caption.setText(
            f"The {len(self.mistake_indices)} images of the {r.set_title.lower()} the classifier gets most wrong "
            "(highest loss first), captioned true → predicted. Click one for details." if len(self.mistake_indices)
            else f"No mistakes on the {r.set_title.lower()}.")
        self.feature_map.set_points(ins.map_2d, ins.labels, names)
        ex = ins.pca.explained_ratio
        self.map_caption.setText(f"The {r.set_title.lower()} as the classifier's penultimate layer sees it: its "
                                 f"features projected on their two principal components ({100 * ex[0]:.0f}% and "
                                 f"{100 * ex[1]:.0f}% of the variance), coloured by true class. ★ is your drawing.")
        self._update_map_marker()

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        """Show the images of one confusion cell, hardest (highest loss) first."""
        r = self.result
        if r is None:
            return
        self.matrix.select((true_class, predicted_class))
        ins = r.inspection
        idx = ins.cell(true_class, predicted_class)
        idx = idx[np.argsort(-ins.losses[idx], kind="stable")][:CELL_LIMIT]
        self.cell_indices = idx
        total = int(ins.confusion[true_class, predicted_class])
        what = f"True {r.class_names[true_class]}, predicted {r.class_names[predicted_class]}"
        if total == 0:
            self.cell_caption.setText(f"{what}: no images.")
            self.cell_grid.clear()
            return
        shown = "" if total <= CELL_LIMIT else f" (the {CELL_LIMIT} with the highest loss)"
        self.cell_caption.setText(f"{what}: {total:,} image{'s' if total != 1 else ''}{shown}, captioned with the "
                                  "classifier's confidence. Click one for details.")
        self.cell_grid.set_images(r.images[idx], [f"{100 * ins.confidence[i]:.0f}%" for i in idx])

    def _describe(self, indices: np.ndarray, k: int) -> str:
        r = self.result
        if r is None or k >= len(indices):
            return ""
        i = int(indices[k])
        ins, names = r.inspection, r.class_names
        return (f"{r.set_title}, image {i:,}: true {names[ins.labels[i]]}, predicted {names[ins.predictions[i]]} "
                f"({100 * ins.confidence[i]:.0f}% sure), loss {ins.losses[i]:.2f}.")

    # -- the drawing views ----------------------------------------------------------------------------------------
    def _drawing_tensor(self) -> Any:
        from gendisc.engine.data.tensors import normalize

        return normalize(self._drawing[None])

    def _update_drawing_views(self) -> None:
        """Recompute what the current tab shows about the drawing (only that: it runs on the GUI thread)."""
        if not self.is_shown():
            return
        update = {self.feature_map.parentWidget(): self._update_map_marker, self.saliency: self._update_saliency,
                  self.activations: self._update_activations, self.summary: self._update_summary}
        try:
            update.get(self.tabs.currentWidget(), lambda: None)()
        except RuntimeError as exc:   # a drawing or a blank image that does not fit this classifier's input
            self.saliency.clear(f"The drawing does not fit this classifier: {exc}")
            self.activations.clear_layers("The drawing does not fit this classifier.")
            self.feature_map.set_marker(None)

    def _drawing_ok(self) -> bool:
        return self._drawing is not None and self._model is not None and self._drawing.shape == (28, 28) and \
            len(self._names) > 0

    def _update_map_marker(self) -> None:
        r = self.result
        if r is None or self._drawing is None or r.inspection.n == 0:
            self.feature_map.set_marker(None)
            return
        from gendisc.engine.evaluate.inspect import features_and_logits

        for_helpers()
        feats, logits = features_and_logits(self._measured, self._drawing_tensor())
        xy = r.inspection.pca.transform(feats.double().numpy())[0]
        self.feature_map.set_marker((float(xy[0]), float(xy[1])),
                                    f"your drawing ({r.class_names[int(logits.argmax())]})")

    def _update_saliency(self) -> None:
        if not self._drawing_ok():
            self.saliency.clear("" if self._model is not None else "No classifier yet.")
            return
        from gendisc.engine.evaluate.saliency import saliency

        for_helpers()
        s = saliency(self._model, self._drawing_tensor(), self.saliency.target())
        self.saliency.show_saliency(self._drawing, s)

    def _update_activations(self) -> None:
        if self._model is None:
            return
        from gendisc.engine.evaluate.activations import activations, first_layer_filters

        if self._filters_stale:
            self.activations.show_filters(first_layer_filters(self._model))
            self._filters_stale = False
        if not self._drawing_ok():
            self.activations.clear_layers("Draw a digit in the Draw panel to see what each convolution block "
                                          "makes of it.")
            return
        for_helpers()
        layers = activations(self._model, self._drawing_tensor())
        self.activations.show_layers(layers)

    def _update_summary(self) -> None:
        model = self._model
        if model is None:
            self.summary.clear()
            self._summary_of = None
            return
        if model is self._summary_of:
            return
        from gendisc.engine.evaluate.summary import summarize

        shape = (1, 28, 28) if self._raw is None else self._raw.image_shape
        for_helpers()
        self.summary.show_summary(summarize(model, shape))
        self._summary_of = model

    # -- visibility -----------------------------------------------------------------------------------------------
    def is_shown(self) -> bool:
        """Whether the user can see the panel: visible, and not a dock behind another dock's tab."""
        return self.isVisible() and self._exposed

    def set_exposed(self, exposed: bool) -> None:
        """Follow the dock's ``visibilityChanged``: a tabbed dock behind another stays visible to Qt, only moved
        out of sight, so ``showEvent``/``hideEvent`` alone would keep a hidden panel computing."""
        self._exposed = exposed
        if exposed:
            self._schedule()
            self._update_drawing_views()
        else:
            self._timer.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._schedule()
        self._update_drawing_views()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()   # nothing is computed for a hidden panel
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        self.wait_idle()
        super().closeEvent(event)


class _WaitOnClose(QObject):
    """Lets a running set-level pass finish before the window closes (it holds a snapshot of the model)."""

    def __init__(self, panel: InspectPanel, parent: QObject) -> None:
        super().__init__(parent)
        self._panel = panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self._panel.wait_idle(30)
        return False


def _model_data_config(draw_panel: Any) -> DataConfig | None:
    """The split the draw panel's classifier was trained with, when it knows (its config travels with it)."""
    spec = getattr(draw_panel.model(), "_gendisc_spec", None)
    cfg = spec[0] if isinstance(spec, tuple) and spec else None
    return getattr(cfg, "data", None)


def install_inspect_panel(window: QMainWindow) -> InspectPanel:
    """Add the Inspect dock to the main window (tabbed with Samples) and wire it to the draw and dataset panels.

    Call it once the panels exist; with the View menu already built the dock's toggle is added to it, otherwise
    it is in ``window.docks`` for the menu to pick up.
    """
    panel = InspectPanel()
    panel.set_exposed(False)   # until the dock says it is in sight
    dock = QDockWidget("Inspect", window)
    dock.setObjectName("InspectDock")
    dock.setWidget(panel)
    dock.visibilityChanged.connect(panel.set_exposed)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    docks: dict[str, QDockWidget] = getattr(window, "docks", {})
    if not window.restoreDockWidget(dock):   # where the user left it last time, if the window state knows
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if "Samples" in docks:
            window.tabifyDockWidget(docks["Samples"], dock)
            docks["Samples"].raise_()
    view = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View"), None)
    if isinstance(view, QMenu):
        before = next((a for a in view.actions() if a.isSeparator()), None)
        view.insertAction(before, dock.toggleViewAction())
    docks["Inspect"] = dock
    window.inspect_panel = panel   # type: ignore[attr-defined]

    draw, data = window.draw_panel, window.dataset_panel   # type: ignore[attr-defined]

    def on_model() -> None:
        panel.set_model(draw.model(), draw.class_names(), _model_data_config(draw))

    def on_data() -> None:
        panel.set_dataset(data.dataset(), data.data_config())

    draw.model_changed.connect(on_model)
    draw.classified.connect(lambda _probs: panel.set_drawing(draw.last_input))
    data.dataset_changed.connect(lambda _key: on_data())
    data.val_split.valueChanged.connect(lambda _v: on_data())
    if data.dataset() is not None:
        on_data()
    if draw.model() is not None:
        on_model()
    window.installEventFilter(_WaitOnClose(panel, window))
    return panel
