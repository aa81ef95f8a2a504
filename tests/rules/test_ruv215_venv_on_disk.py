"""RUV215's on-disk branch: a virtual environment in the working copy that Ray would pack.

Fixture repositories cannot hold a `.venv` (the project's own .gitignore keeps it out of git),
so these cases are built in a temporary directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uvray.cli import main
from uvray.config import Config
from uvray.discover import list_files
from uvray.edits import apply_edits
from uvray.facts import Facts
from uvray.model import build_repo
from uvray.rules import ruv215_venv_uploaded_with_working_dir as rule

LOCK = """\
version = 1
revision = 2
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "ray" }]

[[package]]
name = "ray"
version = "2.53.0"
source = { registry = "https://pypi.org/simple" }
"""
PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["ray[default]==2.53.0"]
"""
WORKFLOW = """\
name: submit
on: [workflow_dispatch]
jobs:
  submit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          ray job submit --address http://ray-head:8265 --working-dir . {extra}-- uv run python main.py
"""


def _repo(tmp_path: Path, *, venv_gitignore=False, extra="", files=None) -> Path:
    root = tmp_path / "repo"
    (root / ".github/workflows").mkdir(parents=True)
    (root / ".github/workflows/submit.yml").write_text(WORKFLOW.format(extra=extra))
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "uv.lock").write_text(LOCK)
    (root / "main.py").write_text("import ray\nray.init()\n")
    # A venv made by `python -m venv` before 3.13: no .gitignore inside.
    (root / ".venv/bin").mkdir(parents=True)
    (root / ".venv/pyvenv.cfg").write_text("home = /usr/bin\n")
    if venv_gitignore:
        (root / ".venv/.gitignore").write_text("*")
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return root


def _findings(root: Path, capsys) -> list[dict]:
    main(["check", str(root), "--format", "json", "--exit-zero", "--select", "RUV215"])
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    return report["findings"]


def test_foreign_venv_on_disk_is_flagged_and_fixed(tmp_path: Path, capsys) -> None:
    root = _repo(tmp_path)
    findings = _findings(root, capsys)
    assert [(f["path"], f["line"]) for f in findings] == [(".github/workflows/submit.yml", 9)]
    assert "has no .gitignore of its own" in findings[0]["message"]

    repo = build_repo(str(root), list_files(str(root)))
    found = list(rule.check(repo, Facts(repo, Config())))
    (edit,) = found[0].edits
    assert edit.path == ".rayignore"
    assert apply_edits(repo.texts.get(edit.path, ""), [edit]) == ".venv\n"


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"venv_gitignore": True}, "made by uv: it ignores itself"),
        ({"files": {".gitignore": ".venv/\n"}}, "the working_dir's .gitignore lists it"),
        ({"files": {".rayignore": ".venv\n"}}, "Ray 2.53 reads .rayignore"),
        (
            {
                "extra": "--runtime-env runtime_env.yaml ",
                "files": {"runtime_env.yaml": "excludes:\n  - .venv\n"},
            },
            "the runtime_env's excludes list it",
        ),
    ],
)
def test_venv_left_out(tmp_path: Path, capsys, kwargs, why) -> None:
    assert _findings(_repo(tmp_path, **kwargs), capsys) == [], why
