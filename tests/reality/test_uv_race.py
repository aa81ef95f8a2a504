"""Reality tests: real uv releases, modelled on shared/ray-lab/uvrace.sh (no mocks).

Each Ray worker starts as `uv run ...` in an unpacked copy of the working_dir, i.e. the same project
at a new path. These tests start N such `uv run` processes at once from a moved copy of a project
whose env is a shared, fixed-path `UV_PROJECT_ENVIRONMENT`, and count what uv did.

The race: ray-project/ray#51881. The fix in uv 0.7.14: the env lock in `uv run`, astral-sh/uv#14153.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .uvlab import (
    IMPORT_PROJECT,
    PROJECT,
    SharedEnvLab,
    moved_copy,
    run,
    uv_env,
    write_project,
)

pytestmark = pytest.mark.slow

ROUNDS = 6  # new paths, i.e. Ray jobs
WORKERS = 8  # `uv run` processes started at the same moment per new path

LabFactory = Callable[..., SharedEnvLab]


def imported_from(stdout: str) -> Path:
    """The project's `__file__`, as printed by IMPORT_PROJECT."""
    return Path(stdout.strip().splitlines()[-1])


def test_uv_0_7_13_workers_reinstall_the_project_at_once(shared_env_lab: LabFactory) -> None:
    """RUV102 (uv <= 0.7.13 has no env lock in `uv run`) and RUV101 (workers resync a shared env).

    With uv 0.7.13, the workers starting together from a new path all reinstall the project into
    the shared env at the same moment: ray-project/ray#51881, fixed by astral-sh/uv#14153 in
    0.7.14. The errors it causes (`Directory not empty`, missing RECORD, ModuleNotFoundError) are
    probabilistic, so they are printed, not asserted; more than one reinstall per new path is not.
    """
    lab = shared_env_lab("0.7.13")
    tally = lab.race(ROUNDS, WORKERS)
    print(tally.summary(f"uv 0.7.13, {WORKERS} workers x {ROUNDS} new paths"))

    assert max(tally.reinstalls_per_round) > 1
    assert sum(tally.reinstalls_per_round) > ROUNDS


def test_uv_0_7_14_reinstalls_once_per_new_path(shared_env_lab: LabFactory) -> None:
    """RUV102's threshold (uv >= 0.7.14 locks the env in `uv run`, astral-sh/uv#14153) and
    RUV101's message for new uv: no race, but still one reinstall per new path (per Ray job),
    which leaves the shared env pointing at that path; once it is gone, the import fails.
    """
    lab = shared_env_lab("0.7.14")
    tally = lab.race(ROUNDS, WORKERS)
    print(tally.summary(f"uv 0.7.14, {WORKERS} workers x {ROUNDS} new paths"))

    assert tally.reinstalls_per_round == [1] * ROUNDS
    assert tally.nonzero_exits == 0
    assert tally.error_lines == []

    last_copy = lab.work / f"moved-{ROUNDS - 1}"
    env_python = lab.env_dir / "bin" / "python"
    after = run([env_python, "-c", IMPORT_PROJECT], lab.work, uv_env(lab.cache_dir))
    assert imported_from(after.stdout).is_relative_to(last_copy)
    shutil.rmtree(last_copy)  # what Ray does with the session's working_dir copy
    gone = run([env_python, "-c", IMPORT_PROJECT], lab.work, uv_env(lab.cache_dir))
    assert gone.module_not_found


def test_uv_no_sync_keeps_workers_off_the_shared_env(shared_env_lab: LabFactory) -> None:
    """RUV101/RUV102 do not fire when UV_NO_SYNC reaches the workers; RUV109 fires instead.

    With UV_NO_SYNC=1 even uv 0.7.13 (no env lock) leaves the shared env alone: no reinstalls, no
    errors. But every worker imports the project from the original install, not from the copy it
    runs in (src layout: the copy's root on sys.path does not expose `src/`): stale code, RUV109.
    """
    lab = shared_env_lab("0.7.13")
    tally = lab.race(ROUNDS, WORKERS, UV_NO_SYNC="1")
    print(tally.summary(f"uv 0.7.13 + UV_NO_SYNC=1, {WORKERS} workers x {ROUNDS} new paths"))

    assert tally.reinstalls_per_round == [0] * ROUNDS
    assert tally.nonzero_exits == 0
    assert tally.error_lines == []
    for proc in tally.processes:
        assert imported_from(proc.stdout).is_relative_to(lab.project / "src")


@pytest.mark.parametrize("version", ["0.7.13", "0.13.9"])
def test_no_sync_without_env_runs_in_a_new_empty_dot_venv(
    version: str, uv_bin: Callable[[str], Path], uv_cache_dir: Path, tmp_path: Path
) -> None:
    """RUV106 `no-sync-without-prebuilt-env`: observed with uv 0.7.13 and 0.13.9.

    In a copy of the project at a new path, with no UV_PROJECT_ENVIRONMENT and no `.venv`,
    `uv run --no-sync` creates an empty `.venv` in the project directory (stderr: `Creating
    virtual environment at: .venv`), runs the command in it with exit 0, and installs nothing:
    `import raceproj` (a Ray worker's `import ray`) then fails with ModuleNotFoundError.
    """
    uv = uv_bin(version)
    original = write_project(tmp_path / "app")
    copy = moved_copy(original, tmp_path / "working_dir_copy")
    env = uv_env(uv_cache_dir, UV_PYTHON=sys.executable, UV_OFFLINE="1")
    no_sync = [uv, "run", "--no-sync", "python", "-c"]

    prefix = run([*no_sync, "import sys; print(sys.prefix)"], copy, env)
    assert prefix.returncode == 0, prefix.stderr
    assert Path(prefix.stdout.strip()) == copy / ".venv"
    assert "Creating virtual environment at: .venv" in prefix.stderr
    site_packages = list((copy / ".venv").glob("lib/python*/site-packages"))
    assert site_packages
    assert not list(site_packages[0].glob(f"{PROJECT}*"))

    imported = run([*no_sync, f"import {PROJECT}"], copy, env)
    assert imported.returncode == 1
    assert imported.module_not_found


def test_no_install_project_at_build_does_not_stop_worker_installs(
    shared_env_lab: LabFactory,
) -> None:
    """RUV101: `uv sync --no-install-project` at build time does not change the verdict.

    The first `uv run` from a moved copy installs the project into the shared env (from that copy),
    and a run from the next copy reinstalls it again. uv 0.7.14, so no race is involved.
    """
    lab = shared_env_lab("0.7.14", "--no-install-project")
    assert not list(lab.env_dir.glob(f"lib/python*/site-packages/{PROJECT}*"))

    first_copy = moved_copy(lab.project, lab.work / "job-1")
    first = run(lab.worker(), first_copy, lab.env())
    assert first.returncode == 0, first.stderr
    assert first.changed_env and not first.uninstalled
    assert imported_from(first.stdout).is_relative_to(first_copy)

    second_copy = moved_copy(lab.project, lab.work / "job-2")
    second = run(lab.worker(), second_copy, lab.env())
    assert second.returncode == 0, second.stderr
    assert second.uninstalled and second.changed_env
    assert imported_from(second.stdout).is_relative_to(second_copy)
