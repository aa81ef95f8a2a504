"""Rule metadata and the registry. Each rule module defines META and check(repo, facts)."""

from __future__ import annotations

from dataclasses import dataclass

from uvray.findings import Severity

DOCS_BASE = "https://github.com/uvray/uvray/blob/main/docs/rules/"


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str
    severity: Severity
    summary: str
    # "safe", "guarded" or None: whether --fix can repair it (fixers arrive with a later issue).
    fix: str | None
    # The rule's documentation, Markdown, with the headings What it does / Why / Example / Fix / Fix safety.
    doc: str

    @property
    def url(self) -> str:
        return f"{DOCS_BASE}{self.code}.md"


@dataclass(frozen=True)
class RetiredCode:
    code: str
    name: str
    reason: str
