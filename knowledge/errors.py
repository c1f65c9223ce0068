"""Errors raised by the knowledge package.

Hierarchy::

    KnowledgeError            the base failed validation; .problems lists every problem
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is (file, entry id, field) and what is wrong."""

    file: str
    entry_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry_id:
            where += f" [{self.entry_id}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge base is invalid; ``problems`` holds all problems found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n{shown}{more}")


class CalendarQueryError(ValueError):
    """A calendar question cannot be answered as asked (a caller's mistake, not bad data).

    Hierarchy (added for the calendar)::

        ValueError
        └── CalendarQueryError        code: "bad-range" | "range-too-long" | "bad-argument"
            └── UnknownProfileError   code: "unknown-profile"

    ``code`` is stable and meant for the HTTP layer (400, or 404 for an unknown profile);
    the message is plain English saying what is wrong.
    """

    code: str = "bad-argument"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class UnknownProfileError(CalendarQueryError):
    """The hours profile (or office) named in a calendar question does not exist."""

    code = "unknown-profile"
