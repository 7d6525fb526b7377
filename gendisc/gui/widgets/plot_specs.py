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
)
BY_NAME = {spec.name: spec for spec in SPECS}

# plot key → (row, column, title, y label); a model's rows share its step axis. The judge's plots show the GAN's
# and the flow model's verdicts on the same axes.
PLOTS = {
    "gan_loss": (0, 0, "GAN · losses", "loss"),
    "gan_prob": (0, 1, "GAN · discriminator outputs", "mean D"),
    "gan_judge": (1, 0, "Judged by a CNN", "% of samples"),
    "gan_fcd": (1, 1, "Fréchet classifier distance", "FCD (lower is better)"),
    "flow_loss": (2, 0, "Flow · flow-matching loss", "loss"),
    "cnn_loss": (3, 0, "CNN · loss", "loss"),
    "cnn_acc": (3, 1, "CNN · validation accuracy", "accuracy (%)"),
}
COLSPAN = {"flow_loss": 2}   # the flow model has one plot: it takes its row
JUDGE_PLOTS = ("gan_judge", "gan_fcd")
X_LEADERS = {"gan": "gan_loss", "flow": "flow_loss", "cnn": "cnn_loss"}   # a model's plots share the leader's axis
# y ranges: followed (floor, ceiling when the data lies within them) or fixed
FOLLOW_Y = {"gan_loss": (0.0, None), "gan_fcd": (0.0, None), "flow_loss": (0.0, None), "cnn_loss": (0.0, None),
            "cnn_acc": (0.0, 100.0)}
FIXED_Y = {"gan_prob": (0.0, 1.0), "gan_judge": (0.0, 100.0)}
X_AHEAD = 0.25   # room ahead of the newest step when the step axis grows: it grows by at least a quarter
# two short lines: a placeholder must fit the narrowest plot (one column in a small window, ~200 px)
PLACEHOLDERS = {"gan_judge": "A CNN judges the generators'\nsamples every epoch",
                 "gan_fcd": "Distance to real images,\nin the judge's features",
                 "flow_loss": "Train the flow model\nto see its loss"}
# ...and while the GAN's judge setting (GanConfig.judge) means no verdict can come yet
JUDGE_WAITING = {"session": ("Your CNN judges the samples\nonce it has trained",
                             "Your CNN measures this\nonce it has trained"),
                 "off": ("Judge CNN is Off\n(the GAN and Flow tabs)", "Judge CNN is Off\n(the GAN and Flow tabs)")}
