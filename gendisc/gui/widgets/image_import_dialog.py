"""The options an image-folder import needs: a name, the image size to resize to, gray or colour."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gendisc.engine.data.dataset import MAX_SIDE, MIN_SIDE
from gendisc.engine.data.image_folder import peek_sizes, scan
from gendisc.engine.errors import DatasetError

SIZES = ((None, "Keep their size"), (28, "28 × 28 (like MNIST)"), (32, "32 × 32 (like CIFAR-10)"),
         (64, "64 × 64"), (0, "Other…"))
COLORS = (("auto", "Automatic (gray if every image is gray)"), ("gray", "Grayscale"), ("rgb", "Colour (RGB)"))


@dataclass(frozen=True)
class ImageImportOptions:
    title: str
    size: int | None
    color: str


class ImageImportDialog(QDialog):
    """Asks how to import an image folder; shows what was found in it. Raises ``DatasetError`` on construction
    when the folder holds no usable class sub-folders (the caller shows that instead)."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import an image folder")
        classes, files, _ = scan(folder)
        n_images = sum(len(v) for v in files.values())
        if n_images == 0:
            raise DatasetError(folder, "no PNG or JPEG images found")
        sizes = peek_sizes([p for p, _ in files["train"]])   # raises before anything is counted or shown
        shown = ", ".join(classes[:6]) + (f" and {len(classes) - 6} more" if len(classes) > 6 else "")
        found = (f"<b>{folder.name}</b>: {n_images:,} images in {len(classes)} classes ({shown})"
                 f"{'; with a test split' if 'test' in files else ''}.")
        if len(sizes) == 1:
            (w, h), = sizes
            found += f" The images are {w}×{h}."
        elif sizes:
            found += " <b>The images have different sizes</b>; choose one to resize them to."
        summary = QLabel(found)
        summary.setWordWrap(True)

        self.name = QLineEdit(folder.name)
        self.name.setToolTip("The name shown in the dataset list.")
        self.size_combo = QComboBox()
        for value, label in SIZES:
            self.size_combo.addItem(label, value)
        self.size_combo.setToolTip("Every image is resized to this size (a warning says how many were resized). "
                                   "28 × 28 and 32 × 32 train fastest.")
        self.custom = QSpinBox()
        self.custom.setRange(MIN_SIDE, MAX_SIDE)
        self.custom.setValue(48)
        self.custom.setSuffix(" px")
        self.custom.setVisible(False)
        self.size_combo.currentIndexChanged.connect(
            lambda _: self.custom.setVisible(self.size_combo.currentData() == 0))
        uniform = len(sizes) == 1 and all(MIN_SIDE <= s <= MAX_SIDE for s in next(iter(sizes)))
        self.size_combo.setCurrentIndex(0 if uniform else 2)
        self.color = QComboBox()
        for value, label in COLORS:
            self.color.addItem(label, value)

        size_row = QHBoxLayout()
        size_row.addWidget(self.size_combo, 1)
        size_row.addWidget(self.custom)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Image size", size_row)
        form.addRow("Colours", self.color)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def options(self) -> ImageImportOptions:
        size = self.size_combo.currentData()
        return ImageImportOptions(self.name.text().strip(), self.custom.value() if size == 0 else size,
                                  str(self.color.currentData()))
