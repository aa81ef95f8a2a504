"""`--worker-sync` with real uv (0.7.13 and 0.13.9): the seed layout (the project installed into an
absolute UV_PROJECT_ENVIRONMENT) is reported as RUV606, quoting uv's plan; the three fixed layouts
(UV_NO_SYNC, `[tool.uv] package = false`, an env per working_dir) are not. The probe's dry run
writes nothing to the env or the project."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reality.uvlab import PROJECT, uv_env, write_project

from .conftest import UV_VERSIONS, base_python, codes, run, uvray_env

pytestmark = pytest.mark.slow


def snapshot(*roots: Path) -> dict:
    return {
        str(p): (p.lstat().st_mtime_ns, p.lstat().st_size)
        for root in roots
        for p in [root, *root.rglob("*")]
    }


def build(uv: Path, cache: Path, work: Path, layout: str) -> tuple[Path, Path, dict[str, str]]:
    """(project, env dir, the workers' environment) for one layout, synced by real uv."""
    app = write_project(work / "app")
    settings: dict[str, str] = {}
    if layout == "per-working-dir":
        env_dir = app / ".venv"
    else:
        env_dir = work / "shared-venv"
        settings["UV_PROJECT_ENVIRONMENT"] = str(env_dir)
    if layout == "package-false":
        with (app / "pyproject.toml").open("a") as f:
            f.write("\n[tool.uv]\npackage = false\n")
    env = uv_env(cache, **settings)
    run([uv, "lock"], cwd=app, env=env)
    run([uv, "sync", "--python", base_python()], cwd=app, env=env)
    if layout == "no-sync":
        env["UV_NO_SYNC"] = "1"
    env["PATH"] = f"{uv.parent}{os.pathsep}{os.environ['PATH']}"
    return app, env_dir, env


@pytest.mark.parametrize("version", UV_VERSIONS)
@pytest.mark.parametrize("layout", ["seed", "no-sync", "package-false", "per-working-dir"])
def test_worker_sync_layouts(
    version: str,
    layout: str,
    uv_of: Callable[[str], Path],
    uv_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uv = uv_of(version)
    app, env_dir, env = build(uv, uv_cache, tmp_path, layout)
    for key in [k for k in os.environ if k.startswith("UV_") or k == "VIRTUAL_ENV"]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = snapshot(env_dir, app)
    rc, findings = uvray_env(
        "--python", env_dir / "bin" / "python", "--project", app, "--worker-sync", cwd=tmp_path
    )
    assert snapshot(env_dir, app) == before
    if layout != "seed":
        assert (rc, findings) == (0, [])
        return
    assert rc == 1 and codes(findings) == {"RUV606"}
    message = findings[0]["message"]
    assert f"would reinstall {PROJECT} in the shared environment {env_dir}" in message
    assert f"- {PROJECT}==0.1.0 (from file://{app})" in message
    assert f"+ {PROJECT} @ file:///" in message  # the copy's path: a temp dir of the probe's
