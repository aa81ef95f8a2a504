"""Every rule against its fixtures: tests/rules/fixtures/<CODE>/{bad,good}/<case>/ are mini repos.

A case with `xfail.txt` documents a known bug (strict xfail: it fails the suite once fixed).
A bad case holds `expected.txt`: one line per finding of that code, `<path>:<line> <severity>`,
optionally followed by ` ~ <text the message must contain>`. A good case must produce no finding
of that code. Good cases named `trap-N-…` are the false-positive traps of domain.md §5.
Extra settings for a case go in its own `uvray.toml` (build-args, ray-version, …).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from uvray.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def _cases():
    for code_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for kind in ("bad", "good"):
            folder = code_dir / kind
            if not folder.is_dir():
                continue
            for case in sorted(p for p in folder.iterdir() if p.is_dir()):
                marks = []
                if (case / "xfail.txt").exists():
                    reason = (case / "xfail.txt").read_text().strip()
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                yield pytest.param(
                    code_dir.name, kind, case, id=f"{code_dir.name}-{kind}-{case.name}", marks=marks
                )


def run_case(code: str, case: Path, tmp_path: Path, capsys) -> list[dict]:
    repo = tmp_path / case.name
    shutil.copytree(case, repo, ignore=shutil.ignore_patterns("expected.txt", "xfail.txt", "fixed"))
    rc = main(["check", str(repo), "--format", "json", "--exit-zero"])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert rc == 0, f"uvray exited {rc}; errors: {report['errors']}"
    assert report["errors"] == [], report["errors"]
    return [f for f in report["findings"] if f["code"] == code]


def parse_expected(text: str) -> list[tuple[str, int, str, str | None]]:
    expected = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, needle = line.partition(" ~ ")
        where, severity = head.split()
        path, _, lineno = where.rpartition(":")
        expected.append((path, int(lineno), severity, needle.strip() or None))
    return expected


@pytest.mark.parametrize(("code", "kind", "case"), list(_cases()))
def test_fixture(code: str, kind: str, case: Path, tmp_path: Path, capsys) -> None:
    findings = run_case(code, case, tmp_path, capsys)
    got = sorted((f["path"], f["line"], f["severity"]) for f in findings)
    if kind == "good":
        assert got == [], "\n".join(f"{f['path']}:{f['line']} {f['message']}" for f in findings)
        return
    expected = parse_expected((case / "expected.txt").read_text())
    assert got == sorted((p, n, s) for p, n, s, _ in expected), "\n".join(
        f"{f['path']}:{f['line']} {f['severity']} {f['message']}" for f in findings
    )
    for path, line, _sev, needle in expected:
        if needle is None:
            continue
        message = next(f["message"] for f in findings if (f["path"], f["line"]) == (path, line))
        assert needle in message, message


def test_every_rule_has_bad_and_good_fixtures() -> None:
    """Repository rules; the image rules (RUV6xx) are tested on real environments instead."""
    from uvray.registry import rule_modules

    missing = []
    for code in (m.META.code for m in rule_modules()):
        for kind in ("bad", "good"):
            folder = FIXTURES / code / kind
            if not folder.is_dir() or not any(p.is_dir() for p in folder.iterdir()):
                missing.append(f"{code}/{kind}")
    assert missing == []


# --- fixes: every bad case whose finding carries edits holds fixed/, the files after --fix ------


def _fix_cases():
    for code, kind, case in (p.values for p in _cases()):
        if kind == "bad":
            yield pytest.param(code, case, id=f"{code}-fix-{case.name}")


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.mark.parametrize(("code", "case"), list(_fix_cases()))
def test_fix(code: str, case: Path, tmp_path: Path, capsys) -> None:
    """--fix (with --unsafe-fixes, only this rule) turns the case into fixed/ byte for byte,
    touches nothing else, silences the rule, and a second --fix changes nothing."""
    repo = tmp_path / case.name
    shutil.copytree(case, repo, ignore=shutil.ignore_patterns("expected.txt", "xfail.txt", "fixed"))
    before = _snapshot(repo)
    args = ["check", str(repo), "--select", code, "--unsafe-fixes", "--quiet"]
    main([*args, "--diff"])
    diff = capsys.readouterr().out
    fixed = case / "fixed"
    if not fixed.is_dir():
        assert diff == "", f"{case.name}: the fix changes files; add fixed/ with the result"
        return
    assert diff, f"{case.name}: has fixed/ but no fix applies"
    rc = main(args)
    out = capsys.readouterr().out
    assert rc == 1, out
    assert f"Fixed {code} in " in out
    after = _snapshot(repo)
    expected = dict(before)
    expected.update(_snapshot(fixed))
    assert after.keys() == expected.keys()
    for path, data in expected.items():
        assert after[path] == data, f"{path} after --fix:\n{after[path].decode(errors='replace')}"
    # Re-checked: the rule no longer fires; a second --fix is a no-op.
    assert run_case(code, repo, tmp_path / "again", capsys) == []
    assert main(args) == 0
    assert "Fixed" not in capsys.readouterr().out
    assert _snapshot(repo) == after


def test_every_fixable_rule_has_a_fixed_fixture() -> None:
    from uvray.registry import all_rules

    missing = [
        code
        for code, meta in all_rules().items()
        if meta.fix and not any((FIXTURES / code / "bad").glob("*/fixed"))
    ]
    assert missing == []


def test_no_fixture_file_is_ignored_by_git() -> None:
    """A fixture's own .gitignore applies to the uvray repository too: a file it ignores would
    be missing from every clone (CI) while present here. Such files must be added with -f."""
    import subprocess

    root = FIXTURES.parents[2]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", str(FIXTURES)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [p for p in listed if "__pycache__" not in p] == []
