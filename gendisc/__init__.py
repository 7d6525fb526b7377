"""GenDisc Studio: train a generative model (a GAN) and a discriminative one (a CNN) side by side, live.

``gendisc.engine`` is plain PyTorch and NumPy and never imports Qt (usable headless, from a script or a cluster
job); ``gendisc.gui`` is the PySide6 desktop app built on it; ``gendisc.resources`` holds the bundled files.
"""

__version__ = "0.1.0"
