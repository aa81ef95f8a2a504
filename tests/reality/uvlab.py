"""Small helpers to run real uv the way Ray's workers do (modelled on shared/ray-lab/uvrace.sh).

Ray starts each worker as `uv run ...` inside an unpacked copy of the job's working_dir, so uv
sees the same project at a new path. When the environment lives at a fixed path (an absolute
`UV_PROJECT_ENVIRONMENT`), every such `uv run` may reinstall the project into it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = "raceproj"

PYPROJECT = f"""\
[project]
name = "{PROJECT}"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

# Outer uv settings that would change what we measure; index/TLS settings are kept.
_KEPT_UV_VARS = (
    "UV_INDEX",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_NATIVE_TLS",
    "UV_HTTP_TIMEOUT",
    "UV_INSECURE_HOST",
)

# What uv prints on stderr when `uv run` changes the environment.
_INSTALL_LINE = re.compile(rf"^(?:Uninstalled|Installed) \d+ packages? |^ [-+] {PROJECT}\b", re.M)
_UNINSTALL_LINE = re.compile(rf"^Uninstalled \d+ packages? |^ - {PROJECT}\b", re.M)


def install_uv(venv_dir: Path, version: str) -> Path:
    """The uv binary of `version`, pip-installed from PyPI into its own venv (reused if there).

    It is installed next to `venv_dir` and renamed into place, so that sessions sharing a cache
    never see a half-installed uv (the uv binary does not care where its venv lives).
    """
    uv = venv_dir / "bin" / "uv"
    if uv_version(uv) == version:
        return uv
    staging = venv_dir.with_name(f"{venv_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    pip = _new_venv_pip(staging)
    out = subprocess.run(
        [*pip, "install", "--quiet", "--disable-pip-version-check", f"uv=={version}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, f"pip install uv=={version} failed:\n{out.stderr}"
    if uv_version(uv) != version:  # still missing or broken: no other session won meanwhile
        shutil.rmtree(venv_dir, ignore_errors=True)
    try:
        staging.rename(venv_dir)
    except OSError:  # another session got there first
        shutil.rmtree(staging, ignore_errors=True)
    assert uv_version(uv) == version, f"pip did not install uv {version} into {venv_dir}"
    return uv


def _new_venv_pip(venv_dir: Path) -> list[str]:
    """Create a venv and return a pip command that installs into it.

    The runner's own pip (`pip --python`, pip >= 22.3) spares the ~5 s of seeding pip into the venv.
    """
    if importlib.util.find_spec("pip") is not None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)], check=True)
        return [sys.executable, "-m", "pip", "--python", str(venv_dir / "bin" / "python")]
    subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True)
    return [str(venv_dir / "bin" / "python"), "-m", "pip"]


def uv_version(uv: Path) -> str | None:
    """`uv --version`'s version number, or None when the binary is missing or broken."""
    if not uv.exists():
        return None
    out = subprocess.run([str(uv), "--version"], capture_output=True, text=True, check=False)
    parts = out.stdout.split()
    return parts[1] if out.returncode == 0 and len(parts) >= 2 else None


def uv_env(cache_dir: Path, **settings: str) -> dict[str, str]:
    """A clean environment for uv: no outer VIRTUAL_ENV or uv settings, no downloads, no spinner."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("UV_") or key.startswith(_KEPT_UV_VARS)
    }
    env.pop("VIRTUAL_ENV", None)
    env.update(UV_CACHE_DIR=str(cache_dir), UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    env.update(settings)
    return env


def write_project(root: Path) -> Path:
    """Write a packaged src-layout project with no dependencies; return its directory."""
    package = root / "src" / PROJECT
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (package / "__init__.py").write_text("VALUE = 1\n")
    return root


def moved_copy(project: Path, dest: Path) -> Path:
    """The same project at a new path, like Ray's unpacked working_dir (no `.venv` copied)."""
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns(".venv"))
    return dest


def run(cmd: Sequence[str | Path], cwd: Path, env: Mapping[str, str]) -> ProcResult:
    """Run one command to completion."""
    out = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    return ProcResult(out.returncode, out.stdout, out.stderr)


def run_together(
    cmd: Sequence[str | Path], cwd: Path, env: Mapping[str, str], n: int, logs: Path
) -> list[ProcResult]:
    """Start `n` copies of `cmd` at the same moment (Popen all, then wait); collect each one."""
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    for i in range(n):
        with (logs / f"{i}.out").open("w") as out, (logs / f"{i}.err").open("w") as err:
            argv = [str(c) for c in cmd]
            procs.append(subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=out, stderr=err))
    return [
        ProcResult(
            proc.wait(timeout=300), (logs / f"{i}.out").read_text(), (logs / f"{i}.err").read_text()
        )
        for i, proc in enumerate(procs)
    ]


IMPORT_PROJECT = f"import {PROJECT}; print({PROJECT}.__file__)"


@dataclass(frozen=True)
class SharedEnvLab:
    """A project synced once into a shared env at a fixed path outside it, ready to be raced."""

    uv: Path
    project: Path  # the original project, the one `uv sync` installed from
    env_dir: Path  # the absolute UV_PROJECT_ENVIRONMENT
    cache_dir: Path
    work: Path

    def env(self, **settings: str) -> dict[str, str]:
        """The workers' environment; offline, since nothing may need the network at run time."""
        return uv_env(
            self.cache_dir, UV_PROJECT_ENVIRONMENT=str(self.env_dir), UV_OFFLINE="1", **settings
        )

    def worker(self) -> list[str | Path]:
        """What one Ray worker boils down to: `uv run python` importing the project."""
        return [self.uv, "run", "python", "-c", IMPORT_PROJECT]

    def race(self, rounds: int, n: int, **settings: str) -> RaceTally:
        """Each round: copy the project to a new path, start `n` workers there at once."""
        tally = RaceTally()
        for r in range(rounds):
            copy = moved_copy(self.project, self.work / f"moved-{r}")
            logs = self.work / "logs" / f"round-{r}"
            tally.rounds.append(run_together(self.worker(), copy, self.env(**settings), n, logs))
        return tally


def make_shared_env_lab(uv: Path, work: Path, cache_dir: Path, *sync_args: str) -> SharedEnvLab:
    """Write the project, `uv lock`, then `uv sync [sync_args]` into a shared env outside it."""
    lab = SharedEnvLab(uv, write_project(work / "app"), work / "shared-venv", cache_dir, work)
    build_env = uv_env(cache_dir, UV_PROJECT_ENVIRONMENT=str(lab.env_dir))
    for args in (["lock"], ["sync", "--python", sys.executable, *sync_args]):
        result = run([uv, *args], lab.project, build_env)
        assert result.returncode == 0, f"uv {' '.join(args)} failed:\n{result.stderr}"
    return lab


@dataclass(frozen=True)
class ProcResult:
    """One process's outcome, read the way uvrace.sh reads its logs."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    @property
    def changed_env(self) -> bool:
        """uv (re)installed or uninstalled the project (`Uninstalled 1 package`, ` + raceproj`)."""
        return bool(_INSTALL_LINE.search(self.stderr))

    @property
    def uninstalled(self) -> bool:
        return bool(_UNINSTALL_LINE.search(self.stderr))

    @property
    def module_not_found(self) -> bool:
        return "ModuleNotFoundError" in self.stderr


@dataclass
class RaceTally:
    """Counts over all rounds, as in the first table of shared/ray-lab/results-table.md."""

    rounds: list[list[ProcResult]] = field(default_factory=list)

    @property
    def processes(self) -> list[ProcResult]:
        return [p for round_ in self.rounds for p in round_]

    @property
    def reinstalls_per_round(self) -> list[int]:
        return [sum(p.changed_env for p in round_) for round_ in self.rounds]

    @property
    def nonzero_exits(self) -> int:
        return sum(p.returncode != 0 for p in self.processes)

    @property
    def error_lines(self) -> list[str]:
        return [line for p in self.processes for line in p.error_lines]

    @property
    def procs_with_error(self) -> int:
        return sum(bool(p.error_lines) for p in self.processes)

    @property
    def module_not_found(self) -> int:
        return sum(p.module_not_found for p in self.processes)

    def summary(self, label: str) -> str:
        lines = [
            f"{label}: processes={len(self.processes)} nonzero_exit={self.nonzero_exits} "
            f"procs_with_uv_error={self.procs_with_error} "
            f"ModuleNotFoundError={self.module_not_found} "
            f"reinstalls_per_round={self.reinstalls_per_round}"
        ]
        lines += [f"  {line}" for line in sorted(set(self.error_lines))]
        return "\n".join(lines)
