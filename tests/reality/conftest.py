"""Fixtures for the reality tests: real uv releases from PyPI, one shared uv cache per session.

Set UVRAY_TEST_CACHE to a directory to keep the uv venvs and uv's cache between sessions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from .uvlab import SharedEnvLab, install_uv, make_shared_env_lab


@pytest.fixture(scope="session")
def reality_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("UVRAY_TEST_CACHE")
    if configured:
        root = Path(configured).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return root
    return tmp_path_factory.mktemp("reality-cache")


@pytest.fixture(scope="session")
def uv_cache_dir(reality_cache: Path) -> Path:
    """One UV_CACHE_DIR for every uv run in the session (it keeps the build backend offline)."""
    return reality_cache / "uv-cache"


@pytest.fixture(scope="session")
def uv_bin(reality_cache: Path) -> Callable[[str], Path]:
    """`uv_bin("0.7.13")` is the path of that uv, pip-installed once per session (or cache)."""
    installed: dict[str, Path] = {}

    def get(version: str) -> Path:
        if version not in installed:
            installed[version] = install_uv(reality_cache / f"uv-{version}", version)
        return installed[version]

    return get


@pytest.fixture
def shared_env_lab(
    uv_bin: Callable[[str], Path], uv_cache_dir: Path, tmp_path: Path
) -> Callable[..., SharedEnvLab]:
    """`shared_env_lab("0.7.14", "--no-install-project")`: a fresh project synced into a fresh
    shared env by that uv, with those `uv sync` flags."""

    def make(version: str, *sync_args: str) -> SharedEnvLab:
        return make_shared_env_lab(uv_bin(version), tmp_path, uv_cache_dir, *sync_args)

    return make
