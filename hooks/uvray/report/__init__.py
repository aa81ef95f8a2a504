"""Reporters turn a finished Report into text. They never decide what fails; the CLI does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from uvray.findings import Finding, InputError
    from uvray.rules import RuleMeta


@dataclass
class Report:
    findings: list[Finding]
    errors: list[InputError]
    # Every rule in the registry, by code (SARIF lists them all; text/github use name and url).
    rules: dict[str, RuleMeta]
    # Absolute repository root; finding paths are relative to it.
    root: str
    files_checked: int = 0
    # Source text by repo-relative path, for --show-source (only files that have findings).
    sources: dict[str, str] = field(default_factory=dict)
    # Every file's text as read (the fixer's edits index it); empty for reports built elsewhere.
    texts: dict[str, str] = field(default_factory=dict, repr=False)


# Helpers shared by the reporters. Each format decides its own order and wording; these only answer
# questions every format asks the same way, so the formats can never disagree about the facts.


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Reading order: path, line, column, code (message last, only to make ties deterministic)."""
    return sorted(findings, key=lambda f: f.sort_key)


def most_severe_first(findings: Iterable[Finding]) -> list[Finding]:
    """Severity descending, then reading order: what to show when only a few lines fit."""
    return sorted(findings, key=lambda f: (-int(f.severity), f.sort_key))


def ordered_errors(errors: Iterable[InputError]) -> list[InputError]:
    # A missing line sorts before line 1: the whole-file problem is the one to read first.
    return sorted(errors, key=lambda e: (e.path, e.line or 0, e.message))


def plural(n: int, noun: str) -> str:
    """`1 finding`, `2 findings`: every format counts the same way."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per severity label, most severe first; every label is present, zero or not."""
    from uvray.findings import Severity

    counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for f in findings:
        counts[f.severity.label] += 1
    return counts


def rule_url(report: Report, code: str) -> str | None:
    meta = report.rules.get(code)
    return meta.url if meta is not None else None


def source_table(report: Report) -> dict[str, list[str]]:
    """Each known file's lines (line n at index n-1), split once per render, not per finding."""
    return {path: split_lines(text) for path, text in report.sources.items()}


def split_lines(text: str) -> list[str]:
    """Lines without their endings.

    Splits on "\\n" only: str.splitlines() also splits on form feeds and U+2028, which would put our
    line numbers out of step with the readers, GitHub and editors.
    """
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def line_at(lines: list[str] | None, line: int) -> str | None:
    if lines is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1]


def fixable_counts(report: Report) -> tuple[int, int]:
    """(findings `--fix` would repair, further ones only `--unsafe-fixes` would)."""
    safe = guarded = 0
    for f in report.findings:
        if not f.edits:
            continue
        meta = report.rules.get(f.code)
        level = f.applicability or (meta.fix if meta is not None else None)
        if level == "safe":
            safe += 1
        elif level == "guarded":
            guarded += 1
    return safe, guarded
