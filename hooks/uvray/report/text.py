"""Human output for terminals and pre-commit: a header line per finding, optionally the source.

    Dockerfile:3:5: RUV101 [error] the project is installed into the env Ray syncs at runtime
      |
    3 | ENV UV_PROJECT_ENVIRONMENT=/opt/venv
      |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      |
      = help: add --no-install-project to the final uv sync
      = docs: https://github.com/uvray/uvray/blob/main/docs/rules/RUV101.md

The header is `path:line:col: CODE [severity] message`, which editors and CI log viewers already
turn into links. Every character we add is ASCII; colour (ANSI) only when the caller asks for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uvray.findings import Severity
from uvray.report import (
    fixable_counts,
    ordered,
    ordered_errors,
    plural,
    rule_url,
    severity_counts,
    source_table,
)

if TYPE_CHECKING:
    from uvray.findings import Finding, Location
    from uvray.report import Report

# A span longer than this is shown cut: the first lines say where it is, the rest is noise.
MAX_SOURCE_LINES = 5
TAB = "    "

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_SEVERITY_STYLE = {
    Severity.ERROR: "\x1b[31m",  # red
    Severity.WARNING: "\x1b[33m",  # yellow
    Severity.INFO: "\x1b[34m",  # blue
}


def _control_escapes() -> dict[int, str]:
    # Messages and paths are built from file contents. A raw CR or ESC there could overwrite the
    # line or drive the terminal, and a newline would break "one finding = one header line" for grep
    # and editors, so every control character is shown as a Python-style escape instead.
    table = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]}
    table.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"})
    # str.splitlines() also breaks on these; editors and terminals may too.
    table.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
    return table


_ONE_LINE = _control_escapes()
# In source snippets tabs become spaces so the carets line up with what the reader sees.
_SOURCE = {**_ONE_LINE, 0x09: TAB}


def render(
    report: Report, show_source: bool = True, color: bool = False, quiet: bool = False
) -> str:
    """The whole report. show_source=False gives the concise form: one line per finding;
    quiet drops the source and the summary line (nothing at all when clean)."""
    show_source = show_source and not quiet
    sources = source_table(report) if show_source else {}
    out: list[str] = []
    for finding in ordered(report.findings):
        out.append(header(finding, color))
        if show_source:
            out.extend(details(finding, report, sources.get(finding.location.path), color))
            out.append("")
    errors = [e.render().translate(_ONE_LINE) for e in ordered_errors(report.errors)]
    out.extend(errors)
    if errors and show_source:
        out.append("")
    if not quiet:
        out.append(summary(report))
    return "\n".join(out) + "\n" if out else ""


def header(finding: Finding, color: bool = False) -> str:
    loc = finding.location
    path = _paint(loc.path.translate(_ONE_LINE), _BOLD, color)
    style = _SEVERITY_STYLE[finding.severity]
    code = _paint(finding.code, style, color)
    severity = _paint(finding.severity.label, style, color)
    message = finding.message.translate(_ONE_LINE)
    return f"{path}:{loc.line}:{loc.column}: {code} [{severity}] {message}"


def details(finding: Finding, report: Report, lines: list[str] | None, color: bool) -> list[str]:
    """The source snippet (when the file's text is known), then the help, docs and note lines."""
    loc = finding.location
    shown = _span_lines(lines, loc)
    width = len(str(loc.line + max(len(shown), 1) - 1))
    blank = " " * width + " |"
    notes = _notes(finding, report)
    out: list[str] = []
    if shown:
        caret = _carets(shown[0], loc)
        out.append(blank)
        for number, text in enumerate(shown, start=loc.line):
            out.append(_gutter_line(str(number).rjust(width), text.translate(_SOURCE)))
            if number == loc.line:
                painted = _paint(caret, _SEVERITY_STYLE[finding.severity], color)
                out.append(_gutter_line(" " * width, painted))
        if len(shown) == MAX_SOURCE_LINES and loc.last_line >= loc.line + MAX_SOURCE_LINES:
            out.append(_gutter_line(" " * width, "..."))
        if notes:
            out.append(blank)
    out.extend(f"{' ' * width} = {kind}: {text}" for kind, text in notes)
    return out


def _span_lines(lines: list[str] | None, loc: Location) -> list[str]:
    """The span's lines that exist in the file, at most MAX_SOURCE_LINES of them."""
    if lines is None or not 1 <= loc.line <= len(lines):
        return []
    last = min(loc.last_line, loc.line + MAX_SOURCE_LINES - 1, len(lines))
    return lines[loc.line - 1 : last]


def _carets(text: str, loc: Location) -> str:
    """`^` under [column, end_column) of the first line, or to its end when the span goes on.

    Widths are measured on the displayed text (tabs expanded, controls escaped) so the carets stay
    under the characters they mean. An empty span, or one past the end, still gets one caret.
    """
    start = max(loc.column, 1) - 1
    end = len(text)
    if loc.end_column is not None and loc.last_line == loc.line:
        end = loc.end_column - 1
    indent = len(text[:start].translate(_SOURCE))
    width = len(text[start:end].translate(_SOURCE))
    return " " * indent + "^" * max(width, 1)


def _gutter_line(gutter: str, text: str) -> str:
    # No trailing space after the bar for empty lines: golden files and editors strip it.
    return f"{gutter} | {text}" if text else f"{gutter} |"


def _notes(finding: Finding, report: Report) -> list[tuple[str, str]]:
    notes: list[tuple[str, str]] = []
    if finding.fix:
        notes.append(("help", finding.fix.translate(_ONE_LINE)))
    url = rule_url(report, finding.code)
    if url:
        notes.append(("docs", url))
    for label, where in finding.related:
        notes.append(("note", f"{label} at {where.path}:{where.line}".translate(_ONE_LINE)))
    return notes


def summary(report: Report) -> str:
    files = plural(report.files_checked, "file")
    errors = len(report.errors)
    # Input errors are not problems in the checked files but files that could not be checked.
    tail = f"; {plural(errors, 'input error')}" if errors else ""
    if not report.findings:
        if errors:
            return f"No problems found in {files}{tail}."
        return f"All checks passed ({files})."
    counts = severity_counts(report.findings)
    parts = ", ".join(plural(n, label) for label, n in counts.items())
    found = f"Found {plural(len(report.findings), 'problem')} ({parts}) in {files}{tail}."
    safe, guarded = fixable_counts(report)
    hints = []
    if safe:
        hints.append(f"{safe} fixable with `uvray check --fix`")
    if guarded:
        hints.append(f"{guarded} more with `--unsafe-fixes`")
    return found + (f" {'; '.join(hints)}." if hints else "")


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text
