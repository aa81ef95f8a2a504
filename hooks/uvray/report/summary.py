"""Markdown for a GitHub job summary (`$GITHUB_STEP_SUMMARY`): every finding in one table.

Annotations stop at 10 per level per step; the summary is where the rest is read. GitHub refuses a
step summary over 1 MiB (the upload fails with an error annotation and nothing is shown), so the
table stops before the budget and says how many rows it left out. Rows are most severe first,
so what is cut is the least severe.

Messages come from file contents: every cell is escaped so that a "|" cannot split the row, a
newline cannot end the table and "<tag>" or "[x](y)" cannot turn into HTML or links.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from uvray.report import most_severe_first, ordered_errors, plural, rule_url, severity_counts

if TYPE_CHECKING:
    from collections.abc import Mapping

    from uvray.findings import Finding, InputError
    from uvray.report import Report

# GitHub's limit per step summary (github/docs workflow-commands.md, "Step isolation and limits").
MAX_BYTES = 1024 * 1024
# Room kept for the closing note that says what was cut.
_NOTE_RESERVE = 400

_TABLE_HEAD = "| Code | Severity | Location | Message |\n|---|---|---|---|\n"
# Backslash-escaping any ASCII punctuation is valid CommonMark; these are the ones that can start
# inline markup, HTML, an entity or a table cell boundary.
_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!#])")
# A code span: a run of backticks, content, and a closing run of the same length (CommonMark 6.1).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_NEWLINES = re.compile(r"\r\n|\r|\n")


def render(
    report: Report,
    title: str,
    env: Mapping[str, str] | None = None,
    budget: int = MAX_BYTES,
) -> str:
    """The summary section for one report, at most `budget` UTF-8 bytes (a smaller budget
    than the note itself gives just the heading line, or nothing)."""
    links = blob_base(env or {})
    head = heading(report, title)
    errors = errors_section(report.errors)
    findings = most_severe_first(report.findings)
    if not findings:
        text = head + errors
        return text if _size(text) <= budget else _fit_head(head, budget)
    rows = [row(f, report, links) for f in findings]
    fixed = _size(head) + _size(errors) + _size(_TABLE_HEAD) + 1
    room = budget - fixed - _NOTE_RESERVE
    kept: list[str] = []
    used = 0
    for line in rows:
        used += _size(line)
        if used > room:
            break
        kept.append(line)
    note = ""
    if len(kept) < len(rows):
        dropped = len(rows) - len(kept)
        note = (
            f"\n_{plural(dropped, 'more finding')} left out: a job summary"
            " holds at most 1 MiB. The SARIF file and the step log have them all._\n"
        )
    text = head + errors + _TABLE_HEAD + "".join(kept) + note + "\n"
    return text if _size(text) <= budget else _fit_head(head, budget)


def heading(report: Report, title: str) -> str:
    counts = severity_counts(report.findings)
    n = len(report.findings)
    files = report.files_checked
    where = f" in {plural(files, 'file')}" if files else ""
    if not n:
        verdict = f"No findings{where}."
    else:
        parts = ", ".join(plural(c, label) for label, c in counts.items())
        verdict = f"{plural(n, 'finding')}{where}: {parts}."
    if report.errors:
        k = len(report.errors)
        verdict += f" {plural(k, 'input error')}: those files were not checked."
    return f"## {plain(title)}\n\n{verdict}\n\n"


def errors_section(errors: list[InputError]) -> str:
    if not errors:
        return ""
    lines = ["| File | Error |", "|---|---|"]
    for e in ordered_errors(errors):
        where = e.path if e.line is None else f"{e.path}:{e.line}"
        lines.append(f"| {plain(where)} | {cell(e.message)} |")
    return "\n".join(lines) + "\n\n"


def row(finding: Finding, report: Report, links: str | None) -> str:
    url = rule_url(report, finding.code)
    code = f"[{finding.code}]({url})" if url else finding.code
    return (
        f"| {code} | {finding.severity.label} | {location(finding, links)} "
        f"| {cell(finding.message)} |\n"
    )


def location(finding: Finding, links: str | None) -> str:
    loc = finding.location
    text = plain(f"{loc.path}:{loc.line}")
    # An image or an environment outside the repository has no page to link to.
    if links is None or not loc.in_repository:
        return text
    anchor = f"#L{loc.line}" if loc.last_line == loc.line else f"#L{loc.line}-L{loc.last_line}"
    return f"[{text}]({links}/{quote(loc.path, safe='/')}{anchor})"


def blob_base(env: Mapping[str, str]) -> str | None:
    """`https://github.com/OWNER/REPO/blob/SHA` from the runner's variables, else None (a link
    to a moving branch would point at other lines as soon as the file changes)."""
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "")
    sha = env.get("GITHUB_SHA", "")
    if not (server and repo and sha):
        return None
    return f"{server}/{quote(repo, safe='/')}/blob/{quote(sha, safe='')}"


def cell(text: str) -> str:
    """Text for one table cell: code spans kept (only "|" escaped in them), everything else
    escaped; line breaks become <br>."""
    out: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(plain(text[pos : match.start()]))
        out.append(_code(match.group(1), match.group(2)))
        pos = match.end()
    out.append(plain(text[pos:]))
    return "".join(out)


def plain(text: str) -> str:
    escaped = _SPECIAL.sub(r"\\\1", text)
    return _NEWLINES.sub("<br>", escaped)


def _code(fence: str, content: str) -> str:
    # Inside a code span "\|" still escapes the cell boundary (GFM splits cells first); a line
    # break cannot be shown there, so it becomes a space as CommonMark itself would render it.
    return fence + _NEWLINES.sub(" ", content).replace("|", "\\|") + fence


def _fit_head(head: str, budget: int) -> str:
    return head if _size(head) <= budget else ""


def _size(text: str) -> int:
    return len(text.encode("utf-8"))
