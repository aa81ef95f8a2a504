"""The command line: `uvray rules|explain|check`, exit codes, formats, output options.

Most tests call `uvray.cli.main([...])` in-process (capsys); a few run `python -m uvray` for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from uvray import __version__, cli
from uvray.registry import all_rules, retired

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ray-job"
HOOKS = ROOT / "hooks"
ANSI = "\x1b["

# RUV301 (--locked vs UV_FROZEN) and RUV302 (no uv.lock) fire on this alone.
CONFLICT = "FROM python:3.12\nENV UV_FROZEN=1\nRUN uv sync --locked\n"
CLEAN = "FROM python:3.12\nRUN echo hello\n"


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def findings(out: str) -> list[tuple[str, int, str]]:
    return sorted((f["path"], f["line"], f["code"]) for f in json.loads(out)["findings"])


def codes(out: str) -> list[str]:
    return sorted({f["code"] for f in json.loads(out)["findings"]})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(HOOKS))
    env.pop("NO_COLOR", None)
    return env


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/ray-job as the current repository."""
    repo = tmp_path / "ray-job"
    shutil.copytree(EXAMPLE, repo)
    monkeypatch.chdir(repo)
    return repo


@pytest.fixture
def conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "repo"
    write(repo / "pyproject.toml", '[project]\nname = "x"\nversion = "0"\n')
    write(repo / "Dockerfile", CONFLICT)
    monkeypatch.chdir(repo)
    return repo


# --- rules / explain / version ----------------------------------------------------------------


def test_rules_lists_every_code_and_the_retired_ones(capsys) -> None:
    code, out, err = run(["rules"], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    listed = [line.split()[0] for line in lines]
    assert listed[: len(all_rules())] == sorted(all_rules())
    for meta in all_rules().values():
        line = next(x for x in lines if x.startswith(meta.code + " "))
        assert meta.name in line and meta.severity.label in line and meta.summary in line
    for old in ("RUV104", "RUV105"):
        line = next(x for x in lines if x.startswith(old + " "))
        assert "retired" in line
        assert retired()[old].name in line
    assert len(lines) == len(all_rules()) + len(retired())


@pytest.mark.parametrize("spelling", ["RUV101", "ruv101", " Ruv101 "])
def test_explain_prints_the_doc(capsys, spelling: str) -> None:
    meta = all_rules()["RUV101"]
    code, out, err = run(["explain", spelling], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("# RUV101 workers-resync-shared-env\n")
    assert f"**Severity:** {meta.severity.label}" in out
    assert meta.doc.strip().splitlines()[0] in out
    assert out.rstrip().endswith(meta.doc.rstrip().splitlines()[-1])


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_explain_every_rule(capsys, code: str) -> None:
    rc, out, _ = run(["explain", code], capsys)
    assert rc == 0
    assert out.startswith(f"# {code} {all_rules()[code].name}")


@pytest.mark.parametrize("code", ["RUV104", "RUV105"])
def test_explain_retired(capsys, code: str) -> None:
    rc, out, _ = run(["explain", code], capsys)
    assert rc == 0
    assert out.startswith(f"# {code} ")
    assert "not be reused" in out


@pytest.mark.parametrize("code", ["RUV999", "E501", ""])
def test_explain_unknown_code(capsys, code: str) -> None:
    rc, out, err = run(["explain", code], capsys)
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("uvray: error: unknown rule code")


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"uvray {__version__}"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["check", "--format", "xml"], id="bad-format"),
        pytest.param(["check", "--fail-on", "style"], id="bad-fail-on"),
        pytest.param(["check", "--no-such-option"], id="unknown-option"),
        pytest.param(["explain"], id="explain-without-code"),
    ],
)
def test_argparse_errors_exit_2(capsys, args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


# --- check: exit codes ------------------------------------------------------------------------


def test_exit_0_when_clean(tmp_path: Path, monkeypatch, capsys) -> None:
    write(tmp_path / "Dockerfile", CLEAN)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["check"], capsys)
    assert (code, err) == (0, "")
    assert "All checks passed" in out


def test_exit_1_with_findings(conflict: Path, capsys) -> None:
    code, out, _ = run(["check", "--format", "json"], capsys)
    assert code == 1
    assert findings(out) == [("Dockerfile", 3, "RUV301"), ("Dockerfile", 3, "RUV302")]


def test_exit_2_with_an_input_error_even_with_findings(conflict: Path, capsys) -> None:
    write(conflict / "docker" / "Dockerfile", "FROM x\nFOO bar\n")
    code, out, _ = run(["check", "--no-show-source"], capsys)
    assert code == 2
    assert "docker/Dockerfile:2: error: unknown instruction FOO" in out.splitlines()
    assert "Dockerfile:3:1: RUV301" in out  # the good file is still checked


def test_exit_zero_keeps_input_errors(conflict: Path, capsys) -> None:
    assert run(["check", "--exit-zero"], capsys)[0] == 0
    write(conflict / "docker" / "Dockerfile", "FROM x\nRUN <<EOF\n")
    assert run(["check", "--exit-zero"], capsys)[0] == 2


@pytest.mark.parametrize("severity", ["error", "warning", "info"])
@pytest.mark.parametrize("fail_on", ["error", "warning", "info", "never", None])
def test_fail_on(conflict: Path, capsys, severity: str, fail_on: str | None) -> None:
    write(conflict / "uvray.toml", f'select = ["RUV301"]\nseverity = {{ RUV301 = "{severity}" }}\n')
    args = ["check", "-q"] + ([] if fail_on is None else ["--fail-on", fail_on])
    rank = {"info": 1, "warning": 2, "error": 3}
    threshold = fail_on or "warning"  # the default
    expected = 0 if threshold == "never" or rank[severity] < rank[threshold] else 1
    code, out, _ = run(args, capsys)
    assert f"RUV301 [{severity}]" in out
    assert code == expected
    assert run([*args, "--exit-zero"], capsys)[0] == 0


# --- check: selection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param([], ["RUV301", "RUV302"], id="all"),
        pytest.param(["--select", "RUV301"], ["RUV301"], id="select-code"),
        pytest.param(["--select", "RUV3"], ["RUV301", "RUV302"], id="select-prefix"),
        pytest.param(["--select", "ruv30"], ["RUV301", "RUV302"], id="select-lowercase"),
        pytest.param(["--select", "RUV1"], [], id="select-other-prefix"),
        pytest.param(["--select", "RUV101,RUV302"], ["RUV302"], id="select-comma-list"),
        pytest.param(
            ["--select", "RUV101", "--select", "RUV301"], ["RUV301"], id="select-repeated"
        ),
        pytest.param(["--ignore", "RUV302"], ["RUV301"], id="ignore-code"),
        pytest.param(["--ignore", "RUV3"], [], id="ignore-prefix"),
        pytest.param(
            ["--select", "RUV3", "--ignore", "RUV301"], ["RUV302"], id="select-and-ignore"
        ),
        pytest.param(["--select", "ALL", "--ignore", "RUV30"], [], id="all-minus-prefix"),
    ],
)
def test_select_ignore(conflict: Path, capsys, args: list[str], expected: list[str]) -> None:
    code, out, err = run(["check", "--format", "json", *args], capsys)
    assert err == ""
    assert codes(out) == expected
    assert code == (1 if expected else 0)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--select", "RUV999"], id="unknown-code"),
        pytest.param(["--select", "RUV9"], id="unknown-prefix"),
        pytest.param(["--ignore", "E501"], id="foreign-code"),
        pytest.param(["--select", "RUV1,NOPE"], id="one-bad-in-list"),
    ],
)
def test_unknown_codes_on_the_command_line(conflict: Path, capsys, args: list[str]) -> None:
    code, out, err = run(["check", *args], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("uvray: error: ")


@pytest.mark.parametrize("args", [["--select", "RUV999"], ["--build-arg", "bad"]])
def test_usage_errors_in_an_empty_directory(tmp_path: Path, monkeypatch, capsys, args) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["check", *args], capsys)[0] == 2


# --- check: formats on the example ----------------------------------------------------------------


def example_findings(capsys) -> list[tuple[str, int, str]]:
    return findings(run(["check", "--format", "json"], capsys)[1])


def test_example_findings(example: Path, capsys) -> None:
    got = example_findings(capsys)
    assert ("Dockerfile", 6, "RUV101") in got  # the headline: ray-project/ray#51881
    assert {code for _, _, code in got} >= {"RUV101", "RUV102", "RUV301"}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_formats_agree(example: Path, capsys, fmt: str) -> None:
    expected = example_findings(capsys)
    code, out, err = run(["check", "--format", fmt], capsys)
    assert (code, err) == (1, "")
    assert ANSI not in out
    if fmt == "json":
        data = json.loads(out)
        assert data["summary"]["findings"] == len(expected)
        assert data["errors"] == []
    elif fmt == "sarif":
        data = json.loads(out)
        assert data["version"] == "2.1.0"
        [sarif_run] = data["runs"]
        got = sorted(
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
                r["ruleId"],
            )
            for r in sarif_run["results"]
        )
        assert got == expected
        rule_ids = {r["id"] for r in sarif_run["tool"]["driver"]["rules"]}
        assert set(all_rules()) <= rule_ids
    elif fmt == "github":
        lines = [line for line in out.splitlines() if line.startswith("::")]
        assert len(lines) == len(expected)
        for path, line, rule in expected:
            assert any(f"file={path},line={line}," in x and f"({rule})" in x for x in lines)
    else:
        for path, line, rule in expected:
            assert f"{path}:{line}:1: {rule} " in out
        assert out.rstrip().splitlines()[-1].startswith("Found ")


def test_output_file(example: Path, tmp_path: Path, capsys) -> None:
    expected = run(["check", "--format", "json"], capsys)[1]
    before = snapshot(example)
    target = tmp_path / "report.json"
    code, out, err = run(["check", "--format", "json", "--output", str(target)], capsys)
    assert (code, out, err) == (1, "", "")
    assert target.read_text(encoding="utf-8") == expected
    assert snapshot(example) == before  # nothing else changes
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".uvray-")] == []


def test_output_file_inside_the_repo(example: Path, capsys) -> None:
    before = snapshot(example)
    code, out, _ = run(["check", "-o", "uvray.sarif", "--format", "sarif"], capsys)
    assert (code, out) == (1, "")
    after = snapshot(example)
    assert set(after) - set(before) == {"uvray.sarif"}
    assert {k: v for k, v in after.items() if k != "uvray.sarif"} == before
    json.loads((example / "uvray.sarif").read_text(encoding="utf-8"))


def test_output_to_a_missing_directory_is_a_usage_error(example: Path, capsys) -> None:
    code, out, err = run(["check", "--output", "no/such/dir/report.txt"], capsys)
    assert code == 2
    assert out == ""
    assert (
        err.startswith("uvray: error: cannot write no/such/dir/report.txt") and err.count("\n") == 1
    )


def test_output_text_has_no_colour_even_on_a_tty(
    example: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    run(["check", "--output", str(tmp_path / "r.txt")], capsys)
    assert ANSI not in (tmp_path / "r.txt").read_text(encoding="utf-8")


# --- check: text output options -------------------------------------------------------------------


def test_quiet(example: Path, capsys) -> None:
    code, out, _ = run(["check", "--quiet"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines and all(": RUV" in line for line in lines)  # findings only
    assert len(lines) == len(example_findings(capsys))


def test_quiet_when_clean_prints_nothing(tmp_path: Path, monkeypatch, capsys) -> None:
    write(tmp_path / "Dockerfile", CLEAN)
    monkeypatch.chdir(tmp_path)
    assert run(["check", "-q"], capsys)[:2] == (0, "")


def test_show_source(example: Path, capsys) -> None:
    default = run(["check"], capsys)[1]
    shown = run(["check", "--show-source"], capsys)[1]
    hidden = run(["check", "--no-show-source"], capsys)[1]
    assert default == shown
    assert "6 | ENV UV_PROJECT_ENVIRONMENT=/home/ray/default/.venv" in shown
    assert "help:" in shown and "docs:" in shown
    assert " | " not in hidden and "help:" not in hidden
    assert hidden.rstrip().splitlines()[-1].startswith("Found ")  # the summary stays
    assert len([x for x in hidden.splitlines() if ": RUV" in x]) == len(example_findings(capsys))


@pytest.mark.parametrize(
    ("tty", "no_color", "term", "colour"),
    [
        pytest.param(True, False, "xterm", True, id="tty"),
        pytest.param(True, True, "xterm", False, id="tty-NO_COLOR"),
        pytest.param(True, False, "dumb", False, id="tty-TERM-dumb"),
        pytest.param(False, False, "xterm", False, id="pipe"),
    ],
)
def test_colour(
    example: Path, capsys, monkeypatch, tty: bool, no_color: bool, term: str, colour: bool
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", term)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    out = run(["check"], capsys)[1]
    assert (ANSI in out) is colour
    for fmt in ("json", "sarif", "github"):
        assert ANSI not in run(["check", "--format", fmt], capsys)[1]


def test_no_ansi_in_a_real_pipe(example: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uvray", "check"],
        capture_output=True,
        text=True,
        env=dict(subprocess_env(), TERM="xterm"),
        timeout=60,
    )
    assert proc.returncode == 1
    assert ANSI not in proc.stdout + proc.stderr
    assert "RUV101" in proc.stdout


# --- check: build args, target ----------------------------------------------------------------


@pytest.fixture
def frozen_arg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(
        tmp_path / "Dockerfile",
        "FROM python:3.12\nARG FROZEN\nENV UV_FROZEN=$FROZEN\nRUN uv sync --locked\n",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("build_args", "expected"),
    [
        pytest.param([], [], id="unknown-value-not-guessed"),
        pytest.param(["--build-arg", "FROZEN=1"], ["RUV301"], id="set"),
        pytest.param(["--build-arg", "FROZEN=true"], ["RUV301"], id="truthy"),
        pytest.param(
            ["--build-arg", "OTHER=1", "--build-arg", "FROZEN=1"], ["RUV301"], id="repeated"
        ),
        pytest.param(["--build-arg", "FROZEN=a=b"], [], id="value-with-equals"),
        pytest.param(["--build-arg", "FROZEN="], [], id="empty-value"),
    ],
)
def test_build_arg(frozen_arg: Path, capsys, build_args: list[str], expected: list[str]) -> None:
    _code, out, err = run(["check", "--format", "json", "--select", "RUV301", *build_args], capsys)
    assert err == ""
    assert codes(out) == expected


@pytest.mark.parametrize("bad", ["bad", "=value", ""])
def test_bad_build_arg(frozen_arg: Path, capsys, bad: str) -> None:
    code, out, err = run(["check", "--build-arg", bad], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("uvray: error: --build-arg") and err.count("\n") == 1


@pytest.fixture
def two_stages(example: Path) -> Path:
    dockerfile = example / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    text = text.replace(
        "FROM rayproject/ray:2.44.0-py311\n", "FROM rayproject/ray:2.44.0-py311 AS ray\n"
    )
    dockerfile.write_text(text + "FROM python:3.12-slim AS other\nRUN echo hi\n", encoding="utf-8")
    return example


@pytest.mark.parametrize(
    ("args", "has_ray_findings"),
    [
        pytest.param([], False, id="last-stage-by-default"),
        pytest.param(["--target", "ray"], True, id="target"),
        pytest.param(["--target", "RAY"], True, id="target-case-insensitive"),
        pytest.param(["--target", "other"], False, id="target-last"),
    ],
)
def test_target(two_stages: Path, capsys, args: list[str], has_ray_findings: bool) -> None:
    got = codes(run(["check", "--format", "json", *args], capsys)[1])
    assert ("RUV101" in got) is has_ray_findings
    assert "RUV301" in got  # a RUN conflict is reported in every stage


def test_target_from_config(two_stages: Path, capsys) -> None:
    write(two_stages / "uvray.toml", 'target = "ray"\n')
    assert "RUV101" in codes(run(["check", "--format", "json"], capsys)[1])


def test_unknown_target_is_an_error(two_stages: Path, capsys) -> None:
    code, out, err = run(["check", "--target", "nope"], capsys)
    assert code == 2
    assert "nope" in out + err


# --- check: paths -------------------------------------------------------------------------------


def test_pre_commit_style_without_check(example: Path, capsys) -> None:
    expected = example_findings(capsys)
    code, out, _ = run(["Dockerfile", "pyproject.toml", "--format", "json"], capsys)
    assert code == 1
    assert findings(out) == [f for f in expected if f[0] in ("Dockerfile", "pyproject.toml")]
    code, out, _ = run(["--format", "json", "Dockerfile"], capsys)
    assert findings(out) == [f for f in expected if f[0] == "Dockerfile"]


def test_paths_limit_the_report_not_the_reading(example: Path, capsys) -> None:
    # Only the workflow is reported on, but the Dockerfile is still read (cross-file facts).
    _code, out, _ = run(["check", "--format", "json", ".github/workflows/submit.yml"], capsys)
    assert all(path == ".github/workflows/submit.yml" for path, _, _ in findings(out))


def test_directory_path(example: Path, capsys) -> None:
    expected = example_findings(capsys)
    assert findings(run(["check", "--format", "json", "."], capsys)[1]) == expected
    assert findings(run(["check", "--format", "json", "src"], capsys)[1]) == [
        f for f in expected if f[0].startswith("src/")
    ]


def test_missing_path(example: Path, capsys) -> None:
    code, out, _ = run(["check", "--no-show-source", "Dockerfile", "nope/Dockerfile"], capsys)
    assert code == 2
    assert "nope/Dockerfile: error: no such file or directory" in out.splitlines()
    assert "Dockerfile:6:1: RUV101" in out


def test_path_outside_the_repository(example: Path, tmp_path: Path, capsys) -> None:
    outside = write(tmp_path / "outside" / "Dockerfile", CONFLICT)
    code, out, _ = run(["check", "--no-show-source", "Dockerfile", str(outside)], capsys)
    assert code == 2
    [line] = [x for x in out.splitlines() if str(outside) in x]
    assert "outside the repository" in line
    assert "RUV301" not in line
    assert "Dockerfile:6:1: RUV101" in out  # the path inside is still checked


# --- real processes ---------------------------------------------------------------------------


def test_subprocess_check(example: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "uvray", "check", "--format", "json"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    assert ("Dockerfile", 6, "RUV101") in findings(proc.stdout)


def test_subprocess_rules_and_explain(tmp_path: Path) -> None:
    env = subprocess_env()
    rules = subprocess.run(
        [sys.executable, "-m", "uvray", "rules"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert rules.returncode == 0
    assert "RUV101" in rules.stdout and "RUV104" in rules.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "uvray", "explain", "RUV999"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == "uvray: error: unknown rule code 'RUV999' (see `uvray rules`)\n"


def test_subprocess_pre_commit_style_and_bad_build_arg(example: Path) -> None:
    env = subprocess_env()
    ok = subprocess.run(
        [sys.executable, "-m", "uvray", "-q", "Dockerfile"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert ok.returncode == 1
    assert ok.stdout.startswith("Dockerfile:")
    bad = subprocess.run(
        [sys.executable, "-m", "uvray", "check", "--build-arg", "bad"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_staged_dockerfiles_alone_leave_other_dockerfiles_unread() -> None:
    """A pre-commit run on one Dockerfile reads the repository's context files but not the other
    Dockerfiles (they cannot change its findings); any other kind of path keeps everything."""
    from uvray.engine import Scope, files_to_read

    repo_files = [
        "a/Dockerfile",
        "b/Dockerfile",
        "pyproject.toml",
        "uv.lock",
        ".github/workflows/ci.yml",
    ]
    only_a = Scope({"a/Dockerfile"}, [], False)
    assert files_to_read(repo_files, only_a) == [
        "a/Dockerfile",
        "pyproject.toml",
        "uv.lock",
        ".github/workflows/ci.yml",
    ]
    with_workflow = Scope({"a/Dockerfile", ".github/workflows/ci.yml"}, [], False)
    assert files_to_read(repo_files, with_workflow) == repo_files
    assert files_to_read(repo_files, Scope(set(), [], True)) == repo_files
    assert files_to_read(repo_files, Scope(set(), ["a"], False)) == repo_files


def test_one_dockerfile_in_scope_gets_the_same_findings_as_a_full_run(tmp_path, capsys) -> None:
    import json
    import shutil
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "ray-job"
    repo = tmp_path / "repo"
    shutil.copytree(example, repo)
    (repo / "other").mkdir()
    (repo / "other" / "Dockerfile").write_text((repo / "Dockerfile").read_text())
    cli.main(["check", str(repo), "--format", "json", "--exit-zero"])
    full = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["path"] == "Dockerfile"]
    cli.main(["check", str(repo / "Dockerfile"), "--format", "json", "--exit-zero"])
    scoped = json.loads(capsys.readouterr().out)["findings"]
    assert full and scoped == full


def test_a_no_op_run_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    """The pre-commit no-op must stay instant: the parser (with the image/env options) is built,
    but nothing of typing, the rules, the probe or the reporters is imported."""
    hooks = Path(__file__).resolve().parents[1] / "hooks"
    code = (
        "import sys\n"
        "from uvray.cli import main\n"
        "main(['check', '-q'])\n"
        "heavy = ['typing', 'shutil', 'uvray.rules', 'uvray.probe_host', 'uvray.facts',"
        " 'uvray.report.text',"
        " 'json', 'subprocess']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(hooks), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == ""
