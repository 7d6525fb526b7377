"""GenDisc Studio's engine: datasets, models, trainers and checkpoints in plain PyTorch + NumPy.

Never imports Qt: everything here runs headless, from a script, a test or a cluster job.
"""

__version__ = "0.1.0"
