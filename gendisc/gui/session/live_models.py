"""The models the window shows and uses: a classifier (the Draw and Inspect panels: a CNN, or a semi-supervised
GAN's discriminator), a GAN's discriminator (how
real a drawing looks) and its generator (the Latent panel), and a flow model's sampler (the Trajectory view and
the Latent panel). Each is the model in training — rebuilt here, in one
place, from the weights its trainer publishes about once a second — or one loaded from a run folder.

Every model is a CPU copy in eval mode, used on the GUI thread; a panel that needs it elsewhere (a background
pass) measures a copy. The spec each was built from travels with it as a typed field.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from gendisc.gui.threads.torch_threads import for_helpers

if TYPE_CHECKING:
    from gendisc.engine.inference.flow_loading import LoadedFlow
    from gendisc.engine.inference.loading import LoadedClassifier, LoadedGan
    from gendisc.engine.models.build import ModelSpec
    from gendisc.engine.train.reports import WeightsReport

ROLES = ("classifier", "discriminator", "generator", "flow")
ROLES_OF = {"cnn": ("classifier",), "ssgan": ("classifier",), "gan": ("discriminator", "generator"),
            "flow": ("flow",)}
CLASSIFIER_PREFIX = {"cnn": "", "ssgan": "D"}   # which published weights are the classifier, by kind


@dataclass(frozen=True)
class LiveModel:
    """One model in use: the module, what it was built from, where it comes from and how far it had trained."""

    module: Any                  # torch.nn.Module on the CPU, eval mode (a flow model's: a FlowSampler)
    spec: ModelSpec
    run: str | None              # the run folder's name when loaded from one, else None (the model in training)
    step: int
    training: bool = False       # True while its trainer runs (its weights keep changing)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.spec.class_names

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.spec.image_shape

    def describe(self, what: str) -> str:
        """``what`` with where it comes from: "the CNN in training (step 525)", "… saved in RUN (step 700)",
        "… trained in this session (step 700)" once its run ended."""
        if self.run is not None:
            return f"{what} saved in {self.run} (step {self.step:,})"
        if self.training:
            return f"{what} in training (step {self.step:,})"
        return f"{what} trained in this session (step {self.step:,})"


class LiveModels(QObject):
    """``changed(role)`` follows every new model and every new set of weights, for ``role`` in :data:`ROLES`."""

    changed = Signal(str)
    problem = Signal(str, str)    # role, why the published weights could not be used (the old model stays)
    classifiers_changed = Signal()   # a classifier of another kind came or went: a view offering the choice updates

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._models: dict[str, LiveModel | None] = dict.fromkeys(ROLES)
        self._expected: dict[str, ModelSpec] = {}   # kind → the spec of the job whose weights will come
        # two kinds of run classify (a CNN, a semi-supervised GAN's discriminator): each keeps its latest model, and
        # the "classifier" role is the one the user prefers (the CNN unless asked), or the only one there is
        self._classifiers: dict[str, LiveModel] = {}
        self._preferred = "cnn"

    def get(self, role: str) -> LiveModel | None:
        return self._models[role]

    def classifier(self) -> LiveModel | None:
        return self._models["classifier"]

    def classifier_kinds(self) -> list[str]:
        """The kinds of run with a classifier at hand (``cnn``, ``ssgan``), in that order."""
        return [k for k in CLASSIFIER_PREFIX if k in self._classifiers]

    def preferred_classifier(self) -> str:
        return self._preferred

    def prefer_classifier(self, kind: str) -> None:
        """Classify with the model of ``kind`` (``cnn`` or ``ssgan``) whenever there is one."""
        if kind not in CLASSIFIER_PREFIX:
            raise ValueError(f"no classifier of kind {kind!r}")
        self._preferred = kind
        self._pick_classifier()

    def discriminator(self) -> LiveModel | None:
        return self._models["discriminator"]

    def generator(self) -> LiveModel | None:
        return self._models["generator"]

    def flow(self) -> LiveModel | None:
        """The flow model's sampler (:class:`~gendisc.engine.models.flow_sampler.FlowSampler`), or None."""
        return self._models["flow"]

    # -- models in training -------------------------------------------------------------------------------------
    def expect(self, spec: ModelSpec) -> None:
        """A training job started: the weights it publishes are of models of ``spec``."""
        self._expected[spec.kind] = spec

    def training_ended(self, kind: str) -> None:
        """The job of ``kind`` ended: its models stay, marked as no longer changing."""
        if kind in CLASSIFIER_PREFIX:
            model = self._classifiers.get(kind)
            if model is not None and model.training:
                self._set_classifier(replace(model, training=False))
            return
        for role in ROLES_OF.get(kind, ()):
            model = self._models[role]
            if model is not None and model.training:
                self._set(role, replace(model, training=False))

    def update(self, report: WeightsReport) -> None:
        """New weights of a model in training: loaded into the models of its spec (built first when needed)."""
        spec = self._expected.get(report.kind)
        if spec is None:
            return
        for_helpers()   # the GUI thread runs torch on one core (see gendisc.gui.threads.torch_threads)
        if report.kind in CLASSIFIER_PREFIX:
            self._load("classifier", spec, report, CLASSIFIER_PREFIX[report.kind])
        elif report.kind == "flow":
            self._load("flow", spec, report, "F")
        else:
            if any(k.startswith("D.") for k in report.state):
                self._load("discriminator", spec, report, "D")
            if any(k.startswith("G.") for k in report.state):
                self._load("generator", spec, report, "G")

    def _load(self, role: str, spec: ModelSpec, report: WeightsReport, prefix: str) -> None:
        from gendisc.engine.inference.loading import load_state

        current = self._classifiers.get(spec.kind) if role == "classifier" else self._models[role]
        module = current.module if current is not None and current.spec == spec and current.run is None else None
        try:
            if module is None:
                module = self._build(role, spec)
            load_state(module.net if role == "flow" else module, report.state, prefix)
        except (RuntimeError, KeyError, ValueError) as exc:   # weights of another model than described
            self.problem.emit(role, str(exc).splitlines()[0])
            return
        model = LiveModel(module, spec, None, report.step, training=True)
        if role == "classifier":
            self._set_classifier(model)
        else:
            self._set(role, model)

    @staticmethod
    def _build(role: str, spec: ModelSpec) -> Any:
        """An empty model of ``spec`` for published weights to fill. Built on the meta device: a random
        initialisation here would draw from torch's global generator, which the trainer's dropout draws from too
        (the same seed would then give another run with the window open)."""
        import torch

        with torch.device("meta"):
            if role == "flow":
                net = spec.flow()
            else:
                net = spec.classifier() if role == "classifier" else spec.gan()[1 if role == "discriminator" else 0]
        module = net.to_empty(device="cpu").eval()
        if role == "flow":
            from gendisc.engine.inference.flow_loading import sampler_for

            return sampler_for(spec, module)
        return module

    # -- models from run folders --------------------------------------------------------------------------------
    def use_classifier(self, loaded: LoadedClassifier, run: str) -> None:
        """A classifier loaded from a run folder; the user asked for it, so it is the one used from now on."""
        self._preferred = loaded.spec.kind
        self._set_classifier(LiveModel(loaded.model, loaded.spec, run, loaded.step))

    def use_gan(self, loaded: LoadedGan, run: str) -> None:
        self._set("discriminator", LiveModel(loaded.discriminator, loaded.spec, run, loaded.step))
        self._set("generator", LiveModel(loaded.generator, loaded.spec, run, loaded.step))

    def use_flow(self, loaded: LoadedFlow, run: str) -> None:
        self._set("flow", LiveModel(loaded.sampler, loaded.spec, run, loaded.step))

    def use(self, loaded: LoadedClassifier | LoadedGan | LoadedFlow, run: str) -> None:
        """A model loaded from the run folder ``run``: the classifier of a CNN run, both halves of a GAN's, or a
        flow run's sampler."""
        if hasattr(loaded, "sampler"):
            self.use_flow(loaded, run)   # type: ignore[arg-type]
        elif hasattr(loaded, "generator"):
            self.use_gan(loaded, run)   # type: ignore[arg-type]
        else:
            self.use_classifier(loaded, run)   # type: ignore[arg-type]

    def load_run(self, folder: str, kind: str) -> str | None:
        """Use the model saved in a run folder: a CNN run's classifier (``kind`` "cnn", which also takes a
        semi-supervised GAN run's discriminator), a GAN run's discriminator and generator ("gan"), a flow run's
        sampler ("flow"). Returns why not (a folder that is not such a run), or None."""
        from pathlib import Path

        from gendisc.engine.errors import GenDiscError
        from gendisc.engine.inference.flow_loading import load_flow
        from gendisc.engine.inference.loading import load_classifier, load_gan

        for_helpers()
        try:
            loaded = load_classifier(folder) if kind in CLASSIFIER_PREFIX else load_flow(folder) if kind == "flow" \
                else load_gan(folder)
        except GenDiscError as exc:
            return str(exc)
        self.use(loaded, Path(folder).name)
        return None

    def _set_classifier(self, model: LiveModel) -> None:
        new_kind = model.spec.kind not in self._classifiers
        self._classifiers[model.spec.kind] = model
        if new_kind:
            self.classifiers_changed.emit()
        self._pick_classifier()

    def _pick_classifier(self) -> None:
        """The "classifier" role: the preferred kind's model, else the other's; ``changed`` only when it differs."""
        model = self._classifiers.get(self._preferred) or next(
            (self._classifiers[k] for k in CLASSIFIER_PREFIX if k in self._classifiers), None)
        if model is not self._models["classifier"]:
            self._set("classifier", model)

    def _set(self, role: str, model: LiveModel | None) -> None:
        self._models[role] = model
        self.changed.emit(role)
