"""Inside the network for one drawing: each conv block's activation maps, and the first layer's filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QGridLayout, QScrollArea, QWidget

from gendisc.gui.widgets.heatmap import diverging, scaled_gray
from gendisc.gui.widgets.square_grid import SquareImageGrid
from gendisc.gui.widgets.titled import Titled, caption

if TYPE_CHECKING:
    from gendisc.engine.evaluate.activations import LayerActivation

__all__ = ["ActivationView"]


class ActivationView(QScrollArea):
    """Two columns of square tile grids: one per conv block (a tile per channel), then the filters."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grids: list[SquareImageGrid] = []
        self.boxes: list[Titled] = []
        self.filters = SquareImageGrid(minimum=120)
        self.filters.set_placeholder("No classifier yet")
        self.filters_box = Titled("First-layer filters", self.filters, "The learned weights of the first "
                                  "convolution: red positive, blue negative, each filter on its own scale.")
        self.caption = caption()
        inner = QWidget()
        self._grid = QGridLayout(inner)
        self._grid.addWidget(self.caption, 0, 0, 1, 2)
        self._grid.addWidget(self.filters_box, 1, 0)
        self._grid.setRowStretch(99, 1)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidget(inner)

    def show_filters(self, filters: np.ndarray | None) -> None:
        """Weights ``K×C×kh×kw``: diverging colours for one input channel, RGB (min–max) for three."""
        if filters is None:
            self.filters.clear()
            self.filters.set_placeholder("No convolution layer")
            return
        k, c, kh, kw = filters.shape
        if c == 3:
            tiles = np.transpose(filters, (0, 2, 3, 1))
            lo, hi = float(tiles.min()), float(tiles.max())
            self.filters.set_images(np.rint((tiles - lo) / max(hi - lo, 1e-12) * 255).astype(np.uint8))
        else:
            self.filters.set_images(diverging(filters[:, 0] if c == 1 else filters.mean(axis=1)))
        self.filters_box.set_title(f"<b>First-layer filters</b> · {k} of {kh}×{kw}")

    def show_layers(self, layers: list[LayerActivation]) -> None:
        self._ensure_boxes(len(layers))
        for layer, grid, box in zip(layers, self.grids, self.boxes, strict=True):
            c, h, w = layer.values.shape
            grid.set_images(scaled_gray(layer.values))
            box.set_title(f"<b>{layer.title.split(':')[0]}</b> · {c} maps of {h}×{w}")
            box.setToolTip(f"{layer.title}: its {c} activation maps for the drawing, one tile per channel.")
        self.caption.setText("Each convolution block's output for your drawing (bright: strong activation, one "
                             "scale per block).")

    def clear_layers(self, message: str) -> None:
        for grid in self.grids:
            grid.clear()
        self.caption.setText(message)

    def _ensure_boxes(self, n: int) -> None:
        if len(self.grids) == n:
            return
        while len(self.grids) > n:
            self.grids.pop()
            self.boxes.pop().deleteLater()
        while len(self.grids) < n:
            grid = SquareImageGrid(minimum=120)
            self.grids.append(grid)
            self.boxes.append(Titled("", grid))
        boxes = [*self.boxes, self.filters_box]
        for box in boxes:
            self._grid.removeWidget(box)
        for k, box in enumerate(boxes):
            self._grid.addWidget(box, 1 + k // 2, k % 2)
