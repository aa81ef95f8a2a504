"""`uvray env` and the probe on real venvs: healthy ones report nothing, each kind of damage
(done the way it happens: a second dist-info, a lost RECORD, an interrupted install, a cache that
symlinked files went away...) is reported with its code."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.reality.uvlab import uv_env
from uvray import probe_host

from .conftest import codes, dist_info, run, site_packages, uv_venv, uvray_env

pytestmark = pytest.mark.slow


def only(findings: list[dict], code: str) -> list[dict]:
    return [f for f in findings if f["code"] == code]


def test_healthy_uv_venv_reports_nothing(venv: Path, tmp_path: Path) -> None:
    for extra in ([], ["--deep"]):
        rc, findings = uvray_env("--python", venv / "bin" / "python", *extra, cwd=tmp_path)
        assert (rc, findings) == (0, [])
    # The venv directory names the same environment.
    assert uvray_env("--python", venv, cwd=tmp_path) == (0, [])


def test_healthy_pip_venv_reports_nothing(pip_template: Path, tmp_path: Path) -> None:
    assert uvray_env("--python", pip_template, "--deep", cwd=tmp_path) == (0, [])


def test_probe_payload_describes_the_env(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no project here
    payload = probe_host.run_local(str(venv / "bin" / "python"), ["--env", str(venv)], 60)
    assert payload["env"]["path"] == str(venv)
    assert payload["env"]["is_venv"] is True
    assert payload["env"]["site_packages"] == [str(site_packages(venv))]
    assert payload["python"]["prefix"] == str(venv)
    # requests, idna, urllib3, certifi and charset-normalizer (uv venvs have no pip)
    assert payload["stats"]["distributions"] == 5
    assert payload["stats"]["record_entries"] > 50
    assert payload["findings"] == [] and payload["errors"] == []


def test_duplicate_dist_info(venv: Path, tmp_path: Path) -> None:
    # What an interrupted upgrade leaves: the old version's dist-info next to the new one's.
    new = dist_info(venv, "idna")
    old = new.with_name("idna-3.7.dist-info")
    shutil.copytree(new, old)
    meta = old / "METADATA"
    meta.write_text(meta.read_text().replace("Version: 3.10", "Version: 3.7", 1))
    rc, findings = uvray_env("--python", venv, cwd=tmp_path)
    assert rc == 1 and codes(findings) == {"RUV602"}
    assert "idna-3.10.dist-info" in findings[0]["message"]
    assert "idna-3.7.dist-info" in findings[0]["message"]


def test_missing_record(venv: Path, tmp_path: Path) -> None:
    (dist_info(venv, "urllib3") / "RECORD").unlink()
    rc, findings = uvray_env("--python", venv, cwd=tmp_path)
    assert rc == 1 and codes(findings) == {"RUV601"}
    assert "urllib3 2.2.3 lacks RECORD" in findings[0]["message"]
    assert findings[0]["severity"] == "error"


def test_tmp_leftovers(venv: Path, tmp_path: Path) -> None:
    # uv's staging names (#51881: "No such file or directory ... .dist-info/.tmpXXXXXX").
    (site_packages(venv) / ".tmpA1b2C3").mkdir()
    (dist_info(venv, "certifi") / ".tmpZ9y8X7").write_text("")
    rc, findings = uvray_env("--python", venv, cwd=tmp_path)
    assert rc == 1 and codes(findings) == {"RUV603"}
    assert "2 leftovers" in findings[0]["message"]


def test_record_file_deleted_or_changed(venv: Path, tmp_path: Path) -> None:
    package = site_packages(venv) / "requests"
    (package / "help.py").unlink()
    rc, findings = uvray_env("--python", venv, cwd=tmp_path)
    assert rc == 1 and codes(findings) == {"RUV604"}
    assert "1 missing (requests/help.py)" in findings[0]["message"]

    # Same size, other bytes: only --deep (sha256) sees it.
    shutil.copy(dist_info(venv, "requests").parent / "requests" / "api.py", tmp_path / "keep")
    api = package / "api.py"
    data = bytearray(api.read_bytes())
    data[-2] = ord("#") if data[-2] != ord("#") else ord("!")
    api.write_bytes(bytes(data))
    _, cheap = uvray_env("--python", venv, cwd=tmp_path)
    assert "api.py" not in cheap[0]["message"]
    _, deep = uvray_env("--python", venv, "--deep", cwd=tmp_path)
    assert codes(deep) == {"RUV604"}
    assert "1 with another hash or size (requests/api.py)" in deep[0]["message"]


def test_unsatisfied_requirements_match_uv_pip_check(
    venv: Path, uv: Path, uv_cache: Path, tmp_path: Path
) -> None:
    env = uv_env(uv_cache)
    python = venv / "bin" / "python"
    run([uv, "pip", "uninstall", "--python", python, "certifi"], env=env)
    run([uv, "pip", "install", "--python", python, "--no-deps", "idna==2.4"], env=env)
    rc, findings = uvray_env("--python", venv, cwd=tmp_path)
    messages = sorted(f["message"].split(": ", 1)[1] for f in only(findings, "RUV605"))
    assert rc == 1 and codes(findings) == {"RUV605"}
    assert messages == [
        "requests 2.32.3 requires certifi>=2017.4.17, which is not installed",
        "requests 2.32.3 requires idna<4,>=2.5, but idna 2.4 is installed",
    ]
    # uv's own checker agrees on what is broken.
    check = subprocess.run(
        [uv, "pip", "check", "--python", python], env=env, capture_output=True, text=True
    )
    assert check.returncode == 1
    said = check.stdout + check.stderr
    assert "certifi" in said and "idna" in said


def test_dangling_symlinks_from_a_vanished_cache(uv: Path, tmp_path: Path) -> None:
    # uv's symlink link-mode into a cache that is not there at run time (a build cache mount).
    cache = tmp_path / "mounted-cache"
    venv = uv_venv(uv, cache, tmp_path / "venv", "idna==3.10", UV_LINK_MODE="symlink")
    assert any(p.is_symlink() for p in site_packages(venv).rglob("*.py"))
    shutil.rmtree(cache)
    rc, findings = uvray_env("--python", venv, cwd=tmp_path)
    assert rc == 1
    assert "RUV612" in codes(findings)
    (dangling,) = only(findings, "RUV612")
    assert "dangling symlinks in the environment" in dangling["message"]
    # RECORD's files are gone too (the links point nowhere).
    assert "RUV604" in codes(findings)


def test_venv_whose_python_is_gone(venv: Path, tmp_path: Path) -> None:
    # A venv copied onto another base: its interpreter links point at a Python that is not there.
    for name in ("python", "python3"):
        link = venv / "bin" / name
        link.unlink()
        link.symlink_to("/opt/gone/bin/python3.11")
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(
        "".join(
            "home = /opt/gone/bin\n" if ln.startswith("home") else ln + "\n"
            for ln in cfg.read_text().splitlines()
        )
    )
    rc, findings = uvray_env("--python", venv, cwd=tmp_path)
    assert rc == 1
    messages = [f["message"] for f in only(findings, "RUV611")]
    assert any("points at /opt/gone/bin/python3.11, which does not exist" in m for m in messages)
    assert any("pyvenv.cfg home /opt/gone/bin does not exist" in m for m in messages)
    assert "RUV612" not in codes(findings)  # the interpreter links are RUV611's, not twice


def test_read_only_env_with_integration(uv_template: Path) -> None:
    # A venv owned by root and run by another user (rayproject/ray runs as uid 1000), or, when
    # the tests are not root, a venv its owner made read-only.
    shared = Path(tempfile.mkdtemp(prefix="uvray-ro-", dir="/tmp"))
    try:
        shared.chmod(0o755)
        venv = shared / "venv"
        shutil.copytree(uv_template, venv, symlinks=True)
        options = ["--env", str(venv), "--integration"]
        argv = [str(venv / "bin" / "python"), "-I", "-", *options]
        if os.geteuid() == 0:
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
        else:
            for p in [venv, *venv.rglob("*")]:
                if p.is_dir() and not p.is_symlink():
                    p.chmod(p.stat().st_mode & ~0o222)
        out = subprocess.run(
            argv, input=probe_host.probe_source(), capture_output=True, cwd=shared, check=False
        )
        payload = probe_host.parse_output(out.stdout, "probe")
        found = {f["code"]: f for f in payload["findings"]}
        assert "RUV613" in found, payload["findings"]
        assert "Permission denied (os error 13)" in found["RUV613"]["message"]
        # Without the integration nobody syncs at run time: a read-only env is the right one.
        argv.remove("--integration")
        out = subprocess.run(
            argv, input=probe_host.probe_source(), capture_output=True, cwd=shared, check=False
        )
        assert "RUV613" not in codes(probe_host.parse_output(out.stdout, "probe")["findings"])
    finally:
        for p in [shared, *shared.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(p.stat().st_mode | stat.S_IWUSR)
        shutil.rmtree(shared)


def test_probe_writes_nothing_outside_its_temp_dir(venv: Path, tmp_path: Path) -> None:
    def snapshot(root: Path) -> dict:
        return {
            str(p): (p.lstat().st_mtime_ns, p.lstat().st_size) for p in [root, *root.rglob("*")]
        }

    before = snapshot(venv)
    tmp_before = set(os.listdir(tempfile.gettempdir()))
    probe_host.run_local(str(venv / "bin" / "python"), ["--env", str(venv), "--deep"], 60)
    assert snapshot(venv) == before
    leftovers = {
        n for n in set(os.listdir(tempfile.gettempdir())) - tmp_before if "uvray-probe" in n
    }
    assert not leftovers


def test_probe_runs_under_another_interpreter_than_the_envs(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # The host's Python probing the venv from outside sees the same environment.
    payload = probe_host.run_local(sys.executable, ["--env", str(venv)], 60)
    assert payload["env"]["site_packages"] == [str(site_packages(venv))]
    assert payload["findings"] == []
