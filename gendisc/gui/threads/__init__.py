"""Work off the GUI thread: the one background-job API (:mod:`.jobs`) and the torch thread counts of each thread
(:mod:`.torch_threads`)."""
