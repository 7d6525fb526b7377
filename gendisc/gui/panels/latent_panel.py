"""Latent exploration: walk the generator's noise space and, for a conditional GAN, its classes.

Four views of one generator (the GAN in training — its weights arrive about once a second — or a loaded run):

* **Interpolate** between two samples, linearly or along the sphere the noise lives near;
* **Grid walk** along two random orthogonal directions around a sample;
* **Sliders** on the first latent coordinates, the image following every move;
* **Classes** (conditional GAN): one class, a class sweep with fixed noise, or a morph from one class to another.

The grid shown exports as a PNG, the walk as an animated PNG (pure Python, see :func:`engine.imageio.encode_apng`).
Images are rendered on the GUI thread with one CPU thread (a few milliseconds for a grid of MNIST digits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.imageio import encode_apng, encode_png, make_grid, upscale
from gendisc.gui.session.live_models import LiveModels
from gendisc.gui.threads.torch_threads import for_helpers
from gendisc.gui.widgets.image_grid import ImageGrid

__all__ = ["LatentPanel"]

N_SLIDERS = 6            # latent coordinates with a slider
SLIDER_RANGE = 300       # slider units per side: ±3.00 standard deviations
EXPORT_SCALE = 4         # exported PNGs and animations: each pixel a 4×4 square
ANIMATION_FRAMES = 36
ANIMATION_DELAY_MS = 80
VIEWS = ("interpolate", "grid", "sliders", "classes")
CLASS_MODES = (("one", "One class"), ("sweep", "Class sweep (fixed noise)"), ("morph", "Morph A → B"))
PLACEHOLDER = "Train a GAN (its weights arrive here as it learns) or load a GAN run to explore its latent space"


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    w = QSpinBox()
    w.setRange(lo, hi)
    w.setValue(value)
    w.setToolTip(tip)
    return w


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
        self.seed = _spin(0, 1_000_000, 0, "Which noise: the same seed gives the same samples")
        self.seed.valueChanged.connect(lambda _v: self.reset_sliders())   # new noise: the sliders follow it
        new = QPushButton("New samples")
        new.setToolTip("Draw new noise (the next seed)")
        new.clicked.connect(lambda: self.seed.setValue(self.seed.value() + 1))

        self._class_combos: list[QComboBox] = []
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for page, title in ((self._interpolate_page(), "Interpolate"), (self._grid_page(), "Grid walk"),
                            (self._sliders_page(), "Sliders"), (self._classes_page(), "Classes")):
            grid = page.layout()
            grid.setRowStretch(grid.rowCount(), 1)   # controls at the top of a page, whatever its height
            self.tabs.addTab(page, title)
        self.tabs.currentChanged.connect(self.render)
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

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
        layout.addWidget(self.tabs)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        self._sync_enabled()
        live.changed.connect(self._on_model_changed)
        self._on_model_changed("generator")

    # -- pages ----------------------------------------------------------------------------------------------------
    def _class_combo(self, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setToolTip(tip)
        combo.currentIndexChanged.connect(self.render)
        self._class_combos.append(combo)
        return combo

    def _interpolate_page(self) -> QWidget:
        page = QWidget()
        form = QGridLayout(page)
        self.linear = QRadioButton("Linear")
        self.linear.setToolTip("A straight line from A to B")
        self.spherical = QRadioButton("Spherical")
        self.spherical.setToolTip("Along the sphere Gaussian noise lives near: a straight line cuts through its "
                                  "inside, where the generator has seen little, and fades the image")
        self.spherical.setChecked(True)
        group = QButtonGroup(page)
        group.addButton(self.linear)
        group.addButton(self.spherical)
        group.buttonToggled.connect(lambda _b, on: on and self.render())
        self.steps = _spin(3, 16, 8, "Images from A to B, both included")
        self.steps.valueChanged.connect(self.render)
        self.class_a = self._class_combo("Class of sample A (conditional GAN)")
        self.class_b = self._class_combo("Class of sample B (conditional GAN): a different class morphs along the way")
        path = QHBoxLayout()
        path.addWidget(self.linear)
        path.addWidget(self.spherical)
        form.addWidget(QLabel("Path"), 0, 0)
        form.addLayout(path, 0, 1)
        form.addWidget(QLabel("Steps"), 0, 2)
        form.addWidget(self.steps, 0, 3)
        form.addWidget(QLabel("Class A"), 1, 0)
        form.addWidget(self.class_a, 1, 1)
        form.addWidget(QLabel("B"), 1, 2)
        form.addWidget(self.class_b, 1, 3)
        return page

    def _grid_page(self) -> QWidget:
        page = QWidget()
        form = QGridLayout(page)
        self.grid_size = _spin(3, 11, 7, "Images per side of the grid")
        self.grid_size.valueChanged.connect(self.render)
        self.span = QSlider(Qt.Orientation.Horizontal)
        self.span.setRange(25, 800)
        self.span.setValue(400)   # ±4 along a unit direction: a random z has norm ≈ √latent_dim, so less shows little
        self.span.setToolTip("How far the grid reaches along each direction (in standard deviations)")
        self.span.valueChanged.connect(self.render)
        self.directions = _spin(0, 1_000_000, 0, "Which two random orthogonal directions the grid walks along")
        self.directions.valueChanged.connect(self.render)
        self.grid_class = self._class_combo("Class of every image (conditional GAN)")
        form.addWidget(QLabel("Size"), 0, 0)
        form.addWidget(self.grid_size, 0, 1)
        form.addWidget(QLabel("Reach"), 0, 2)
        form.addWidget(self.span, 0, 3)
        form.addWidget(QLabel("Directions"), 1, 0)
        form.addWidget(self.directions, 1, 1)
        form.addWidget(QLabel("Class"), 1, 2)
        form.addWidget(self.grid_class, 1, 3)
        return page

    def _sliders_page(self) -> QWidget:
        page = QWidget()
        form = QGridLayout(page)
        self.sliders: list[QSlider] = []
        half = (N_SLIDERS + 1) // 2
        for i in range(N_SLIDERS):
            s = QSlider(Qt.Orientation.Horizontal)
            s.setRange(-SLIDER_RANGE, SLIDER_RANGE)
            s.setToolTip(f"Latent coordinate z[{i}] (−3 … 3); the image follows as you move it")
            s.valueChanged.connect(self.render)
            self.sliders.append(s)
            row, col = i % half, 2 * (i // half)
            form.addWidget(QLabel(f"z[{i}]"), row, col)
            form.addWidget(s, row, col + 1)
        self.slider_class = self._class_combo("Class (conditional GAN)")
        reset = QPushButton("Reset to the sample")
        reset.setToolTip("Put every slider back to the coordinates of the seed's sample")
        reset.clicked.connect(self.reset_sliders)
        form.addWidget(QLabel("Class"), half, 0)
        form.addWidget(self.slider_class, half, 1)
        form.addWidget(reset, half, 3)
        return page

    def _classes_page(self) -> QWidget:
        page = QWidget()
        form = QGridLayout(page)
        self.class_mode = QComboBox()
        self.class_mode.setToolTip("One class: many samples of the class chosen. Class sweep: each row one noise "
                                   "vector, each column one class. Morph: each row moves from class A to B.")
        for value, label in CLASS_MODES:
            self.class_mode.addItem(label, value)
        self.class_mode.currentIndexChanged.connect(self.render)
        self.class_pick = self._class_combo("The class to generate, or the morph's start (A)")
        self.class_to = self._class_combo("The morph's end (B)")
        self.class_rows = _spin(1, 10, 6, "Rows: noise vectors")
        self.class_rows.valueChanged.connect(self.render)
        form.addWidget(QLabel("Show"), 0, 0)
        form.addWidget(self.class_mode, 0, 1, 1, 3)
        form.addWidget(QLabel("Class / A"), 1, 0)
        form.addWidget(self.class_pick, 1, 1)
        form.addWidget(QLabel("B"), 1, 2)
        form.addWidget(self.class_to, 1, 3)
        form.addWidget(QLabel("Rows"), 2, 0)
        form.addWidget(self.class_rows, 2, 1)
        return page

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
        names = list(self.class_names()) if renderer.n_classes else []
        for combo in self._class_combos:
            combo.blockSignals(True)
            keep = combo.currentIndex()
            combo.clear()
            combo.addItems(names)
            if names:   # B starts one class further than A, so a morph morphs
                default = 1 if combo in (self.class_b, self.class_to) and len(names) > 1 else 0
                combo.setCurrentIndex(keep if 0 <= keep < len(names) else default)
            combo.blockSignals(False)
        self.reset_sliders(render=False)
        self._sync_enabled()
        self.generator_changed.emit()

    def _sync_enabled(self) -> None:
        has, cond = self.has_generator(), self.conditional()
        for combo in self._class_combos:
            combo.setEnabled(cond)
        self.tabs.setTabEnabled(VIEWS.index("classes"), cond or not has)
        self.tabs.setTabToolTip(VIEWS.index("classes"), "" if cond or not has else
                                "Only a conditional GAN can be asked for a class (Training → GAN → Conditional)")
        for w in (self.export_png_button, self.export_anim_button):
            w.setEnabled(has)
        self.tabs.setEnabled(has)

    # -- latents of each view ---------------------------------------------------------------------------------------
    def current_view(self) -> str:
        return VIEWS[self.tabs.currentIndex()]

    def show_view(self, name: str) -> None:
        self.tabs.setCurrentIndex(VIEWS.index(name))

    def _base(self, n: int = 1, offset: int = 0) -> np.ndarray:
        from gendisc.engine.inference.latent import random_latents

        return random_latents(n, self._renderer.latent_dim, self.seed.value() * 1000 + offset)

    def _label(self, combo: QComboBox, n: int) -> np.ndarray | None:
        return np.full(n, max(combo.currentIndex(), 0), dtype=np.int64) if self.conditional() else None

    def _soft(self, a: int, b: int, n: int) -> np.ndarray | None:
        from gendisc.engine.inference.latent import class_mix

        return class_mix(a, b, self._renderer.n_classes, n) if self.conditional() else None

    def view_latents(self, view: str | None = None) -> tuple[np.ndarray, np.ndarray | None, int]:
        """Latents, labels (or soft labels) and columns of the grid ``view`` shows (default: the current one)."""
        from gendisc.engine.inference.latent import (
            class_sweep,
            grid_walk,
            interpolate,
            orthonormal_directions,
            with_coordinates,
        )

        view = view or self.current_view()
        if view == "interpolate":
            a, b = self._base(2)
            n = self.steps.value()
            z = interpolate(a, b, n, "spherical" if self.spherical.isChecked() else "linear")
            return z, self._soft(max(self.class_a.currentIndex(), 0), max(self.class_b.currentIndex(), 0), n), n
        if view == "grid":
            n = self.grid_size.value()
            d1, d2 = orthonormal_directions(self._renderer.latent_dim, 2, self.directions.value())
            z = grid_walk(self._base(1)[0], d1, d2, self.span.value() / 100.0, n)
            return z, self._label(self.grid_class, n * n), n
        if view == "sliders":
            values = {i: s.value() / 100.0 for i, s in enumerate(self.sliders) if i < self._renderer.latent_dim}
            return with_coordinates(self._base(1), values), self._label(self.slider_class, 1), 1
        mode = self.class_mode.currentData()
        rows = self.class_rows.value()
        k = self._renderer.n_classes
        if not k:
            return self._base(rows), None, rows
        noise = self._base(rows, offset=500)
        if mode == "sweep":
            z, labels = class_sweep(noise, k)
            return z, labels, k
        if mode == "morph":
            steps = 8
            soft = self._soft(max(self.class_pick.currentIndex(), 0), max(self.class_to.currentIndex(), 0), steps)
            return np.repeat(noise, steps, axis=0), np.tile(soft, (rows, 1)), steps
        per_row = 8
        return self._base(rows * per_row, offset=900), self._label(self.class_pick, rows * per_row), per_row

    def animation_latents(self, view: str | None = None, frames: int = ANIMATION_FRAMES) -> tuple[np.ndarray,
                                                                                                   np.ndarray | None]:
        """The walk of ``view`` as single frames: A → B → A, a circle through the grid, a sweep of z[0], or a morph
        (conditional) / every class in turn."""
        from gendisc.engine.inference.latent import circle_walk, interpolate, orthonormal_directions, with_coordinates

        view = view or self.current_view()
        half = max(2, frames // 2)
        if view == "interpolate":
            a, b = self._base(2)
            path = interpolate(a, b, half, "spherical" if self.spherical.isChecked() else "linear")
            soft = self._soft(max(self.class_a.currentIndex(), 0), max(self.class_b.currentIndex(), 0), half)
            z = np.concatenate([path, path[::-1]])
            return z, None if soft is None else np.concatenate([soft, soft[::-1]])
        if view == "grid":
            d1, d2 = orthonormal_directions(self._renderer.latent_dim, 2, self.directions.value())
            z = circle_walk(self._base(1)[0], d1, d2, self.span.value() / 100.0, frames)
            return z, self._label(self.grid_class, frames)
        if view == "sliders":
            base = self._base(1)[0]
            values = {i: s.value() / 100.0 for i, s in enumerate(self.sliders) if i < self._renderer.latent_dim}
            z = with_coordinates(np.repeat(base[None], frames, 0), values)
            z[:, 0] = 3.0 * np.sin(np.linspace(0, 2 * np.pi, frames, endpoint=False))
            return z, self._label(self.slider_class, frames)
        k = self._renderer.n_classes
        noise = self._base(1, offset=500)
        if not k:
            return np.repeat(noise, frames, 0), None
        if self.class_mode.currentData() == "morph":
            soft = self._soft(max(self.class_pick.currentIndex(), 0), max(self.class_to.currentIndex(), 0), half)
            return np.repeat(noise, 2 * half, 0), np.concatenate([soft, soft[::-1]])
        return np.repeat(noise, k, 0), np.arange(k)

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

    def reset_sliders(self, render: bool = True) -> None:
        """Put the sliders at the coordinates of the seed's sample."""
        if self._renderer is None:
            return
        base = self._base(1)[0]
        for i, s in enumerate(self.sliders):
            s.blockSignals(True)
            s.setEnabled(i < len(base))
            if i < len(base):
                s.setValue(round(float(np.clip(base[i], -3, 3)) * 100))
            s.blockSignals(False)
        if render:
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
        folder = QFileDialog.getExistingDirectory(self, "Open a GAN run folder")
        if folder:
            self.load_run(folder)

    def _ask_export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export latent grid as PNG", f"latent-{self.current_view()}.png",
                                              "PNG image (*.png)")
        if path:
            self._export(self.export_png, path)

    def _ask_export_animation(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the walk as an animated PNG",
                                              f"latent-{self.current_view()}.apng",
                                              "Animated PNG (*.apng *.png)")
        if path:
            self._export(self.export_animation, path)

    def _export(self, write: Any, path: str) -> None:
        try:
            write(path)
        except (OSError, ValueError) as exc:
            self.error_box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", f"{path}: {exc}", parent=self)
            self.error_box.open()
