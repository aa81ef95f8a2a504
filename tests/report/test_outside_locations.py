"""Findings about an image (`image:<name>`) or an environment outside the repository (an
absolute path): the GitHub annotation attaches to no file, SARIF stays valid and names no file of
the repository."""

from __future__ import annotations

import json

import pytest

from uvray.findings import Finding, Location, Severity
from uvray.report import github, sarif

from .conftest import make_report
from .test_sarif import _errors, validator  # noqa: F401 - the fixture

OUTSIDE = [
    Finding("RUV101", "in the image", Location("image:acme/job:1.0", 1), Severity.ERROR),
    Finding("RUV101", "in a venv", Location("/opt/venvs/job/bin/python", 1), Severity.WARNING),
]


@pytest.mark.parametrize("finding", OUTSIDE, ids=["image", "absolute"])
def test_github_annotation_names_the_place_but_no_file(finding) -> None:
    line = github.finding_command(finding)
    assert "file=" not in line and "line=" not in line
    assert line.startswith(("::error title=uvray (RUV101)::", "::warning title=uvray (RUV101)::"))
    assert f"{finding.location.path}:%0A" in line


def test_repository_paths_keep_their_file() -> None:
    inside = Finding("RUV101", "m", Location("Dockerfile", 3), Severity.ERROR)
    assert Location("Dockerfile", 3).in_repository
    assert "file=Dockerfile,line=3" in github.finding_command(inside)


def test_sarif_stays_valid_and_points_outside(validator) -> None:  # noqa: F811
    doc = json.loads(sarif.render(make_report(findings=list(OUTSIDE), errors=[])))
    assert _errors(validator, doc) == []
    locations = [r["locations"][0]["physicalLocation"] for r in doc["runs"][0]["results"]]
    uris = sorted(loc["artifactLocation"]["uri"] for loc in locations)
    assert uris == ["file:///opt/venvs/job/bin/python", "image:acme/job:1.0"]
    assert all("uriBaseId" not in loc["artifactLocation"] for loc in locations)
