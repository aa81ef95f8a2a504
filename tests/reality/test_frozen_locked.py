"""Reality tests: how real uv releases treat `--frozen`/`--locked` mixed with UV_FROZEN/UV_LOCKED.

These facts back rule RUV301 `frozen-locked-conflict`: a `uv sync --locked` (or `uv run --locked`)
started under `UV_FROZEN` (e.g. set in a Dockerfile or a Ray `runtime_env`), or `--frozen` under
`UV_LOCKED`, is a usage error (exit 2) before uv 0.12.9, and from 0.12.9 on the command-line flag
wins with a warning. See astral-sh/uv#17044 and tox-dev/tox-uv#327.

- uv <= 0.9.22: the env var counts as the flag, so even a falsy `UV_FROZEN=0` conflicts with
  `--locked` (clap's message names `--frozen`, not the env var).
- uv 0.9.23 ... 0.12.8: the message names the env var; a falsy `UV_FROZEN=0` no longer conflicts.
- uv >= 0.12.9 (first release found by bisecting PyPI's releases): `warning: Ignoring UV_FROZEN
  because --locked was provided`, exit 0, and `--locked` really applies (a stale lock fails).
- Every release: `UV_FROZEN=1 UV_LOCKED=1` together is still an error.

The uv releases are pip-installed once per session into the reality cache that conftest.py shares
(UVRAY_TEST_CACHE keeps them between sessions); the project has no dependencies and no build
system, so every uv call below is offline and takes milliseconds.
"""

from __future__ import annotations

import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from .uvlab import ProcResult, install_uv, run, uv_env

pytestmark = pytest.mark.slow

OLD = "0.9.22"  # the last release where the env var is just the flag under another name
ENV_NAMED = "0.9.23"  # the first release whose error names the env var
BEFORE = "0.12.8"  # the last release where the env var and the opposite flag conflict
BOUNDARY = "0.12.9"  # the first release where the flag wins with a warning
VERSIONS = (OLD, ENV_NAMED, BEFORE, BOUNDARY)

PYPROJECT = """\
[project]
name = "frozenlocked"
version = "0.1.0"
requires-python = "{requires_python}"
dependencies = []
"""

# What each release prints (on stderr); the distinctive part of each message.
OLD_LOCKED_VS_FROZEN = "error: the argument '--locked' cannot be used with '--frozen'"
OLD_FROZEN_VS_LOCKED = "error: the argument '--frozen' cannot be used with '--locked'"
OLD_LOCKED_VS_CHECK_EXISTS = "error: the argument '--locked' cannot be used with '--check-exists'"
LOCKED_VS_ENV = (
    "error: the argument `--locked` cannot be used with `UV_FROZEN` (environment variable)"
)
ENV_VS_FROZEN = (
    "error: the argument `UV_LOCKED` (environment variable) cannot be used with `--frozen`"
)
ENV_VS_ENV = (
    "error: the argument `UV_LOCKED` (environment variable) cannot be used with "
    "`UV_FROZEN` (environment variable)"
)
IGNORING_FROZEN = "warning: Ignoring `UV_FROZEN` because `--locked` was provided"
IGNORING_LOCKED = "warning: Ignoring `UV_LOCKED` because `--frozen` was provided"
IGNORING_FROZEN_CHECK = "warning: Ignoring `UV_FROZEN` because `--check` was provided"
STALE_LOCKED = "needs to be updated, but `--locked` was provided"
STALE_CHECK = "needs to be updated, but `--check` was provided"
ONLY_VALIDITY = "was only checked for validity, not whether it is up-to-date, because `UV_FROZEN=1`"


class Case(NamedTuple):
    """One uv invocation and what it must do: its exit code and a fragment of its stderr."""

    version: str
    env: dict[str, str]
    args: tuple[str, ...]
    returncode: int
    stderr: str | None  # None: neither an error nor a warning about UV_FROZEN/UV_LOCKED


def case(version: str, env: str, args: str, returncode: int, stderr: str | None) -> object:
    """`case("0.12.9", "UV_FROZEN=1", "sync --locked", 0, IGNORING_FROZEN)`, id'd by its parts."""
    settings = dict(item.split("=", 1) for item in env.split())
    return pytest.param(
        Case(version, settings, tuple(args.split()), returncode, stderr),
        id=f"{version}-{env.replace(' ', '+')}-uv {args}",
    )


# The four invocations of the brief, then `uv run --locked` and `uv lock --locked`, on a fresh lock.
FRESH_LOCK_CASES = [
    case(OLD, "UV_FROZEN=1", "sync --locked", 2, OLD_LOCKED_VS_FROZEN),
    case(OLD, "UV_FROZEN=0", "sync --locked", 2, OLD_LOCKED_VS_FROZEN),
    case(OLD, "UV_LOCKED=1", "sync --frozen", 2, OLD_FROZEN_VS_LOCKED),
    case(OLD, "UV_FROZEN=1 UV_LOCKED=1", "sync", 2, OLD_LOCKED_VS_FROZEN),
    case(OLD, "UV_FROZEN=1", "run --locked true", 2, OLD_LOCKED_VS_FROZEN),
    case(OLD, "UV_FROZEN=1", "lock --locked", 2, OLD_LOCKED_VS_CHECK_EXISTS),
    *(
        row
        for version in (ENV_NAMED, BEFORE)
        for row in (
            case(version, "UV_FROZEN=1", "sync --locked", 2, LOCKED_VS_ENV),
            case(version, "UV_FROZEN=0", "sync --locked", 0, None),
            case(version, "UV_LOCKED=1", "sync --frozen", 2, ENV_VS_FROZEN),
            case(version, "UV_FROZEN=1 UV_LOCKED=1", "sync", 2, ENV_VS_ENV),
            case(version, "UV_FROZEN=1", "run --locked true", 2, LOCKED_VS_ENV),
            case(version, "UV_FROZEN=1", "lock --locked", 2, LOCKED_VS_ENV),
        )
    ),
    case(BOUNDARY, "UV_FROZEN=1", "sync --locked", 0, IGNORING_FROZEN),
    case(BOUNDARY, "UV_FROZEN=0", "sync --locked", 0, None),
    case(BOUNDARY, "UV_LOCKED=1", "sync --frozen", 0, IGNORING_LOCKED),
    case(BOUNDARY, "UV_FROZEN=1 UV_LOCKED=1", "sync", 2, ENV_VS_ENV),
    case(BOUNDARY, "UV_FROZEN=1", "run --locked true", 0, IGNORING_FROZEN),
    case(BOUNDARY, "UV_FROZEN=1", "lock --locked", 0, IGNORING_FROZEN),
]

# A stale lock shows who wins: from 0.12.9 the flag's meaning applies, not the env var's. Before
# it, `uv lock --check` (no conflict declared) lets UV_FROZEN win: a stale lock passes the check.
STALE_LOCK_CASES = [
    case(BOUNDARY, "UV_FROZEN=1", "sync --locked", 1, STALE_LOCKED),
    case(BOUNDARY, "UV_FROZEN=1", "run --locked true", 2, STALE_LOCKED),
    case(BOUNDARY, "UV_FROZEN=1", "lock --locked", 1, STALE_LOCKED),
    case(BOUNDARY, "UV_FROZEN=1", "lock --check", 1, STALE_CHECK),
    case(BOUNDARY, "UV_LOCKED=1", "sync --frozen", 0, IGNORING_LOCKED),
    case(BEFORE, "UV_FROZEN=1", "lock --check", 0, ONLY_VALIDITY),
    case(ENV_NAMED, "UV_FROZEN=1", "lock --check", 0, None),
]


@pytest.fixture(scope="session")
def frozen_locked_uvs(reality_cache: Path) -> dict[str, Path]:
    """Every uv of VERSIONS, pip-installed at once, where conftest's `uv_bin` would put them."""
    with ThreadPoolExecutor(max_workers=len(VERSIONS)) as pool:
        paths = pool.map(lambda v: install_uv(reality_cache / f"uv-{v}", v), VERSIONS)
        return dict(zip(VERSIONS, paths))


@pytest.fixture(scope="session")
def locked_project(
    frozen_locked_uvs: dict[str, Path], uv_cache_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A project without dependencies and its uv.lock, written by the oldest uv (all read it)."""
    project = tmp_path_factory.mktemp("frozen-locked-template")
    (project / "pyproject.toml").write_text(PYPROJECT.format(requires_python=">=3.9"))
    result = run([frozen_locked_uvs[OLD], "lock"], project, clean_env(uv_cache_dir))
    assert result.returncode == 0, f"uv lock failed:\n{result.stderr}"
    return project


def clean_env(uv_cache_dir: Path, **settings: str) -> dict[str, str]:
    """Offline, with this interpreter; no outer UV_FROZEN/UV_LOCKED (uv_env drops all UV_*)."""
    return uv_env(uv_cache_dir, UV_OFFLINE="1", UV_PYTHON=sys.executable, **settings)


def project_copy(template: Path, dest: Path, *, stale: bool) -> Path:
    """A fresh copy of the locked project (its own `.venv`); `stale` widens requires-python."""
    dest.mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(template / name, dest / name)
    if stale:
        (dest / "pyproject.toml").write_text(PYPROJECT.format(requires_python=">=3.8"))
    return dest


def check(result: ProcResult, expected: Case) -> None:
    report = f"exit {result.returncode}, stderr:\n{result.stderr}"
    assert result.returncode == expected.returncode, report
    if expected.stderr is None:
        assert "UV_FROZEN" not in result.stderr, report
        assert "UV_LOCKED" not in result.stderr, report
    else:
        assert expected.stderr in result.stderr, report
    if expected.returncode == 0:
        assert not result.error_lines, report


@pytest.mark.parametrize("expected", FRESH_LOCK_CASES)
def test_fresh_lock(
    expected: Case,
    frozen_locked_uvs: dict[str, Path],
    locked_project: Path,
    uv_cache_dir: Path,
    tmp_path: Path,
) -> None:
    project = project_copy(locked_project, tmp_path / "project", stale=False)
    uv = frozen_locked_uvs[expected.version]
    check(run([uv, *expected.args], project, clean_env(uv_cache_dir, **expected.env)), expected)


@pytest.mark.parametrize("expected", STALE_LOCK_CASES)
def test_stale_lock(
    expected: Case,
    frozen_locked_uvs: dict[str, Path],
    locked_project: Path,
    uv_cache_dir: Path,
    tmp_path: Path,
) -> None:
    project = project_copy(locked_project, tmp_path / "project", stale=True)
    uv = frozen_locked_uvs[expected.version]
    check(run([uv, *expected.args], project, clean_env(uv_cache_dir, **expected.env)), expected)
    assert (project / "uv.lock").read_bytes() == (locked_project / "uv.lock").read_bytes()
