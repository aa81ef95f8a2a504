"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

  ::error file=Dockerfile,line=3,endLine=3,col=5,endColumn=37,title=uvray (RUV101)::msg%0A  help: x

Escaping follows actions/toolkit packages/core/src/command.ts, the reference the runner is written
against. Paths are already repo-relative, which GitHub needs to attach an annotation to the diff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uvray.findings import Severity
from uvray.report import most_severe_first, ordered_errors, rule_url

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from uvray.findings import Finding, InputError
    from uvray.report import Report

# The three annotation levels, most severe first: GitHub caps each one separately.
LEVELS = ("error", "warning", "notice")
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(report: Report) -> str:
    """Every finding and input error as an annotation, most severe first."""
    return _lines(command for _, command in annotations(report))


def render_with_cap(
    report: Report, per_level: int | Mapping[str, int] = 10, total: int = 50
) -> str:
    """At most per_level annotations per level and total overall, most severe first.

    GitHub shows only 10 annotations per level per step and 50 per job, and silently drops the rest,
    so when anything has to go we say so in one last notice, which must itself fit in both caps.
    per_level may give each level its own cap (what is left of a step's budget after an earlier
    run in the same step); a level it leaves out gets none.
    """
    limits = level_limits(per_level)
    if total < 0:
        raise ValueError("annotation caps cannot be negative")
    items = annotations(report)
    kept = _take(items, limits, total, notice_slots_reserved=0)
    if len(kept) == len(items):
        return _lines(kept)
    if limits["notice"] == 0 or total == 0:
        return _lines([])  # not even room to say that something was dropped
    kept = _take(items, limits, total - 1, notice_slots_reserved=1)
    return _lines([*kept, more_notice(len(items) - len(kept))])


def level_limits(per_level: int | Mapping[str, int]) -> dict[str, int]:
    if isinstance(per_level, int):
        limits = dict.fromkeys(LEVELS, per_level)
    else:
        unknown = set(per_level) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown annotation level {sorted(unknown)[0]!r}")
        limits = {level: per_level.get(level, 0) for level in LEVELS}
    if any(n < 0 for n in limits.values()):
        raise ValueError("annotation caps cannot be negative")
    return limits


def annotations(report: Report) -> list[tuple[str, str]]:
    """(level, command) pairs in output order: errors, then warnings, then notices.

    Within errors the input errors come first (a file that could not be read was not checked at
    all); findings follow in path order.
    """
    items = [("error", input_error_command(e)) for e in ordered_errors(report.errors)]
    items.extend(
        (_LEVEL[f.severity], finding_command(f, rule_url(report, f.code)))
        for f in most_severe_first(report.findings)
    )
    rank = {level: i for i, level in enumerate(LEVELS)}
    return sorted(items, key=lambda item: rank[item[0]])  # stable: keeps the order within a level


def finding_command(finding: Finding, url: str | None = None) -> str:
    loc = finding.location
    props: list[tuple[str, object]] = []
    lines = []
    if loc.in_repository:
        props = [("file", loc.path), ("line", loc.line), ("endLine", loc.last_line)]
        # Columns on a multi-line annotation make GitHub misplace or drop it (astral-sh/ruff#22074).
        if loc.last_line == loc.line:
            props.append(("col", loc.column))
            if loc.end_column is not None:
                props.append(("endColumn", loc.end_column))
    else:
        # An image or a local environment: no file of the diff to attach to, so the annotation
        # stands on the run, and says where it is about.
        lines.append(f"{loc.path}:")
    props.append(("title", f"uvray ({finding.code})"))
    lines.append(finding.message)
    if finding.fix:
        lines.append(f"  help: {finding.fix}")
    if url:
        lines.append(f"  docs: {url}")
    lines.extend(f"  note: {label} at {at.path}:{at.line}" for label, at in finding.related)
    return command(_LEVEL[finding.severity], props, "\n".join(lines))


def input_error_command(error: InputError) -> str:
    props: list[tuple[str, object]] = [("file", error.path)]
    if error.line is not None:
        props.append(("line", error.line))
    props.append(("title", "uvray (input)"))
    return command("error", props, error.message)


def more_notice(dropped: int) -> str:
    noun = "finding" if dropped == 1 else "findings"
    text = f"{dropped} more {noun} not shown as annotations; see the job summary or SARIF"
    return command("notice", [("title", "uvray")], text)


def command(name: str, props: Sequence[tuple[str, object]], message: str) -> str:
    if not props:
        return f"::{name}::{escape_data(message)}"
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
    return f"::{name} {joined}::{escape_data(message)}"


def escape_data(text: str) -> str:
    # "%" first, or the escapes we add would be escaped again.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    # ":" and "," delimit properties; a path like "a,b:c" would otherwise split into bogus ones.
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _take(
    items: list[tuple[str, str]],
    limits: Mapping[str, int],
    total: int,
    notice_slots_reserved: int,
) -> list[str]:
    """The commands that fit, in order. Items come most severe first, so the least severe drop."""
    limit = dict(limits)
    limit["notice"] -= notice_slots_reserved
    used = dict.fromkeys(LEVELS, 0)
    kept: list[str] = []
    for level, cmd in items:
        if len(kept) >= total:
            break
        if used[level] < limit[level]:
            used[level] += 1
            kept.append(cmd)
    return kept


def _lines(commands: Iterable[str]) -> str:
    text = "\n".join(commands)
    return text + "\n" if text else ""
