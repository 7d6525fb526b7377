"""Look inside the classifier: confusion matrix, worst mistakes, a feature map, saliency, activations, summary.

The set-level views (confusion matrix, per-class accuracy, mistakes, the feature map) show the passes of the
session's :class:`~gendisc.gui.session.inspection.InspectionScheduler`, which runs them only while this panel is in
sight. The drawing views (saliency, activations, the drawing's place on the map) need one image and run on the GUI
thread, on one CPU thread, each time the draw panel classifies. All the numbers come from ``gendisc.engine.evaluate``;
this file only displays them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from gendisc.gui.session.drawing import DrawingModel
from gendisc.gui.session.inspection import InspectionScheduler, SetResult
from gendisc.gui.session.live_models import LiveModels
from gendisc.gui.threads.torch_threads import for_helpers
from gendisc.gui.widgets.activation_view import ActivationView
from gendisc.gui.widgets.confusion_matrix import ConfusionMatrix
from gendisc.gui.widgets.feature_map import FeatureMap
from gendisc.gui.widgets.fitting import FittingTabs
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.saliency_view import SaliencyView
from gendisc.gui.widgets.summary_table import SummaryTable
from gendisc.gui.widgets.titled import caption

CELL_LIMIT = 200       # images shown for one confusion cell (hardest first)
MISTAKES = 48          # images in the worst-mistakes gallery


class InspectPanel(QWidget):
    """``inspected(SetResult)`` is emitted each time a set-level pass has been shown."""

    inspected = Signal(object)

    def __init__(self, inspection: InspectionScheduler, live: LiveModels, drawing: DrawingModel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspection, self.live, self.drawing_model = inspection, live, drawing
        self.result: SetResult | None = None
        self.cell_indices: np.ndarray = np.zeros(0, dtype=np.int64)   # the images of the selected cell, shown
        self.mistake_indices: np.ndarray = np.zeros(0, dtype=np.int64)
        self._summary_of: Any = None
        self._filters_of: Any = None     # the first layer's weights change only with the model
        self._exposed = True             # False while the dock is a background tab (Qt keeps it "visible")

        self.set_choice = QComboBox()
        self.set_choice.addItem("Validation set", "val")
        self.set_choice.addItem("Test set", "test")
        self.set_choice.setToolTip("The held-out images to measure the classifier on.")
        self.set_choice.currentIndexChanged.connect(lambda _i: inspection.set_which(self.set_choice.currentData()))
        self.status = caption("No classifier yet: train a CNN or load one in the Draw panel.")
        refresh = QPushButton("Refresh")
        refresh.setToolTip("Measure the classifier on the set again now.")
        refresh.clicked.connect(inspection.refresh)
        head = QHBoxLayout()
        head.addWidget(self.set_choice)
        head.addStretch(1)
        head.addWidget(refresh)

        self.tabs = FittingTabs()   # fits the dock: the galleries inside scroll, not the whole panel
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
        layout.setContentsMargins(4, 4, 4, 4)   # every pixel of a 350 px dock goes to the matrix and the images
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

        inspection.started.connect(self._on_measuring)
        inspection.inspected.connect(self._on_inspected)
        inspection.problem.connect(self._show_problem)
        live.changed.connect(self._on_model_changed)
        drawing.changed.connect(self._update_drawing_views)
        self._on_model_changed("classifier")

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
        self.cell_grid.setToolTip("Under each image: how sure the classifier is of its answer. Click one for "
                                  "details.")
        self.cell_grid.image_clicked.connect(lambda i: self.cell_caption.setText(self._describe(self.cell_indices, i)))
        lower = QWidget()
        lay = QVBoxLayout(lower)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.cell_caption)
        lay.addWidget(self.cell_grid, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.matrix)
        split.addWidget(lower)
        split.setStretchFactor(0, 1)   # an even split: in a small dock the images get half, not a sliver
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        return split

    def _build_mistakes(self) -> QWidget:
        self.mistakes_caption = caption()
        self.mistakes = ImageGrid()
        self.mistakes.set_placeholder("No mistakes to show yet")
        self.mistakes.setToolTip("Under each image: true class → the classifier's answer. Click one for details.")
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
    def _model(self) -> Any:
        model = self.live.classifier()
        return None if model is None else model.module

    def _names(self) -> tuple[str, ...]:
        model = self.live.classifier()
        return () if model is None else model.class_names

    def _on_model_changed(self, role: str) -> None:
        if role != "classifier":
            return
        self.saliency.set_classes(self._names())
        self._update_drawing_views()

    def drawing(self) -> np.ndarray | None:
        return self.drawing_model.digit()

    def _sync_sets(self) -> None:
        has_test = self.inspection.has_test_set()
        self.set_choice.model().item(1).setEnabled(has_test)
        index = self.set_choice.findData(self.inspection.which())
        if index != self.set_choice.currentIndex():
            self.set_choice.blockSignals(True)
            self.set_choice.setCurrentIndex(index)
            self.set_choice.blockSignals(False)

    # -- the set-level results ------------------------------------------------------------------------------------
    def _on_measuring(self) -> None:
        """A pass started: the figures shown stay, marked as being updated; with none yet, say what is going on."""
        if self.result is None:
            self.status.setText("Measuring the classifier on the chosen images…")
        else:
            self.status.setText(self.status.text().split(" · updating")[0] + " · updating…")

    def _on_inspected(self, result: SetResult) -> None:
        self.result = result
        self._sync_sets()
        self._show_result(result)
        self.inspected.emit(result)

    def _show_problem(self, text: str) -> None:
        self._sync_sets()
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
                            f"{wrong:,} mistakes")
        self.status.setToolTip(f"{r.set_title}, measured at {time.strftime('%H:%M:%S')} in {r.seconds:.1f} s "
                               "(updated at most every "
                               f"{max(self.inspection.min_interval_s, 4 * r.seconds):.0f} s while a CNN trains).")
        self.matrix.set_matrix(ins.confusion, names)
        if self.matrix.selected() is not None:
            self.show_cell(*self.matrix.selected())
        self.mistake_indices = ins.worst_mistakes(MISTAKES)
        self.mistakes.set_images(r.images[self.mistake_indices],
                                 [f"{names[ins.labels[i]]}→{names[ins.predictions[i]]}" for i in self.mistake_indices],
                                 [self._describe(self.mistake_indices, k) for k in range(len(self.mistake_indices))])
        self.mistakes_caption.setText(
            f"The {len(self.mistake_indices)} images the classifier gets most wrong, worst first: true → "
            "predicted." if len(self.mistake_indices) else f"No mistakes on the {r.set_title.lower()}.")
        self.mistakes_caption.setToolTip(f"Images of the {r.set_title.lower()} by loss, highest first. Click one "
                                         "for details.")
        self.feature_map.set_points(ins.map_2d, ins.labels, names)
        ex = ins.pca.explained_ratio
        self.map_caption.setText(f"The classifier's penultimate-layer features on their two principal components "
                                 f"({100 * ex[0]:.0f}% and {100 * ex[1]:.0f}% of the variance).")
        self.map_caption.setToolTip(f"One dot per image of the {r.set_title.lower()}, coloured by its true class; "
                                    "★ is your drawing in the Draw panel.")
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
        shown = "" if total <= CELL_LIMIT else f", the {CELL_LIMIT} hardest shown"
        self.cell_caption.setText(f"{what}: {total:,} image{'s' if total != 1 else ''}{shown}.")
        self.cell_caption.setToolTip("Hardest (highest loss) first, each captioned with the classifier's confidence. "
                                     "Click one for details.")
        self.cell_grid.set_images(r.images[idx], [f"{100 * ins.confidence[i]:.0f}%" for i in idx],
                                  [self._describe(idx, k) for k in range(len(idx))])

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

        return normalize(self.drawing()[None])

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
        digit = self.drawing()
        return digit is not None and self._model() is not None and digit.shape == (28, 28) and len(self._names()) > 0

    def _update_map_marker(self) -> None:
        r = self.result
        if r is None or self.drawing() is None or r.inspection.n == 0:
            self.feature_map.set_marker(None)
            return
        from gendisc.engine.evaluate.inspect import features_and_logits

        for_helpers()
        feats, logits = features_and_logits(r.model, self._drawing_tensor())
        xy = r.inspection.pca.transform(feats.double().numpy())[0]
        self.feature_map.set_marker((float(xy[0]), float(xy[1])),
                                    f"your drawing ({r.class_names[int(logits.argmax())]})")

    def _update_saliency(self) -> None:
        if not self._drawing_ok():
            self.saliency.clear("" if self._model() is not None else "No classifier yet.")
            return
        from gendisc.engine.evaluate.saliency import saliency

        for_helpers()
        s = saliency(self._model(), self._drawing_tensor(), self.saliency.target())
        self.saliency.show_saliency(self.drawing(), s)

    def _update_activations(self) -> None:
        model = self._model()
        if model is None:
            return
        from gendisc.engine.evaluate.activations import activations, first_layer_filters

        if self._filters_of is not model:
            self.activations.show_filters(first_layer_filters(model))
            self._filters_of = model
        if not self._drawing_ok():
            self.activations.clear_layers("Draw a digit in the Draw panel to see what each convolution block "
                                          "makes of it.")
            return
        for_helpers()
        self.activations.show_layers(activations(model, self._drawing_tensor()))

    def _update_summary(self) -> None:
        model = self._model()
        if model is None:
            self.summary.clear()
            self._summary_of = None
            return
        if model is self._summary_of:
            return
        from gendisc.engine.evaluate.summary import summarize

        for_helpers()
        self.summary.show_summary(summarize(model, self.live.classifier().image_shape))
        self._summary_of = model

    # -- visibility -----------------------------------------------------------------------------------------------
    def is_shown(self) -> bool:
        """Whether the user can see the panel: visible, and not a dock behind another dock's tab."""
        return self.isVisible() and self._exposed

    def set_exposed(self, exposed: bool) -> None:
        """Follow the dock's ``visibilityChanged``: a tabbed dock behind another stays visible to Qt, only moved
        out of sight, so ``showEvent``/``hideEvent`` alone would keep a hidden panel computing."""
        self._exposed = exposed
        self.inspection.set_active(self.is_shown())
        if exposed:
            self._update_drawing_views()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.inspection.set_active(self.is_shown())
        self._update_drawing_views()

    def hideEvent(self, event: QHideEvent) -> None:
        self.inspection.set_active(False)   # nothing is computed for a hidden panel
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.inspection.set_active(False)
        self.inspection.wait_idle()
        super().closeEvent(event)
