"""A form bound to a frozen config dataclass: one widget per field, tooltips, ranges that forbid bad values.

Fields are named by dotted paths (``optimizer.lr``, ``budget.epochs``); reading the form builds a new config
with ``dataclasses.replace``, so the engine's own validation runs on every value the user can enter.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QWidget

from gendisc.gui.widgets.folder_field import FolderField
from gendisc.gui.widgets.spin_boxes import FloatBox, IntBox, LogSpinBox, limits_text


@dataclass(frozen=True)
class Field:
    """One form row. ``kind``: int, float, log (a positive float stepped by factors), choice, bool, seconds
    (an optional float where 0 means "no limit"), folder (a path, "" for none)."""

    path: str
    label: str
    kind: str
    tooltip: str
    minimum: float = 0.0
    maximum: float = 1.0
    decimals: int = 3
    step: float = 0.05
    choices: tuple[tuple[Any, str], ...] = ()   # (value, label); values are strings, or ints for a count
    requires: str = ""          # the path of a field that must be set (non-empty, non-zero) for this one to count:
    off_value: Any = None       # ...until it is, this field is disabled and reads as ``off_value``


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
            tooltip = f"{f.tooltip}\n{limits_text(w)}" if isinstance(w, (QSpinBox, QDoubleSpinBox)) else f.tooltip
            w.setToolTip(tooltip)
            w.setObjectName(f.path)
            if isinstance(w, (IntBox, FloatBox)):
                w.clamped.connect(self._show_clamped)
            self._widgets[f.path] = w
            layout.addRow(f.label, w)
            label = layout.labelForField(w)
            if label is not None:
                label.setToolTip(tooltip)
        self.clamped_note = QLabel(wordWrap=True, objectName="clampedNote")
        self.clamped_note.setStyleSheet("color: #d97706;")   # amber: readable on light and dark
        self.clamped_note.hide()
        layout.addRow(self.clamped_note)
        self._clamped: IntBox | FloatBox | None = None
        self.edited.connect(self._hide_clamped_once_moved)
        self.edited.connect(self._enable_dependents)
        self._editable = True
        self.set_config(base)

    def _show_clamped(self, message: str) -> None:
        """A typed value was out of range and replaced by the nearest limit: say so under the fields, until that
        field holds another value."""
        box = self.sender()
        self._clamped = box if isinstance(box, (IntBox, FloatBox)) else None
        self.clamped_note.setText(message)
        self.clamped_note.show()

    def _hide_clamped_once_moved(self) -> None:
        box = self._clamped
        if box is not None and box.minimum() < box.value() < box.maximum():
            self.clamped_note.hide()
            self._clamped = None

    def _make(self, f: Field) -> QWidget:
        if f.kind == "int":
            w = IntBox(f.label)
            w.setRange(int(f.minimum), int(f.maximum))
            w.valueChanged.connect(self.edited)
        elif f.kind in ("float", "seconds"):
            w = FloatBox(f.label)
            w.setRange(f.minimum, f.maximum)
            w.setDecimals(f.decimals)
            w.setSingleStep(f.step)
            if f.kind == "seconds":
                w.setSpecialValueText("no limit")
                w.setSuffix(" s")
            w.valueChanged.connect(self.edited)
        elif f.kind == "log":
            w = LogSpinBox(f.label)
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
        elif f.kind == "folder":
            w = FolderField(f.label)
            w.edited.connect(self.edited)
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
            elif isinstance(w, FolderField):
                w.setValue(str(value))
            else:
                w.setValue(0.0 if value is None else float(value))
            w.blockSignals(False)
        self._enable_dependents()

    def _enable_dependents(self) -> None:
        """A field that needs another (a generated share needs the generator's folder) is usable only with it."""
        for f in self._fields:
            if f.requires:
                self._widgets[f.path].setEnabled(self._editable and bool(self._read(self._fields_by_path(f.requires))))

    def _fields_by_path(self, path: str) -> Field:
        return next(f for f in self._fields if f.path == path)

    def _read(self, f: Field) -> Any:
        """The value the widget of ``f`` holds."""
        w = self._widgets[f.path]
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        value = w.value()
        return None if f.kind == "seconds" and value <= 0 else value

    def config(self) -> Any:
        """The base config with every field's value, checked once as a whole: fields that depend on each other
        (a generator folder and its share) are never checked half-set."""
        values = {f.path: self._read(f) for f in self._fields}
        for f in self._fields:
            if f.requires and not values[f.requires]:
                values[f.path] = f.off_value
        top: dict[str, Any] = {}
        for path, value in values.items():
            head, _, rest = path.partition(".")
            top[head] = _set(top.get(head, getattr(self._base, head)), rest, value) if rest else value
        return dataclasses.replace(self._base, **top)

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        for w in self._widgets.values():
            w.setEnabled(editable)
        self._enable_dependents()
