"""The latent panel: every control redraws the images, class views for a conditional GAN only, exports, loading."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gendisc.engine.config import GanConfig, TrainBudget
from gendisc.engine.models.build import ModelSpec, build_gan
from gendisc.engine.runs.state import numpy_state
from gendisc.engine.train.reports import WeightsReport
from gendisc.gui.panels.latent_panel import EXPORT_SCALE, PLACEHOLDER, LatentPanel
from gendisc.gui.session.session import Session

NAMES = tuple(str(i) for i in range(10))


def tiny_cfg(**kw: object) -> GanConfig:
    return GanConfig(**{"latent_dim": 8, "g_width": 8, "d_width": 8, **kw})   # type: ignore[arg-type]


def weights(cfg: GanConfig, step: int = 5, seed: int = 0) -> WeightsReport:
    torch.manual_seed(seed)
    g, d = build_gan(cfg, (1, 28, 28), 10)
    with torch.no_grad():   # a freshly initialised generator draws nearly flat images: give it contrast
        for p in g.parameters():
            if p.ndim > 1:
                p.mul_(20.0)
    state = {**{f"G.{k}": v for k, v in numpy_state(g).items()}, **{f"D.{k}": v for k, v in numpy_state(d).items()}}
    return WeightsReport("gan", step, state)


@pytest.fixture
def panel(qtbot: QtBot, session: Session) -> LatentPanel:
    w = LatentPanel(session.live)
    qtbot.addWidget(w)
    w.resize(520, 640)
    w.show()
    qtbot.waitExposed(w)
    return w


def with_generator(panel: LatentPanel, cfg: GanConfig | None = None) -> LatentPanel:
    cfg = cfg or tiny_cfg()
    panel.live.expect(ModelSpec(cfg, (1, 28, 28), NAMES))   # what a GAN job starting says
    panel.live.update(weights(cfg))
    return panel


def shown(panel: LatentPanel) -> np.ndarray:
    assert panel.last_images is not None
    return panel.last_images.copy()


def test_empty_panel_says_what_to_do(panel: LatentPanel) -> None:
    assert not panel.has_generator() and panel.render() is None
    assert panel.view.count() == 0 and not panel.export_png_button.isEnabled()
    assert PLACEHOLDER.startswith("Train a GAN")
    panel.live.update(weights(tiny_cfg()))   # weights without a spec (no GAN described yet): ignored
    assert not panel.has_generator()


def test_training_weights_build_the_generator_and_refresh_the_images(panel: LatentPanel, qtbot: QtBot) -> None:
    cfg = tiny_cfg()
    panel.live.expect(ModelSpec(cfg, (1, 28, 28), NAMES))
    with qtbot.waitSignal(panel.rendered, timeout=2000):
        panel.live.update(weights(cfg, step=5))
    assert panel.has_generator() and panel.conditional()
    assert "step 5" in panel.source.text()
    first = shown(panel)
    with qtbot.waitSignal(panel.rendered, timeout=2000):
        panel.live.update(weights(cfg, step=9, seed=1))   # newer weights: same latents, new images
    assert "step 9" in panel.source.text()
    assert not np.array_equal(first, shown(panel))


def test_a_slider_moves_the_image(panel: LatentPanel, qtbot: QtBot) -> None:
    with_generator(panel)
    panel.show_view("sliders")
    before = shown(panel)
    assert before.shape == (1, 28, 28, 1)
    slider = panel.controls.sliders[0]
    painted = panel.view.grab().toImage()
    with qtbot.waitSignal(panel.rendered, timeout=2000):
        slider.setFocus()
        QTest.keyClick(slider, Qt.Key.Key_PageUp)   # as the user drags or pages it
    after = shown(panel)
    assert not np.array_equal(before, after)
    assert panel.view.grab().toImage() != painted   # and the widget shows it
    panel.controls.sliders[1].setValue(panel.controls.sliders[1].value() - 150)
    assert not np.array_equal(after, shown(panel))
    panel.reset_sliders()
    np.testing.assert_array_equal(shown(panel), before)


def test_interpolation_paths_share_ends_and_differ_between(panel: LatentPanel) -> None:
    with_generator(panel)
    panel.show_view("interpolate")
    panel.controls.class_b.setCurrentIndex(0)   # same class at both ends: only the noise moves
    panel.controls.steps.setValue(6)
    spherical = shown(panel)
    assert spherical.shape == (6, 28, 28, 1) and panel.last_grid.shape == (32, 6 * 30 + 2)
    panel.controls.linear.setChecked(True)
    linear = shown(panel)
    np.testing.assert_array_equal(linear[[0, -1]], spherical[[0, -1]])
    assert not np.array_equal(linear[1:-1], spherical[1:-1])
    panel.seed.setValue(panel.seed.value() + 1)   # new endpoints
    assert not np.array_equal(linear[0], shown(panel)[0])


def test_grid_walk_and_class_views(panel: LatentPanel) -> None:
    with_generator(panel)
    panel.show_view("grid")
    panel.controls.grid_size.setValue(5)
    grid = shown(panel)
    assert grid.shape == (25, 28, 28, 1)
    panel.controls.span.setValue(panel.controls.span.value() + 100)
    wider = shown(panel)
    np.testing.assert_array_equal(wider[12], grid[12])   # the centre stays the sample
    assert not np.array_equal(wider[0], grid[0])
    panel.controls.grid_class.setCurrentIndex(3)
    assert not np.array_equal(wider, shown(panel))

    panel.show_view("classes")
    assert panel.controls.isTabEnabled(3)
    panel.controls.class_rows.setValue(2)
    panel.controls.class_pick.setCurrentIndex(7)
    one = shown(panel)
    assert one.shape == (16, 28, 28, 1)
    panel.controls.class_mode.setCurrentIndex(panel.controls.class_mode.findData("sweep"))
    sweep = shown(panel)
    assert sweep.shape == (20, 28, 28, 1)   # two noise rows × ten classes
    assert len({img.tobytes() for img in sweep[:10]}) == 10
    panel.controls.class_mode.setCurrentIndex(panel.controls.class_mode.findData("morph"))
    morph = shown(panel)
    assert morph.shape == (16, 28, 28, 1)
    np.testing.assert_array_equal(morph[0], sweep[7])   # row 0 starts at class 7 of the same noise


def test_unconditional_generator_has_no_class_controls(panel: LatentPanel) -> None:
    with_generator(panel, tiny_cfg(conditional=False))
    assert not panel.conditional()
    assert not panel.controls.isTabEnabled(3) and not panel.controls.class_a.isEnabled()
    panel.show_view("interpolate")
    assert shown(panel).shape[0] == panel.controls.steps.value()


def test_exports_png_and_animated_png(panel: LatentPanel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to export"):
        panel.export_png(tmp_path / "none.png")
    with_generator(panel)
    panel.show_view("grid")
    panel.controls.grid_size.setValue(3)
    png = tmp_path / "grid.png"
    panel.export_png(png)
    image = QImage(str(png))
    side = (3 * 30 + 2) * EXPORT_SCALE
    assert (image.width(), image.height()) == (side, side)
    for view in ("interpolate", "grid", "sliders", "classes"):
        panel.show_view(view)
        anim = tmp_path / f"{view}.apng"
        frames = panel.export_animation(anim, frames=10)
        data = anim.read_bytes()
        assert data.startswith(b"\x89PNG") and b"acTL" in data
        actl = data.index(b"acTL")
        assert struct.unpack(">I", data[actl + 4:actl + 8])[0] == frames >= 10
        assert not QImage(str(anim)).isNull()   # a viewer without APNG support shows the first frame


def test_load_run_and_a_bad_folder(panel: LatentPanel, tmp_path: Path) -> None:
    from gendisc.engine.config import DataConfig
    from gendisc.engine.data.catalog import load_dataset
    from gendisc.engine.data.tensors import prepare
    from gendisc.engine.train.control import Control
    from gendisc.engine.train.gan_trainer import train_gan

    data = prepare(load_dataset("mnist-sample"), DataConfig(val_fraction=0.02), "cpu")
    cfg = tiny_cfg(device="cpu", batch_size=32, budget=TrainBudget(epochs=1, max_steps=2))
    list(train_gan(cfg, data, Control(), tmp_path / "gan"))
    assert panel.load_run(tmp_path / "gan")
    assert panel.has_generator() and "gan" in panel.source.text()
    assert shown(panel).shape[1:] == (28, 28, 1)
    assert not panel.load_run(tmp_path / "nothing")
    assert panel.error_box is not None and "not a run folder" in panel.error_box.text()
    panel.error_box.close()
    assert panel.has_generator()   # the bad folder changed nothing


def test_new_samples_move_the_sliders_to_the_new_noise(panel: LatentPanel) -> None:
    with_generator(panel)
    panel.show_view("sliders")
    before = [s.value() for s in panel.controls.sliders]
    first = shown(panel)
    panel.seed.setValue(panel.seed.value() + 1)
    assert [s.value() for s in panel.controls.sliders] != before
    assert not np.array_equal(first, shown(panel))
