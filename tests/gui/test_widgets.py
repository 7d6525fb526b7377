"""The reusable display widgets: drawing canvas, probability bars, image grid, QImage conversion."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QMouseEvent, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gendisc.gui.widgets.draw_canvas import DrawCanvas
from gendisc.gui.widgets.image_grid import ImageGrid, grid_shape
from gendisc.gui.widgets.prob_bars import ProbabilityBars
from gendisc.gui.widgets.qimage import numpy_to_qimage, qimage_to_gray

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.MouseButton.NoButton


def send_mouse(
    widget: object, kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton, buttons: Qt.MouseButton
) -> None:
    # QTest.mouseMove cannot hold a button down, so every event is built by hand and delivered synchronously.
    pos = QPointF(x, y)
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def stroke(canvas: DrawCanvas, points: list[tuple[float, float]], release: bool = True) -> None:
    send_mouse(canvas, QEvent.Type.MouseButtonPress, *points[0], LEFT, LEFT)
    for x, y in points[1:]:
        send_mouse(canvas, QEvent.Type.MouseMove, x, y, NONE, LEFT)
    if release:
        send_mouse(canvas, QEvent.Type.MouseButtonRelease, *points[-1], LEFT, NONE)


def line(x0: float, y0: float, x1: float, y1: float, n: int = 20) -> list[tuple[float, float]]:
    return [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in np.linspace(0.0, 1.0, n)]


@pytest.fixture
def canvas(qtbot: QtBot) -> DrawCanvas:
    widget = DrawCanvas()
    qtbot.addWidget(widget)
    widget.resize(280, 280)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def ink(img: np.ndarray, rows: slice, cols: slice) -> int:
    """Pixels above half intensity in a region, scaled from 280-px coordinates to the image's size."""
    f = img.shape[0] / 280.0
    region = img[int(rows.start * f) : int(rows.stop * f), int(cols.start * f) : int(cols.stop * f)]
    return int(np.count_nonzero(region > 127))


# ---------------------------------------------------------------- DrawCanvas
def test_canvas_starts_empty(canvas: DrawCanvas) -> None:
    img = canvas.image()
    assert img.dtype == np.uint8 and img.ndim == 2 and img.shape[0] == img.shape[1] >= 200
    assert img.max() == 0
    assert canvas.is_empty()


def test_stroke_leaves_ink_only_where_drawn(canvas: DrawCanvas) -> None:
    stroke(canvas, line(40, 60, 200, 60))
    img = canvas.image()
    assert ink(img, slice(55, 66), slice(50, 190)) > 0.9 * 11 * 140 * (img.shape[0] / 280) ** 2
    assert ink(img, slice(120, 280), slice(0, 280)) == 0  # nothing far below the stroke
    assert ink(img, slice(0, 280), slice(240, 280)) == 0  # nor right of its end cap
    assert canvas.stroke_count() == 1


def test_changed_is_throttled_while_drawing_and_sent_on_release(canvas: DrawCanvas, qtbot: QtBot) -> None:
    emitted: list[None] = []
    canvas.changed.connect(lambda: emitted.append(None))
    stroke(canvas, line(40, 40, 240, 240, n=100), release=False)
    assert emitted == []  # 100 moves delivered without an event loop turn: nothing emitted per move
    with qtbot.waitSignal(canvas.changed, timeout=1000):
        pass
    assert len(emitted) == 1  # ...and the pending timer coalesced them into one
    with qtbot.waitSignal(canvas.changed, timeout=1000):
        send_mouse(canvas, QEvent.Type.MouseButtonRelease, 240, 240, LEFT, NONE)


def test_undo_removes_only_the_last_stroke(canvas: DrawCanvas, qtbot: QtBot) -> None:
    stroke(canvas, line(40, 50, 240, 50))
    stroke(canvas, line(40, 220, 240, 220))
    img = canvas.image()
    assert ink(img, slice(40, 61), slice(60, 220)) > 0 and ink(img, slice(210, 231), slice(60, 220)) > 0
    with qtbot.waitSignal(canvas.changed, timeout=1000):
        canvas.undo()
    img = canvas.image()
    assert ink(img, slice(40, 61), slice(60, 220)) > 0
    assert ink(img, slice(150, 280), slice(0, 280)) == 0
    assert canvas.stroke_count() == 1


def test_ctrl_z_undoes_and_delete_clears(canvas: DrawCanvas, qtbot: QtBot) -> None:
    stroke(canvas, line(40, 50, 240, 50))
    stroke(canvas, line(40, 220, 240, 220))
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert canvas.stroke_count() == 1
    with qtbot.waitSignal(canvas.cleared, timeout=1000):
        QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert canvas.is_empty() and canvas.image().max() == 0


def test_clear_empties_and_signals(canvas: DrawCanvas, qtbot: QtBot) -> None:
    stroke(canvas, line(60, 60, 200, 200))
    assert canvas.image().max() == 255
    with qtbot.waitSignals([canvas.changed, canvas.cleared], timeout=1000):
        canvas.clear()
    assert canvas.image().max() == 0
    assert canvas.stroke_count() == 0
    canvas.undo()  # nothing left to undo: must not fail or resurrect anything
    assert canvas.image().max() == 0


def test_right_click_clears(canvas: DrawCanvas, qtbot: QtBot) -> None:
    stroke(canvas, line(60, 60, 200, 200))
    with qtbot.waitSignal(canvas.cleared, timeout=1000):
        QTest.mouseClick(canvas, Qt.MouseButton.RightButton, pos=QPoint(140, 140))
    assert canvas.is_empty() and canvas.image().max() == 0


def test_drawing_survives_resize(canvas: DrawCanvas, qtbot: QtBot) -> None:
    stroke(canvas, line(40, 60, 200, 60))
    canvas.resize(420, 420)
    qtbot.waitUntil(lambda: canvas.width() == 420)
    img = canvas.image()
    assert img.shape[0] == pytest.approx(420 * canvas.devicePixelRatioF(), abs=1)
    assert ink(img, slice(55, 66), slice(50, 190)) > 0  # same place, relative to the side
    assert ink(img, slice(120, 280), slice(0, 280)) == 0


def test_image_at_fixed_size_and_pen_width(canvas: DrawCanvas) -> None:
    canvas.set_pen_width(1 / 6)
    stroke(canvas, line(140, 20, 140, 260))
    thick = canvas.image(size=280)
    assert thick.shape == (280, 280)
    # a vertical stroke 1/6 of the side wide: about 47 inked columns in the middle row
    assert 40 <= np.count_nonzero(thick[140] > 127) <= 50
    with pytest.raises(ValueError):
        canvas.set_pen_width(0.0)


def test_undo_depth_is_limited(canvas: DrawCanvas) -> None:
    for i in range(55):
        stroke(canvas, [(20 + 4 * i, 140)])
    for _ in range(60):
        canvas.undo()
    assert canvas.stroke_count() == 5


def test_signals_do_not_drain_references_to_true(canvas: DrawCanvas, qtbot: QtBot) -> None:
    # PySide6 6.12.0's emit() returns True without a new reference; on Python 3.11 a few hundred emits abort the
    # process ("bool_dealloc"). pyproject.toml excludes that release; this fails if a leaking build is installed.
    received: list[int] = []
    canvas.changed.connect(lambda: received.append(1))
    before = sys.getrefcount(True)
    for _ in range(50):
        stroke(canvas, [(100.0, 100.0), (150.0, 150.0)])
        canvas.clear()
    drained = before - sys.getrefcount(True)
    assert len(received) == 100  # release + clear, every time (the throttle timer never got an event loop turn)
    assert drained < 20


# ---------------------------------------------------------------- ProbabilityBars
def test_probability_bars_api(qtbot: QtBot) -> None:
    bars = ProbabilityBars()
    qtbot.addWidget(bars)
    assert bars.top_index() is None and bars.probabilities() is None
    p = np.full(10, 0.02)
    p[7] = 0.82
    bars.set_probabilities(p)
    assert bars.top_index() == 7
    np.testing.assert_allclose(bars.probabilities(), p)
    with pytest.raises(ValueError):
        bars.set_probabilities(np.ones(3) / 3)
    bars.set_labels(["cat", "dog", "bird"])  # the old 10 values no longer fit: back to the empty state
    assert bars.top_index() is None
    bars.set_probabilities(np.array([0.1, 0.2, 0.7]))
    assert bars.top_index() == 2
    bars.set_probabilities(None)
    assert bars.top_index() is None
    assert bars.sizeHint().height() > 0


def test_probability_bars_highlight_the_top_row(qtbot: QtBot) -> None:
    bars = ProbabilityBars()
    qtbot.addWidget(bars)
    bars.resize(300, 260)
    p = np.zeros(10)
    p[3] = 1.0
    bars.set_probabilities(p)
    img = bars.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    highlight = bars.palette().color(QPalette.ColorRole.Highlight)
    ys = [y for y in range(img.height()) for x in range(0, img.width(), 3) if QColor(img.pixel(x, y)) == highlight]
    assert ys, "no bar painted in the highlight colour"
    row_h = (img.height() / bars.devicePixelRatioF() - 12) / 10  # 6 px margins, 10 rows
    dpr = bars.devicePixelRatioF()
    assert min(ys) / dpr >= 6 + 3 * row_h - 1 and max(ys) / dpr <= 6 + 4 * row_h + 1


# ---------------------------------------------------------------- ImageGrid
def test_grid_shape_is_near_square() -> None:
    assert grid_shape(0) == (0, 0)
    assert grid_shape(1) == (1, 1)
    assert grid_shape(10) == (3, 4)
    assert grid_shape(64) == (8, 8)


def test_image_grid_click_reports_the_tile(qtbot: QtBot) -> None:
    grid = ImageGrid()
    qtbot.addWidget(grid)
    grid.resize(400, 300)
    images = np.zeros((10, 28, 28), np.uint8)
    images[4] = 255
    grid.set_images(images, labels=[str(i) for i in range(10)])
    grid.show()
    qtbot.waitExposed(grid)
    assert grid.columns() > 5   # 4 and 5 are neighbours in the first row
    r5, r6 = grid.tile_rect(4), grid.tile_rect(5)
    assert r5.right() < r6.left() and r5.top() == r6.top()
    with qtbot.waitSignal(grid.image_clicked, timeout=1000) as blocker:
        QTest.mouseClick(grid, LEFT, pos=r5.center().toPoint())
    assert blocker.args == [4]
    # the white tile is drawn where tile_rect says, the black ones next to it
    shot = grid.grab().toImage()
    dpr = grid.devicePixelRatioF()
    assert QColor(shot.pixel((r5.center() * dpr).toPoint())).lightness() == 255
    assert QColor(shot.pixel((r6.center() * dpr).toPoint())).lightness() == 0
    with qtbot.assertNotEmitted(grid.image_clicked):
        QTest.mouseClick(grid, LEFT, pos=QPoint(1, 1))  # the margin, outside every tile


def test_image_grid_rejects_bad_input_and_handles_grids(qtbot: QtBot) -> None:
    grid = ImageGrid()
    qtbot.addWidget(grid)
    grid.set_placeholder("No samples yet")
    assert grid.count() == 0
    with pytest.raises(ValueError):
        grid.set_images(np.zeros((28, 28), np.uint8))
    with pytest.raises(ValueError):
        grid.set_images(np.zeros((3, 28, 28), np.uint8), labels=["a"])
    with pytest.raises(ValueError):
        grid.set_images(np.zeros((3, 28, 28), np.uint8), tooltips=["a"])
    grid.resize(200, 200)
    grid.set_grid(np.zeros((60, 90, 3), np.uint8))
    assert grid.count() == 1
    rect = grid.tile_rect(0)
    assert (rect.width(), rect.height()) == (180, 120)   # 2×: the largest whole multiple that fits
    with qtbot.assertNotEmitted(grid.image_clicked):
        QTest.mouseClick(grid, LEFT, pos=rect.center().toPoint())


def digits(n: int) -> np.ndarray:
    from gendisc.engine.data import load_dataset

    return np.ascontiguousarray(load_dataset("mnist-sample").train_images[:n, :, :, 0])


def test_image_grid_never_shrinks_images_below_native_size_it_scrolls(qtbot: QtBot) -> None:
    grid = ImageGrid()
    qtbot.addWidget(grid)
    grid.resize(200, 160)   # a small dock
    captions = [f"{i % 10} · {40 + i}%" for i in range(53)]
    grid.set_images(digits(53), captions, [f"image {i}" for i in range(53)])
    grid.show()
    qtbot.waitExposed(grid)
    small = grid.scale()
    for i in range(grid.count()):
        rect = grid.tile_rect(i)
        assert rect.width() == rect.height() == 28 * small >= 28   # native size or a whole multiple of it
    assert grid.verticalScrollBar().maximum() > 0 and grid.verticalScrollBar().isVisible()   # it scrolls
    assert grid.horizontalScrollBar().maximum() == 0   # only vertically: the columns fit the width
    assert grid.tile_rect(grid.columns() - 1).right() <= grid.viewport().width()
    # the captions fit their column: nothing is elided
    fm = QFontMetrics(grid._caption_font())
    assert all(fm.horizontalAdvance(c) <= grid.caption_rect(i).width() for i, c in enumerate(captions))
    # scrolling moves the tiles, and clicks still find them
    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum())
    last = grid.tile_rect(52)
    assert last.top() >= 0 and last.bottom() <= grid.viewport().height()
    with qtbot.waitSignal(grid.image_clicked, timeout=1000) as blocker:
        QTest.mouseClick(grid.viewport(), LEFT, pos=last.center().toPoint())
    assert blocker.args == [52]

    grid.resize(1200, 800)   # a wide floating dock: the images grow, by whole multiples
    qtbot.waitUntil(lambda: grid.viewport().width() > 1000)
    assert grid.scale() > small and grid.tile_rect(0).width() == 28 * grid.scale()
    assert grid.verticalScrollBar().maximum() == 0   # and all 53 fit: no scroll bar
    # the pixels are crisp: a 2×2 block (or larger) of screen pixels per image pixel, no blur between them
    shot = grid.grab().toImage()
    rect, s = grid.tile_rect(0).toRect(), grid.scale()
    image = digits(1)[0]
    for y in range(28):
        for x in range(28):
            assert QColor(shot.pixel(rect.left() + x * s + s // 2, rect.top() + y * s + s // 2)).red() == image[y, x]


def test_gallery_layout_picks_whole_scales_and_columns() -> None:
    from gendisc.gui.widgets.gallery_layout import plan_gallery

    dock = plan_gallery(53, 28, 28, 350, 400, label_h=14, caption_w=30)
    assert dock.scale == 2 and dock.cols == 5 and dock.height > 400   # readable, and it scrolls
    tight = plan_gallery(53, 28, 28, 350, 60, label_h=14)
    assert tight.scale == 1   # a whole row of 2× images would not be in sight
    wide = plan_gallery(53, 28, 28, 1800, 900, label_h=14)
    assert wide.scale >= 3 and wide.height <= 900 and wide.width <= 1800
    assert plan_gallery(1, 28, 28, 84, 84, margin=0).scale == 3   # the draw panel's 84 px input view
    assert plan_gallery(5, 28, 28, 10, 10).scale == 1   # never below native size, however small
    p = plan_gallery(10, 28, 28, 400, 300, label_h=14, caption_w=40)
    assert p.cell_w == max(40, 28 * p.scale)
    for i in range(10):
        x, y, w, h = p.image_rect(i)
        assert p.index_at(x + w / 2, y + h + 3) == i   # the caption strip belongs to its image
    assert p.index_at(1, 1) is None


def test_square_grid_uses_whole_pixels_and_grows_taller_instead_of_shrinking(qtbot: QtBot) -> None:
    from gendisc.gui.widgets.square_grid import SquareImageGrid

    grid = SquareImageGrid(minimum=60)
    qtbot.addWidget(grid)
    grid.set_grid(np.zeros((28, 28), np.uint8))
    grid.resize(100, 100)
    assert grid.tile_rect(0).width() == 84   # 3×, not 100/28
    grid.set_images(np.zeros((32, 28, 28), np.uint8))   # 32 activation maps in 150 px: wrap, at 1×
    assert grid.heightForWidth(150) >= 7 * 28
    grid.resize(150, grid.heightForWidth(150))
    assert all(grid.tile_rect(i).width() == 28 for i in range(32))
    assert max(grid.tile_rect(i).right() for i in range(32)) <= 150


def test_feature_map_key_sits_outside_the_plot(qtbot: QtBot) -> None:
    from gendisc.gui.widgets.feature_map import FeatureMap

    fm = FeatureMap()
    qtbot.addWidget(fm)
    fm.resize(350, 300)
    rng = np.random.default_rng(0)
    fm.set_points(rng.normal(size=(200, 2)), rng.integers(0, 10, 200), [str(i) for i in range(10)])
    fm.set_marker((0.1, 0.2), "your drawing (3)")
    fm.show()
    qtbot.waitExposed(fm)
    assert fm.plot.getPlotItem().legend is None   # nothing drawn over the data
    assert fm.key.isVisible() and not fm.key.geometry().intersects(fm.plot.geometry())
    assert fm.key_entries() == [*(str(i) for i in range(10)), "★ your drawing (3)"]
    box = fm.plot.getPlotItem().getViewBox()
    x, y = fm.marker_position()
    (x0, x1), (y0, y1) = box.viewRange()
    assert x0 < x < x1 and y0 < y < y1   # the star is in view
    fm.set_marker(None)
    assert fm.key_entries()[-1] == "9"


# ---------------------------------------------------------------- QImage conversion
def test_numpy_qimage_round_trip_copies() -> None:
    gray = np.arange(27 * 5, dtype=np.uint8).reshape(5, 27)  # odd width: rows are padded inside QImage
    img = numpy_to_qimage(gray)
    gray[:] = 0  # the QImage must not share the buffer
    np.testing.assert_array_equal(qimage_to_gray(img), np.arange(27 * 5, dtype=np.uint8).reshape(5, 27))
    rgb = np.zeros((4, 3, 3), np.uint8)
    rgb[..., 0] = 200
    rgb[1, 2] = (10, 20, 30)
    img = numpy_to_qimage(rgb)
    assert (img.width(), img.height()) == (3, 4)
    assert QColor(img.pixel(0, 0)).getRgb()[:3] == (200, 0, 0)
    assert QColor(img.pixel(2, 1)).getRgb()[:3] == (10, 20, 30)
    with pytest.raises(TypeError):
        numpy_to_qimage(np.zeros((4, 4), np.float32))
    assert numpy_to_qimage(np.zeros((0, 4), np.uint8)).isNull()
