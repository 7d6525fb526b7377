"""Light and dark palettes for the Fusion style, and following the system's choice.

Qt's own colour-scheme hint is not honoured by every platform plugin (X11 without a desktop ignores it), so
the dark theme is an explicit palette.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colors = {role.Window: "#2b2d31", role.WindowText: "#e6e6e6", role.Base: "#1e1f22", role.AlternateBase: "#2f3136",
              role.ToolTipBase: "#1e1f22", role.ToolTipText: "#e6e6e6", role.Text: "#e6e6e6", role.Button: "#35373c",
              role.ButtonText: "#e6e6e6", role.BrightText: "#ff6b6b", role.Link: "#6aa9ff", role.Highlight: "#3d7bd9",
              role.HighlightedText: "#ffffff", role.PlaceholderText: "#8a8d93", role.Light: "#4a4d52",
              role.Midlight: "#3c3f44", role.Mid: "#2a2c30", role.Dark: "#18191c", role.Shadow: "#000000"}
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7d83"))
    p.setColor(group.Disabled, role.Highlight, QColor("#4a4d52"))
    return p


def system_prefers_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(name: str) -> str:
    """Apply ``system``, ``light`` or ``dark``; returns the theme applied (unknown names mean system)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return "system"
    name = name if name in THEMES else "system"
    dark = name == "dark" or (name == "system" and system_prefers_dark())
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    return name
