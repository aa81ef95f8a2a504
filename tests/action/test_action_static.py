"""action.yml and this repository's workflows, read as files: schema-valid, quiet under zizmor
(regular and pedantic), and holding the security properties the action promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

ACTION = REPO / "action.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SCRIPTS = [REPO / "action" / "run.py"]
# A full commit SHA and a version comment: `uses: owner/repo@<40 hex> # v1.2.3`.
PINNED = re.compile(r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$")


def _tool(name: str) -> list[str]:
    """The tool from the test environment; missing means skip here, fail under CI."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found:
        return [found]
    reason = f"{name} is not installed (pip install -e '.[test]')"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _run_steps(doc: dict) -> list[dict]:
    if "runs" in doc:
        return [s for s in doc["runs"]["steps"] if "run" in s]
    return [s for job in doc["jobs"].values() for s in job.get("steps", []) if "run" in s]


def _docs() -> list[tuple[Path, dict]]:
    return [
        (path, yaml.safe_load(path.read_text(encoding="utf-8"))) for path in [ACTION, *WORKFLOWS]
    ]


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "uvray.yml"}


def test_action_metadata_schema():
    out = subprocess.run(
        [*_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_workflow_schema():
    out = subprocess.run(
        [*_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
        + [str(p) for p in WORKFLOWS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_schema_check_can_fail(tmp_path):
    broken = tmp_path / "action.yml"
    broken.write_text("name: x\nruns:\n  using: composite\n", encoding="utf-8")  # no description
    out = subprocess.run(
        [*_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1


@pytest.mark.parametrize("persona", [[], ["--pedantic"]], ids=["regular", "pedantic"])
def test_zizmor_reports_nothing(persona):
    out = subprocess.run(
        [*_tool("zizmor"), "--offline", "--no-progress", *persona, str(ACTION)]
        + [str(p) for p in WORKFLOWS],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No findings to report" in out.stdout


def test_zizmor_would_catch_the_naive_action(tmp_path):
    # The mistakes this action avoids, so a zizmor that audits nothing cannot pass the test above.
    bad = tmp_path / "action.yml"
    bad.write_text(
        "name: bad\ndescription: bad\ninputs:\n  image:\n    description: x\n"
        "runs:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: echo ${{ inputs.image }}\n"
        "    - uses: github/codeql-action/upload-sarif@v4\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [*_tool("zizmor"), "--offline", "--no-progress", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    for audit in ("template-injection", "unpinned-uses"):
        assert audit in out.stdout


def test_no_expression_inside_any_run_script():
    for path, doc in _docs():
        for step in _run_steps(doc):
            assert "${{" not in step["run"], f"{path.name}: {step.get('name')}"


def test_every_input_reaches_a_step_through_env():
    doc = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    mapped = " ".join(str(v) for s in doc["runs"]["steps"] for v in (s.get("env") or {}).values())
    for name in doc["inputs"]:
        assert f"${{{{ inputs.{name} }}}}" in mapped, name


def test_scripts_are_located_with_github_action_path():
    doc = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    runs = [s["run"] for s in _run_steps(doc)]
    assert sum('"${GITHUB_ACTION_PATH}/action/run.py"' in r for r in runs) == 2
    assert all(s.get("shell") == "bash" for s in doc["runs"]["steps"])


def test_nothing_writes_github_env_or_path():
    texts = [p.read_text(encoding="utf-8") for p in [ACTION, *WORKFLOWS, *SCRIPTS]]
    for text in texts:
        assert "GITHUB_ENV" not in text
        assert "GITHUB_PATH" not in text


def test_uses_are_pinned_by_sha_with_a_version_comment():
    seen = 0
    for path in [ACTION, *WORKFLOWS]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.match(r"^\s*-?\s*uses:", line):
                if re.search(r"uses:\s*\./", line):
                    continue  # this repository's own action
                assert PINNED.match(line), f"{path.name}: {line.strip()}"
                seen += 1
    assert seen >= 4


def test_checkouts_keep_no_credentials_and_permissions_are_minimal():
    for path in WORKFLOWS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["permissions"] == {}, path.name
        for job in doc["jobs"].values():
            assert set(job["permissions"]) <= {"contents", "security-events"}
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


def test_sarif_upload_is_guarded_for_forks():
    doc = yaml.safe_load((REPO / ".github" / "workflows" / "uvray.yml").read_text(encoding="utf-8"))
    (job,) = doc["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    upload = next(s for s in job["steps"] if "upload-sarif" in str(s.get("uses")))
    assert "head.repo.full_name == github.repository" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.uvray.outputs.sarif-file }}"
