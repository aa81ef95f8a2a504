"""Machine-readable output: a public, stable JSON document (schema in docs/output-formats.md).

Named json_ so that `import json` inside the package still means the standard library.
Within a major version fields are only ever added, never renamed, removed or retyped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uvray.report import ordered, ordered_errors, severity_counts

if TYPE_CHECKING:
    from uvray.findings import Finding, InputError
    from uvray.report import Report


def render(report: Report) -> str:
    import json

    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"


def document(report: Report) -> dict[str, Any]:
    """The JSON document as Python data, for callers that embed it rather than print it."""
    from uvray import __version__

    return {
        "version": __version__,
        "findings": [finding_entry(f, report) for f in ordered(report.findings)],
        "errors": [error_entry(e) for e in ordered_errors(report.errors)],
        "summary": summary(report),
    }


def finding_entry(finding: Finding, report: Report) -> dict[str, Any]:
    loc = finding.location
    meta = report.rules.get(finding.code)
    return {
        "code": finding.code,
        "name": meta.name if meta is not None else None,
        "severity": finding.severity.label,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "message": finding.message,
        "fix": finding.fix,
        "url": meta.url if meta is not None else None,
        "fix_applicability": _applicability(finding, meta),
    }


def _applicability(finding: Finding, meta) -> str | None:
    if not finding.edits:
        return None
    return finding.applicability or (meta.fix if meta is not None else None)


def error_entry(error: InputError) -> dict[str, Any]:
    return {"path": error.path, "line": error.line, "message": error.message}


def summary(report: Report) -> dict[str, Any]:
    by_code: dict[str, int] = {}
    for f in report.findings:
        by_code[f.code] = by_code.get(f.code, 0) + 1
    return {
        "files": report.files_checked,
        "findings": len(report.findings),
        **severity_counts(report.findings),
        "by_code": dict(sorted(by_code.items())),
    }
