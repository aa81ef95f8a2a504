"""Fixtures for the action tests: one install of uvray through the action's own install step per
session, and workspaces (a git checkout, as on a runner) to run the action's steps in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from . import harness

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "ray-job"
GITHUB = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "uvray/action-test",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
}
PYPROJECT = '[project]\nname = "clean"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'


def checkout(root: Path) -> Path:
    """Make root a git work tree with every file staged, like actions/checkout leaves it."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A", "-f"], check=True)
    return root


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The install step's outputs, after it ran once for real (pip builds uvray from the
    action's copy into a venv under RUNNER_TEMP)."""
    temp = tmp_path_factory.mktemp("runner-temp-install")
    workspace = tmp_path_factory.mktemp("workspace-install")
    run = harness.run_action(REPO, {"python": sys.executable}, workspace, temp, only={"install"})
    assert run.exit_code == 0, run.log
    return run.steps[0].outputs


@pytest.fixture
def act(installed: dict[str, str], tmp_path: Path) -> Callable[..., harness.ActionRun]:
    """`act(workspace, **inputs)`: the action's steps after install, with those `with:` inputs
    (underscores stand for dashes) and a fresh RUNNER_TEMP."""
    counter = iter(range(1000))

    def run(workspace: Path, **with_: str) -> harness.ActionRun:
        inputs = {key.replace("_", "-"): value for key, value in with_.items()}
        inputs.setdefault("python", sys.executable)
        temp = tmp_path / f"runner-temp-{next(counter)}"
        return harness.run_action(
            REPO, inputs, workspace, temp, github=GITHUB, preset={"install": installed}
        )

    return run


@pytest.fixture
def ray_job(tmp_path: Path) -> Path:
    """examples/ray-job as its own repository: the seed pattern of ray-project/ray#51881."""
    root = tmp_path / "ray-job"
    shutil.copytree(EXAMPLE, root)
    return checkout(root)


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    root = tmp_path / "clean"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim\nCOPY pyproject.toml /app/\n", encoding="utf-8"
    )
    return checkout(root)


@pytest.fixture
def crowded(tmp_path: Path) -> Path:
    """More findings than annotations fit: 12 copies of the ray-job example (36 errors) and a
    Dockerfile with 12 suppressions that suppress nothing (12 warnings, RUV001)."""
    root = tmp_path / "crowded"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    for i in range(12):
        shutil.copytree(EXAMPLE, root / f"svc{i:02d}", ignore=shutil.ignore_patterns(".github"))
    lines = ["FROM python:3.11-slim"]
    for i in range(12):
        lines += ["# uvray: ignore[RUV101]", f"RUN echo {i}"]
    (root / "Dockerfile").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return checkout(root)
