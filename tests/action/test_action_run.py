"""The action's steps, run as the runner runs them (harness.py) against real repositories, with
uvray installed once per session by the action's own install step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from . import harness
from .conftest import GITHUB, REPO

pytestmark = pytest.mark.slow

BLOB = f"https://github.com/{GITHUB['GITHUB_REPOSITORY']}/blob/{GITHUB['GITHUB_SHA']}"


def _levels(run: harness.ActionRun) -> Counter:
    return Counter(a.level for a in run.annotations)


def _sarif(run: harness.ActionRun) -> dict:
    return json.loads(Path(run.outputs["sarif-file"]).read_text(encoding="utf-8"))


def test_install_step_builds_a_working_venv(installed):
    python = Path(installed["python"])
    assert python.is_file() and os.access(python, os.X_OK)
    venv = python.parent.parent
    assert venv.name == "venv"
    # uvray is installed into that venv (a built copy), not imported from the action's source.
    where = subprocess.run(
        [str(python), "-c", "import uvray; print(uvray.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
        cwd=venv,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    # Built from a copy: pip's in-tree build never writes into the action's checkout.
    assert (venv.parent / "src" / "pyproject.toml").is_file()


def test_ray_job_example_fails_with_annotations_summary_and_sarif(act, ray_job):
    run = act(ray_job)
    assert run.exit_code == 1, run.log
    assert run.failed_step.name == "Verdict"  # outputs were written by then
    assert run.outputs == {
        "findings": "3",
        "errors": "0",
        "sarif-file": run.outputs["sarif-file"],
        "exit-code": "1",
    }
    assert run.outputs["sarif-file"].endswith("/uvray.sarif")
    assert [
        (a.level, a.properties["file"], a.properties["line"], a.properties["title"])
        for a in run.annotations
    ] == [
        ("error", "Dockerfile", "4", "uvray (RUV102)"),
        ("error", "Dockerfile", "6", "uvray (RUV101)"),
        ("error", "Dockerfile", "12", "uvray (RUV301)"),
    ]
    summary = run.summary
    assert summary.startswith("## uvray check\n")
    assert "3 findings in " in summary
    assert f"[Dockerfile:6]({BLOB}/Dockerfile#L6)" in summary
    assert summary.count("\n| [RUV") == 3
    results = _sarif(run)["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["RUV101", "RUV102", "RUV301"]
    # The text report is in the log, with workflow commands switched off around it.
    assert "Dockerfile:6:1: RUV101 [error]" in run.log
    assert "::stop-commands::" in run.log


def test_clean_repository_passes(act, clean):
    run = act(clean)
    assert run.exit_code == 0, run.log
    assert run.outputs["findings"] == "0" and run.outputs["exit-code"] == "0"
    assert run.annotations == []
    assert "No findings in 2 files." in run.summary
    assert "| Code |" not in run.summary
    assert _sarif(run)["runs"][0]["results"] == []


def test_caps_most_severe_first_then_one_notice(act, crowded):
    run = act(crowded)
    assert run.exit_code == 1, run.log
    assert run.outputs["findings"] == "48"
    levels = _levels(run)
    assert levels == {"error": 10, "warning": 10, "notice": 1}
    assert len(run.annotations) <= 50
    last = run.annotations[-1]
    assert last.level == "notice"
    assert last.message == (
        "28 more findings not shown as annotations; see the job summary or SARIF"
    )
    # Every finding is in the summary table and in the SARIF.
    assert run.summary.count("\n| [RUV") == 48
    assert len(_sarif(run)["runs"][0]["results"]) == 48
    # Per step, as GitHub counts them.
    for step in run.steps:
        per_level = Counter(a.level for a in step.annotations)
        assert all(n <= 10 for n in per_level.values())


def test_fail_on_never_reports_and_passes(act, ray_job):
    run = act(ray_job, fail_on="never")
    assert run.exit_code == 0, run.log
    assert run.outputs["findings"] == "3" and run.outputs["exit-code"] == "0"
    assert len(run.annotations) == 3


def test_annotations_and_summary_can_be_switched_off(act, ray_job, tmp_path):
    sarif = tmp_path / "out" / "report.sarif"
    run = act(ray_job, annotations="false", summary="false", sarif_file=str(sarif))
    assert run.exit_code == 1
    assert run.annotations == []
    assert run.summary == ""
    assert run.outputs["sarif-file"] == str(sarif)
    assert len(json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]) == 3


def test_args_select_and_path(act, crowded):
    run = act(crowded, path="svc03", args="--select RUV101,RUV102")
    assert run.outputs["findings"] == "2", run.log
    assert {a.properties["file"] for a in run.annotations} == {"svc03/Dockerfile"}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"fail_on": "sometimes"}, "input fail-on: 'sometimes' is not one of"),
        ({"annotations": "yes"}, "input annotations: 'yes' is neither true nor false"),
        ({"args": "--select 'RUV1"}, "input args: No closing quotation"),
        ({"dockerfile": "Dockerfile"}, "input dockerfile: it only applies to an image"),
    ],
)
def test_bad_inputs_are_one_line_and_exit_2(act, clean, inputs, message):
    run = act(clean, **inputs)
    assert run.exit_code == 2
    assert run.failed_step.name == "Run uvray"
    errors = [a for a in run.annotations if a.level == "error"]
    assert len(errors) == 1 and errors[0].message.startswith(message), run.log
    assert "Traceback" not in run.log


def test_inputs_are_data_not_shell(act, clean, tmp_path):
    marker = tmp_path / "pwned"
    run = act(clean, args=f"--select $(touch {marker}) `touch {marker}`; touch {marker}")
    assert not marker.exists()
    # uvray got the words as they are and refused them as rule codes: a usage error.
    assert run.outputs["exit-code"] == "2", run.log
    assert run.outputs["errors"] == "1"
    assert "Traceback" not in run.log


def test_a_newline_in_an_input_cannot_become_a_workflow_command(act, clean):
    run = act(clean, args="'RUV1\n::warning title=x::injected'")
    # One error, from the action, quoting uvray's first error line: the rest is not obeyed.
    assert [(a.level, a.message) for a in run.annotations] == [
        ("error", "uvray: error: unrecognized arguments: RUV1")
    ], run.log
    assert run.outputs["exit-code"] == "2"


def test_image_run_adds_to_the_same_outputs(act, ray_job):
    """`image` runs `uvray image` after the check. No such image exists here, so it is an input
    error (exit 2) whether or not an engine is running; the check's findings stay reported."""
    run = act(ray_job, image="uvray-test/no-such-image:never")
    assert run.outputs["exit-code"] == "2", run.log
    assert run.outputs["findings"] == "3"
    assert int(run.outputs["errors"]) >= 1
    assert "$ uvray image uvray-test/no-such-image:never" in run.log
    assert len(_sarif(run)["runs"][0]["results"]) == 3
    assert len(_sarif(run)["runs"]) == 1


def test_version_input_is_checked_before_pip(tmp_path):
    run = harness.run_action(
        REPO,
        {"python": sys.executable, "version": "1.0 --index-url http://evil.example"},
        tmp_path,
        tmp_path / "temp",
        only={"install"},
    )
    assert run.exit_code == 2
    assert [a.message for a in run.annotations] == [
        "input version: '1.0 --index-url http://evil.example' is not a release number such as 1.2.0"
    ]


def test_missing_python_is_one_line(tmp_path):
    run = harness.run_action(
        REPO, {"python": "no-such-python3"}, tmp_path, tmp_path / "temp", only={"install"}
    )
    assert run.exit_code == 2
    assert [a.message for a in run.annotations] == ["input python: no such interpreter on PATH"]


# --- with a real image (a real engine; skipped without one, failing under CI=true) -------------

from ..image.conftest import docker, image  # noqa: E402, F401  (the engine and image fixtures)


def test_image_findings_join_the_same_reports(act, clean, image):  # noqa: F811
    tag = image("small", "tmp-leftover")
    run = act(clean, image=tag)
    assert f"$ uvray image {tag}" in run.log, run.log
    assert run.outputs["exit-code"] == "1"
    assert int(run.outputs["findings"]) >= 1
    sarif = _sarif(run)
    assert len(sarif["runs"]) == 1
    assert "RUV603" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert f"## uvray image {tag}" in run.summary.replace("\\", "")
    assert any(a.properties.get("title") == "uvray (RUV603)" for a in run.annotations)


def test_image_run_gets_what_the_check_left_of_the_caps(act, crowded, image):  # noqa: F811
    # The check fills the error and warning caps and uses one notice; the image's finding must
    # not push the step past 10 per level: it is counted in a second notice instead.
    run = act(crowded, image=image("small", "tmp-leftover"))
    step = next(s for s in run.steps if s.name == "Run uvray")
    per_level = Counter(a.level for a in step.annotations)
    assert per_level["error"] == 10 and per_level["warning"] == 10, run.log
    assert per_level["notice"] == 2
    notices = [a.message for a in step.annotations if a.level == "notice"]
    assert notices[0].startswith("28 more findings")
    assert notices[1].startswith("1 more finding not shown")
    assert int(run.outputs["findings"]) == 48 + 1
