"""Run folders: their layout and names (:mod:`.layout`, :mod:`.naming`), the checkpoint format
(:mod:`.checkpoint_format`), metrics read whole or tailed (:mod:`.metrics`), sample grids (:mod:`.samples`), model and
optimizer state (:mod:`.state`) and the checks on what a checkpoint holds (:mod:`.validate`),
:class:`.folder.RunFolder` over all of them, and the list of past runs (:mod:`.summary`).

The command line, the trainers, the app's open/continue/follow paths, the runs panel and the HTML report all go
through this package. Importing it imports nothing: ``layout`` and ``naming`` load without torch.
"""
