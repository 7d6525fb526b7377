"""GenDisc Studio's engine: datasets, models, trainers and run folders in plain PyTorch + NumPy.

Never imports Qt: everything here runs headless, from a script, a test or a cluster job.
"""
