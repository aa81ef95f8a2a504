"""The probe on a venv with real Ray from PyPI: the smoke test passes (and fails when it cannot
finish), Ray's hook module is found, uv and version skew are reported, and every Requires-Dist
of Ray (all its extras: the `ray[default]` set and more) parses and evaluates like packaging."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from uvray import probe_host
from uvray.findings import Location

from .conftest import base_python, codes, dist_info, run
from .test_pep440_508 import assert_same_requirement

pytestmark = pytest.mark.slow

RAY = "2.60.0"


@pytest.fixture(scope="session")
def ray_venv(uv: Path, uv_cache: Path, probe_cache: Path) -> Path:
    """A venv with ray from PyPI (~70 MB once; kept under UVRAY_TEST_CACHE when set)."""
    dest = probe_cache / f"ray-{RAY}-venv"
    if (dest / "bin" / "python").exists():
        return dest
    staging = dest.with_name(dest.name + f".tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    env = dict(os.environ, UV_CACHE_DIR=str(uv_cache), UV_PYTHON_DOWNLOADS="never")
    env.pop("VIRTUAL_ENV", None)
    run([uv, "venv", "--python", base_python(), staging], env=env)
    run([uv, "pip", "install", "--python", staging / "bin" / "python", f"ray=={RAY}"], env=env)
    try:
        staging.rename(dest)
    except OSError:  # another session got there first
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def ray_processes(marker: str) -> list[int]:
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmd:
            pids.append(int(pid))
    return pids


def test_smoke_passes_on_a_real_ray(
    ray_venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    had_dot_ray = (Path.home() / ".ray").exists()
    payload = probe_host.run_local(
        str(ray_venv / "bin" / "python"), ["--smoke", "--smoke-timeout", "60"], 120
    )
    smoke = payload["smoke"]
    assert smoke["passed"], smoke
    assert smoke["seconds"] < 60
    assert payload["findings"] == [] and payload["errors"] == []
    assert payload["ray"] == {"version": RAY, "hook_module": True}
    # Ray is gone afterwards, and wrote nothing outside the probe's temp dir.
    assert not ray_processes(smoke["temp_dir"])
    assert (Path.home() / ".ray").exists() == had_dot_ray


def test_smoke_that_cannot_finish_is_reported(
    ray_venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    payload = probe_host.run_local(
        str(ray_venv / "bin" / "python"), ["--smoke", "--smoke-timeout", "2"], 60
    )
    assert payload["smoke"]["timed_out"] is True
    (finding,) = probe_host.findings_from_probe(payload, Location("venv/bin/python"))
    assert finding.code == "RUV614"
    assert "the Ray smoke test failed (timed out after 2.0s)" in finding.message
    assert not ray_processes(payload["smoke"]["temp_dir"])


def test_uv_and_version_skew_with_integration(
    ray_venv: Path,
    uv_of: Callable[[str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    python = str(ray_venv / "bin" / "python")
    options = ["--integration", "--expect-ray-version", "2.59.0", "--expect-python-version", "3.8"]
    path = os.environ["PATH"]
    # No uv on PATH at all (only what is not uv: the tests' PATH without any uv directory).
    monkeypatch.setenv(
        "PATH", os.pathsep.join(p for p in path.split(os.pathsep) if not shutil.which("uv", path=p))
    )
    payload = probe_host.run_local(python, options, 120)
    found = {(f["code"], f["message"]) for f in payload["findings"]}
    assert codes(payload["findings"]) == {"RUV608", "RUV610"}
    assert any("`uv` is not on PATH" in m for c, m in found if c == "RUV608")
    assert any("Ray 2.60.0 is installed, uv.lock says 2.59.0" in m for _, m in found)
    assert any("Python 3.11" in m and "asks for 3.8" in m for _, m in found)

    old = uv_of("0.7.13")
    monkeypatch.setenv("PATH", f"{old.parent}{os.pathsep}{path}")
    payload = probe_host.run_local(python, ["--integration"], 120)
    (finding,) = payload["findings"]
    assert finding["code"] == "RUV608" and "uv 0.7.13" in finding["message"]

    monkeypatch.setenv("PATH", f"{uv_of('0.13.9').parent}{os.pathsep}{path}")
    payload = probe_host.run_local(
        python,
        ["--integration", "--expect-ray-version", RAY, "--expect-python-version", "3.11"],
        120,
    )
    assert payload["findings"] == []
    assert payload["uv"]["version"] == "0.13.9"


def test_ray_without_its_hook_module_is_reported(ray_venv: Path, tmp_path: Path) -> None:
    # Ray < 2.43 has no uv hook; removing it from a copy is what such a Ray looks like to the probe.
    venv = tmp_path / "venv"
    shutil.copytree(ray_venv, venv, symlinks=True)
    site = dist_info(venv, "ray").parent
    (site / "ray" / "_private" / "runtime_env" / "uv_runtime_env_hook.py").unlink()
    payload = probe_host.run_local(str(venv / "bin" / "python"), ["--integration"], 120)
    ray = [f for f in payload["findings"] if f["code"] == "RUV609"]
    assert ray and "has no ray._private.runtime_env.uv_runtime_env_hook" in ray[0]["message"]
    assert payload["ray"]["hook_module"] is False


def test_every_ray_requirement_matches_packaging(ray_venv: Path) -> None:
    meta = (dist_info(ray_venv, "ray") / "METADATA").read_text(encoding="utf-8")
    head = meta.split("\n\n", 1)[0]
    texts = [
        ln.split(":", 1)[1].strip() for ln in head.splitlines() if ln.startswith("Requires-Dist:")
    ]
    assert len(texts) > 40  # the core requirements and every extra's (default, serve, tune...)
    assert any("extra ==" in t for t in texts)
    for text in texts:
        assert_same_requirement(text)


def test_ray_venv_is_consistent_like_uv_pip_check(
    ray_venv: Path, uv: Path, uv_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    payload = probe_host.run_local(str(ray_venv / "bin" / "python"), ["--deep"], 120)
    assert payload["findings"] == []
    check = subprocess.run(
        [uv, "pip", "check", "--python", ray_venv / "bin" / "python"],
        env=dict(os.environ, UV_CACHE_DIR=str(uv_cache)),
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
