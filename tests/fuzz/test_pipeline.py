"""The whole pipeline (find → read → model → facts → rules → JSON report) on a rule fixture with
some of its files mutated: never raises, always prints one valid JSON document, exits 0 or 2.

UVRAY_DEBUG=1 (tests/conftest.py) makes a rule's exception propagate instead of becoming a
one-line "internal error", so a rule that trips over a strange model fails here too.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.corpus import FIXTURES, MUTATION, apply_mutations
from tests.fuzz.settings import fuzz
from uvray.cli import main

_NOT_INPUT = ("expected.txt", "xfail.txt", "fixed")


@cache
def cases() -> tuple[Path, ...]:
    return tuple(
        case
        for code in sorted(FIXTURES.iterdir())
        for kind in ("bad", "good")
        if (code / kind).is_dir()
        for case in sorted((code / kind).iterdir())
        if case.is_dir()
    )


def case_files(case: Path) -> list[str]:
    return sorted(
        p.relative_to(case).as_posix()
        for p in case.rglob("*")
        if p.is_file() and not p.is_symlink() and not set(p.relative_to(case).parts) & {*_NOT_INPUT}
    )


@st.composite
def mutated_repo(draw) -> tuple[Path, dict[str, bytes]]:
    """A fixture case and new contents for one to three of its files."""
    case = draw(st.sampled_from(cases()))
    files = case_files(case)
    chosen = draw(st.lists(st.sampled_from(files), min_size=1, max_size=3, unique=True))
    changes = {}
    for name in chosen:
        mutations = draw(st.lists(MUTATION, min_size=1, max_size=4))
        changes[name] = apply_mutations((case / name).read_bytes(), mutations)
    return case, changes


def run_check(repo: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["check", str(repo), "--format", "json", "--exit-zero", *extra])
    return rc, out.getvalue(), err.getvalue()


# A broken config (uvray.toml, [tool.uvray]) decides what a run is: uvray stops before reading
# anything else, exits 2 with one line on stderr and prints no report, like a bad option would.
_CONFIG_ERROR = re.compile(r"uvray: error: (\S*(?:uvray|pyproject)\.toml)(?::\d+)?: ([^\n]+)\n")


def assert_one_json_report(rc: int, out: str, err: str) -> dict:
    assert rc in (0, 2), (rc, err)
    config_error = _CONFIG_ERROR.fullmatch(err) if out == "" and rc == 2 else None
    if config_error:
        path, message = config_error.groups()
        return {"findings": [], "errors": [{"path": path, "message": message}]}
    report = json.loads(out)  # one document, nothing else on stdout
    assert "Traceback" not in err, err
    for error in report["errors"]:
        assert "internal error" not in error["message"], error
        assert "\n" not in error["message"], error
    if rc == 0:
        assert report["errors"] == [], report["errors"]
    return report


@fuzz(120)
@given(mutated_repo())
def test_check_on_mutated_fixture_prints_valid_json(example) -> None:
    case, changes = example
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / case.name
        shutil.copytree(case, repo, ignore=shutil.ignore_patterns(*_NOT_INPUT), symlinks=True)
        for name, data in changes.items():
            (repo / name).write_bytes(data)
        before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
        assert_one_json_report(*run_check(repo))
        # A check (without --fix) writes nothing, whatever it read.
        assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_fixture_cases_are_seeds() -> None:
    """The property samples from hundreds of real cases, every rule's bad and good ones."""
    assert len(cases()) > 300
    assert len({c.parent.parent.name for c in cases()}) > 30
