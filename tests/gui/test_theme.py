"""Switching the theme at run time: links and dock title buttons follow the new palette."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QStyle, QStyleOptionButton

from gendisc.gui.shell.main_window import MainWindow
from gendisc.gui.shell.theme import dark_palette


def _colors(image: QImage) -> set[str]:
    return {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())
            if image.pixelColor(x, y).alpha() > 200}


def _lightness(name: str) -> float:
    return QColor(name).lightnessF()


def test_dark_theme_links_and_title_buttons_are_light_on_dark(window: MainWindow) -> None:
    window.set_theme("light")
    window.set_theme("dark")
    QApplication.processEvents()
    assert QApplication.palette().window().color() == dark_palette().window().color()
    link = window.dataset_panel.folder
    assert isinstance(link, QLabel) and "<a " in link.text()
    drawn = _colors(link.grab().toImage())
    assert dark_palette().link().color().name() in drawn and "#0000ff" not in drawn   # not the light theme's blue
    buttons = [b for dock in window.docks.values() for b in dock.findChildren(QAbstractButton)
               if b.objectName() in ("qt_dockwidget_closebutton", "qt_dockwidget_floatbutton")]
    assert buttons
    for b in buttons:   # visible on the dark title bar: light glyphs
        glyph = _colors(b.icon().pixmap(16, 16).toImage())
        assert glyph and min(_lightness(c) for c in glyph) > 0.6, (b.objectName(), glyph)
    window.set_theme("light")
    for b in buttons:
        assert max(_lightness(c) for c in _colors(b.icon().pixmap(16, 16).toImage())) < 0.4


def test_an_unticked_check_box_shows_on_the_dark_palette(window: MainWindow) -> None:
    window.set_theme("dark")
    box = window.training_panel.train_gan
    box.setChecked(False)
    QApplication.processEvents()
    image = box.grab().toImage()
    base = dark_palette().base().color().lightnessF()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    indicator = [image.pixelColor(x, y).lightnessF() for x in range(rect.left(), rect.right() + 1)
                 for y in range(rect.top(), rect.bottom() + 1)]
    assert max(indicator) > base + 0.25   # its outline stands out from the box and the window
    window.set_theme("light")
