"""The draw panel on its own: a drawing classified by the session's live classifier (loaded or in training), the
drawing model the Inspect panel reads, labels that say where the model comes from, and quick training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gendisc.engine.config import CnnConfig
from gendisc.engine.inference.loading import LoadedClassifier
from gendisc.engine.models.build import ModelSpec
from gendisc.engine.models.cnn import build_cnn
from gendisc.engine.runs.state import numpy_state
from gendisc.engine.train.reports import StepReport, WeightsReport
from gendisc.gui.panels.draw_panel import DrawPanel
from gendisc.gui.session.session import Session
from gendisc.gui.widgets.draw_canvas import DrawCanvas
from tests.helpers.gui import draw_stroke

NAMES = tuple(str(i) for i in range(10))
SPEC = ModelSpec(CnnConfig(arch="classic"), (1, 28, 28), NAMES)


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> DrawPanel:
    p = DrawPanel(session.live, session.drawing, session.training)
    qtbot.addWidget(p)
    p.resize(700, 500)
    p.show()
    qtbot.waitExposed(p)
    return p


def classic(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_cnn("classic", (1, 28, 28), 10).eval()


def test_without_a_classifier_it_offers_quick_training(panel: DrawPanel) -> None:
    assert not panel.has_model() and panel.source.text() == "No classifier yet."
    assert panel.quick_train.isEnabled() and not panel.quick_progress.isVisible()
    draw_stroke(panel.canvas, ((0.3, 0.3), (0.7, 0.3), (0.4, 0.8)))
    assert panel.last_input is not None and panel.prediction.text() == "–"   # the digit is shown, not guessed
    assert panel.drawing.digit() is panel.last_input and panel.drawing.probabilities() is None


def test_a_loaded_classifier_reads_the_drawing_and_feeds_the_drawing_model(panel: DrawPanel, session: Session) -> None:
    model = classic()
    session.live.use_classifier(LoadedClassifier(SPEC, 420, model=model), "cnn-run-1")
    assert panel.source.text() == "Using the CNN saved in cnn-run-1 (step 420)."
    changes: list[None] = []
    session.drawing.changed.connect(lambda: changes.append(None))
    draw_stroke(panel.canvas, ((0.3, 0.3), (0.7, 0.3), (0.4, 0.8)))
    probs, digit = session.drawing.probabilities(), session.drawing.digit()
    assert probs is not None and digit is not None and digit.shape == (28, 28) and changes
    with torch.no_grad():   # exactly what the model says of the 28×28 digit the panel shows
        want = torch.softmax(model(torch.tensor(digit, dtype=torch.float32)[None, None] / 127.5 - 1).double(), 1)
    np.testing.assert_allclose(probs, want[0].numpy(), atol=1e-6)
    assert panel.prediction.text() == NAMES[int(np.argmax(probs))]
    assert panel.bars.top_index() == int(np.argmax(probs))
    panel.canvas.clear()
    assert session.drawing.digit() is None and panel.prediction.text() == "–"


def test_weights_of_a_cnn_in_training_reclassify_only_a_drawing(panel: DrawPanel, session: Session,
                                                                 qtbot: QtBot) -> None:
    session.live.expect(SPEC)   # a CNN job started
    results: list[object] = []
    panel.classified.connect(results.append)
    session.live.update(WeightsReport("cnn", 10, numpy_state(classic(0))))
    assert results == [] and "in training (step 10)" in panel.source.text()   # empty canvas: nothing to redo
    draw_stroke(panel.canvas, ((0.3, 0.3), (0.7, 0.3), (0.4, 0.8)))
    first = session.drawing.probabilities()
    session.live.update(WeightsReport("cnn", 20, numpy_state(classic(1))))
    assert "in training (step 20)" in panel.source.text()
    assert not np.allclose(session.drawing.probabilities(), first)   # the same drawing, read by the new weights
    session.live.training_ended("cnn")
    assert panel.source.text() == "Using the CNN trained in this session (step 20)."


def test_quick_training_shows_its_progress_and_ends(panel: DrawPanel, session: Session, qtbot: QtBot) -> None:
    session.datasets.refresh_catalog()   # the default dataset, the bundled sample, loads
    qtbot.waitUntil(lambda: session.datasets.dataset() is not None, timeout=15_000)
    panel.quick_train_requested.connect(session.quick_train)
    steps: list[StepReport] = []
    session.training.step.connect(steps.append)
    with qtbot.waitSignal(session.training.step, timeout=60_000):
        panel.quick_train.click()
    assert session.training.job("cnn").quick and session.training.job("cnn").cfg.budget.max_seconds == 20
    assert panel.quick_progress.isVisible() and not panel.quick_train.isEnabled()
    assert panel.quick_progress.format().startswith("Quick-training the CNN:")
    with qtbot.waitSignal(session.training.stopped, timeout=60_000):
        session.training.stop()
    assert not panel.quick_progress.isVisible() and panel.quick_train.isEnabled()
    assert panel.has_model()   # its last weights stay in use


def _grey_pixels_on_screen(canvas: DrawCanvas) -> int:
    """Mid-grey pixels in the middle band of what is on screen (the placeholder text is the only mid grey)."""
    QApplication.processEvents()
    image = canvas.screen().grabWindow(canvas.winId()).toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    band = np.array([[image.pixelColor(x, y).red() for x in range(4, image.width() - 4)]
                     for y in range(image.height() // 3, 2 * image.height() // 3)])
    return int(((band > 60) & (band < 200)).sum())


def test_the_first_dot_on_an_empty_canvas_removes_the_whole_placeholder(qtbot: QtBot) -> None:
    canvas = DrawCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(200, 200)
    canvas.show()
    qtbot.waitExposed(canvas)
    assert _grey_pixels_on_screen(canvas) > 50   # "Draw a digit" is on screen
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))   # a dot far from the text
    assert _grey_pixels_on_screen(canvas) == 0   # no ghost "Dr" left where the text was
