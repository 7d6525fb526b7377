"""Few labels in the window: the Run tab's "Labelled images" goes to the CNN and the semi-supervised GAN (and is
remembered), the semi-supervised GAN trains beside the CNN, and the few-labels plot compares their validation
accuracy by training time; its rows show only when useful."""

from __future__ import annotations

import dataclasses

import numpy as np
from pytestqt.qtbot import QtBot

from gendisc.engine.config import DataConfig, SsganConfig
from gendisc.engine.train.reports import EpochReport, FinishedReport, StepReport
from gendisc.gui.panels.plots_panel import PlotsPanel
from gendisc.gui.panels.training_panel import TrainingPanel
from gendisc.gui.session.session import Session
from gendisc.gui.shell.main_window import MainWindow
from tests.helpers.gui import curve_data

OPTIONAL = {"ssgan_loss", "few_acc"}


def choose_labels(panel: TrainingPanel, per_class: int) -> None:
    combo = panel.run_form.widget("data.labels_per_class")
    combo.setCurrentIndex(combo.findData(per_class))   # as picking it from the list does


def test_cnn_and_semi_supervised_gan_on_ten_labels_compare_by_training_time(qtbot: QtBot,
                                                                            window: MainWindow) -> None:
    w, panel, settings = window, window.training_panel, window.session.settings
    assert OPTIONAL.isdisjoint(w.plots_panel.graphics.shown())   # the default window: the CNN's and the GAN's
    assert not panel.progress["ssgan"].isVisibleTo(panel)
    w.dataset_panel.val_split.setValue(50)
    panel.train_gan.setChecked(False)
    panel.train_ssgan.setChecked(True)
    assert "all" in panel.ssgan_note.text()
    choose_labels(panel, 10)   # the SSGAN tab's note follows the Run tab
    assert settings.kinds() == ["cnn", "ssgan"] and settings.labels_per_class() == 10
    assert panel.progress["ssgan"].isVisibleTo(panel) and "10 per class" in panel.ssgan_note.text()
    for form in (panel.cnn_form, panel.ssgan_form):
        form.widget("batch_size").setValue(32)
        form.widget("budget.epochs").setValue(1)
    panel.ssgan_form.widget("d_width").setValue(8)
    panel.ssgan_form.widget("g_width").setValue(8)
    cnn, ssgan = settings.cnn(), settings.ssgan()   # a few steps each: one (partial) epoch report
    settings.set_cnn(dataclasses.replace(cnn, log_every=1, budget=dataclasses.replace(cnn.budget, max_steps=6)))
    settings.set_ssgan(dataclasses.replace(ssgan, log_every=1, n_samples=8, latent_dim=16,
                                           budget=dataclasses.replace(ssgan.budget, max_steps=4)))
    epochs: list[EpochReport] = []
    finished: list[FinishedReport] = []
    w.session.training.epoch.connect(epochs.append)
    w.session.training.finished.connect(finished.append)
    assert w.start_training()
    assert w.session.training.running_kinds() == ["cnn", "ssgan"]
    qtbot.waitUntil(lambda: len(finished) == 2 and not w.session.training.is_running(), timeout=120_000)
    assert {r.kind for r in finished} == {"cnn", "ssgan"}
    for kind in ("cnn", "ssgan"):
        assert w.session.training.job(kind).cfg.data.labels_per_class == 10
    assert isinstance(w.session.training.job("ssgan").cfg, SsganConfig)

    plots = w.plots_panel
    plots.redraw()
    assert plots.graphics.shown() >= OPTIONAL
    for name, kind in (("few_cnn_acc", "cnn"), ("few_ssgan_acc", "ssgan")):
        x, y = plots.series(name)
        reports = [r for r in epochs if r.kind == kind]
        assert len(x) == len(reports) >= 1, name
        np.testing.assert_allclose(x, [r.elapsed_s for r in reports])   # seconds of training, not steps
        np.testing.assert_allclose(y, [r.metrics["val_acc"] for r in reports])
        drawn_x, drawn_y = curve_data(plots, name)
        np.testing.assert_allclose(drawn_x, x)
        np.testing.assert_allclose(drawn_y, 100 * y)   # drawn in %
        assert plots.curve(name).getViewBox() is plots.plot_item("few_acc").getViewBox()   # one x axis for both
    few = plots.plot_item("few_acc")
    assert "10 labels per class" in few.titleLabel.text
    assert "CNN" in few.titleLabel.text and "semi-supervised GAN" in few.titleLabel.text
    assert few.getAxis("bottom").labelText == "training time (s)"
    for name in ("ssgan_loss_sup", "ssgan_loss_unsup", "ssgan_loss_g", "ssgan_loss_cons"):   # its losses
        assert len(plots.series(name)[0]) >= 1 and len(curve_data(plots, name)[0]) >= 1, name
    assert plots.has_data("ssgan_loss") and not plots.graphics.placeholders()["ssgan_loss"].isVisible()
    assert panel.progress["ssgan"].format().startswith("SSGAN: step limit reached")
    assert "validation accuracy" in panel.progress["ssgan"].format()


def test_the_label_count_and_the_semi_supervised_gan_survive_a_restart(qtbot: QtBot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    choose_labels(first.training_panel, 25)
    first.training_panel.train_ssgan.setChecked(True)
    first.training_panel.ssgan_form.widget("unsupervised_weight").setValue(0.5)
    first.training_panel.ssgan_form.widget("consistency").setValue(2.0)
    first.training_panel.ssgan_form.widget("classifier_ema").setValue(0.99)
    first.close()   # saves the settings
    second = MainWindow()
    qtbot.addWidget(second)
    panel, settings = second.training_panel, second.session.settings
    assert panel.run_form.widget("data.labels_per_class").currentText() == "25 per class"
    assert panel.train_ssgan.isChecked() and settings.kinds() == ["cnn", "gan", "ssgan"]
    data = DataConfig(dataset="mnist-sample")
    cnn, ssgan, gan = (settings.config(kind, data) for kind in ("cnn", "ssgan", "gan"))
    assert cnn.data.labels_per_class == ssgan.data.labels_per_class == 25
    assert gan.data.labels_per_class == 0   # conditioned on the classes: every label
    assert ssgan.unsupervised_weight == 0.5 and ssgan.consistency == 2.0 and ssgan.classifier_ema == 0.99
    second.close()


def test_the_few_labels_rows_show_only_when_useful(qtbot: QtBot, session: Session) -> None:
    plots = PlotsPanel(session.training, session.runs, session.follow, settings=session.settings)
    qtbot.addWidget(plots)
    plots.resize(900, 700)
    plots.show()
    qtbot.waitExposed(plots)
    settings = session.settings
    assert OPTIONAL.isdisjoint(plots.graphics.shown())
    settings.set_labels_per_class(5)   # the CNN on few labels: its accuracy by time, without the GAN's losses
    assert "few_acc" in plots.graphics.shown() and "ssgan_loss" not in plots.graphics.shown()
    assert "(5 labels per class)" in plots.plot_item("few_acc").titleLabel.text
    settings.set_labels_per_class(0)
    settings.set_kinds(["cnn", "ssgan"])   # all labels: still worth comparing
    # only the plots of the models chosen: the GAN's, the judge's and the flow model's rows leave the room to them
    assert plots.graphics.shown() == {"ssgan_loss", "cnn_loss", "cnn_acc", "few_acc"}
    assert "(all labels)" in plots.plot_item("few_acc").titleLabel.text

    def box(key: str) -> tuple[float, float, float]:
        item = plots.plot_item(key)
        rect = item.mapRectToScene(item.boundingRect())
        return rect.left(), rect.top(), rect.width()

    qtbot.waitUntil(lambda: box("ssgan_loss")[2] > box("cnn_loss")[2] * 1.5)   # alone in its row: all of it
    settings.set_kinds(["cnn", "flow", "ssgan"])
    qtbot.waitUntil(lambda: box("ssgan_loss")[0] > box("flow_loss")[0] + 100)   # side by side
    assert abs(box("ssgan_loss")[1] - box("flow_loss")[1]) < 1
    assert {"gan_judge", "gan_fcd"} <= plots.graphics.shown() and "gan_loss" not in plots.graphics.shown()
    assert box("few_acc")[1] > box("cnn_loss")[1] + 50   # a row of its own, under the CNN's
    settings.set_kinds(["cnn", "gan"])
    assert plots.graphics.shown() == {"gan_loss", "gan_prob", "gan_judge", "gan_fcd", "cnn_loss", "cnn_acc"}


def test_reports_and_records_fill_the_semi_supervised_gan_and_time_series(qtbot: QtBot, session: Session) -> None:
    plots = PlotsPanel(session.training, session.runs, session.follow)
    qtbot.addWidget(plots)
    losses = {"loss_sup": 2.1, "loss_unsup": 1.3, "loss_g": 0.4, "d_real": 0.6, "d_fake": 0.3}
    plots.add_step(StepReport("ssgan", 1, 10, 100, losses, 500.0, 1.5, 1e-3, 0.1))
    plots.redraw()
    assert "ssgan_loss" in plots.graphics.shown() and "few_acc" in plots.graphics.shown()   # it has data
    plots.add_epoch(EpochReport("ssgan", 1, 20, {**losses, "val_acc": 0.42}, 3.25))
    np.testing.assert_array_equal(plots.series("ssgan_loss_sup")[0], [10])
    np.testing.assert_array_equal(plots.series("epoch_ssgan_loss_g"), ([20], [0.4]))
    np.testing.assert_array_equal(plots.series("few_ssgan_acc"), ([3.25], [0.42]))
    # a saved run's records: epoch series at their step, the accuracy at their elapsed_s (none without it)
    plots.load_history("cnn", [], [{"epoch": 1, "step": 4, "elapsed_s": 0.8, "val_acc": 0.3},
                                   {"epoch": 2, "step": 8, "val_acc": 0.5}])
    np.testing.assert_array_equal(plots.series("val_acc"), ([4, 8], [0.3, 0.5]))
    np.testing.assert_array_equal(plots.series("few_cnn_acc"), ([0.8], [0.3]))
    plots.reset("ssgan")
    assert len(plots.series("few_ssgan_acc")[0]) == 0 and len(plots.series("few_cnn_acc")[0]) == 1
