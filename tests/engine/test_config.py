"""Configs: defaults valid, bad values refused with the field named, JSON round trips. No Qt, no torch needed."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable

import pytest

from gendisc.engine.config import (
    CnnConfig,
    DataConfig,
    FlowConfig,
    GanConfig,
    OptimizerConfig,
    TrainBudget,
    from_dict,
    kind_of,
    load_json,
    save_json,
    to_dict,
)
from gendisc.engine.errors import ConfigError


@pytest.mark.parametrize("cls", [OptimizerConfig, DataConfig, TrainBudget, CnnConfig, GanConfig])
def test_defaults_are_valid_and_round_trip(cls: type) -> None:
    cfg = cls()
    assert from_dict(cls, to_dict(cfg)) == cfg


def test_defaults_are_sensible() -> None:
    cnn, gan = CnnConfig(), GanConfig()
    assert cnn.data.dataset == gan.data.dataset == "mnist-sample"
    assert cnn.data.augment and not gan.data.augment   # augmenting a GAN's real images teaches it the jitter
    assert cnn.budget.max_steps is None and cnn.budget.epochs >= 1
    assert kind_of(cnn) == "cnn" and kind_of(gan) == "gan"


BAD: list[tuple[Callable[[], object], str]] = [
    (lambda: CnnConfig(batch_size=0), "batch size"),
    (lambda: GanConfig(batch_size=0), "batch size"),
    (lambda: CnnConfig(batch_size=10**6), "batch size"),
    (lambda: CnnConfig(batch_size=32.0), "batch size"),   # type: ignore[arg-type]
    (lambda: CnnConfig(batch_size=True), "batch size"),   # a bool is not a count
    (lambda: OptimizerConfig(lr=0), "learning rate"),
    (lambda: OptimizerConfig(lr=-1), "learning rate"),
    (lambda: OptimizerConfig(lr=math.nan), "learning rate"),
    (lambda: OptimizerConfig(lr=math.inf), "learning rate"),
    (lambda: OptimizerConfig(lr=100.0), "learning rate"),
    (lambda: OptimizerConfig(lr="0.1"), "learning rate"),   # type: ignore[arg-type]
    (lambda: OptimizerConfig("adamw"), "optimizer"),
    (lambda: OptimizerConfig(momentum=1.0), "momentum"),
    (lambda: OptimizerConfig(beta2=-0.1), "beta2"),
    (lambda: CnnConfig(dropout=1.0), "dropout"),
    (lambda: CnnConfig(dropout=-0.1), "dropout"),
    (lambda: GanConfig(dropout=1.0), "dropout"),
    (lambda: CnnConfig(arch="resnet"), "CNN architecture"),
    (lambda: CnnConfig(schedule="linear"), "schedule"),
    (lambda: CnnConfig(label_smoothing=1.0), "label smoothing"),
    (lambda: CnnConfig(l1=math.nan), "L1"),
    (lambda: CnnConfig(l2=2.0), "L2"),
    (lambda: CnnConfig(early_stopping=-1), "early stopping"),
    (lambda: CnnConfig(seed=-1), "seed"),
    (lambda: CnnConfig(log_every=0), "log interval"),
    (lambda: CnnConfig(device=""), "device"),
    (lambda: GanConfig(loss="wasserstein"), "GAN loss"),
    (lambda: GanConfig(latent_dim=0), "latent size"),
    (lambda: GanConfig(g_width=2), "generator width"),
    (lambda: GanConfig(n_samples=5000), "number of samples"),
    (lambda: GanConfig(label_smoothing=0.6), "label smoothing"),
    (lambda: DataConfig(dataset="  "), "dataset"),
    (lambda: DataConfig(val_fraction=0.95), "validation fraction"),
    (lambda: DataConfig(shift=0.6), "augmentation shift"),
    (lambda: DataConfig(rotate_deg=-1), "augmentation rotation"),
    (lambda: DataConfig(shear_deg=50), "augmentation slant"),
    (lambda: DataConfig(elastic=0.3), "augmentation bend"),
    (lambda: DataConfig(stroke=1.5), "augmentation stroke change"),
    (lambda: DataConfig(hflip="yes"), "hflip"),
    (lambda: TrainBudget(epochs=0), "epochs"),
    (lambda: TrainBudget(max_steps=0), "max steps"),
    (lambda: TrainBudget(max_seconds=math.inf), "max seconds"),
]


@pytest.mark.parametrize(("make", "field"), BAD, ids=[f"{i:02d}-{f}" for i, (_, f) in enumerate(BAD)])
def test_bad_values_are_refused_naming_the_field(make: Callable[[], object], field: str) -> None:
    with pytest.raises(ConfigError) as exc:
        make()
    assert field in str(exc.value)
    assert isinstance(exc.value, ValueError)   # callers that only know ValueError still catch it


def test_int_for_float_is_accepted() -> None:
    opt = OptimizerConfig("sgd", lr=1, momentum=0)
    assert opt.lr == 1 and opt.momentum == 0
    assert TrainBudget(max_seconds=30).max_seconds == 30
    cfg = from_dict(OptimizerConfig, {"name": "sgd", "lr": 1, "momentum": 0})
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and isinstance(cfg.momentum, float)
    budget = from_dict(TrainBudget, {"epochs": 3.0, "max_seconds": 90})
    assert budget.epochs == 3 and isinstance(budget.epochs, int)
    assert budget.max_seconds == 90.0 and isinstance(budget.max_seconds, float)


@pytest.mark.parametrize(("data", "words"), [
    ({"epochs": 2.5}, "epochs"),
    ({"epochs": "3"}, "epochs"),
    ({"epochs": None}, "epochs"),
    ({"epochs": 2, "max_steps": 0}, "max steps"),
])
def test_from_dict_type_errors(data: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        from_dict(TrainBudget, data)


def test_from_dict_accepts_none_for_optional_fields() -> None:
    assert from_dict(TrainBudget, {"epochs": 2, "max_steps": None}).max_steps is None


def rich_cnn() -> CnnConfig:
    return CnnConfig(data=DataConfig("fashion-mnist", 0.2, 3, False, 0.05, 5.0, 0.1),
                     budget=TrainBudget(4, 500, 60.5), arch="classic", optimizer=OptimizerConfig("rmsprop", 5e-4, 0.5),
                     schedule="cosine", batch_size=256, dropout=0.4, l1=1e-5, l2=0.0, label_smoothing=0.1,
                     early_stopping=3, seed=42, device="cpu", log_every=25)


def rich_gan() -> GanConfig:
    return GanConfig(data=DataConfig("/data/my digits.npz", 0.0), budget=TrainBudget(epochs=2, max_seconds=10),
                     latent_dim=100, g_width=32, d_width=48, g_optimizer=OptimizerConfig("adam", 1e-4, 0.0, 0.9),
                     d_optimizer=OptimizerConfig("sgd", 0.01, 0.0), schedule="step", loss="hinge", batch_size=16,
                     label_smoothing=0.1, dropout=0.3, l1=0.001, l2=0.01, n_samples=36, seed=9, device="cuda:1",
                     log_every=5)


@pytest.mark.parametrize("make", [rich_cnn, rich_gan, CnnConfig, GanConfig])
def test_json_round_trip(make: Callable[[], CnnConfig | GanConfig]) -> None:
    cfg = make()
    text = save_json(cfg)
    obj = json.loads(text)
    assert obj["kind"] == kind_of(cfg)
    again = load_json(text)
    assert again == cfg
    assert type(again) is type(cfg)
    assert type(again.data) is DataConfig and type(again.budget) is TrainBudget
    for f in dataclasses.fields(cfg):   # the same types, not just equal values (1 == 1.0 == True)
        assert type(getattr(again, f.name)) is type(getattr(cfg, f.name)), f.name


def test_json_round_trip_keeps_every_field() -> None:
    cfg = rich_cnn()
    again = load_json(save_json(cfg))
    assert to_dict(again) == to_dict(cfg)
    assert again.data.dataset == "fashion-mnist" and again.budget.max_seconds == 60.5
    assert again.optimizer.name == "rmsprop" and again.optimizer.lr == 5e-4


@pytest.mark.parametrize(("cfg", "before"), [
    (CnnConfig(), {"precision": "fp32"}),
    (FlowConfig(), {"time_sampling": "uniform", "precision": "fp32", "conditioning": "shift", "patch": 1}),
])
def test_a_run_saved_before_a_field_existed_reads_as_it_was_trained(cfg: object, before: dict[str, object]) -> None:
    obj = json.loads(save_json(cfg))
    for name in before:
        del obj["config"][name]
    old = json.dumps(obj)
    assert {k: getattr(load_json(old, saved_run=True), k) for k in before} == before
    assert {k: getattr(load_json(old), k) for k in before} == {k: getattr(cfg, k) for k in before}   # settings
    assert {k: getattr(load_json(save_json(cfg), saved_run=True), k) for k in before} == \
        {k: getattr(cfg, k) for k in before}   # a field that is there is read as it is


def test_json_int_for_float_fields() -> None:
    obj = json.loads(save_json(CnnConfig()))
    obj["config"]["optimizer"]["lr"] = 1
    obj["config"]["dropout"] = 0
    cfg = load_json(json.dumps(obj))
    assert isinstance(cfg, CnnConfig)
    assert cfg.optimizer.lr == 1.0 and isinstance(cfg.optimizer.lr, float)
    assert cfg.dropout == 0.0 and isinstance(cfg.dropout, float)


@pytest.mark.parametrize(("path", "key"), [((), "learning_rate"), (("optimizer",), "nesterov"),
                                           (("data",), "flip"), (("budget",), "minutes")])
def test_unknown_keys_are_refused(path: tuple[str, ...], key: str) -> None:
    obj = json.loads(save_json(CnnConfig()))
    where = obj["config"]
    for part in path:
        where = where[part]
    where[key] = 1
    with pytest.raises(ConfigError, match=key):
        load_json(json.dumps(obj))


@pytest.mark.parametrize(("text", "words"), [
    ("{not json", "not valid JSON"),
    ('{"kind": "svm", "config": {}}', "kind"),
    ('{"config": {}}', "kind"),
    ('{"kind": "cnn"}', "config"),
    ("[1, 2]", "kind"),
    ('{"kind": "cnn", "config": {"optimizer": "adam"}}', "JSON object"),
    ('{"kind": "cnn", "config": {"batch_size": 0}}', "batch size"),
    ('{"kind": "gan", "config": {"g_optimizer": {"lr": NaN}}}', "learning rate"),
    ('{"kind": "gan", "config": {"seed": true}}', "seed"),
    ('{"kind": "cnn", "config": {"data": {"augment": 1}}}', "augment"),
])
def test_load_json_refuses_bad_documents(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as exc:
        load_json(text, source="run/config.json")
    if words in ("not valid JSON", "kind"):
        assert "run/config.json" in str(exc.value)   # says which file


def test_configs_are_frozen() -> None:
    cfg = CnnConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.batch_size = 1  # type: ignore[misc]
    assert dataclasses.replace(cfg, batch_size=64).batch_size == 64
    with pytest.raises(ConfigError, match="batch size"):
        dataclasses.replace(cfg, batch_size=0)


def test_a_config_nested_too_deep_is_refused_in_one_line() -> None:
    from gendisc.engine.config import load_json

    with pytest.raises(ConfigError, match="nested too deep"):
        load_json("[" * 200_000 + "]" * 200_000)
