"""Latent exploration: walk the generator's noise space and, for a conditional GAN, its classes.

Four views of one generator (the GAN in training — its weights arrive about once a second — or a loaded run):

* **Interpolate** between two samples, linearly or along the sphere the noise lives near;
* **Grid walk** along two random orthogonal directions around a sample;
* **Sliders** on the first latent coordinates, the image following every move;
* **Classes** (conditional GAN): one class, a class sweep with fixed noise, or a morph from one class to another.

The grid shown exports as a PNG, the walk as an animated PNG (pure Python, see
:func:`gendisc.engine.imageio.encode_apng`).
Images are rendered on the GUI thread with one CPU thread (a few milliseconds for a grid of MNIST digits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.imageio import encode_apng, encode_png, make_grid, upscale
from gendisc.gui.session.live_models import LiveModels
from gendisc.gui.threads.torch_threads import for_helpers
from gendisc.gui.widgets.file_dialogs import pick_folder, pick_save_file
from gendisc.gui.widgets.image_grid import ImageGrid
from gendisc.gui.widgets.latent_controls import ANIMATION_FRAMES, LatentControls

__all__ = ["LatentPanel"]

EXPORT_SCALE = 4         # exported PNGs and animations: each pixel a 4×4 square
ANIMATION_DELAY_MS = 80
PLACEHOLDER = "Train a GAN (its weights arrive here as it learns) or load a GAN run to explore its latent space"


class LatentPanel(QWidget):
    """Signals ``rendered`` after every redraw of the current view (tests wait on it)."""

    rendered = Signal()
    generator_changed = Signal()

    def __init__(self, live: LiveModels, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self._renderer: Any = None   # LatentRenderer of the live generator (torch loads after the window)
        self._generator: Any = None  # the live model it renders
        self.error_box: QMessageBox | None = None
        self.last_images: np.ndarray | None = None   # uint8 N×H×W×C of the view shown
        self.last_grid: np.ndarray | None = None     # the tiled image shown
        self._stale = False   # new weights arrived while hidden

        self.source = QLabel("No generator yet.")
        self.source.setWordWrap(True)
        load = QPushButton("Load GAN…")
        load.setToolTip("Explore the generator of a saved GAN run folder")
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
        top.addWidget(self.source, 1)
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
        layout.addWidget(self.controls)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        self._sync_enabled()
        live.changed.connect(self._on_model_changed)
        self._on_model_changed("generator")

    # -- pages ----------------------------------------------------------------------------------------------------
    # -- the generator --------------------------------------------------------------------------------------------
    def has_generator(self) -> bool:
        return self._renderer is not None

    def conditional(self) -> bool:
        return self._renderer is not None and self._renderer.n_classes > 0

    def class_names(self) -> tuple[str, ...]:
        return self._generator.class_names if self._generator is not None else ()

    def _on_model_changed(self, role: str) -> None:
        """A new generator, or new weights of the one in training: redrawn now, or when the panel is shown."""
        if role != "generator":
            return
        from gendisc.engine.inference.latent import LatentRenderer

        model = self.live.generator()
        if model is None:
            return
        fresh = self._generator is None or self._generator.module is not model.module
        self._generator = model
        if fresh:
            self._set_renderer(LatentRenderer(model.module))
        self.source.setText(f"{model.describe('Generator of the GAN')}.")
        if self.isVisible():
            self.render()
        else:   # tabbed away: no work on the GUI thread once a second; drawn when shown
            self._stale = True

    def load_run(self, run_dir: str | Path) -> bool:
        """Explore the generator saved in a GAN run folder; a bad folder gets a dialog and changes nothing."""
        problem = self.live.load_run(str(run_dir), "gan")
        if problem is not None:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Cannot load GAN", problem, parent=self)
            self.error_box.open()
            return False
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
        """Redraw the current view; returns its images (uint8 N×H×W×C), or None without a generator."""
        if self._renderer is None:
            self.view.clear()
            self.last_images = self.last_grid = None
            return None
        self._stale = False
        z, labels, cols = self.view_latents()
        for_helpers()   # the GUI thread runs torch on one core (see gendisc.gui.threads.torch_threads)
        images = self._renderer.render(z, labels)
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
