"""What several test modules share: a local file server, byte-level fuzzing, window drivers. Tests import from here,
never from another test module; the fixtures are registered in ``tests/conftest.py``."""
