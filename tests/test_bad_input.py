"""Unusable input through the real CLI: one clear line naming the file (and line), exit 2, no
traceback, the file untouched, every other file still checked — and nothing hangs or blows up."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvray import cli
from uvray.commands import recognise_site, site_for_lines
from uvray.readers.dockerfile import read_dockerfile
from uvray.readers.shell import split_commands

HOOKS = Path(__file__).resolve().parents[1] / "hooks"

# The good neighbour: RUV301 at good/Dockerfile:3 whatever else is in the repo.
GOOD_PATH = "good/Dockerfile"
GOOD = "FROM python:3.12\nENV UV_FROZEN=1\nRUN uv sync --locked\n"
GOOD_FINDING = f"{GOOD_PATH}:3:1: RUV301"

BOMB = (
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    + "".join(f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
    + "on: push\njobs: {}\n"
)


@dataclass
class Case:
    id: str
    path: str  # repo-relative path of the bad input
    make: Callable[[Path], None]  # creates it
    error: bool  # exit 2 with one line naming the file
    # The line named in that error when known; ANY_LINE when some line must be named.
    line: int | None = None
    fragment: str = ""  # a word the error line must contain
    # Findings the bad-looking file still yields (when it is fine after all).
    finding: str | None = None
    # Not a regular file: run it in a real process, with a timeout in case anything opens it.
    special: bool = False


def _bytes(data: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return make


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True)


def _fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _dangling(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.parent / "does-not-exist")


def _nothing(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)


def _big(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = b"RUN echo " + b"x" * 90 + b"\n"
    with open(path, "wb") as f:
        f.write(b"FROM python:3.12\n")
        f.write(line * (10 * 1024 * 1024 // len(line) + 1))


def _unreadable(path: Path) -> None:
    _bytes(GOOD.encode())(path)
    path.chmod(0)


ANY_LINE = -1
WF = ".github/workflows/bad.yml"
DF = "bad/Dockerfile"

CASES = [
    Case("binary", DF, _bytes(bytes(range(256)) * 16), True, None, "binary"),
    Case("invalid-utf8", DF, _bytes(b"FROM x\nRUN echo \xff\xfe\n"), True, 2, "UTF-8"),
    Case(
        "utf8-bom", DF, _bytes(b"\xef\xbb\xbf" + GOOD.encode()), False, finding=f"{DF}:3:1: RUV301"
    ),
    Case("utf16-bom", DF, _bytes("FROM x\n".encode("utf-16")), True, None, "UTF-16"),
    Case(
        "crlf", DF, _bytes(GOOD.replace("\n", "\r\n").encode()), False, finding=f"{DF}:3:1: RUV301"
    ),
    Case("empty-dockerfile", DF, _bytes(b""), False),
    Case("empty-pyproject", "bad/pyproject.toml", _bytes(b""), False),
    Case("empty-workflow", WF, _bytes(b""), False),
    Case("big-dockerfile", DF, _big, True, None, "MiB"),
    Case("invalid-yaml", WF, _bytes(b"on: push\njobs: [\n  - a\n  b: c\n"), True, 3, "YAML"),
    Case(
        "invalid-toml",
        "bad/pyproject.toml",
        _bytes(b'[project]\nname = "x"\nversion = \n'),
        True,
        3,
        "TOML",
    ),
    Case("yaml-alias-bomb", WF, _bytes(BOMB.encode()), True, ANY_LINE, "YAML"),
    Case("unterminated-heredoc", DF, _bytes(b"FROM x\nRUN <<EOF\nuv sync\n"), True, 2, "heredoc"),
    Case("unknown-instruction", DF, _bytes(b"FROM x\nFOO bar\nRUN a\n"), True, 2, "FOO"),
    Case("directory-named-dockerfile", DF, _mkdir, False, special=True),
    Case("fifo", DF, _fifo, True, None, "regular file", special=True),
    Case("dangling-symlink", DF, _dangling, True, None, "no such file", special=True),
    Case("unreadable", DF, _unreadable, True, None, "cannot read"),
]
MISSING = Case("missing-path", DF, _nothing, True, None, "no such file", special=True)


def _state(path: Path):
    try:
        st_ = path.lstat()
    except FileNotFoundError:
        return None
    readable = stat.S_ISREG(st_.st_mode) and os.access(path, os.R_OK)
    content = path.read_bytes() if readable else None
    return (stat.S_IFMT(st_.st_mode), st_.st_mode, st_.st_mtime_ns, st_.st_size, content)


def _uvray(args: list[str], cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(HOOKS))
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "uvray", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,  # a FIFO read would hang: the timeout turns that into a failure
    )


def _setup(tmp_path: Path, case: Case, git: bool) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    if git:
        if shutil.which("git") is None:
            pytest.skip("git not installed")
        subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (repo / "good").mkdir()
    (repo / GOOD_PATH).write_text(GOOD, encoding="utf-8")
    case.make(repo / case.path)
    return repo


def _check_output(case: Case, code: int, out: str, err: str, elapsed: float) -> None:
    everything = out + err
    assert "Traceback" not in everything, everything
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert GOOD_FINDING in out, "the good file next to the bad one must still be checked"
    naming = [line for line in everything.splitlines() if case.path in line]
    if case.error:
        assert code == 2, everything
        assert len(naming) == 1, everything
        if case.line == ANY_LINE:
            assert re.match(rf"^{re.escape(case.path)}:\d+: error: ", naming[0]), naming[0]
        else:
            where = case.path if case.line is None else f"{case.path}:{case.line}"
            assert naming[0].startswith(f"{where}: error: "), naming[0]
        assert case.fragment in naming[0]
        assert err == ""
    else:
        assert code == 1, everything
        assert not any(": error: " in line for line in naming), everything
        if case.finding:
            assert case.finding in out


def _skip_unreadable_as_root(case: Case) -> None:
    if case.id == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads a chmod 000 file anyway")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input_whole_repo(tmp_path: Path, case: Case, monkeypatch, capsys) -> None:
    """`uvray check` with no paths in a plain directory (every file found by walking), in-process;
    the FIFO in a real process with a timeout, in case something ever opens it."""
    _skip_unreadable_as_root(case)
    repo = _setup(tmp_path, case, git=False)
    before = _state(repo / case.path)
    start = time.monotonic()
    if case.special:
        proc = _uvray(["check", "--no-show-source"], repo)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        monkeypatch.chdir(repo)
        code = cli.main(["check", "--no-show-source"])
        out, err = capsys.readouterr()
    _check_output(case, code, out, err, time.monotonic() - start)
    assert _state(repo / case.path) == before


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in [*CASES, MISSING]])
def test_bad_input_explicit_paths(tmp_path: Path, case: Case) -> None:
    """pre-commit style: `uvray <files>` in a git repository, the bad file named explicitly."""
    _skip_unreadable_as_root(case)
    if case.id == "directory-named-dockerfile":
        pytest.skip("pre-commit never passes directories")
    repo = _setup(tmp_path, case, git=True)
    before = _state(repo / case.path)
    start = time.monotonic()
    proc = _uvray(["--no-show-source", case.path, GOOD_PATH], repo)
    _check_output(case, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
    assert _state(repo / case.path) == before


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id) for c in [*CASES, MISSING] if c.error and c.id != "unreadable"],
)
def test_bad_input_json(tmp_path: Path, case: Case, monkeypatch, capsys) -> None:
    repo = _setup(tmp_path, case, git=True)
    monkeypatch.chdir(repo)
    code = cli.main(["check", "--format", "json", case.path, GOOD_PATH])
    out, err = capsys.readouterr()
    assert code == 2
    assert err == ""
    data = json.loads(out)
    [error] = data["errors"]
    assert error["path"] == case.path
    if case.line == ANY_LINE:
        assert isinstance(error["line"], int) and error["line"] >= 1
    else:
        assert error.get("line") == case.line
    assert case.fragment in error["message"]
    assert [(f["path"], f["code"]) for f in data["findings"] if f["code"] == "RUV301"] == [
        (GOOD_PATH, "RUV301")
    ]


@pytest.mark.parametrize("case_id", ["big-dockerfile", "yaml-alias-bomb"])
def test_big_inputs_are_refused_fast(tmp_path: Path, case_id: str) -> None:
    case = next(c for c in CASES if c.id == case_id)
    repo = _setup(tmp_path, case, git=False)
    start = time.monotonic()
    proc = _uvray(["check", "-q"], repo)
    elapsed = time.monotonic() - start
    assert proc.returncode == 2
    assert elapsed < 2.0, f"{case_id} took {elapsed:.2f}s"
    if case_id == "big-dockerfile":
        assert re.search(rf"^{DF}: error: .*\b\d+(\.\d+)? MiB", proc.stdout, re.M), proc.stdout


def test_crlf_and_lf_give_the_same_findings(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "ray-job"
    reports = []
    for name, convert in (("lf", lambda t: t), ("crlf", lambda t: t.replace("\n", "\r\n"))):
        repo = tmp_path / name
        shutil.copytree(example, repo)
        dockerfile = repo / "Dockerfile"
        dockerfile.write_bytes(convert(dockerfile.read_text(encoding="utf-8")).encode())
        proc = _uvray(["check", "--format", "json"], repo)
        assert proc.returncode == 1, proc.stderr
        data = json.loads(proc.stdout)
        assert data["errors"] == []
        reports.append(data["findings"])
    assert reports[0] == reports[1]
    assert reports[0]
    assert all("\r" not in f["message"] for f in reports[1])


# --- never raise on arbitrary text ------------------------------------------------------------

_DOCKERISH = st.sampled_from(
    [
        "FROM x\n", "FROM x AS y\n", "FROM y\n", "RUN ", "uv sync --locked", "<<EOF\n", "<<-'E'\n",
        "EOF\n", "\tE\n", "# escape=`\n", "# syntax=x\n", "`\n", "\\\n", "\\", "ARG A=${B:-c}\n",
        "ENV K V\n", 'ENV A="x y" B=\'$Z\'\n', "COPY --from=a ", "--mount=type=cache ", "$", "${",
        "}", "$(", ")", "'", '"', "#", " ", "\n", "\r\n", "&&", "|", ";", "[", "]", '["uv"]',
        "WORKDIR ..\n", "USER $U\n", "SHELL [\"sh\"]\n", "FOO\n", "\ufeff", "\x00",
    ]
)  # fmt: skip
_TEXT = st.text() | st.lists(_DOCKERISH, max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.dictionaries(st.text(min_size=1, max_size=3), st.text(max_size=3), max_size=3))
def test_read_dockerfile_never_raises(text: str, build_args: dict[str, str]) -> None:
    df, errors = read_dockerfile(text, "Dockerfile", build_args)
    assert df is not None
    for ins in df.instructions:
        assert 1 <= ins.line <= ins.end_line
    for error in errors:
        assert error.path == "Dockerfile"
        assert error.line is None or error.line >= 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_split_commands_never_raises(text: str) -> None:
    commands = split_commands(text, lambda name: "v" if name == "A" else None)
    for cmd in commands:
        assert 0 <= cmd.offset <= len(text)
        assert len(cmd.known) == len(cmd.words)
    recognise_site(site_for_lines("x.sh", text, 1, lambda name: None))


def test_the_fixture_corpus_as_one_repository_never_crashes(capsys) -> None:
    """Every rule fixture of this repository (hundreds of mini projects, nested in one another's
    directories as no real repository would be) checked at once, with no config excluding them:
    findings, but no traceback and no input error. Found relpath("") crashes in five rules."""
    import json

    from uvray.cli import main

    root = Path(__file__).resolve().parents[1]
    rc = main(
        [
            "check",
            str(root / "tests" / "rules" / "fixtures"),
            "--no-config",
            "--format",
            "json",
            "--exit-zero",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert report["errors"] == []
    assert report["summary"]["findings"] > 500
