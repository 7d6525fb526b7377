"""Spin boxes that say when a typed value is out of range instead of silently dropping keystrokes.

Qt's own spin boxes refuse the keystroke that would leave the range ("10" in a box whose maximum is 1 stays
"1") and say nothing. These let the user finish typing, then clamp to the nearest limit on Return or focus-out
and emit ``clamped`` with a sentence naming the limit, which the form shows under its fields.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget

__all__ = ["FloatBox", "IntBox", "LogSpinBox", "limits_text"]


def _number(box: QSpinBox | QDoubleSpinBox, text: str) -> float | None:
    body = text.strip().removeprefix(box.prefix()).removesuffix(box.suffix()).strip()
    try:
        value = float(body.replace(box.locale().groupSeparator(), ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _show(box: QSpinBox | QDoubleSpinBox, value: float) -> str:
    return box.textFromValue(int(value) if isinstance(box, QSpinBox) else value)


def limits_text(box: QSpinBox | QDoubleSpinBox) -> str:
    """ "Allowed: 0.001 to 1." for a tooltip."""
    special = f" ({box.specialValueText()} at {_show(box, box.minimum())})" if box.specialValueText() else ""
    return f"Allowed: {_show(box, box.minimum())} to {_show(box, box.maximum())}{box.suffix()}{special}."


def _validate(box: QSpinBox | QDoubleSpinBox, state: QValidator.State, text: str) -> QValidator.State:
    """A number outside the range is Intermediate (typing may go on) rather than Invalid (keystroke refused)."""
    value = _number(box, text)
    if state == QValidator.State.Invalid and value is not None:
        return QValidator.State.Intermediate
    return state


def _fixup(box: QSpinBox | QDoubleSpinBox, text: str, label: str) -> tuple[str, str | None]:
    """The text clamped to the nearest limit, and what to tell the user (None: nothing was clamped)."""
    value = _number(box, text)
    if value is None:
        return text, None
    if value > box.maximum():
        limit, word = box.maximum(), "maximum"
    elif value < box.minimum():
        limit, word = box.minimum(), "minimum"
    else:
        return text, None
    shown = _show(box, limit)
    return shown, f"{label}: {text.strip()} is out of range, so the {word} {shown} is used. {limits_text(box)}"


class IntBox(QSpinBox):
    clamped = Signal(str)

    def __init__(self, label: str = "Value", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label

    def validate(self, text: str, pos: int) -> object:
        state, text, pos = super().validate(text, pos)
        return _validate(self, state, text), text, pos

    def fixup(self, text: str) -> str:
        fixed, message = _fixup(self, text, self.label)
        if message:
            self.clamped.emit(message)
        return fixed


class FloatBox(QDoubleSpinBox):
    clamped = Signal(str)

    def __init__(self, label: str = "Value", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label

    def validate(self, text: str, pos: int) -> object:
        state, text, pos = super().validate(text, pos)
        return _validate(self, state, text), text, pos

    def fixup(self, text: str) -> str:
        fixed, message = _fixup(self, text, self.label)
        if message:
            self.clamped.emit(message)
        return fixed


class LogSpinBox(FloatBox):
    """A spin box for learning rates: arrows multiply or divide by about 1.5, text in plain or e-notation."""

    def __init__(self, label: str = "Value", parent: QWidget | None = None) -> None:
        super().__init__(label, parent)
        self.setDecimals(8)

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * (10 ** (0.1761 * steps)))   # 10**0.1761 ≈ 1.5

    def textFromValue(self, value: float) -> str:
        return f"{value:.4g}"

    def valueFromText(self, text: str) -> float:
        value = _number(self, text)
        return self.value() if value is None else value

    def validate(self, text: str, pos: int) -> object:
        value = _number(self, text)
        if value is None:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos
