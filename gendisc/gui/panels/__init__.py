"""One view a file, each fed by the session models it is given; no panel imports another."""
