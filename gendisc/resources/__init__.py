"""Files that ship with the app: the bundled MNIST sample, the icon and the desktop entry.

They are package data, found through :mod:`importlib.resources`, so the app finds them in a checkout, an
installed wheel or a zip alike; nothing computes a path from ``__file__`` up to a repository root.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib.resources import files
from pathlib import Path

MNIST_SAMPLE = "datasets/mnist-sample-5k.npz"
ICON = "icons/gendisc-studio.svg"
DESKTOP_ENTRY = "io.github.gendisc.GenDiscStudio.desktop"

__all__ = ["DESKTOP_ENTRY", "ICON", "MNIST_SAMPLE", "read_bytes", "resource_file"]


def read_bytes(name: str) -> bytes:
    """The contents of a bundled file (``name`` relative to this package, e.g. :data:`ICON`)."""
    return files(__name__).joinpath(name).read_bytes()


def resource_file(name: str) -> Path:
    """A real file path of a bundled file, for readers that need one (NumPy, Qt's icon loader).

    Installed as files (a wheel, a checkout) it is the file itself. From a zip it is a copy extracted once into
    the temporary folder, named by its content hash, so it stays valid for as long as the app runs.
    """
    resource = files(__name__).joinpath(name)
    if isinstance(resource, Path) and resource.is_file():
        return resource
    data = resource.read_bytes()   # FileNotFoundError names the missing resource
    target = Path(tempfile.gettempdir()) / f"gendisc-{hashlib.sha256(data).hexdigest()[:16]}-{Path(name).name}"
    if not target.is_file():
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return target
