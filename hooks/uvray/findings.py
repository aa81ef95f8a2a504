"""What every step after the readers passes along: locations, severities, findings, input errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple, Optional

from uvray.errors import UsageError

__all__ = ["Finding", "InputError", "Location", "Severity", "UsageError"]


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning or info)"
            ) from None


class Location(NamedTuple):
    """A span in a repository file. Lines and columns are 1-based; path is repo-relative, POSIX.
    A NamedTuple, not a frozen dataclass: readers make one per command and variable, and a
    tuple is several times cheaper to build."""

    path: str
    line: int = 1
    column: int = 1
    end_line: Optional[int] = None  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    end_column: Optional[int] = None  # noqa: UP045

    @property
    def last_line(self) -> int:
        return self.end_line if self.end_line is not None else self.line

    @property
    def in_repository(self) -> bool:
        """A file of the checked repository, as opposed to the pseudo places of `uvray image`
        (`image:<name>`) and `uvray env` outside the repository (an absolute path)."""
        path = self.path
        return not (
            path.startswith(("/", "image:"))
            or (len(path) > 2 and path[1] == ":" and path[2] in "/\\")
        )


@dataclass
class Finding:
    code: str
    message: str
    location: Location
    severity: Severity
    fix: str | None = None
    # Other places that explain the finding (the ENV line, the driver command, the uv pin...).
    related: tuple[tuple[str, Location], ...] = ()
    # Text edits (uvray.edits.Edit) that repair the finding; `uvray check --fix` applies them
    # all or none. Only rules whose META.fix is "safe" or "guarded" attach edits.
    edits: tuple = field(default=())
    # "safe" or "guarded" when this finding's edits are safer or riskier than the rule's META.fix.
    applicability: str | None = None

    @property
    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code, self.message)


@dataclass(frozen=True)
class InputError:
    """A file uvray cannot use. Reported as one line; the run exits 2 but other files are still checked."""

    path: str
    message: str
    line: int | None = None

    def render(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: error: {self.message}"
