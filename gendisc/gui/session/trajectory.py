"""The flow model's trajectories: a few fixed noises carried to images by the live flow model, with the sampler
steps and guidance scale the user sets (no retraining: the network is the same, only its integration changes).

Sampling takes from tens of milliseconds to seconds, so it runs in a background job on a copy of the model, only
while someone shows the result; new weights or settings during a pass start another once it is done (the latest
wins, none queue up). New weights of a model in training are sampled at most every ``MIN_INTERVAL_S`` (and never
more than a fifth of the time), so the view costs the training little on a CPU; a change of settings at once.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from gendisc.engine.config import FlowConfig
from gendisc.gui.session.live_models import LiveModel, LiveModels
from gendisc.gui.session.throttled import ThrottledPass

__all__ = ["Trajectory", "TrajectoryModel"]

SAMPLES = 8     # noises shown, one class each (in turn) for a conditional model
POINTS = 9      # times kept from t = 0 to t = 1: 0, 1/8, …, 1
NOISE_SEED = 7
MIN_INTERVAL_S = 2.0


@dataclass(frozen=True)
class Trajectory:
    """``frames[i]`` are the samples at ``times[i]`` (uint8 ``N×H×W×C``): t = 0 the noise, t = 1 the images."""

    times: tuple[float, ...]
    frames: np.ndarray            # uint8 K×N×H×W×C
    captions: tuple[str, ...]     # the class each sample is drawn as ("" for an unconditional model)
    steps: int
    guidance: float
    source: str                   # where the model comes from, in words
    seconds: float


def compute(sampler: Any, noise: np.ndarray, labels: np.ndarray | None, steps: int, guidance: float,
            captions: tuple[str, ...], source: str) -> Trajectory:
    """A background job's work: integrate every noise and keep the path, with ``steps`` and ``guidance`` in place of
    the sampler's own (its method and guidance interval stay the run's)."""

    from gendisc.engine.inference.flow_loading import flow_trajectory

    start = time.perf_counter()
    settings = replace(sampler.settings, steps=steps, guidance=guidance)
    times, frames = flow_trajectory(sampler, noise, labels, settings, POINTS)
    return Trajectory(times, frames, captions, steps, guidance, source, time.perf_counter() - start)


class TrajectoryModel(ThrottledPass):
    """``computed`` carries each new :class:`Trajectory`; ``problem`` says why none can be drawn."""

    computed = Signal(object)     # Trajectory
    problem = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, live: LiveModels, parent: QObject | None = None) -> None:
        super().__init__("TrajectoryThrottle", MIN_INTERVAL_S, cost_factor=5.0, urgent_when_shown=True,
                         parent=parent)
        self.live = live
        self.result: Trajectory | None = None
        self._steps: int | None = None      # None: the model's own setting
        self._guidance: float | None = None
        live.changed.connect(self._on_model_changed)

    # -- settings -----------------------------------------------------------------------------------------------
    def model(self) -> LiveModel | None:
        return self.live.flow()

    def steps(self) -> int:
        model = self.model()
        return self._steps or (model.module.settings.steps if model is not None else FlowConfig.sampler_steps)

    def guidance(self) -> float:
        model = self.model()
        if self._guidance is not None:
            return self._guidance
        return model.module.settings.guidance if model is not None else FlowConfig.guidance

    def set_sampling(self, steps: int, guidance: float) -> None:
        """Integrate with ``steps`` steps and guidance scale ``guidance`` from now on, and sample again."""
        if (steps, guidance) != (self.steps(), self.guidance()):
            self._steps, self._guidance = int(steps), float(guidance)
            self._mark_stale(urgent=True)

    def refresh(self) -> None:
        """Sample again (new weights: when the throttle allows)."""
        self._mark_stale()

    # -- the pass -----------------------------------------------------------------------------------------------
    def _on_model_changed(self, role: str) -> None:
        if role == "flow":
            self.refresh()

    def _start(self) -> None:
        model = self.model()
        if model is None:
            self.problem.emit("No flow model yet: train one (Training → Flow) or open a flow run.")
            return
        sampler = copy.deepcopy(model.module).cpu().eval()   # the live one gets new weights meanwhile
        n_classes = sampler.n_classes
        labels = np.arange(SAMPLES) % n_classes if n_classes else None
        captions = tuple(model.class_names[i] for i in labels) if labels is not None else ("",) * SAMPLES
        from gendisc.engine.inference.flow_loading import trajectory_noise

        noise = trajectory_noise(model.image_shape, SAMPLES, NOISE_SEED)
        steps, guidance = self.steps(), self.guidance()
        source = model.describe("the flow model")
        self._launch(lambda: compute(sampler, noise, labels, steps, guidance, captions, source), "trajectory")
        self.busy_changed.emit(True)

    def _done(self, result: Trajectory) -> None:
        self.result = result
        self.computed.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.problem.emit(f"Could not sample the flow model: {exc}")

    def _after_pass(self) -> None:
        self.busy_changed.emit(False)
