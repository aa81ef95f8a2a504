"""`uvray check --fix / --unsafe-fixes / --diff` on real files: what is written, what is not,
exit codes and output. Per-rule fixes are checked against each fixture's fixed/ directory in
tests/rules/test_fixtures.py; this file is about the fixer itself."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest

from uvray import engine, fixer
from uvray.cli import main
from uvray.config import build
from uvray.edits import Edit
from uvray.findings import Finding, Location, Severity
from uvray.registry import all_rules, rule_modules
from uvray.rules import RuleMeta

CACHE_RUN = (
    "FROM python:3.12-slim\n"
    "COPY --from=ghcr.io/astral-sh/uv:0.8.15 /uv /uvx /bin/\n"
    "WORKDIR /app\n"
    "RUN --mount=type=cache,target=/root/.cache/uv \\\n"
    "    uv pip install --system six\n"
)
FIXED_CACHE_RUN = CACHE_RUN.replace("RUN --mount", "ENV UV_LINK_MODE=copy\nRUN --mount", 1)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    return root


def test_fix_writes_and_reports_and_exits_1(tmp_path: Path, capsys) -> None:
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    assert main(["check", str(tmp_path), "--fix", "--select", "RUV402"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Fixed RUV402 in Dockerfile:5"
    assert "All checks passed" in out
    assert (tmp_path / "Dockerfile").read_text() == FIXED_CACHE_RUN
    # Nothing left to fix: a second run is clean and writes nothing.
    assert main(["check", str(tmp_path), "--fix", "--select", "RUV402"]) == 0
    assert "Fixed" not in capsys.readouterr().out


def test_exit_zero_with_fixes(tmp_path: Path, capsys) -> None:
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    assert main(["check", str(tmp_path), "--fix", "--exit-zero", "--select", "RUV402"]) == 0
    assert (tmp_path / "Dockerfile").read_text() == FIXED_CACHE_RUN


def test_diff_writes_nothing(tmp_path: Path, capsys) -> None:
    write(tmp_path, {"Dockerfile": CACHE_RUN + "COPY . .\n", "pyproject.toml": ""})
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["check", str(tmp_path), "--diff", "--select", "RUV402,RUV403"]) == 1
    captured = capsys.readouterr()
    assert "--- a/Dockerfile\n+++ b/Dockerfile\n" in captured.out
    assert "+ENV UV_LINK_MODE=copy\n" in captured.out
    # A file the fix would create is shown as new.
    assert "--- /dev/null\n+++ b/.dockerignore\n@@ -0,0 +1 @@\n+.venv\n" in captured.out
    assert "Would fix 2 findings." in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "Dockerfile").read_text() == CACHE_RUN + "COPY . .\n"


def test_diff_without_fixes_exits_0(tmp_path: Path, capsys) -> None:
    write(tmp_path, {"Dockerfile": FIXED_CACHE_RUN})
    assert main(["check", str(tmp_path), "--diff", "--select", "RUV402"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "No fixes available." in captured.err


def test_guarded_fix_needs_unsafe_fixes(tmp_path: Path, capsys) -> None:
    files = {
        "Dockerfile": (
            "FROM python:3.11-slim\n"
            "COPY --from=ghcr.io/astral-sh/uv:0.5.4 /uv /uvx /bin/\n"
            "ENV UV_FROZEN=1 UV_NO_SYNC=1\n"
            "RUN uv run python -c pass\n"
        )
    }
    write(tmp_path, files)
    assert main(["check", str(tmp_path), "--fix", "--select", "RUV303"]) == 1
    out = capsys.readouterr().out
    assert "Fixed" not in out
    assert "1 more with `--unsafe-fixes`" in out
    assert (tmp_path / "Dockerfile").read_text() == files["Dockerfile"]
    # --unsafe-fixes alone implies --fix.
    assert main(["check", str(tmp_path), "--unsafe-fixes", "--select", "RUV303"]) == 1
    assert "Fixed RUV303 in Dockerfile:4" in capsys.readouterr().out
    assert "ENV UV_NO_SYNC=1\n" in (tmp_path / "Dockerfile").read_text()


def test_machine_formats_keep_stdout_one_document(tmp_path: Path, capsys) -> None:
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    assert main(["check", str(tmp_path), "--fix", "--format", "json", "--select", "RUV402"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["findings"] == []
    assert "Fixed RUV402 in Dockerfile:5" in captured.err


def test_json_says_which_findings_are_fixable(tmp_path: Path, capsys) -> None:
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    main(["check", str(tmp_path), "--format", "json", "--select", "RUV402", "--exit-zero"])
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["fix_applicability"] == "safe"


def test_crlf_bom_and_mode_are_kept(tmp_path: Path, capsys) -> None:
    data = b"\xef\xbb\xbf" + CACHE_RUN.replace("\n", "\r\n").encode()
    write(tmp_path, {"Dockerfile": data})
    os.chmod(tmp_path / "Dockerfile", 0o640)
    assert main(["check", str(tmp_path), "--fix", "--select", "RUV402"]) == 1
    after = (tmp_path / "Dockerfile").read_bytes()
    assert after == b"\xef\xbb\xbf" + FIXED_CACHE_RUN.replace("\n", "\r\n").encode()
    assert stat.S_IMODE(os.stat(tmp_path / "Dockerfile").st_mode) == 0o640
    # No temporary file left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


def test_symlinked_file_is_written_through(tmp_path: Path, capsys) -> None:
    write(tmp_path, {"docker/Dockerfile.real": CACHE_RUN})
    (tmp_path / "Dockerfile").symlink_to("docker/Dockerfile.real")
    assert main(["check", str(tmp_path), "--fix", "--select", "RUV402"]) == 1
    assert (tmp_path / "Dockerfile").is_symlink()
    assert (tmp_path / "docker/Dockerfile.real").read_text() == FIXED_CACHE_RUN


def _check_callable(root: Path, rules=None, modules=None):
    from uvray import discover

    files = discover.list_files(str(root))
    scope, _ = engine.resolve_targets(str(root), [])
    config = build({}, None, set(all_rules()))
    rules = rules or all_rules()
    modules = modules or rule_modules()
    return lambda overlay=None: engine.run(str(root), files, scope, config, rules, modules, overlay)


def test_file_changed_on_disk_is_not_written(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    rules = all_rules()
    result = fixer.fix(_check_callable(tmp_path), str(tmp_path), rules, unsafe=False)
    assert result.changed == ["Dockerfile"]
    # Someone edits the file after uvray read it and before it writes.
    (tmp_path / "Dockerfile").write_text(CACHE_RUN + "# edited\n")
    errors = fixer.write(str(tmp_path), result)
    assert [e.path for e in errors] == ["Dockerfile"]
    assert "changed on disk" in errors[0].message
    assert (tmp_path / "Dockerfile").read_text() == CACHE_RUN + "# edited\n"


def test_created_file_that_appeared_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nCOPY . /app\n", "pyproject.toml": ""})
    result = fixer.fix(_check_callable(tmp_path), str(tmp_path), all_rules(), unsafe=False)
    assert result.originals[".dockerignore"] is None
    (tmp_path / ".dockerignore").write_text("node_modules\n")
    errors = fixer.write(str(tmp_path), result)
    assert [e.path for e in errors] == [".dockerignore"]
    assert (tmp_path / ".dockerignore").read_text() == "node_modules\n"


def test_cli_reports_a_refused_write_with_exit_2(tmp_path: Path) -> None:
    """A real race: a second process rewrites the file while uvray fixes it. Whatever the
    interleaving, the file ends as one of the two complete texts, never a mix."""
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    results = set()
    for _ in range(3):
        (tmp_path / "Dockerfile").write_text(CACHE_RUN)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "hooks")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvray", "check", str(tmp_path), "--fix", "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        (tmp_path / "Dockerfile").write_text(CACHE_RUN + "# other writer\n")
        out, err = proc.communicate(timeout=60)
        text = (tmp_path / "Dockerfile").read_text()
        assert text in (
            CACHE_RUN + "# other writer\n",
            FIXED_CACHE_RUN,
            FIXED_CACHE_RUN + "# other writer\n",
        ), text
        if proc.returncode == 2:
            assert b"changed on disk since uvray read it" in out + err
        results.add(proc.returncode)
    assert results <= {0, 1, 2}


def test_two_fixers_at_once_never_corrupt(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "hooks")}
    for _ in range(3):
        write(tmp_path, {"Dockerfile": CACHE_RUN, "sub/Dockerfile": CACHE_RUN})
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "uvray", "check", str(tmp_path), "--fix", "-q"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            for _ in range(2)
        ]
        codes = [p.wait(timeout=60) for p in procs]
        # Both fix (1), or the later one finds nothing left (0). A file the other process has
        # already written with the same fix is no conflict.
        assert all(code in (0, 1) for code in codes), codes
        for name in ("Dockerfile", "sub/Dockerfile"):
            assert (tmp_path / name).read_text() == FIXED_CACHE_RUN
        leftovers = [p.name for p in tmp_path.rglob(".uvray-fix-*")]
        assert leftovers == []


# A rule written for these tests: real engine and fixer, an edit that breaks the Dockerfile.
BREAKER = RuleMeta(
    code="RUV002",  # borrowed code: the registry must know it for suppressions and reports
    name="breaker",
    severity=Severity.WARNING,
    summary="test rule",
    fix="safe",
    doc="test\n",
)


def _breaker_check(repo, facts):
    for df in repo.dockerfiles:
        text = repo.texts[df.path]
        # An unterminated heredoc cannot be read.
        yield Finding(
            "RUV002",
            "breaks",
            Location(df.path, 1),
            Severity.WARNING,
            edits=(Edit(df.path, len(text), len(text), "RUN <<EOF\n"),),
        )


def test_fix_that_would_not_parse_is_not_applied(tmp_path: Path) -> None:
    from uvray.model import parse_errors

    assert parse_errors("Dockerfile", CACHE_RUN + "RUN <<EOF\n"), "the edit must break the file"
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    module = types.SimpleNamespace(META=BREAKER, check=_breaker_check)
    rules = {**all_rules(), "RUV002": BREAKER}
    check = _check_callable(tmp_path, rules, [module])
    result = fixer.fix(check, str(tmp_path), rules, unsafe=False)
    assert result.applied == []
    assert result.changed == []
    assert [why for _, why in result.skipped] == ["the fixed Dockerfile would not parse"]


def test_overlapping_fixes_take_two_rounds(tmp_path: Path, capsys) -> None:
    # RUV401 rewrites the ENV value; RUV403 creates .dockerignore: different files, one round.
    # Two findings sharing one identical edit (RUV402 twice in one stage) apply it once.
    write(
        tmp_path,
        {
            "Dockerfile": (
                "FROM python:3.12-slim\n"
                "COPY --from=ghcr.io/astral-sh/uv:0.8.15 /uv /uvx /bin/\n"
                "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system six\n"
                "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system attrs\n"
            )
        },
    )
    assert main(["check", str(tmp_path), "--fix", "--select", "RUV402"]) == 1
    out = capsys.readouterr().out
    assert out.count("Fixed RUV402") == 2
    assert (tmp_path / "Dockerfile").read_text().count("ENV UV_LINK_MODE=copy") == 1


@pytest.mark.parametrize("flag", ["--fix", "--diff"])
def test_fix_respects_suppressions_and_scope(tmp_path: Path, flag: str, capsys) -> None:
    suppressed = CACHE_RUN.replace("RUN --mount", "# uvray: ignore[RUV402]\nRUN --mount", 1)
    write(tmp_path, {"Dockerfile": suppressed, "other/Dockerfile": CACHE_RUN})
    main(["check", str(tmp_path / "other" / "Dockerfile"), flag, "--select", "RUV402"])
    capsys.readouterr()
    assert (tmp_path / "Dockerfile").read_text() == suppressed
    expected = FIXED_CACHE_RUN if flag == "--fix" else CACHE_RUN
    assert (tmp_path / "other/Dockerfile").read_text() == expected


def _crashing_check(repo, facts):
    raise ValueError("no path specified")
    yield  # a generator, like every rule


def test_a_crashing_rule_is_one_line_and_exit_2_not_a_traceback(
    tmp_path: Path, monkeypatch
) -> None:
    from uvray.report import text

    monkeypatch.delenv("UVRAY_DEBUG", raising=False)
    write(tmp_path, {"Dockerfile": CACHE_RUN})
    crashing = types.SimpleNamespace(META=BREAKER, check=_crashing_check)
    rules = {**all_rules(), "RUV002": BREAKER}
    modules = [crashing, *[m for m in rule_modules() if m.META.code == "RUV402"]]
    report = _check_callable(tmp_path, rules, modules)()
    # The other rule still reports.
    assert [f.code for f in report.findings] == ["RUV402"]
    (error,) = report.errors
    assert error.render().startswith(
        "uvray: error: internal error in rule RUV002 (ValueError: no path specified)"
    )
    assert "Traceback" not in text.render(report)
    monkeypatch.setenv("UVRAY_DEBUG", "1")
    with pytest.raises(ValueError):
        _check_callable(tmp_path, rules, modules)()
