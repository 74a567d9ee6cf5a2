"""Domain errors of the ``cohort`` package and the codes of records problems.

Every problem found in a records file has a :class:`ProblemCode` (the
``code`` column of the problems list); a file that cannot be used at all
raises :class:`RecordsError` listing every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

__all__ = ["ProblemCode", "RecordsError", "SchemaError", "ExactTestTooLargeError"]


class ProblemCode(StrEnum):
    """Short, stable codes of the problems :func:`cohort.records.validate_records` reports."""

    MISSING_COLUMN = "missing_column"
    MISSING_ID = "missing_id"
    MISSING_VALUE = "missing_value"
    NOT_ALLOWED = "not_allowed"
    NOT_A_NUMBER = "not_a_number"
    IMPOSSIBLE_NUMBER = "impossible_number"
    INCONSISTENT = "inconsistent"
    DUPLICATE_ID = "duplicate_id"
    UNREADABLE = "unreadable"


class _Describable(Protocol):
    def describe(self) -> str: ...


class RecordsError(ValueError):
    """The records file cannot be used at all; ``problems`` lists every reason."""

    def __init__(self, message: str, problems: Sequence[_Describable] = ()) -> None:
        lines = [message, *(f"  - {p.describe()}" for p in problems)]
        super().__init__("\n".join(lines))
        self.problems = tuple(problems)


class SchemaError(ValueError):
    """A schema file that cannot be used (bad TOML, unknown variable or level)."""


class ExactTestTooLargeError(ValueError):
    """The exact test would need more tables than allowed; nothing was approximated."""
