"""`uvray check --fix` on the fixable rules' bad fixtures, as written and mutated:

* a file that read without errors before the fix reads without errors after it (the fix never
  breaks a file; "reads" is what the whole check reports, with the case's own uvray.toml);
* a second `--fix` on the fixed repository changes no byte (fixes are idempotent);
* files no fix touched keep every byte.

The CLI runs on temporary copies, in-process, so each example costs a few checks (~20 ms each).
"""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.corpus import FIXTURES, MUTATION, apply_mutations
from tests.fuzz.settings import fuzz
from tests.fuzz.test_pipeline import _NOT_INPUT, assert_one_json_report, case_files, run_check

FIXABLE = ("RUV209", "RUV211", "RUV215", "RUV301", "RUV303", "RUV401", "RUV402", "RUV403")
FIXABLE += ("RUV404", "RUV407", "RUV409", "RUV501")


@cache
def fixable_cases() -> tuple[Path, ...]:
    return tuple(
        case
        for code in FIXABLE
        for case in sorted((FIXTURES / code / "bad").iterdir())
        if case.is_dir() and not (case / "xfail.txt").exists()
    )


@st.composite
def fix_example(draw) -> tuple[Path, dict[str, bytes], bool]:
    """A fixable case, new contents for zero to two of its files, and --unsafe-fixes or not.
    Few, mostly line-level mutations: the property is about files that still parse."""
    case = draw(st.sampled_from(fixable_cases()))
    files = case_files(case)
    chosen = draw(st.lists(st.sampled_from(files), max_size=2, unique=True))
    changes = {}
    for name in chosen:
        mutations = draw(st.lists(MUTATION, min_size=1, max_size=2))
        changes[name] = apply_mutations((case / name).read_bytes(), mutations)
    return case, changes, draw(st.booleans())


def snapshot(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in repo.rglob("*") if p.is_file()}


def unreadable(repo: Path) -> set[str]:
    """Paths the whole check reports an input error for."""
    report = assert_one_json_report(*run_check(repo))
    return {e["path"] for e in report["errors"]}


def fix(repo: Path, unsafe: bool) -> None:
    flags = ["--fix", "--unsafe-fixes"] if unsafe else ["--fix"]
    rc, _out, err = run_check(repo, *flags)
    assert rc in (0, 2), err
    assert "Traceback" not in err, err


def check_fix_properties(case: Path, changes: dict[str, bytes], unsafe: bool, tmp: str) -> None:
    repo = Path(tmp) / case.name
    shutil.copytree(case, repo, ignore=shutil.ignore_patterns(*_NOT_INPUT), symlinks=True)
    for name, data in changes.items():
        (repo / name).write_bytes(data)
    before = snapshot(repo)
    broken_before = unreadable(repo)
    fix(repo, unsafe)
    after = snapshot(repo)
    changed = {p for p in after if after[p] != before.get(p)}
    assert set(before) <= set(after), "a fix deleted a file"
    newly_broken = (unreadable(repo) - broken_before) & changed
    assert not newly_broken, {p: after[p].decode("utf-8", "replace") for p in newly_broken}
    fix(repo, unsafe)
    again = snapshot(repo)
    assert again == after, {
        p: (after.get(p, b"").decode("utf-8", "replace"), again[p].decode("utf-8", "replace"))
        for p in again
        if again[p] != after.get(p)
    }


@fuzz(80)
@given(fix_example())
def test_fix_keeps_files_readable_and_is_idempotent(example) -> None:
    case, changes, unsafe = example
    with tempfile.TemporaryDirectory() as tmp:
        check_fix_properties(case, changes, unsafe, tmp)


def test_every_fixable_case_unmutated() -> None:
    """The properties on every fixable bad case as written (80-odd cases, ~5 s CPU) with
    --unsafe-fixes (a superset of the safe fixes; the property test above draws both), and the
    fix really changes something in each case that has a fixed/."""
    assert len({c.parent.parent.name for c in fixable_cases()}) == len(FIXABLE)
    for case in fixable_cases():
        with tempfile.TemporaryDirectory() as tmp:
            check_fix_properties(case, {}, True, tmp)
            if (case / "fixed").is_dir():
                repo = Path(tmp) / case.name
                assert snapshot(repo) != {
                    p.relative_to(case).as_posix(): p.read_bytes()
                    for p in case.rglob("*")
                    if p.is_file() and not set(p.relative_to(case).parts) & {*_NOT_INPUT}
                }, case
