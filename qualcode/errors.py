"""One error taxonomy for the whole library.

The library raises these and never prints or exits; ``qualcode.cli`` turns them into a single
``Error: ...`` line on stderr and an exit status from :class:`ExitStatus`, in one place.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitStatus(enum.IntEnum):
    """Exit statuses scripts can rely on."""

    OK = 0
    ERROR = 1
    USAGE = 2
    INTERRUPTED = 130


class QualcodeError(Exception):
    """Base class: something the user can fix, reported as one line."""

    exit_status = ExitStatus.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(QualcodeError):
    """A file the user gave us cannot be read as a transcript, codebook or table.

    The message always names the file, and the line or field when it is known.
    """

    def __init__(self, path: str | Path, problem: str, *, line: int | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


class ProjectError(QualcodeError):
    """The project database is missing, unreadable or not a qualcode project."""


class BusyError(ProjectError):
    """Another process held the project for writing longer than we were told to wait."""


class NotFoundError(QualcodeError):
    """A document, case, segment, code or run named by the user does not exist."""


class ConflictError(QualcodeError):
    """The change would overwrite or contradict something already in the project."""


class UsageError(QualcodeError):
    """Options that cannot be used together or values outside what a command accepts."""

    exit_status = ExitStatus.USAGE
