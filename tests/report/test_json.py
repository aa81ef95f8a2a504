from __future__ import annotations

import json
import random

import uvray
from uvray.findings import Finding, InputError, Location, Severity
from uvray.report import json_

from .conftest import FINDINGS, ODD_PATH, make_report

FINDING_KEYS = [
    "code",
    "name",
    "severity",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
    "fix",
    "url",
    "fix_applicability",
]


def test_round_trips_through_json_loads(report):
    out = json_.render(report)
    assert json.loads(out) == json_.document(report)


def test_top_level_shape(report):
    doc = json.loads(json_.render(report))
    assert list(doc) == ["version", "findings", "errors", "summary"]
    assert doc["version"] == uvray.__version__


def test_finding_fields_exactly(report):
    doc = json.loads(json_.render(report))
    assert all(list(f) == FINDING_KEYS for f in doc["findings"])
    assert doc["findings"][2] == {
        "code": "RUV201",
        "name": "pip-or-uv-field-with-uv-run",
        "severity": "error",
        "path": ODD_PATH,
        "line": 2,
        "column": 3,
        "end_line": 2,
        "end_column": 18,
        "message": "pip is 100% ignored\nunder uv run\r(Ray >= 2.45)",
        "fix": None,
        "url": "https://github.com/uvray/uvray/blob/main/docs/rules/RUV201.md",
        "fix_applicability": None,
    }


def test_findings_in_reading_order(report):
    doc = json.loads(json_.render(report))
    assert [(f["path"], f["line"], f["code"]) for f in doc["findings"]] == [
        ("Dockerfile", 3, "RUV101"),
        ("Dockerfile", 5, "RUV103"),
        (ODD_PATH, 2, "RUV201"),
        (ODD_PATH, 4, "RUV107"),
    ]


def test_output_does_not_depend_on_input_order():
    findings = list(FINDINGS)
    errors = [InputError("b", "x"), InputError("a", "y", 3), InputError("a", "z")]
    expected = json_.render(make_report(findings=findings, errors=errors))
    rng = random.Random(0)
    for _ in range(5):
        rng.shuffle(findings)
        rng.shuffle(errors)
        assert json_.render(make_report(findings=findings, errors=errors)) == expected


def test_errors(report):
    doc = json.loads(json_.render(report))
    assert doc["errors"] == [
        {"path": "docker/Dockerfile.gpu", "line": 2, "message": "invalid UTF-8 (byte 0xff)"}
    ]
    doc = json_.document(make_report(errors=[InputError("a", "no such file")]))
    assert doc["errors"] == [{"path": "a", "line": None, "message": "no such file"}]


def test_summary(report):
    assert json.loads(json_.render(report))["summary"] == {
        "files": 3,
        "findings": 4,
        "error": 2,
        "warning": 1,
        "info": 1,
        "by_code": {"RUV101": 1, "RUV103": 1, "RUV107": 1, "RUV201": 1},
    }


def test_empty_report():
    doc = json.loads(json_.render(make_report(findings=[], errors=[], files_checked=0)))
    assert doc["findings"] == [] and doc["errors"] == []
    assert doc["summary"] == {
        "files": 0,
        "findings": 0,
        "error": 0,
        "warning": 0,
        "info": 0,
        "by_code": {},
    }


def test_nulls_for_unknown_rule_and_open_span():
    f = Finding("RUV999", "m", Location("f", 1), Severity.INFO)
    (entry,) = json_.document(make_report(findings=[f]))["findings"]
    assert entry["name"] is None and entry["url"] is None and entry["fix"] is None
    assert entry["end_line"] is None and entry["end_column"] is None


def test_formatting_indent_utf8_and_trailing_newline():
    f = Finding("RUV101", "café ✓", Location("dír/Dockerfile", 1), Severity.ERROR)
    out = json_.render(make_report(findings=[f], errors=[]))
    assert out.endswith("}\n") and not out.endswith("\n\n")
    assert '\n  "findings": [\n    {\n      "code": "RUV101",' in out
    assert "café ✓" in out and "dír/Dockerfile" in out  # ensure_ascii=False


def test_by_code_sorted_and_counted():
    findings = [
        Finding(code, "m", Location("f", i), Severity.WARNING)
        for i, code in enumerate(["RUV3", "RUV1", "RUV3", "RUV2", "RUV3"], start=1)
    ]
    summary = json_.document(make_report(findings=findings))["summary"]
    assert list(summary["by_code"].items()) == [("RUV1", 1), ("RUV2", 1), ("RUV3", 3)]
