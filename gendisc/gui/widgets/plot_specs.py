"""What the live plots show: each named series (which report and key feed it, which plot draws it, in which colour)
and each plot (its place in the grid, title, axis, range policy)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """One named series: which report and key feed it, which plot shows it and how."""

    name: str
    kind: str
    source: str          # "step" (StepReport.losses) or "epoch" (EpochReport.metrics)
    key: str
    plot: str
    label: str | None    # legend entry; None keeps the legend short (epoch means share their curve's colour)
    color: str
    scale: float = 1.0   # display only: stored values stay as the engine reported them
    symbol: str = "o"    # an epoch series' marker: the flow model's judge curves are triangles beside the GAN's dots
    x: str = "step"      # "step", or "time": the training seconds (EpochReport.elapsed_s, a record's "elapsed_s")


# Mid-luminance colours that read on both a white and a near-black canvas, and stay distinct for most colour-blind
# viewers (blue / orange / green / purple, after the Okabe-Ito and Tableau palettes).
BLUE, ORANGE, GREEN, PURPLE, TEAL = "#3b82f6", "#f08c2e", "#22a06b", "#a06cf0", "#e0508a"

SPECS: tuple[SeriesSpec, ...] = (
    SeriesSpec("loss_d", "gan", "step", "loss_d", "gan_loss", "D loss", ORANGE),
    SeriesSpec("loss_g", "gan", "step", "loss_g", "gan_loss", "G loss", BLUE),
    SeriesSpec("d_real", "gan", "step", "d_real", "gan_prob", "D(x)", GREEN),
    SeriesSpec("d_fake", "gan", "step", "d_fake", "gan_prob", "D(G(z))", PURPLE),
    SeriesSpec("epoch_loss_d", "gan", "epoch", "loss_d", "gan_loss", None, ORANGE),
    SeriesSpec("epoch_loss_g", "gan", "epoch", "loss_g", "gan_loss", None, BLUE),
    SeriesSpec("epoch_d_real", "gan", "epoch", "d_real", "gan_prob", None, GREEN),
    SeriesSpec("epoch_d_fake", "gan", "epoch", "d_fake", "gan_prob", None, PURPLE),
    SeriesSpec("judge_confident", "gan", "epoch", "judge_confident", "gan_judge", "confident", GREEN,
               scale=100.0),
    SeriesSpec("judge_entropy", "gan", "epoch", "judge_entropy", "gan_judge", "entropy", PURPLE, scale=100.0),
    SeriesSpec("judge_fcd", "gan", "epoch", "judge_fcd", "gan_fcd", "GAN", ORANGE),
    SeriesSpec("flow_loss", "flow", "step", "loss", "flow_loss", "loss", BLUE),
    SeriesSpec("epoch_flow_loss", "flow", "epoch", "loss", "flow_loss", None, BLUE),
    # the flow model's verdict on the GAN's axes: the same judge, so the two generators compare at a glance
    SeriesSpec("flow_judge_confident", "flow", "epoch", "judge_confident", "gan_judge", "flow confident", TEAL,
               scale=100.0, symbol="t"),
    SeriesSpec("flow_judge_entropy", "flow", "epoch", "judge_entropy", "gan_judge", "flow entropy", BLUE,
               scale=100.0, symbol="t"),
    SeriesSpec("flow_judge_fcd", "flow", "epoch", "judge_fcd", "gan_fcd", "flow", TEAL, symbol="t"),
    SeriesSpec("train_loss", "cnn", "step", "train_loss", "cnn_loss", "train loss", BLUE),
    SeriesSpec("val_loss", "cnn", "epoch", "val_loss", "cnn_loss", "validation loss", ORANGE),
    SeriesSpec("val_acc", "cnn", "epoch", "val_acc", "cnn_acc", "validation accuracy", TEAL, scale=100.0),
    SeriesSpec("ssgan_loss_sup", "ssgan", "step", "loss_sup", "ssgan_loss", "labelled CE", ORANGE),
    SeriesSpec("ssgan_loss_unsup", "ssgan", "step", "loss_unsup", "ssgan_loss", "real/fake", GREEN),
    # short legend entries: four must fit one line of a half-width plot (the plot's tooltip says them in full)
    SeriesSpec("ssgan_loss_g", "ssgan", "step", "loss_g", "ssgan_loss", "feature match", BLUE),
    SeriesSpec("ssgan_loss_cons", "ssgan", "step", "loss_cons", "ssgan_loss", "consistency", PURPLE),
    SeriesSpec("epoch_ssgan_loss_sup", "ssgan", "epoch", "loss_sup", "ssgan_loss", None, ORANGE),
    SeriesSpec("epoch_ssgan_loss_unsup", "ssgan", "epoch", "loss_unsup", "ssgan_loss", None, GREEN),
    SeriesSpec("epoch_ssgan_loss_g", "ssgan", "epoch", "loss_g", "ssgan_loss", None, BLUE),
    SeriesSpec("epoch_ssgan_loss_cons", "ssgan", "epoch", "loss_cons", "ssgan_loss", None, PURPLE),
    # few labels: both classifiers' accuracy on one time axis, so "as accurate sooner" reads off the plot
    SeriesSpec("few_cnn_acc", "cnn", "epoch", "val_acc", "few_acc", "CNN", TEAL, scale=100.0, x="time"),
    SeriesSpec("few_ssgan_acc", "ssgan", "epoch", "val_acc", "few_acc", "semi-supervised GAN", PURPLE, scale=100.0,
               symbol="t", x="time"),
)
BY_NAME = {spec.name: spec for spec in SPECS}

# plot key → (row, column, title, y label), row-major; a model's rows share its step axis. The judge's plots show
# the GAN's and the flow model's verdicts on the same axes. A key's first word is its group (group_of).
PLOTS = {
    "gan_loss": (0, 0, "GAN · losses", "loss"),
    "gan_prob": (0, 1, "GAN · discriminator outputs", "mean D"),
    "gan_judge": (1, 0, "Judged by a CNN", "% of samples"),
    "gan_fcd": (1, 1, "Fréchet classifier distance", "FCD (lower is better)"),
    "flow_loss": (2, 0, "Flow · flow-matching loss", "loss"),
    "ssgan_loss": (2, 1, "Semi-supervised GAN · losses", "loss"),
    "cnn_loss": (3, 0, "CNN · loss", "loss"),
    "cnn_acc": (3, 1, "CNN · validation accuracy", "accuracy (%)"),
    "few_acc": (4, 0, "Few labels · validation accuracy", "accuracy (%)"),
}
# the few-labels plot takes its row, so its title has room for the label count (the flow model's one plot and the
# semi-supervised GAN's share a row: see grid_cells)
COLSPAN = {"few_acc": 2}
OPTIONAL_PLOTS = ("ssgan_loss", "few_acc")   # not in a new grid; the plots panel then shows each model's plots
# while the model is chosen, trains or has curves
X_LABELS = {"few_acc": "training time (s)"}   # every other plot's x axis: "step"
JUDGE_PLOTS = ("gan_judge", "gan_fcd")
# a model's plots share the leader's axis; the few-labels plot has its own (time, not steps)
X_LEADERS = {"gan": "gan_loss", "flow": "flow_loss", "cnn": "cnn_loss", "ssgan": "ssgan_loss", "few": "few_acc"}
# y ranges: followed (floor, ceiling when the data lies within them) or fixed
FOLLOW_Y = {"gan_loss": (0.0, None), "gan_fcd": (0.0, None), "flow_loss": (0.0, None), "cnn_loss": (0.0, None),
            "cnn_acc": (0.0, 100.0), "ssgan_loss": (0.0, None), "few_acc": (0.0, 100.0)}
FIXED_Y = {"gan_prob": (0.0, 1.0), "gan_judge": (0.0, 100.0)}
X_AHEAD = 0.25   # room ahead of the newest step when the step axis grows: it grows by at least a quarter
# two short lines: a placeholder must fit the narrowest plot (one column in a small window, ~200 px)
PLACEHOLDERS = {"gan_judge": "A CNN judges the generators'\nsamples every epoch",
                 "gan_fcd": "Distance to real images,\nin the judge's features",
                 "flow_loss": "Train the flow model\nto see its loss",
                 "ssgan_loss": "Train the semi-supervised\nGAN to see its losses",
                 "few_acc": "Train the CNN and the semi-supervised\nGAN to compare them by training time"}
# ...and while the GAN's judge setting (GanConfig.judge) means no verdict can come yet
JUDGE_WAITING = {"session": ("Your CNN judges the samples\nonce it has trained",
                             "Your CNN measures this\nonce it has trained"),
                 "off": ("Judge CNN is Off\n(the GAN and Flow tabs)", "Judge CNN is Off\n(the GAN and Flow tabs)")}

# the plots' tooltips
JUDGE_TIP = ("The judge is a CNN trained on the same dataset (yours, or one trained for the purpose); it scores\n"
             "the GAN's samples (dots) and the flow model's (triangles) alike.\n"
             "Confident: share of the samples it classifies with probability ≥ 0.9.\n"
             "Class entropy: how evenly the samples spread over the classes (100% = balanced;\n"
             "a falling entropy is mode collapse: the GAN draws fewer and fewer kinds of images).")
SSGAN_TIP = ("The semi-supervised GAN's losses (Salimans et al. 2016).\n"
             "Labelled CE: cross-entropy of D's class logits on the labelled images.\n"
             "Real/fake: D's unsupervised loss, telling every training image (labels unused) from generated ones.\n"
             "Feature match: G's loss, the distance between D's mean features of real and of generated images.")
FEW_TIP = ("Validation accuracy of the CNN (trained on the labelled images only) and of the semi-supervised GAN's\n"
           "discriminator (the labelled images, plus every other training image without its label), against the\n"
           "training time in seconds: which classifier is more accurate sooner with few labels.")
FCD_TIP = ("Fréchet classifier distance: how far the samples' features (the judge CNN's last hidden layer)\n"
           "lie from real images', as Gaussians. Lower is better; real images against real images score ≈ 0.")


def group_of(key: str) -> str:
    """The group of plots (a model's, or the few-labels plot's "few") whose x axis ``key`` follows."""
    return key.split("_")[0]


def few_labels_title(labels_per_class: int) -> str:
    """The few-labels plot's title with its label count: "… (10 labels per class)", or "… (all labels)"."""
    count = "all labels" if labels_per_class <= 0 else \
        f"{labels_per_class} label{'s' if labels_per_class > 1 else ''} per class"
    return f"{PLOTS['few_acc'][2]} ({count})"


def grid_cells(shown: set[str] | frozenset[str], columns: int) -> list[tuple[str, int, int, int]]:
    """(key, row, column, column span) of the plots ``shown``, in ``columns`` (2, or 1: one under the other in
    :data:`PLOTS`' order). Rows without a plot shown close up; the flow model's loss and the semi-supervised GAN's
    share their row when both show, and either alone takes all of it."""
    keys = [key for key in PLOTS if key in shown]
    if columns == 1:
        return [(key, i, 0, 1) for i, key in enumerate(keys)]
    rows = {row: i for i, row in enumerate(sorted({PLOTS[key][0] for key in keys}))}
    both = {"flow_loss", "ssgan_loss"} <= set(keys)

    def cell(key: str) -> tuple[str, int, int, int]:
        row, column = PLOTS[key][:2]
        if key in ("flow_loss", "ssgan_loss"):
            return (key, rows[row], column, 1) if both else (key, rows[row], 0, 2)
        return key, rows[row], column, COLSPAN.get(key, 1)

    return [cell(key) for key in keys]
