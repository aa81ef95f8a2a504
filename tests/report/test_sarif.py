from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import uvray
from uvray.findings import Finding, InputError, Location, Severity
from uvray.report import sarif

from .conftest import DOCKERFILE, ODD_PATH, RULES, make_report

SCHEMA_PATH = Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # the schema declares draft-04
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(validator, doc) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]


def _doc(report) -> dict:
    return json.loads(sarif.render(report))


def test_schema_file_is_the_official_one():
    # Pinned, so a failing validation cannot be "fixed" by loosening the schema (data/README.md).
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest()
    assert digest == "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"findings": [], "errors": []},
        {"errors": []},
        {"rules": {}},  # results whose rule is unknown: no ruleIndex
        {"sources": {}},  # fingerprints from messages
        {"root": "/work/my repo,v2"},
    ],
    ids=["fixture", "empty", "no-input-errors", "no-rules", "no-sources", "odd-root"],
)
def test_valid_against_official_schema(validator, changes):
    assert _errors(validator, _doc(make_report(**changes))) == []


_text = st.text(min_size=1, max_size=20)
_locations = st.builds(
    Location,
    path=_text,
    line=st.integers(1, 10_000),
    column=st.integers(1, 500),
    end_line=st.none() | st.integers(1, 10_000),
    end_column=st.none() | st.integers(1, 500),
)
_findings = st.builds(
    Finding,
    code=st.sampled_from([*RULES, "RUV999"]),
    message=_text,
    location=_locations,
    severity=st.sampled_from(Severity),
    fix=st.none() | _text,
    related=st.lists(st.tuples(_text, _locations), max_size=2).map(tuple),
)


@settings(max_examples=50, deadline=None)
@given(
    findings=st.lists(_findings, max_size=4),
    errors=st.lists(
        st.builds(InputError, _text, _text, st.none() | st.integers(1, 99)), max_size=2
    ),
)
def test_any_report_gives_valid_sarif(validator, findings, errors):
    report = make_report(findings=findings, errors=errors)
    assert _errors(validator, _doc(report)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("version",), "2.0.0"),
        (("runs", 0, "results", 0, "level"), "fatal"),
        (("runs", 0, "results", 0, "locations", 0, "physicalLocation", "region", "startLine"), 0),
        (("runs", 0, "tool", "driver", "rules", 1), None),  # duplicate rule descriptor
        (("runs", 0, "results", 0, "message"), {"markdown": "no text"}),
        (("runs", 0, "columnKind"), "bytes"),
    ],
    ids=["version", "level", "start-line", "duplicate-rule", "message-without-text", "column-kind"],
)
def test_broken_sarif_fails_validation(validator, report, path, value):
    # Guards the guard: if the validator accepted anything, every test above would pass vacuously.
    doc = _doc(report)
    broken = copy.deepcopy(doc)
    *parents, leaf = path
    target = broken
    for key in parents:
        target = target[key]
    target[leaf] = copy.deepcopy(target[0]) if value is None else value
    assert _errors(validator, doc) == []
    assert _errors(validator, broken) != []


def test_missing_runs_fails_validation(validator, report):
    doc = _doc(report)
    del doc["runs"]
    assert _errors(validator, doc) != []


def test_top_level(report):
    doc = _doc(report)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "uvray"
    assert driver["informationUri"] == "https://github.com/uvray/uvray"
    assert driver["version"] == driver["semanticVersion"] == uvray.__version__
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///work/repo/"}}


def test_every_rule_listed_sorted_even_if_it_never_fired(report):
    rules = _doc(report)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    assert "RUV502" in [r["id"] for r in rules]
    assert rules[0] == {
        "id": "RUV101",
        "name": "project-installed-into-runtime-synced-env",
        "shortDescription": {
            "text": "The project is installed into the environment Ray syncs at runtime"
        },
        "fullDescription": {"text": "Flags the thing. Over two lines."},
        "helpUri": "https://github.com/uvray/uvray/blob/main/docs/rules/RUV101.md",
        "help": {"text": RULES["RUV101"].doc, "markdown": RULES["RUV101"].doc},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["uvray", "project-install", "fixable"]},
    }
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules} == {
        "RUV101": "error",
        "RUV103": "warning",
        "RUV107": "note",
        "RUV201": "error",
        "RUV502": "warning",
    }


def test_results_point_at_their_rules(report):
    run = _doc(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("RUV101", "error"),
        ("RUV103", "warning"),
        ("RUV201", "error"),
        ("RUV107", "note"),
    ]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_result_location_and_message(report):
    results = _doc(report)["runs"][0]["results"]
    odd = results[2]
    assert odd["message"] == {"text": "pip is 100% ignored\nunder uv run\r(Ray >= 2.45)"}
    assert odd["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {
                    "uri": "ray/runtime%20env%2Cv2%3Aprod.yaml",
                    "uriBaseId": "%SRCROOT%",
                },
                "region": {"startLine": 2, "startColumn": 3, "endLine": 2, "endColumn": 18},
            }
        }
    ]
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5,
        "startColumn": 5,
        "endLine": 7,
        "endColumn": 17,
    }


def test_artifact_uris_are_relative_references_that_decode_to_the_path():
    for path in [ODD_PATH, "a:b/c d", "dír/Dockerfile", "x%41y", "#frag?q"]:
        uri = sarif.artifact(path)["uri"]
        parts = urlsplit(uri)
        assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", "")
        assert " " not in uri and uri.isascii()
        assert unquote(uri) == path


def test_related_locations(report):
    result = _doc(report)["runs"][0]["results"][0]
    assert result["relatedLocations"] == [
        {
            "id": 0,
            "physicalLocation": {
                "artifactLocation": {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 25},
            },
            "message": {"text": "uv sync runs here"},
        }
    ]
    assert "relatedLocations" not in _doc(report)["runs"][0]["results"][1]


def test_invocation_reports_input_errors(report):
    (inv,) = _doc(report)["runs"][0]["invocations"]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"] == [
        {
            "level": "error",
            "message": {"text": "invalid UTF-8 (byte 0xff)"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "docker/Dockerfile.gpu",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": 2},
                    }
                }
            ],
        }
    ]
    clean = _doc(make_report(errors=[]))["runs"][0]["invocations"]
    assert clean == [{"executionSuccessful": True}]


def test_root_uri_is_percent_encoded_with_trailing_slash():
    assert sarif.root_uri("/work/my repo") == "file:///work/my%20repo/"
    assert sarif.root_uri("/") == "file:///"


def test_formatting(report):
    out = sarif.render(report)
    assert out.endswith("}\n")
    assert out.startswith('{\n  "$schema": ')


# --- fingerprints ---------------------------------------------------------------------------------


def _fingerprints(report) -> list[str]:
    return [r["partialFingerprints"]["uvray/v1"] for r in _doc(report)["runs"][0]["results"]]


def _shift(f: Finding, by: int) -> Finding:
    loc = f.location
    end = loc.end_line + by if loc.end_line is not None else None
    moved = Location(loc.path, loc.line + by, loc.column, end, loc.end_column)
    return Finding(f.code, f.message, moved, f.severity, f.fix, f.related)


def test_fingerprints_stable_when_lines_are_inserted_above(report):
    inserted = "# a comment\n\n# another one\n"
    shifted = make_report(
        findings=[_shift(f, 3) for f in report.findings],
        sources={path: inserted + text for path, text in report.sources.items()},
    )
    assert _fingerprints(shifted) == _fingerprints(report)


def test_fingerprints_ignore_reindentation(report):
    reindented = make_report(
        sources={**report.sources, "Dockerfile": DOCKERFILE.replace("ENV ", "ENV     ")}
    )
    assert _fingerprints(reindented)[0] == _fingerprints(report)[0]


def test_fingerprints_change_with_the_flagged_text(report):
    edited = make_report(
        sources={**report.sources, "Dockerfile": DOCKERFILE.replace("/opt/venv", "/srv/venv")}
    )
    assert _fingerprints(edited)[0] != _fingerprints(report)[0]
    assert _fingerprints(edited)[1:] == _fingerprints(report)[1:]


def test_fingerprints_are_sha256_hex_and_distinct(report):
    prints = _fingerprints(report)
    assert len(set(prints)) == len(prints)
    assert all(len(p) == 64 and int(p, 16) >= 0 for p in prints)
    assert prints[0] == sarif.fingerprint(
        "RUV101", "Dockerfile", "ENV UV_PROJECT_ENVIRONMENT=/opt/venv"
    )


def test_identical_lines_get_distinct_fingerprints():
    source = "FROM a\nENV X=1\nFROM b\nENV X=1\n"
    findings = [Finding("RUV101", "m", Location("f", line), Severity.ERROR) for line in (4, 2)]
    prints = _fingerprints(make_report(findings=findings, errors=[], sources={"f": source}))
    assert prints[0] != prints[1]
    assert prints[0] == sarif.fingerprint("RUV101", "f", "ENV X=1", occurrence=1)


def test_fingerprint_falls_back_to_message_without_source():
    f = Finding("RUV101", "the message", Location("f", 3), Severity.ERROR)
    (fp,) = _fingerprints(make_report(findings=[f], errors=[], sources={}))
    assert fp == sarif.fingerprint("RUV101", "f", "the message")


def test_unknown_code_has_no_rule_index():
    f = Finding("RUV999", "m", Location("f", 1), Severity.WARNING)
    (result,) = _doc(make_report(findings=[f], errors=[]))["runs"][0]["results"]
    assert result["ruleId"] == "RUV999" and "ruleIndex" not in result


def test_input_error_without_line_has_no_region():
    doc = _doc(make_report(errors=[InputError("gone", "no such file")]))
    (note,) = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "gone", "uriBaseId": "%SRCROOT%"},
    }
