"""Where the tiles of an image gallery go: one whole-number scale for every image (crisp pixels, never below the
native size), as many columns as fit the width, and as many rows as it takes (the gallery scrolls).

Pure arithmetic on integers, shared by painting, hit-testing and the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["GalleryPlan", "grid_shape", "plan_gallery"]

MAX_SCALE = 8        # a single 28 px digit at 224 px is plenty
READABLE_PX = 48     # an image this wide reads well: with room for everything at this size or more, take it
COMFORT_PX = 64      # when the gallery scrolls anyway, grow images up to this width (2× MNIST): more in sight ...
MIN_COLUMNS = 4      # ... but keep at least this many columns side by side


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns of the most nearly square grid that holds ``n`` tiles (columns ≥ rows)."""
    if n <= 0:
        return (0, 0)
    cols = math.ceil(math.sqrt(n))
    return (math.ceil(n / cols), cols)


@dataclass(frozen=True, slots=True)
class GalleryPlan:
    """The tiles of ``n`` images at ``scale``: cells of ``cell_w`` (the image, or its caption when wider) in
    ``cols`` columns; ``width``×``height`` is the whole content, margins included."""

    n: int
    scale: int
    cols: int
    rows: int
    cell_w: int
    image_w: int
    image_h: int
    label_h: int
    gap: int
    margin: int
    width: int
    height: int

    def image_rect(self, i: int) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of image ``i`` in content coordinates (centred in its cell)."""
        col, row = i % self.cols, i // self.cols
        x = self.margin + col * (self.cell_w + self.gap) + (self.cell_w - self.image_w) // 2
        y = self.margin + row * (self.image_h + self.label_h + self.gap)
        return (x, y, self.image_w, self.image_h)

    def label_rect(self, i: int) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of image ``i``'s caption: the width of its cell, under the image."""
        col, row = i % self.cols, i // self.cols
        x = self.margin + col * (self.cell_w + self.gap)
        y = self.margin + row * (self.image_h + self.label_h + self.gap) + self.image_h
        return (x, y, self.cell_w, self.label_h)

    def index_at(self, x: float, y: float) -> int | None:
        """The image whose cell (caption included) holds content point ``(x, y)``, or None (a gap, a margin)."""
        cx, cy = x - self.margin, y - self.margin
        if cx < 0 or cy < 0:
            return None
        col, dx = divmod(int(cx), self.cell_w + self.gap)
        row, dy = divmod(int(cy), self.image_h + self.label_h + self.gap)
        if col >= self.cols or dx >= self.cell_w or dy >= self.image_h + self.label_h:
            return None
        i = row * self.cols + col
        return i if i < self.n else None


def _plan(n: int, scale: int, image_w: int, image_h: int, label_h: int, caption_w: int, width: int, gap: int,
          margin: int) -> GalleryPlan:
    iw, ih = image_w * scale, image_h * scale
    cell_w = max(iw, caption_w)
    cols = max(1, min(n, (width - 2 * margin + gap) // (cell_w + gap)))
    rows = math.ceil(n / cols)
    return GalleryPlan(n, scale, cols, rows, cell_w, iw, ih, label_h, gap, margin,
                       2 * margin + cols * cell_w + (cols - 1) * gap,
                       2 * margin + rows * (ih + label_h) + (rows - 1) * gap)


def plan_gallery(n: int, image_w: int, image_h: int, width: int, height: int, *, label_h: int = 0,
                 caption_w: int = 0, gap: int = 4, margin: int = 4) -> GalleryPlan:
    """The layout of ``n`` images of ``image_w``×``image_h`` in a ``width``×``height`` view.

    The scale is a whole number ≥ 1. If every image fits in the view at a readable size (≥ ``READABLE_PX``
    wide), the largest such scale is taken; otherwise the gallery will scroll, and images grow to about
    ``COMFORT_PX`` as long as ``MIN_COLUMNS`` still fit side by side and one whole row fits the height.

    Parameters
    ----------
    n, image_w, image_h
        How many images and the size of the largest one, in image pixels.
    width, height
        The view, in logical pixels.
    label_h, caption_w
        Height of the caption strip under each image (0: no captions) and the width the widest caption needs:
        a column is never narrower than its caption, so captions show whole.
    """
    if n <= 0 or image_w <= 0 or image_h <= 0:
        return GalleryPlan(0, 1, 1, 0, 0, 0, 0, label_h, gap, margin, 0, 0)
    plans = [_plan(n, s, image_w, image_h, label_h, caption_w, width, gap, margin) for s in range(1, MAX_SCALE + 1)]
    fitting = [p for p in plans if p.width <= width and p.height <= height]
    if fitting and fitting[-1].image_w >= READABLE_PX:
        return fitting[-1]
    row_fits = [p for p in plans if p.image_h + label_h + 2 * margin <= height]   # one whole row in sight
    comfortable = [p for p in row_fits if p.image_w <= max(COMFORT_PX, image_w) and p.cols >= min(n, MIN_COLUMNS)]
    best = max([p.scale for p in fitting + comfortable], default=1)
    return plans[best - 1]
