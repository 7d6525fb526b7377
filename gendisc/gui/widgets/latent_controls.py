"""The latent panel's controls: four pages (interpolate, grid walk, sliders, classes) and the seed, and the latent
points and class labels each page asks the generator for (pure functions of :mod:`gendisc.engine.inference.latent`
applied to the controls' values)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTabWidget,
    QWidget,
)

__all__ = ["ANIMATION_FRAMES", "VIEWS", "LatentControls"]

N_SLIDERS = 6            # latent coordinates with a slider
SLIDER_RANGE = 300       # slider units per side: ±3.00 standard deviations
ANIMATION_FRAMES = 36
VIEWS = ("interpolate", "grid", "sliders", "classes")
CLASS_MODES = (("one", "One class"), ("sweep", "Class sweep (fixed noise)"), ("morph", "Morph A → B"))


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    w = QSpinBox()
    w.setRange(lo, hi)
    w.setValue(value)
    w.setToolTip(tip)
    return w


class LatentControls(QTabWidget):
    """``changed`` follows every control a user moves (the panel redraws); :meth:`set_generator` says what the
    generator takes (latent size, classes)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dim, self._k = 1, 0
        self.seed = _spin(0, 1_000_000, 0, "Which noise: the same seed gives the same samples")
        self.seed.valueChanged.connect(lambda _v: self.reset_sliders())   # new noise: the sliders follow it
        self._class_combos: list[QComboBox] = []
        self.setDocumentMode(True)
        for page, title in ((self._interpolate_page(), "Interpolate"), (self._grid_page(), "Grid walk"),
                            (self._sliders_page(), "Sliders"), (self._classes_page(), "Classes")):
            grid = page.layout()
            grid.setRowStretch(grid.rowCount(), 1)   # controls at the top of a page, whatever its height
            self.addTab(page, title)
        self.currentChanged.connect(self.changed)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def _class_combo(self, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setToolTip(tip)
        combo.currentIndexChanged.connect(self.changed)
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
        group.buttonToggled.connect(lambda _b, on: on and self.changed.emit())
        self.steps = _spin(3, 16, 8, "Images from A to B, both included")
        self.steps.valueChanged.connect(self.changed)
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
        self.grid_size.valueChanged.connect(self.changed)
        self.span = QSlider(Qt.Orientation.Horizontal)
        self.span.setRange(25, 800)
        self.span.setValue(400)   # ±4 along a unit direction: a random z has norm ≈ √latent_dim, so less shows little
        self.span.setToolTip("How far the grid reaches along each direction (in standard deviations)")
        self.span.valueChanged.connect(self.changed)
        self.directions = _spin(0, 1_000_000, 0, "Which two random orthogonal directions the grid walks along")
        self.directions.valueChanged.connect(self.changed)
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
            s.valueChanged.connect(self.changed)
            self.sliders.append(s)
            row, col = i % half, 2 * (i // half)
            form.addWidget(QLabel(f"z[{i}]"), row, col)
            form.addWidget(s, row, col + 1)
        self.slider_class = self._class_combo("Class (conditional GAN)")
        reset = QPushButton("Reset to the sample")
        reset.setToolTip("Put every slider back to the coordinates of the seed's sample")
        reset.clicked.connect(lambda: self.reset_sliders())
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
        self.class_mode.currentIndexChanged.connect(self.changed)
        self.class_pick = self._class_combo("The class to generate, or the morph's start (A)")
        self.class_to = self._class_combo("The morph's end (B)")
        self.class_rows = _spin(1, 10, 6, "Rows: noise vectors")
        self.class_rows.valueChanged.connect(self.changed)
        form.addWidget(QLabel("Show"), 0, 0)
        form.addWidget(self.class_mode, 0, 1, 1, 3)
        form.addWidget(QLabel("Class / A"), 1, 0)
        form.addWidget(self.class_pick, 1, 1)
        form.addWidget(QLabel("B"), 1, 2)
        form.addWidget(self.class_to, 1, 3)
        form.addWidget(QLabel("Rows"), 2, 0)
        form.addWidget(self.class_rows, 2, 1)
        return page

    # -- the generator they drive ---------------------------------------------------------------------------------
    def set_generator(self, latent_dim: int, class_names: tuple[str, ...]) -> None:
        """A generator of ``latent_dim`` noise and (conditional: not empty) ``class_names``."""
        self._dim, self._k = latent_dim, len(class_names)
        for combo in self._class_combos:
            combo.blockSignals(True)
            keep = combo.currentIndex()
            combo.clear()
            combo.addItems(list(class_names))
            if class_names:   # B starts one class further than A, so a morph morphs
                default = 1 if combo in (self.class_b, self.class_to) and len(class_names) > 1 else 0
                combo.setCurrentIndex(keep if 0 <= keep < len(class_names) else default)
            combo.setEnabled(bool(class_names))
            combo.blockSignals(False)
        classes = VIEWS.index("classes")
        self.setTabEnabled(classes, bool(class_names))
        self.setTabToolTip(classes, "" if class_names else
                           "Only a conditional GAN can be asked for a class (Training → GAN → Conditional)")
        self.reset_sliders(notify=False)

    def current_view(self) -> str:
        return VIEWS[self.currentIndex()]

    def show_view(self, name: str) -> None:
        self.setCurrentIndex(VIEWS.index(name))

    def reset_sliders(self, notify: bool = True) -> None:
        """Put the sliders at the coordinates of the seed's sample."""
        base = self._base(1)[0]
        for i, s in enumerate(self.sliders):
            s.blockSignals(True)
            s.setEnabled(i < len(base))
            if i < len(base):
                s.setValue(round(float(np.clip(base[i], -3, 3)) * 100))
            s.blockSignals(False)
        if notify:
            self.changed.emit()

    def _base(self, n: int = 1, offset: int = 0) -> np.ndarray:
        from gendisc.engine.inference.latent import random_latents

        return random_latents(n, self._dim, self.seed.value() * 1000 + offset)

    def _label(self, combo: QComboBox, n: int) -> np.ndarray | None:
        return np.full(n, max(combo.currentIndex(), 0), dtype=np.int64) if self._k > 0 else None

    def _soft(self, a: int, b: int, n: int) -> np.ndarray | None:
        from gendisc.engine.inference.latent import class_mix

        return class_mix(a, b, self._k, n) if self._k > 0 else None

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
            d1, d2 = orthonormal_directions(self._dim, 2, self.directions.value())
            z = grid_walk(self._base(1)[0], d1, d2, self.span.value() / 100.0, n)
            return z, self._label(self.grid_class, n * n), n
        if view == "sliders":
            values = {i: s.value() / 100.0 for i, s in enumerate(self.sliders) if i < self._dim}
            return with_coordinates(self._base(1), values), self._label(self.slider_class, 1), 1
        mode = self.class_mode.currentData()
        rows = self.class_rows.value()
        k = self._k
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
            d1, d2 = orthonormal_directions(self._dim, 2, self.directions.value())
            z = circle_walk(self._base(1)[0], d1, d2, self.span.value() / 100.0, frames)
            return z, self._label(self.grid_class, frames)
        if view == "sliders":
            base = self._base(1)[0]
            values = {i: s.value() / 100.0 for i, s in enumerate(self.sliders) if i < self._dim}
            z = with_coordinates(np.repeat(base[None], frames, 0), values)
            z[:, 0] = 3.0 * np.sin(np.linspace(0, 2 * np.pi, frames, endpoint=False))
            return z, self._label(self.slider_class, frames)
        k = self._k
        noise = self._base(1, offset=500)
        if not k:
            return np.repeat(noise, frames, 0), None
        if self.class_mode.currentData() == "morph":
            soft = self._soft(max(self.class_pick.currentIndex(), 0), max(self.class_to.currentIndex(), 0), half)
            return np.repeat(noise, 2 * half, 0), np.concatenate([soft, soft[::-1]])
        return np.repeat(noise, k, 0), np.arange(k)
