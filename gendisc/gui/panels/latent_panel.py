"""Latent exploration: walk a generator's noise space and, for a conditional one, its classes.

Four views of one generator — the GAN's or the flow model's (its noise is image-shaped, and its sampler is
deterministic, so walks are smooth), in training (weights arrive about once a second) or loaded from a run:

* **Interpolate** between two samples, linearly or along the sphere the noise lives near;
* **Grid walk** along two random orthogonal directions around a sample;
* **Sliders** on the first latent coordinates, the image following every move;
* **Classes** (conditional GAN): one class, a class sweep with fixed noise, or a morph from one class to another.

The grid shown exports as a PNG, the walk as an animated PNG (pure Python, see
:func:`gendisc.engine.imageio.encode_apng`).
A GAN's images are rendered on the GUI thread with one CPU thread (a few milliseconds for a grid of MNIST digits);
a flow model integrates an ODE per image, so its grids render in a background job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.imageio import encode_apng, encode_png, make_grid, upscale
from gendisc.gui.session.latent_jobs import BackgroundRenderer
from gendisc.gui.session.live_models import LiveModels
from gendisc.gui.threads.torch_threads import for_helpers
from gendisc.gui.widgets.file_dialogs import pick_folder, pick_save_file
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.latent_controls import ANIMATION_FRAMES, LatentControls

__all__ = ["LatentPanel"]

EXPORT_SCALE = 4         # exported PNGs and animations: each pixel a 4×4 square
ANIMATION_DELAY_MS = 80
PLACEHOLDER = ("Train a GAN or a flow model (its weights arrive here as it learns) or load a run to explore its "
               "latent space")
ROLE_OF = {"gan": "generator", "flow": "flow"}   # the generator chosen → its live model's role


class LatentPanel(QWidget):
    """Signals ``rendered`` after every redraw of the current view (tests wait on it)."""

    rendered = Signal()
    generator_changed = Signal()

    def __init__(self, live: LiveModels, parent: QWidget | None = None,
                 background: BackgroundRenderer | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self._kind = "gan"   # whose generator: "gan" or "flow"
        self._request = 0    # the flow model's latest background render
        self.background = background or BackgroundRenderer(self)
        self.background.rendered.connect(self._on_background_rendered)
        self.model_choice = QComboBox()
        self.model_choice.addItem("GAN", "gan")
        self.model_choice.addItem("Flow", "flow")
        self.model_choice.setToolTip("Explore the GAN's generator or the flow model's sampler (its noise is an "
                                     "image-sized vector, and the same noise always gives the same image)")
        self.model_choice.currentIndexChanged.connect(lambda i: self.show_model(self.model_choice.itemData(i)))
        self._renderer: Any = None   # LatentRenderer of the live generator (torch loads after the window)
        self._generator: Any = None  # the live model it renders
        self.error_box: QMessageBox | None = None
        self.last_images: np.ndarray | None = None   # uint8 N×H×W×C of the view shown
        self.last_grid: np.ndarray | None = None     # the tiled image shown
        self._stale = False   # new weights arrived while hidden

        self.source = QLabel("No generator yet.")
        self.source.setWordWrap(True)
        load = QPushButton("Load run…")
        load.setToolTip("Explore the generator of a saved GAN or flow run folder")
        load.clicked.connect(self._ask_load)
        new = QPushButton("New samples")
        new.setToolTip("Draw new noise (the next seed)")
        self.controls = LatentControls()
        self.controls.changed.connect(self.render)
        self.seed = self.controls.seed
        new.clicked.connect(lambda: self.seed.setValue(self.seed.value() + 1))

        self.view = ImageGrid()
        self.view.set_placeholder(PLACEHOLDER)
        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.setToolTip(f"Save the images shown as one PNG (each pixel {EXPORT_SCALE}×"
                                          f"{EXPORT_SCALE})")
        self.export_png_button.clicked.connect(self._ask_export_png)
        self.export_anim_button = QPushButton("Export animation…")
        self.export_anim_button.setToolTip("Save the walk of this view as an animated PNG (plays in browsers): "
                                           "A → B, a circle through the grid, a sweep of the first slider, or the "
                                           "class morph")
        self.export_anim_button.clicked.connect(self._ask_export_animation)

        top = QHBoxLayout()
        top.addWidget(self.model_choice)
        top.addStretch(1)
        top.addWidget(QLabel("Seed"))
        top.addWidget(self.seed)
        top.addWidget(new)
        bottom = QHBoxLayout()
        bottom.addWidget(load)
        bottom.addStretch(1)
        bottom.addWidget(self.export_png_button)
        bottom.addWidget(self.export_anim_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.source)
        layout.addWidget(self.controls)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        self._sync_enabled()
        live.changed.connect(self._on_model_changed)
        self._on_model_changed("generator")
        self._on_model_changed("flow")

    # -- pages ----------------------------------------------------------------------------------------------------
    # -- the generator --------------------------------------------------------------------------------------------
    def has_generator(self) -> bool:
        return self._renderer is not None

    def conditional(self) -> bool:
        return self._renderer is not None and self._renderer.n_classes > 0

    def class_names(self) -> tuple[str, ...]:
        return self._generator.class_names if self._generator is not None else ()

    def model(self) -> str:
        """Whose generator is explored: ``"gan"`` or ``"flow"``."""
        return self._kind

    def show_model(self, kind: str) -> None:
        """Explore the GAN's generator (``"gan"``) or the flow model's sampler (``"flow"``)."""
        if kind not in ROLE_OF or kind == self._kind:
            return
        self._kind = kind
        self.model_choice.blockSignals(True)
        self.model_choice.setCurrentIndex(self.model_choice.findData(kind))
        self.model_choice.blockSignals(False)
        self._generator = self._renderer = None
        if self.live.get(ROLE_OF[kind]) is None:
            self.source.setText("No flow model yet." if kind == "flow" else "No generator yet.")
            self._sync_enabled()
            self.render()
        else:
            self._on_model_changed(ROLE_OF[kind])

    def _on_model_changed(self, role: str) -> None:
        """A new generator, or new weights of the one in training: redrawn now, or when the panel is shown."""
        if role not in ROLE_OF.values():
            return
        model = self.live.get(role)
        if model is None:
            return
        kind = "flow" if role == "flow" else "gan"
        if kind != self._kind:
            if self.live.get(ROLE_OF[self._kind]) is None:   # nothing to show of the other: this one, then
                self.show_model(kind)
            return
        from gendisc.engine.inference.flow_loading import FlowLatentGenerator
        from gendisc.engine.inference.latent import LatentRenderer

        fresh = self._generator is None or self._generator.module is not model.module
        self._generator = model
        if fresh:
            generator = FlowLatentGenerator(model.module) if kind == "flow" else model.module
            self._set_renderer(LatentRenderer(generator))
        what = "Sampler of the flow model" if kind == "flow" else "Generator of the GAN"
        self.source.setText(f"{model.describe(what)}.")
        if self.isVisible():
            self.render()
        else:   # tabbed away: no work on the GUI thread once a second; drawn when shown
            self._stale = True

    def load_run(self, run_dir: str | Path) -> bool:
        """Explore the generator saved in a GAN or flow run folder; a bad folder gets a dialog and changes
        nothing."""
        from gendisc.engine.config import FlowConfig
        from gendisc.engine.errors import GenDiscError
        from gendisc.engine.runs.folder import RunFolder

        try:
            kind = "flow" if isinstance(RunFolder(run_dir).config(), FlowConfig) else "gan"
        except GenDiscError:
            kind = "gan"   # the GAN's loader says what is wrong with the folder
        problem = self.live.load_run(str(run_dir), kind)
        if problem is not None:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Cannot load the generator", problem, parent=self)
            self.error_box.open()
            return False
        self.show_model(kind)
        return True

    def _set_renderer(self, renderer: Any) -> None:
        self._renderer = renderer
        self.controls.set_generator(renderer.latent_dim, self.class_names() if renderer.n_classes else ())
        self._sync_enabled()
        self.generator_changed.emit()

    def _sync_enabled(self) -> None:
        has = self.has_generator()
        for w in (self.export_png_button, self.export_anim_button):
            w.setEnabled(has)
        self.controls.setEnabled(has)

    # -- latents of each view ---------------------------------------------------------------------------------------
    def current_view(self) -> str:
        return self.controls.current_view()

    def show_view(self, name: str) -> None:
        self.controls.show_view(name)

    def view_latents(self, view: str | None = None) -> tuple[np.ndarray, np.ndarray | None, int]:
        """Latents, labels (or soft labels) and columns of the grid ``view`` shows (default: the current one)."""
        return self.controls.view_latents(view)

    def animation_latents(self, view: str | None = None, frames: int = ANIMATION_FRAMES) -> tuple[np.ndarray,
                                                                                                   np.ndarray | None]:
        return self.controls.animation_latents(view, frames)

    def reset_sliders(self) -> None:
        """Put the sliders at the coordinates of the seed's sample, and redraw."""
        self.controls.reset_sliders()

    # -- drawing and exporting ----------------------------------------------------------------------------------------
    def render(self) -> np.ndarray | None:
        """Redraw the current view; returns its images (uint8 N×H×W×C), or None without a generator or while a
        flow model's are rendered in the background (``rendered`` follows)."""
        if self._renderer is None:
            self.view.clear()
            self.last_images = self.last_grid = None
            return None
        self._stale = False
        z, labels, cols = self.view_latents()
        if self._kind == "flow":   # an ODE per image: tenths of a second, in the background
            self._request += 1
            self.background.request(self._renderer, z, labels, (self._request, cols))
            return None
        for_helpers()   # the GUI thread runs torch on one core (see gendisc.gui.threads.torch_threads)
        return self._show_images(self._renderer.render(z, labels), cols)

    def _on_background_rendered(self, images: np.ndarray, token: tuple[int, int]) -> None:
        if token[0] == self._request and self._kind == "flow":   # an older request's images are dropped
            self._show_images(images, token[1])

    def _show_images(self, images: np.ndarray, cols: int) -> np.ndarray:
        grid = make_grid(images, cols=cols)
        self.last_images, self.last_grid = images, grid
        self.view.set_grid(grid)
        self.rendered.emit()
        return images

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.render()

    def export_png(self, path: str | Path) -> None:
        """Write the grid shown as a PNG, each pixel ``EXPORT_SCALE``² (2-pixel gaps between images)."""
        if self.last_grid is None:
            raise ValueError("nothing to export: train or load a GAN first")
        Path(path).write_bytes(encode_png(upscale(self.last_grid, EXPORT_SCALE)))

    def export_animation(self, path: str | Path, frames: int = ANIMATION_FRAMES) -> int:
        """Write the current view's walk as an animated PNG; returns the number of frames."""
        if self._renderer is None:
            raise ValueError("nothing to export: train or load a GAN first")
        z, labels = self.animation_latents(frames=frames)
        images = self._renderer.render(z, labels)
        tiles = [upscale(img[..., 0] if img.shape[-1] == 1 else img, EXPORT_SCALE * 2) for img in images]
        Path(path).write_bytes(encode_apng(tiles, ANIMATION_DELAY_MS))
        return len(tiles)

    def _ask_load(self) -> None:
        folder = pick_folder(self, "Open a GAN run folder", "runs")
        if folder:
            self.load_run(folder)

    def _ask_export_png(self) -> None:
        path = pick_save_file(self, "Export latent grid as PNG", "export", f"latent-{self.current_view()}.png",
                              "PNG image (*.png)")
        if path:
            self._export(self.export_png, path)

    def _ask_export_animation(self) -> None:
        path = pick_save_file(self, "Export the walk as an animated PNG", "export",
                              f"latent-{self.current_view()}.apng", "Animated PNG (*.apng *.png)")
        if path:
            self._export(self.export_animation, path)

    def _export(self, write: Any, path: str) -> None:
        try:
            write(path)
        except (OSError, ValueError) as exc:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", f"{path}: {exc}", parent=self)
            self.error_box.open()
