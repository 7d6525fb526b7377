"""The window's docks, declared once: where each goes by default and what it is tabbed with. The main window makes
them from :data:`DOCKS` (before the panels exist, so a saved layout can be restored at once), and View → Reset
layout puts them back where this table says."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QScrollArea, QWidget

LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea


@dataclass(frozen=True)
class DockSpec:
    """One dock: its key (also its title), its area, the dock it is tabbed behind (None: its own place), and
    whether it is the tab shown first in its group."""

    key: str
    area: Qt.DockWidgetArea
    tab_with: str | None = None
    front: bool = False
    tip: str = ""


DOCKS: tuple[DockSpec, ...] = (
    DockSpec("Training", LEFT, front=True, tip="Which models, their settings, start, pause and stop"),
    DockSpec("Dataset", LEFT, tab_with="Training", tip="Datasets: bundled, downloadable, your own"),
    DockSpec("Runs", LEFT, tab_with="Dataset", tip="Past runs: open, continue, compare"),
    DockSpec("Samples", RIGHT, front=True, tip="The GAN's and the flow model's samples, epoch by epoch"),
    DockSpec("Inspect", RIGHT, tab_with="Samples", tip="Inside the classifier: confusion, mistakes, saliency"),
    DockSpec("Latent", RIGHT, tab_with="Inspect", tip="Walk the generator's latent space"),
    DockSpec("Trajectory", RIGHT, tab_with="Latent", tip="The flow model's samples on their way from noise to image"),
    DockSpec("Draw", RIGHT, tip="Draw a digit and see it classified"),
)
FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable)


def placeholder() -> QLabel:
    """What a dock shows until its panel is built (the window paints before the panels exist)."""
    label = QLabel("Loading…")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setEnabled(False)
    return label


def make_docks(window: QMainWindow) -> dict[str, QDockWidget]:
    """Every dock of :data:`DOCKS`, with a placeholder inside, in its default place."""
    docks: dict[str, QDockWidget] = {}
    for spec in DOCKS:
        dock = QDockWidget(spec.key, window)
        dock.setObjectName(f"{spec.key}Dock")   # the key QMainWindow.saveState() remembers it by
        dock.setFeatures(FEATURES)
        dock.setWidget(placeholder())
        dock.toggleViewAction().setStatusTip(spec.tip)
        docks[spec.key] = dock
    place_docks(window, docks)
    return docks


def place_docks(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Put every dock where :data:`DOCKS` says, shown, each group's front tab raised."""
    for spec in DOCKS:
        dock = docks[spec.key]
        dock.setFloating(False)
        window.addDockWidget(spec.area, dock)
        dock.show()
    for spec in DOCKS:
        if spec.tab_with is not None:
            window.tabifyDockWidget(docks[spec.tab_with], docks[spec.key])
    for spec in DOCKS:
        if spec.front:
            docks[spec.key].raise_()


def set_panel(dock: QDockWidget, panel: QWidget) -> None:
    """Put ``panel`` into ``dock``, in a scroll area: a dock may be smaller than its panel (a small screen, a split
    the user dragged), and then the panel scrolls instead of pushing the window off the screen."""
    old = dock.widget()
    scroll = QScrollArea()
    scroll.setObjectName(f"{dock.objectName()}Scroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(panel)
    dock.setWidget(scroll)
    if old is not None:
        old.deleteLater()


def panel_of(dock: QDockWidget) -> QWidget | None:
    """The panel inside a dock (inside its scroll area)."""
    scroll = dock.widget()
    return scroll.widget() if isinstance(scroll, QScrollArea) else scroll
