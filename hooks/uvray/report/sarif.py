"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: the lossless channel.

One run; `tool.driver.rules` lists every rule (not only those that fired) so viewers can show the
rule docs for any result, and each result carries `ruleIndex` into that list. Paths stay
repo-relative against `%SRCROOT%`, which `originalUriBaseIds` resolves to the repository root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uvray.findings import Severity
from uvray.report import line_at, ordered, ordered_errors, source_table

if TYPE_CHECKING:
    from uvray.findings import Finding, InputError, Location
    from uvray.report import Report
    from uvray.rules import RuleMeta

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/uvray/uvray"
SRCROOT = "%SRCROOT%"
# Bump the key (uvray/v2) if the fingerprint recipe ever changes: GitHub matches alerts across runs
# by it, and silently changed values would close every alert and reopen it as new.
FINGERPRINT_KEY = "uvray/v1"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# The code's hundreds digit is its family (domain brief §4); a tag lets viewers filter by it.
_FAMILY_TAG = {
    "1": "project-install",
    "2": "ray-runtime-env",
    "3": "uv-settings",
    "4": "docker",
    "5": "ci-workflow",
}


def render(report: Report) -> str:
    import json

    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"


def document(report: Report) -> dict[str, Any]:
    from uvray import __version__

    metas = [report.rules[code] for code in sorted(report.rules)]
    index = {meta.code: i for i, meta in enumerate(metas)}
    lines = source_table(report)
    findings = ordered(report.findings)
    fingerprints = fingerprints_for(findings, lines)
    run = {
        "tool": {
            "driver": {
                "name": "uvray",
                "informationUri": INFORMATION_URI,
                "semanticVersion": __version__,
                "version": __version__,
                "rules": [rule_descriptor(meta) for meta in metas],
            }
        },
        "invocations": [invocation(report.errors)],
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri(report.root)}},
        "columnKind": "unicodeCodePoints",
        "results": [result(f, index.get(f.code), fp) for f, fp in zip(findings, fingerprints)],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def rule_descriptor(meta: RuleMeta) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": first_paragraph(meta.doc) or meta.summary},
        "helpUri": meta.url,
    }
    if meta.doc.strip():
        # GitHub renders help.markdown on the alert page: the whole rule doc, next to the code.
        descriptor["help"] = {"text": meta.doc, "markdown": meta.doc}
    descriptor["defaultConfiguration"] = {"level": _LEVEL[meta.severity]}
    descriptor["properties"] = {"tags": rule_tags(meta)}
    return descriptor


def rule_tags(meta: RuleMeta) -> list[str]:
    tags = ["uvray"]
    family = _FAMILY_TAG.get(meta.code[3:4]) if meta.code.startswith("RUV") else None
    if family:
        tags.append(family)
    if meta.fix:
        tags.append("fixable")
    return tags


def first_paragraph(markdown: str) -> str:
    """The first paragraph of prose, headings skipped, joined into one line."""
    paragraph: list[str] = []
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            if paragraph:
                break
            continue
        paragraph.append(stripped)
    return " ".join(paragraph)


def result(finding: Finding, rule_index: int | None, fingerprint: str) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": finding.code}
    if rule_index is not None:  # a code outside the registry still gets reported, just unlinked
        out["ruleIndex"] = rule_index
    out["level"] = _LEVEL[finding.severity]
    out["message"] = {"text": finding.message}
    out["locations"] = [{"physicalLocation": physical_location(finding.location)}]
    out["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    if finding.related:
        out["relatedLocations"] = [
            {"id": i, "physicalLocation": physical_location(where), "message": {"text": label}}
            for i, (label, where) in enumerate(finding.related)
        ]
    return out


def physical_location(loc: Location) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": loc.line,
        "startColumn": loc.column,
        "endLine": loc.last_line,
    }
    if loc.end_column is not None:
        region["endColumn"] = loc.end_column
    if not loc.in_repository:
        return _outside_location(loc.path, region)
    return {"artifactLocation": artifact(loc.path), "region": region}


def _outside_location(path: str, region: dict[str, Any]) -> dict[str, Any]:
    """An absolute path (`uvray env` outside the repository) as a file:// URI with no base; an
    image (`image:<name>`) has no file at all (code scanning then shows the alert on no line)."""
    from urllib.parse import quote

    if path.startswith("image:"):
        return {"artifactLocation": {"uri": quote(path, safe="/:@")}}
    return {"artifactLocation": {"uri": "file://" + quote(path, safe="/")}, "region": region}


def artifact(path: str) -> dict[str, Any]:
    from urllib.parse import quote

    # uri must be a URI reference: a space is not allowed, and a ":" in the first segment would read
    # as a scheme ("a:b.Dockerfile"), so everything but "/" and unreserved characters is %-encoded.
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def root_uri(root: str) -> str:
    from pathlib import Path

    uri = Path(root).absolute().as_uri()
    # Without the trailing slash, resolving "Dockerfile" against it would replace the last segment.
    return uri if uri.endswith("/") else uri + "/"


def invocation(errors: list[InputError]) -> dict[str, Any]:
    out: dict[str, Any] = {"executionSuccessful": not errors}
    if errors:
        out["toolExecutionNotifications"] = [notification(e) for e in ordered_errors(errors)]
    return out


def notification(error: InputError) -> dict[str, Any]:
    region = {"startLine": error.line} if error.line is not None else None
    physical: dict[str, Any] = {"artifactLocation": artifact(error.path)}
    if region:
        physical["region"] = region
    return {
        "level": "error",
        "message": {"text": error.message},
        "locations": [{"physicalLocation": physical}],
    }


def fingerprints_for(findings: list[Finding], lines: dict[str, list[str]]) -> list[str]:
    """One partial fingerprint per finding, in the same order.

    Built from what the finding is about, not where it is: the code, the path, and the text of
    its first source line (whitespace-normalised; the message when the source is unknown). Lines
    inserted above therefore leave it unchanged. Identical keys (the same ENV line twice in one
    file) get an occurrence number in reading order, so they stay distinct alerts.
    """
    seen: dict[tuple[str, str, str], int] = {}
    out: list[str] = []
    for f in findings:
        key = (f.code, f.location.path, anchor_text(f, lines.get(f.location.path)))
        seen[key] = seen.get(key, 0) + 1
        out.append(fingerprint(*key, occurrence=seen[key]))
    return out


def anchor_text(finding: Finding, lines: list[str] | None) -> str:
    text = line_at(lines, finding.location.line)
    if text is None or not text.strip():
        return finding.message
    return " ".join(text.split())


def fingerprint(code: str, path: str, text: str, occurrence: int = 1) -> str:
    import hashlib

    # NUL separators: "RUV1" + "01x" must not hash like "RUV101" + "x".
    payload = "\0".join((code, path, text, str(occurrence)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
