"""A form bound to a frozen config dataclass: one widget per field, tooltips, ranges that forbid bad values.

Fields are named by dotted paths (``optimizer.lr``, ``budget.epochs``); reading the form builds a new config
with ``dataclasses.replace``, so the engine's own validation runs on every value the user can enter.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget


@dataclass(frozen=True)
class Field:
    """One form row. ``kind``: int, float, log (a positive float stepped by factors), choice, bool, seconds
    (an optional float where 0 means "no limit")."""

    path: str
    label: str
    kind: str
    tooltip: str
    minimum: float = 0.0
    maximum: float = 1.0
    decimals: int = 3
    step: float = 0.05
    choices: tuple[tuple[str, str], ...] = ()   # (value, label)


class LogSpinBox(QDoubleSpinBox):
    """A spin box for learning rates: arrows multiply or divide by about 1.5, text in plain or e-notation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(8)

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * (10 ** (0.1761 * steps)))   # 10**0.1761 ≈ 1.5

    def textFromValue(self, value: float) -> str:
        return f"{value:.4g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        from PySide6.QtGui import QValidator

        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum() and math.isfinite(value)
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _set(obj: Any, path: str, value: Any) -> Any:
    head, _, rest = path.partition(".")
    if not rest:
        return dataclasses.replace(obj, **{head: value})
    return dataclasses.replace(obj, **{head: _set(getattr(obj, head), rest, value)})


class ConfigForm(QWidget):
    """Edits the fields of a config; ``config()`` returns a validated new config (may raise ``ConfigError``)."""

    edited = Signal()

    def __init__(self, fields: list[Field], base: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fields = fields
        self._base = base
        self._widgets: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for f in fields:
            w = self._make(f)
            w.setToolTip(f.tooltip)
            w.setObjectName(f.path)
            self._widgets[f.path] = w
            layout.addRow(f.label, w)
            label = layout.labelForField(w)
            if label is not None:
                label.setToolTip(f.tooltip)
        self.set_config(base)

    def _make(self, f: Field) -> QWidget:
        if f.kind == "int":
            w = QSpinBox()
            w.setRange(int(f.minimum), int(f.maximum))
            w.valueChanged.connect(self.edited)
        elif f.kind in ("float", "seconds"):
            w = QDoubleSpinBox()
            w.setRange(f.minimum, f.maximum)
            w.setDecimals(f.decimals)
            w.setSingleStep(f.step)
            if f.kind == "seconds":
                w.setSpecialValueText("no limit")
                w.setSuffix(" s")
            w.valueChanged.connect(self.edited)
        elif f.kind == "log":
            w = LogSpinBox()
            w.setRange(f.minimum, f.maximum)
            w.valueChanged.connect(self.edited)
        elif f.kind == "choice":
            w = QComboBox()
            # long option names must not force the dock wider: the combo elides, its popup shows them whole
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(8)
            for value, label in f.choices:
                w.addItem(label, value)
            w.currentIndexChanged.connect(self.edited)
        elif f.kind == "bool":
            w = QCheckBox()
            w.toggled.connect(self.edited)
        else:
            raise ValueError(f"unknown field kind {f.kind!r}")
        return w

    def widget(self, path: str) -> QWidget:
        return self._widgets[path]

    def set_config(self, cfg: Any) -> None:
        self._base = cfg
        for f in self._fields:
            w, value = self._widgets[f.path], _get(cfg, f.path)
            w.blockSignals(True)
            if isinstance(w, QComboBox):
                index = w.findData(value)
                w.setCurrentIndex(max(index, 0))
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QSpinBox):
                w.setValue(int(value))
            else:
                w.setValue(0.0 if value is None else float(value))
            w.blockSignals(False)

    def config(self) -> Any:
        cfg = self._base
        for f in self._fields:
            w = self._widgets[f.path]
            if isinstance(w, QComboBox):
                value: Any = w.currentData()
            elif isinstance(w, QCheckBox):
                value = w.isChecked()
            elif isinstance(w, QSpinBox):
                value = w.value()
            else:
                value = w.value()
                if f.kind == "seconds" and value <= 0:
                    value = None
            cfg = _set(cfg, f.path, value)
        return cfg

    def set_editable(self, editable: bool) -> None:
        for w in self._widgets.values():
            w.setEnabled(editable)
