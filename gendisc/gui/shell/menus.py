"""The main window's menus, declared as data: File, Edit, Train, View, Help. Each entry names its text, shortcut,
status tip and what it does; :func:`build_menus` makes the menus once and keeps a reference to each, so nothing
ever looks a menu up by its visible text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from gendisc.gui.shell import commands
from gendisc.gui.shell.theme import THEMES

if TYPE_CHECKING:
    from gendisc.gui.shell.window_api import Window


@dataclass(frozen=True)
class Item:
    """A menu entry; ``run`` gets the window. ``None`` items are separators."""

    text: str
    run: Callable[[Window], object]
    shortcut: str = ""
    tip: str = ""


@dataclass(frozen=True)
class Submenu:
    text: str
    items: tuple[Item | None, ...]


EXPORTS = (("Run's model as ONNX…", "onnx", ".onnx", "ONNX (*.onnx)"),
           ("Run's model as TorchScript…", "torchscript", ".pt", "TorchScript (*.pt)"),
           ("Run report (HTML)…", "html", ".html", "HTML (*.html)"))

FILE: tuple[Item | Submenu | None, ...] = (
    Item("&Open run…", commands.open_run, "Ctrl+O", "Show a saved run: its curves, samples and classifier"),
    Item("&Continue training…", commands.continue_run, "Ctrl+Shift+O", "Resume a saved run exactly where it stopped"),
    Item("&Follow run folder…", commands.follow_run, "",
         "Watch a run that another process is writing (a headless or torchrun job)"),
    Item("S&top following", commands.stop_following),
    Item("&Save checkpoint", lambda w: w.save_checkpoint(), "Ctrl+S", "Write a checkpoint now"),
    Submenu("&Export", (
        Item("Samples as PNG…", lambda w: commands.save(w, "Save samples", "samples.png", "PNG (*.png)",
                                                        w.gallery_panel.save_png)),
        Item("Plots as PNG…", lambda w: commands.save(w, "Save plots", "plots.png", "PNG (*.png)",
                                                      w.plots_panel.export_png)),
        Item("Metrics as CSV…", lambda w: commands.save(w, "Save metrics", "metrics.csv", "CSV (*.csv)",
                                                        w.plots_panel.export_csv)),
        None,
        *(Item(text, lambda w, fmt=fmt, suffix=suffix, filters=filters: commands.export_run(w, fmt, suffix, filters))
          for text, fmt, suffix, filters in EXPORTS))),
    None,
    Submenu("&Import dataset", (
        Item("&Folder (IDX, CIFAR-10 or images)…", lambda w: (w.show_dock("Dataset"),
                                                              w.dataset_panel.choose_folder()), "Ctrl+I"),
        Item("F&ile (.npz or CIFAR-10 .tar.gz)…", lambda w: (w.show_dock("Dataset"), w.dataset_panel.choose_file())),
    )),
    Item("&Remove downloaded datasets…", lambda w: (w.show_dock("Dataset"), w.dataset_panel.remove_all_downloads()),
         "", "Delete downloaded dataset files to free disk space"),
    None,
    Item("&Quit", lambda w: w.close(), "Ctrl+Q"),
)
EDIT = (Item("&Preferences…", commands.preferences, "Ctrl+,",
             "How often a running training autosaves; where errors are logged"),)
HELP = (Item("&Keyboard shortcuts", commands.shortcuts, "F1"), Item("&About GenDisc Studio", commands.about))


def _action(w: Window, item: Item) -> QAction:
    action = QAction(item.text, w)
    if item.shortcut:
        action.setShortcut(QKeySequence(item.shortcut))
    if item.tip:
        action.setStatusTip(item.tip)
    action.triggered.connect(lambda _=False, run=item.run: run(w))
    w.addAction(action)   # shortcuts work wherever the focus is
    return action


def _fill(w: Window, menu: QMenu, items: tuple[Item | Submenu | None, ...]) -> None:
    for item in items:
        if item is None:
            menu.addSeparator()
        elif isinstance(item, Submenu):
            _fill(w, menu.addMenu(item.text), item.items)
        else:
            menu.addAction(_action(w, item))


def build_menus(w: Window) -> dict[str, QMenu]:
    """The menu bar of ``w``; returns its menus by name (File, Edit, Train, View, Help)."""
    bar = w.menuBar()
    menus = {name: bar.addMenu(f"&{name}") for name in ("File", "Edit", "Train", "View", "Help")}
    _fill(w, menus["File"], FILE)
    _fill(w, menus["Edit"], EDIT)
    menus["Edit"].actions()[0].setMenuRole(QAction.MenuRole.PreferencesRole)   # macOS: in the application menu

    tp = w.training_panel
    for action in (tp.start_action, tp.pause_action, tp.stop_action):
        menus["Train"].addAction(action)
        w.addAction(action)
    menus["Train"].addSeparator()
    _fill(w, menus["Train"], (Item("&Quick-train a CNN for the canvas", lambda win: win.quick_train(), "",
                                   "Train the default CNN for about 20 seconds"),))

    view = menus["View"]
    for dock in w.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    theme = view.addMenu("&Theme")
    group = QActionGroup(w)
    for name in THEMES:
        a = QAction(name.capitalize(), w, checkable=True)
        a.setChecked(name == w.theme)
        a.triggered.connect(lambda _=False, name=name: w.set_theme(name))
        group.addAction(a)
        theme.addAction(a)
    view.addAction(_action(w, Item("&Reset layout", lambda win: win.reset_layout())))
    _fill(w, menus["Help"], HELP)
    return menus
