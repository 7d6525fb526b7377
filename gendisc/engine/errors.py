"""Exceptions the engine raises for problems a user can fix; each message is meant to be shown as is."""

from __future__ import annotations


class GenDiscError(Exception):
    """Base of every error the app reports to the user without a traceback."""


class ConfigError(GenDiscError, ValueError):
    """A hyperparameter or option has a value the engine cannot use."""


class DatasetError(GenDiscError):
    """A dataset file or folder is missing, malformed or inconsistent.

    The message names the file and what is wrong with it.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CheckpointError(GenDiscError):
    """A run folder or checkpoint cannot be read or written."""


class TrainingError(GenDiscError):
    """Training cannot go on (a non-finite loss, out of memory, ...); the message suggests a cause."""


class Cancelled(GenDiscError):
    """The user cancelled a long operation (a download, an import); nothing half-done was kept."""
