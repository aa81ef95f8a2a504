"""Hostile input (issue 5), one table, every row through the real CLI in a real process, twice:
as pre-commit runs it (the file named explicitly) and on the whole repository (a git checkout,
as the Action runs it). One run per mode writes all four reports (text to --output, JSON and
SARIF to files outside the repository, GitHub annotations on stdout), and each row asserts:

- unusable input: exit 2 and exactly one error naming the file (and its line where there is
  one) in every report: one text line, one annotation (with `file=` escaped), one JSON error,
  one SARIF notification; usable input: no error at all, and its real finding still reported;
- the good file next to it is still checked (RUV301 at good/Dockerfile:3);
- no traceback on stdout, stderr or in the text report; JSON and SARIF parse;
- nothing in the repository written or changed (type, mode, inode, size, mtime, ctime, bytes);
- a bounded time (each row's limit; the measured times are in the row comments).

tests/test_bad_input.py covers the same failure kinds for Dockerfiles and workflows in-process;
this table runs them against the other readers (uv.lock, pyproject.toml, runtime_env, KubeRay,
.python-version, .dockerignore), in every report format, with the limits named, and adds what
that file does not have. Rows marked xfail are bugs found here (see each reason).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "hooks"
FIXTURES = ROOT / "tests" / "rules" / "fixtures"

GOOD_PATH = "good/Dockerfile"
GOOD = "FROM python:3.12\nENV UV_FROZEN=1\nRUN uv sync --locked\n"
GOOD_FINDING = (GOOD_PATH, 3, "RUV301")

DF = "bad/Dockerfile"
WF = ".github/workflows/ci.yml"
# RUV103 at line 6 (setup-uv `version: latest`), whatever the line endings.
WORKFLOW = (
    "on: push\n"
    "jobs:\n"
    "  test:\n"
    "    runs-on: ubuntu-latest\n"
    "    steps:\n"
    "      - uses: astral-sh/setup-uv@v6\n"
    "        with:\n"
    '          version: "latest"\n'
    "      - run: uv sync --locked\n"
)
PYPROJECT = '[project]\nname = "x"\nversion = "1"\n'
MIB = 1024 * 1024
ANY_LINE = -1  # the error must name some line
Make = Callable[[Path], None]


@dataclass
class Row:
    id: str
    path: str  # repo-relative path of the hostile input
    make: Make  # writes it (and anything it needs) into the repository
    error: bool  # unusable: exit 2, one error naming the file in every report
    line: Optional[int] = None  # noqa: UP045 - the line that error names; ANY_LINE: some line
    fragment: str = ""  # a word the error message must contain (the limit, the encoding...)
    finding: Optional[tuple[str, int, str]] = None  # noqa: UP045 - (path, line, code) still found
    limit: float = 10.0  # seconds per run
    # The path given on the command line in explicit mode (a directory, for loops).
    arg: Optional[str] = None  # noqa: UP045
    unprivileged: bool = False  # run without root's CAP_DAC_OVERRIDE (unreadable files)
    # Mode ("explicit" / "whole") -> why it fails today (a bug found here).
    xfail: dict[str, str] = field(default_factory=dict)
    # Mode -> expected error flag when it differs between modes.
    error_in: dict[str, bool] = field(default_factory=dict)
    slow: bool = False
    modes: tuple[str, ...] = ("explicit", "whole")
    # Mode -> the path the error names when it is not `path` (a directory that cannot be listed
    # is all a whole-repository run can name).
    error_path: dict[str, str] = field(default_factory=dict)


# --- makers ------------------------------------------------------------------------------------


def _bytes(data: bytes) -> Make:
    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return make


def _lines_of(text: str, count: int, header: str = "", footer: str = "") -> Make:
    """A real text file of `count` copies of `text` (written in chunks: no 50 MB string)."""

    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(header)
            for start in range(0, count, 10_000):
                f.write(text * min(10_000, count - start))
            f.write(footer)

    return make


def _sized(line: str, size: int, header: str = "") -> Make:
    return _lines_of(line, (size - len(header)) // len(line) + 1, header)


def _uv_lock(size: int) -> Make:
    """A realistic uv.lock of about `size` bytes (registry packages with sdists and wheels)."""

    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = "0" * 64
        with open(path, "w", encoding="utf-8") as f:
            f.write('version = 1\nrevision = 2\nrequires-python = ">=3.12"\n\n')
            i = 0
            while f.tell() < size:
                url = f"https://files.pythonhosted.org/packages/aa/bb/pkg{i}-1.0.{i}"
                f.write(
                    f'[[package]]\nname = "pkg{i}"\nversion = "1.0.{i}"\n'
                    'source = { registry = "https://pypi.org/simple" }\n'
                    f'dependencies = [\n    {{ name = "pkg{i + 1}" }},\n]\n'
                    f'sdist = {{ url = "{url}.tar.gz", hash = "sha256:{digest}", size = 1 }}\n'
                    f'wheels = [\n    {{ url = "{url}-py3-none-any.whl", hash = "sha256:{digest}",'
                    " size = 1 },\n]\n\n"
                )
                i += 1

    return make


def _workflow_repo(path: Path) -> None:
    """WORKFLOW at path and a Ray project at the root: RUV103 at line 6."""
    _bytes(WORKFLOW.encode())(path)
    (path.parents[2] / "pyproject.toml").write_text(
        PYPROJECT + 'dependencies = ["ray==2.44.0"]\n', encoding="utf-8"
    )


def _fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _symlink_loop(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    other = path.with_name(path.name + ".other")
    path.symlink_to(other.name)
    other.symlink_to(path.name)


def _directory_loop(path: Path) -> None:
    # loop/self -> loop and loop/up -> the repository: walking them naively never ends.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(".")
    (path.parent / "up").symlink_to("..")


def _unreadable(make: Make) -> Make:
    def wrapped(path: Path) -> None:
        make(path)
        path.chmod(0)

    return wrapped


def _in_unreadable_dir(path: Path) -> None:
    _bytes(GOOD.encode())(path)
    path.parent.chmod(0)


def _with_fixture(name: str, make: Make, relpath: str) -> Make:
    """A rule fixture's bad case as the repository, then `make` applied to one of its files."""

    def wrapped(path: Path) -> None:
        repo = path.parents[len(Path(relpath).parts) - 1]
        source = FIXTURES / name
        for item in source.iterdir():
            if item.name in ("expected.txt", "fixed"):
                continue
            if item.is_dir():
                shutil.copytree(item, repo / item.name, symlinks=True)
            else:
                shutil.copy2(item, repo / item.name)
        make(path)

    return wrapped


def _convert(newline: str) -> Make:
    """Rewrite the (already there) file with other line endings."""

    def make(path: Path) -> None:
        path.write_bytes(path.read_bytes().replace(b"\n", newline.encode()))

    return make


def _then(*makers: Make) -> Make:
    def make(path: Path) -> None:
        for m in makers:
            m(path)

    return make


def _stages(count: int, chained: bool) -> Make:
    """`count` stages; chained: each FROM the previous one (the ENV is inherited to the end)."""
    lines = ["FROM python:3.12 AS s0", "ENV UV_FROZEN=1"]
    for i in range(1, count):
        lines += [f"FROM {f's{i - 1}' if chained else 'python:3.12'} AS s{i}", f"RUN echo {i}"]
    if not chained:
        lines.append("ENV UV_FROZEN=1")
    lines.append("RUN uv sync --locked")
    return _bytes(("\n".join(lines) + "\n").encode())


def _stages_finding_line(count: int, chained: bool) -> int:
    return 2 * count + (1 if chained else 2)


def _billion_laughs(prefix: str) -> bytes:
    # 9 levels of 9 aliases each: 9**9 (387 million) nodes once expanded.
    body = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")
    )
    return (prefix + body).encode()


# --- the table -----------------------------------------------------------------------------

RUV201_FIXTURE = "RUV201/bad/runtime-env-file-pip-ray-244-warning"
KUBERAY_FIXTURE = "RUV101/bad/kuberay-container-env"

ROWS = [
    # Binary and encodings, in the readers test_bad_input.py does not cover.
    Row("binary-uv-lock", "uv.lock", _bytes(bytes(range(256)) * 64), True, None, "binary"),
    Row("binary-workflow", WF, _bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256))), True, None, "NUL"),
    Row(
        "invalid-utf8-pyproject",
        "sub/pyproject.toml",
        _bytes(b'[project]\nname = "x"\ndescription = "caf\xe9"\n'),
        True,
        3,
        "UTF-8",
    ),
    Row(
        "invalid-utf8-runtime-env",
        "runtime_env.yaml",
        _bytes(b"env_vars:\n  A: \xc3\x28\n"),
        True,
        2,
        "UTF-8",
    ),
    Row("invalid-utf8-python-version", ".python-version", _bytes(b"3.1\xff\n"), True, 1, "UTF-8"),
    Row(
        "utf16-le-bom-workflow",
        WF,
        _bytes(b"\xff\xfe" + WORKFLOW.encode("utf-16-le")),
        True,
        None,
        "UTF-16",
    ),
    Row(
        "utf16-be-bom-dockerfile",
        DF,
        _bytes(b"\xfe\xff" + GOOD.encode("utf-16-be")),
        True,
        None,
        "UTF-16",
    ),
    Row(
        "utf16-be-bom-pyproject",
        "sub/pyproject.toml",
        _bytes(b"\xfe\xff" + PYPROJECT.encode("utf-16-be")),
        True,
        None,
        "UTF-16",
    ),
    Row(
        "utf16-le-bom-dockerignore",
        ".dockerignore",
        _bytes(".venv\n".encode("utf-16")),
        True,
        None,
        "UTF-16",
    ),
    # One NUL byte in otherwise good text.
    Row(
        "nul-in-workflow",
        WF,
        _bytes(WORKFLOW.replace("push", "pu\x00sh").encode()),
        True,
        None,
        "NUL",
    ),
    Row("nul-at-end-of-uv-lock", "uv.lock", _bytes(b"version = 1\n\x00"), True, None, "NUL"),
    # Lone CR: TOML forbids it (tomllib agrees), so these two are unusable.
    Row(
        "lone-cr-pyproject",
        "sub/pyproject.toml",
        _bytes(PYPROJECT.replace("\n", "\r").encode()),
        True,
        1,
        "TOML",
    ),
    Row("lone-cr-uv-lock", "uv.lock", _bytes(b"version = 1\rrevision = 2\r"), True, 1, "TOML"),
    Row(
        "lone-cr-dockerfile",
        DF,
        _bytes(GOOD.replace("\n", "\r").encode()),
        False,
        finding=(DF, 3, "RUV301"),
    ),
    # 50 MB: refused by size before reading (~0.3 s), the limit named; uv.lock's limit is
    # 64 MiB (real locks of big projects are ~7 MB), so a 50 MB one is read (~3.5 s, 140 MB RSS).
    Row(
        "50mb-dockerfile",
        DF,
        _sized("RUN echo " + "x" * 90 + "\n", 50 * MIB, "FROM python:3.12\n"),
        True,
        None,
        "5 MiB limit",
        slow=True,
    ),
    Row(
        "50mb-workflow",
        WF,
        _sized("# " + "x" * 98 + "\n", 50 * MIB, WORKFLOW),
        True,
        None,
        "5 MiB limit",
        slow=True,
    ),
    Row(
        "50mb-pyproject",
        "sub/pyproject.toml",
        _sized("# " + "x" * 98 + "\n", 50 * MIB, PYPROJECT),
        True,
        None,
        "5 MiB limit",
        slow=True,
    ),
    Row("50mb-uv-lock", "uv.lock", _uv_lock(50 * MIB), False, limit=20.0, slow=True),
    Row(
        "70mb-uv-lock",
        "uv.lock",
        _sized("# " + "x" * 98 + "\n", 70 * MIB, "version = 1\n"),
        True,
        None,
        "64 MiB limit",
        slow=True,
    ),
    # A 100,000-line RUN (2 MB): ~1.5 s.
    Row(
        "100k-line-run",
        DF,
        _lines_of(
            "    echo step && \\\n",
            100_000,
            "FROM python:3.12\nENV UV_FROZEN=1\nRUN uv sync --locked && \\\n",
            "    true\n",
        ),
        False,
        finding=(DF, 3, "RUV301"),
    ),
    # Alias bombs and deep nesting: refused by yamlio's node and depth limits (< 1 s).
    Row(
        "alias-bomb-runtime-env",
        "runtime_env.yaml",
        _bytes(_billion_laughs("")),
        True,
        ANY_LINE,
        "YAML",
    ),
    Row(
        "alias-bomb-kuberay",
        "k8s/raycluster.yaml",
        _bytes(_billion_laughs("apiVersion: ray.io/v1\nkind: RayCluster\n")),
        True,
        ANY_LINE,
        "YAML",
    ),
    Row(
        "deep-json-arrays-runtime-env",
        "runtime_env.json",
        _bytes(b'{"env_vars": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"),
        True,
        1,
        "nest",
    ),
    Row(
        "deep-json-objects-runtime-env",
        "runtime_env.json",
        _bytes(b'{"a": ' * 10_000 + b"1" + b"}" * 10_000),
        True,
        1,
        "nest",
    ),
    Row(
        "deep-flow-yaml-workflow",
        WF,
        _bytes(b"on: push\njobs:\n  a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"),
        True,
        3,
        "nest",
    ),
    Row(
        "deep-flow-yaml-kuberay",
        "k8s/rayjob.yaml",
        _bytes(
            b"apiVersion: ray.io/v1\nkind: RayJob\nspec: " + b"{a: " * 10_000 + b"1" + b"}" * 10_000
        ),
        True,
        3,
        "nest",
    ),
    Row(
        "deep-json-exec-form-dockerfile",
        DF,
        _bytes((GOOD + "CMD " + "[" * 10_000 + "]" * 10_000 + "\n").encode()),
        False,
        finding=(DF, 3, "RUV301"),
    ),
    # TOML with duplicate keys and tables: invalid TOML, the line named.
    Row(
        "toml-duplicate-key-pyproject",
        "sub/pyproject.toml",
        _bytes(b'[project]\nname = "x"\nname = "y"\nversion = "1"\n'),
        True,
        3,
        "TOML",
    ),
    Row(
        "toml-duplicate-table-pyproject",
        "sub/pyproject.toml",
        _bytes(b'[project]\nname = "x"\n\n[tool.uv]\npackage = true\n[tool.uv]\n'),
        True,
        6,
        "TOML",
    ),
    Row(
        "toml-duplicate-key-uv-lock",
        "uv.lock",
        _bytes(b"version = 1\nrevision = 2\nversion = 1\n"),
        True,
        3,
        "TOML",
    ),
    # Symlink loops. A looping file named on the command line is an error; on the whole
    # repository git lists the link and discovery drops it as it drops a dangling one (not a
    # file anyone can build from).
    Row(
        "symlink-loop-dockerfile",
        DF,
        _symlink_loop,
        True,
        None,
        "symbolic links",
        error_in={"whole": False},
    ),
    Row(
        "symlink-loop-workflow",
        WF,
        _symlink_loop,
        True,
        None,
        "symbolic links",
        error_in={"whole": False},
    ),
    Row("directory-symlink-loop", "loop/self", _directory_loop, False, arg="loop/self"),
    # FIFOs: never opened (a read would block forever); < 0.5 s. Named, an error; on the whole
    # repository git lists them and discovery keeps regular files only.
    Row(
        "fifo-workflow", WF, _fifo, True, None, "regular file", limit=5.0, error_in={"whole": False}
    ),
    Row(
        "fifo-uv-lock",
        "uv.lock",
        _fifo,
        True,
        None,
        "regular file",
        limit=5.0,
        error_in={"whole": False},
    ),
    Row(
        "fifo-pyproject",
        "sub/pyproject.toml",
        _fifo,
        True,
        None,
        "regular file",
        limit=5.0,
        error_in={"whole": False},
    ),
    Row(
        "fifo-python-version",
        ".python-version",
        _fifo,
        True,
        None,
        "regular file",
        limit=5.0,
        error_in={"whole": False},
    ),
    Row(
        "fifo-gitignore",
        ".gitignore",
        _fifo,
        True,
        None,
        "regular file",
        limit=5.0,
        slow=True,
        modes=("whole",),  # named, it stalls the same way: 5 s of CI spared
    ),
    # Unreadable, for real: as root the run drops CAP_DAC_OVERRIDE (setpriv).
    Row(
        "unreadable-uv-lock",
        "uv.lock",
        _unreadable(_uv_lock(1000)),
        True,
        None,
        "Permission denied",
        unprivileged=True,
    ),
    Row(
        "unreadable-workflow",
        WF,
        _unreadable(_bytes(WORKFLOW.encode())),
        True,
        None,
        "Permission denied",
        unprivileged=True,
    ),
    Row(
        "unreadable-dockerfile",
        DF,
        _unreadable(_bytes(GOOD.encode())),
        True,
        None,
        "Permission denied",
        unprivileged=True,
    ),
    Row(
        "unreadable-directory",
        "secret/Dockerfile",
        _in_unreadable_dir,
        True,
        None,
        "Permission denied",
        unprivileged=True,
        error_path={"whole": "secret"},
    ),
    # Names that are syntax elsewhere: `,` and `:` delimit annotation properties, `%` starts
    # their escapes, a newline ends a workflow command; SARIF needs URI escapes.
    Row(
        "comma-colon-percent-newline-name",
        "a,b:c%2C\nd/Dockerfile",
        _bytes(GOOD.encode()),
        False,
        finding=("a,b:c%2C\nd/Dockerfile", 3, "RUV301"),
    ),
    Row(
        "comma-colon-percent-newline-name-error",
        "x,y:z%0A\n/Dockerfile",
        _bytes(b"FROM x\nRUN echo \xff\n"),
        True,
        2,
        "UTF-8",
    ),
    # 1,000 stages: independent ones ~1 s; chained ones (each FROM the previous) are the bug.
    Row(
        "1000-independent-stages",
        DF,
        _stages(1000, chained=False),
        False,
        finding=(DF, _stages_finding_line(1000, chained=False), "RUV301"),
    ),
    Row(
        "1000-chained-stages",
        DF,
        _stages(1000, chained=True),
        False,
        finding=(DF, _stages_finding_line(1000, chained=True), "RUV301"),
        slow=True,
        modes=("explicit",),  # each run is cut at 10 s: one is enough to show it
    ),
    # The usable side of CRLF and lone CR in the YAML readers (YAML takes either as a line
    # break); the full LF-vs-other comparison is test_line_endings_keep_every_finding below.
    Row(
        "lone-cr-runtime-env",
        "runtime_env.yaml",
        _with_fixture(RUV201_FIXTURE, _convert("\r"), "runtime_env.yaml"),
        False,
        finding=("runtime_env.yaml", 3, "RUV201"),
    ),
    Row(
        "crlf-kuberay",
        "k8s/rayjob.yaml",
        _with_fixture(KUBERAY_FIXTURE, _convert("\r\n"), "k8s/rayjob.yaml"),
        False,
        finding=("k8s/rayjob.yaml", 31, "RUV101"),
    ),
    Row(
        "lone-cr-workflow",
        WF,
        _then(_workflow_repo, _convert("\r")),
        False,
        finding=(WF, 6, "RUV103"),
    ),
    Row(
        "crlf-workflow",
        WF,
        _then(_workflow_repo, _convert("\r\n")),
        False,
        finding=(WF, 6, "RUV103"),
    ),
]


def _params():
    for row in ROWS:
        for mode in row.modes:
            marks = []
            if mode in row.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=row.xfail[mode]))
            if row.slow:
                marks.append(pytest.mark.slow)
            yield pytest.param(row, mode, id=f"{row.id}-{mode}", marks=marks)


# --- running and checking ----------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str  # the GitHub annotations
    stderr: str
    text: str
    json: dict
    sarif: dict
    elapsed: float


def _dac_prefix() -> list[str]:
    """The command prefix that makes a chmod 000 file unreadable to this user, or skip."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: root reads a chmod 000 file anyway")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here: {probe.stderr.decode().strip()}")
    return prefix


def _run(repo: Path, out: Path, paths: list[str], limit: float, prefix: list[str]) -> Run:
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    argv = [
        *prefix,
        sys.executable,
        "-m",
        "uvray",
        "check",
        "--output",
        str(out / "report.txt"),
        "--json-file",
        str(out / "report.json"),
        "--sarif-file",
        str(out / "report.sarif"),
        "--annotations",
        *paths,
    ]
    env = dict(os.environ, PYTHONPATH=str(HOOKS))
    for name in ("NO_COLOR", "UVRAY_DEBUG", "GITHUB_ACTIONS"):
        env.pop(name, None)
    start = time.monotonic()
    # Its own process group: on a timeout, git children blocked on a FIFO die with it.
    proc = subprocess.Popen(
        argv,
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"uvray did not finish in {limit:.0f} s: {argv[len(prefix) + 3 :]}")
    elapsed = time.monotonic() - start
    assert elapsed < limit, f"took {elapsed:.1f} s"
    text = (out / "report.txt").read_text(encoding="utf-8")
    return Run(
        proc.returncode,
        stdout.decode(),
        stderr.decode(),
        text,
        json.loads((out / "report.json").read_text(encoding="utf-8")),
        json.loads((out / "report.sarif").read_text(encoding="utf-8")),
        elapsed,
    )


def _snapshot(repo: Path) -> dict[str, tuple]:
    """Every entry under repo (links not followed): what a write, chmod or replace changes."""
    state: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(repo):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if stat.S_ISREG(st.st_mode) and os.access(path, os.R_OK):
                digest = _digest(path)
            elif stat.S_ISLNK(st.st_mode):
                digest = os.readlink(path)
            state[os.path.relpath(path, repo)] = (
                stat.S_IFMT(st.st_mode),
                st.st_mode,
                st.st_ino,
                st.st_size,
                st.st_mtime_ns,
                st.st_ctime_ns,
                digest,
            )
    return state


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            h.update(chunk)
    return h.hexdigest()


def _shown(path: str) -> str:
    """A path as the text report prints it (controls escaped, one line)."""
    return path.replace("\n", "\\n").replace("\r", "\\r")


def _annotation_file(path: str) -> str:
    """A path as a workflow command property (report/github.py's escaping, spelt out)."""
    escaped = path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return escaped.replace(":", "%3A").replace(",", "%2C")


def _sarif_uri(path: str) -> str:
    return quote(path, safe="/")


def _check_common(run: Run, row: Row) -> None:
    for where, text in (("stdout", run.stdout), ("stderr", run.stderr), ("report", run.text)):
        assert "Traceback" not in text, f"{where}:\n{text}"
    findings = {(f["path"], f["line"], f["code"]) for f in run.json["findings"]}
    assert GOOD_FINDING in findings, "the good file next to the hostile one must still be checked"
    assert f"{GOOD_PATH}:3:1: RUV301" in run.text
    for line in run.stdout.splitlines():
        assert line.startswith("::"), f"stdout holds only annotations: {line!r}"
    assert run.sarif["version"] == "2.1.0"


def _check_error(run: Run, row: Row, mode: str = "explicit") -> None:
    if mode in row.error_path:
        row = dataclasses.replace(row, path=row.error_path[mode])
    everything = run.stdout + run.stderr + run.text
    assert run.code == 2, everything
    assert run.stderr == "", run.stderr
    # Text: exactly one line is about the file, and it is the error.
    shown = _shown(row.path)
    naming = [line for line in run.text.splitlines() if line.startswith(shown + ":")]
    assert len(naming) == 1, run.text
    if row.line == ANY_LINE:
        head, _, _rest = naming[0].partition(": error: ")
        assert head.startswith(shown + ":") and head[len(shown) + 1 :].isdigit(), naming[0]
    else:
        where = shown if row.line is None else f"{shown}:{row.line}"
        assert naming[0].startswith(f"{where}: error: "), naming[0]
    assert row.fragment in naming[0], naming[0]
    # GitHub: one error annotation for the file, escaped, with the line.
    prop = f"file={_annotation_file(row.path)},"
    annotations = [a for a in run.stdout.splitlines() if prop in a]
    assert len(annotations) == 1, run.stdout
    assert annotations[0].startswith("::error "), annotations[0]
    if row.line not in (None, ANY_LINE):
        assert f",line={row.line}," in annotations[0], annotations[0]
    # JSON: one error for the path.
    errors = [e for e in run.json["errors"] if e["path"] == row.path]
    assert len(errors) == 1, run.json["errors"]
    assert row.fragment in errors[0]["message"]
    if row.line == ANY_LINE:
        assert isinstance(errors[0]["line"], int) and errors[0]["line"] >= 1
    else:
        assert errors[0].get("line") == row.line
    # SARIF: the run did not succeed, one notification at the file's URI.
    (invocation,) = run.sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    uri = _sarif_uri(row.path)
    notes = [
        n
        for n in invocation["toolExecutionNotifications"]
        if any(
            loc["physicalLocation"]["artifactLocation"]["uri"] == uri
            for loc in n.get("locations", ())
        )
    ]
    assert len(notes) == 1, invocation


def _check_usable(run: Run, row: Row) -> None:
    everything = run.stdout + run.stderr + run.text
    assert run.code == 1, everything  # good/'s RUV301 fails the run; nothing else
    assert run.json["errors"] == [], run.json["errors"]
    assert ": error: " not in run.text, run.text
    (invocation,) = run.sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    if row.finding is None:
        return
    path, line, code = row.finding
    findings = {(f["path"], f["line"], f["code"]) for f in run.json["findings"]}
    assert row.finding in findings, sorted(findings)
    assert re.search(rf"^{re.escape(_shown(path))}:{line}:\d+: {code} ", run.text, re.M), run.text
    assert f"file={_annotation_file(path)},line={line}," in run.stdout
    uris = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"])
        for r in run.sarif["runs"][0]["results"]
    }
    assert (_sarif_uri(path), code) in uris


def _make_repo(base: Path, row: Row) -> Path:
    repo = base / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (repo / "good").mkdir()
    (repo / GOOD_PATH).write_text(GOOD, encoding="utf-8")
    row.make(repo / row.path)
    return repo


def _restore(repo: Path) -> None:
    """Undo chmod 000 and drain FIFOs so pytest can clean up (and nothing stays blocked)."""
    for dirpath, dirnames, filenames in os.walk(repo):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                continue
            if stat.S_IMODE(st.st_mode) == 0:
                os.chmod(path, 0o755 if stat.S_ISDIR(st.st_mode) else 0o644)
            if stat.S_ISFIFO(st.st_mode):
                # A reader still blocked on it gets EOF; with none, ENXIO.
                with contextlib.suppress(OSError):
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    # Re-walk: directories made readable above may hold more.
    for dirpath, _dirs, filenames in os.walk(repo):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path) and stat.S_IMODE(os.lstat(path).st_mode) == 0:
                os.chmod(path, 0o644)


@pytest.fixture
def workdir(tmp_path: Path):
    yield tmp_path
    repo = tmp_path / "repo"
    if repo.exists():
        _restore(repo)
        # The 50 MB inputs: pytest keeps the last three runs' tmp_path; not these.
        for big in repo.rglob("*"):
            if big.is_file() and not big.is_symlink() and big.stat().st_size > MIB:
                big.unlink()


@pytest.mark.parametrize(("row", "mode"), list(_params()))
def test_hostile_input(workdir: Path, row: Row, mode: str) -> None:
    prefix = _dac_prefix() if row.unprivileged else []
    repo = _make_repo(workdir, row)
    before = _snapshot(repo)
    paths = [row.arg or row.path, GOOD_PATH] if mode == "explicit" else []
    run = _run(repo, workdir / "out", paths, row.limit, prefix)
    _check_common(run, row)
    if row.error_in.get(mode, row.error):
        _check_error(run, row, mode)
    else:
        _check_usable(run, row)
    assert _snapshot(repo) == before, "uvray changed the repository"


def test_duplicate_table_in_the_config_pyproject_is_one_line(tmp_path: Path) -> None:
    """The root pyproject.toml is also uvray's config: a TOML error there stops the run before
    any file is checked, as one `uvray: error:` line naming the file and line, exit 2."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (repo / "good").mkdir()
    (repo / GOOD_PATH).write_text(GOOD, encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        PYPROJECT + '[tool.uvray]\nselect = ["RUV3"]\n[tool.uvray]\nignore = []\n',
        encoding="utf-8",
    )
    before = _snapshot(repo)
    env = dict(os.environ, PYTHONPATH=str(HOOKS))
    for fmt in ("text", "github", "json", "sarif"):
        proc = subprocess.run(
            [sys.executable, "-m", "uvray", "check", "--format", fmt],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stdout == ""  # nothing half-written where a JSON/SARIF reader looks
        (line,) = proc.stderr.splitlines()
        assert line.startswith(f"uvray: error: {repo / 'pyproject.toml'}: invalid TOML"), line
        assert "line 6" in line, line
    assert _snapshot(repo) == before
