"""Exceptions raised by droidlens.

Every error that a user can fix derives from :class:`DroidlensError`; the command line turns
it into a one-line message and exit code 1.
"""

__all__ = [
    "DroidlensError",
    "DataError",
    "ModelError",
    "SolverError",
    "ExtractionError",
]


class DroidlensError(Exception):
    """Base class of all droidlens errors."""


class DataError(DroidlensError, ValueError):
    """Invalid or unreadable input data: a file, a line, an app or a label."""


class ModelError(DroidlensError):
    """A run folder or model that cannot be loaded, trained or used."""


class SolverError(DroidlensError):
    """A numerical solver that failed to reach the requested accuracy."""


class ExtractionError(DroidlensError):
    """An APK or dex file from which no call sequence could be extracted."""
