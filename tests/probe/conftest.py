"""Real venvs for the probe tests: built by real uv (from PyPI) and real pip, from real wheels.

A template venv is built once per session and copied per test (a copy is a real venv: its
bin/python symlink and pyvenv.cfg still hold). Set UVRAY_TEST_CACHE to keep uv, its cache and
the Ray venv between sessions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reality.uvlab import install_uv, uv_env

UV_VERSIONS = ("0.7.13", "0.13.9")
# Small pure-Python wheels with real dependencies: requests needs idna, urllib3, certifi and
# charset-normalizer (which brings a console script, `normalizer`).
PACKAGES = ("requests==2.32.3", "idna==3.10", "urllib3==2.2.3", "certifi==2024.8.30")


@pytest.fixture(scope="session")
def probe_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("UVRAY_TEST_CACHE")
    if configured:
        root = Path(configured).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return root
    return tmp_path_factory.mktemp("probe-cache")


@pytest.fixture(scope="session")
def uv_cache(probe_cache: Path) -> Path:
    return probe_cache / "uv-cache"


@pytest.fixture(scope="session")
def uv_of(probe_cache: Path) -> Callable[[str], Path]:
    installed: dict[str, Path] = {}

    def get(version: str) -> Path:
        if version not in installed:
            installed[version] = install_uv(probe_cache / f"uv-{version}", version)
        return installed[version]

    return get


@pytest.fixture(scope="session")
def uv(uv_of: Callable[[str], Path]) -> Path:
    return uv_of(UV_VERSIONS[-1])


def base_python() -> str:
    """The interpreter behind this one (the test runner may itself run from a venv)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def run(argv: list, **kw) -> subprocess.CompletedProcess:
    out = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False, **kw)
    assert out.returncode == 0, f"{argv} failed:\n{out.stdout}\n{out.stderr}"
    return out


def uv_venv(uv: Path, cache: Path, dest: Path, *packages: str, **settings: str) -> Path:
    env = uv_env(cache, **settings)
    run([uv, "venv", "--python", base_python(), dest], env=env)
    if packages:
        run([uv, "pip", "install", "--python", dest / "bin" / "python", *packages], env=env)
    return dest


@pytest.fixture(scope="session")
def uv_template(uv: Path, uv_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return uv_venv(uv, uv_cache, tmp_path_factory.mktemp("tpl") / "uv-venv", *PACKAGES)


@pytest.fixture(scope="session")
def pip_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv made by `python -m venv` (pip from ensurepip) and filled by that pip."""
    dest = tmp_path_factory.mktemp("tpl") / "pip-venv"
    run([base_python(), "-m", "venv", dest])
    run(
        [
            dest / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *PACKAGES,
        ]
    )
    return dest


@pytest.fixture
def venv(uv_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the uv-built venv, for a test to break."""
    dest = tmp_path / "venv"
    shutil.copytree(uv_template, dest, symlinks=True)
    return dest


def site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python3*/site-packages")
    return found


def dist_info(venv: Path, name: str) -> Path:
    (found,) = site_packages(venv).glob(f"{name}-*.dist-info")
    return found


def uvray_env(*args: str | Path, cwd: Path | None = None) -> tuple[int, list[dict]]:
    """`uvray env ... --format json` in a subprocess; (exit code, findings)."""
    hooks = Path(__file__).resolve().parents[2] / "hooks"
    env = dict(os.environ, PYTHONPATH=str(hooks))
    argv = [
        sys.executable,
        "-m",
        "uvray",
        "env",
        *map(str, args),
        "--format",
        "json",
        "--no-config",
    ]
    out = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    assert out.returncode in (0, 1), f"exit {out.returncode}:\n{out.stderr}"
    return out.returncode, json.loads(out.stdout)["findings"]


def codes(findings: list[dict]) -> set[str]:
    return {f["code"] for f in findings}
