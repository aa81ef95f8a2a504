"""Reality tests for RUV110 `old-ray-worker-script-with-new-uv`: real uv 0.11.33 and 0.12.0.

Ray < 2.55 starts every worker as `uv run <flags> <site-packages>/ray/_private/workers/default_worker.py`
(`RuntimeEnvContext.exec_worker`, `context.py`; the hook's `py_executable` has no command), in a copy
of the job's working_dir. uv 0.12.0 made a breaking change (astral-sh/uv#20225, changelog: "Discover
projects relative to the script passed to `uv run`"): the project is searched from the *script's*
directory. site-packages has no pyproject.toml above it, so the worker runs outside the project,
with the first interpreter uv finds, silently; Ray's worker then dies on `No module named 'ray'`.
Ray >= 2.55 appends `python` (`uv run … python …/default_worker.py`), which keeps cwd discovery.

The stand-in here: a non-packaged project whose one dependency is a hand-made local wheel (the
stand-in for `ray`), and a script outside any project that prints `sys.prefix` and imports it.
Everything is local (no build backend, no index), so every uv call runs with UV_OFFLINE=1; only
the two uv releases come from PyPI (pip-installed once per session, see conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from .uvlab import ProcResult, run, uv_env

pytestmark = pytest.mark.slow

OLD = "0.11.33"  # the last 0.11 release on PyPI: cwd-relative project discovery
NEW = "0.12.0"  # the first release with script-relative discovery (astral-sh/uv#20225)
DEP = "ray_stand_in"

PYPROJECT = f"""\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["{DEP}"]

[tool.uv.sources]
{DEP} = {{ path = "wheels/{DEP}-0.1.0-py3-none-any.whl" }}
"""

WORKER = f"""\
import sys
print("prefix", sys.prefix)
import {DEP}
print("imported", {DEP}.__file__)
"""

NO_PROJECT = "No project found; searching for Python interpreter"
NO_SYNC_OUTSIDE = "warning: `--no-sync` has no effect when used outside of a project"


def write_wheel(directory: Path, name: str) -> Path:
    """A minimal pure-Python wheel with a valid RECORD: uv installs it offline, no build backend."""
    dist = f"{name}-0.1.0.dist-info"
    files = {
        f"{name}/__init__.py": "VALUE = 1\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: uvray-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }

    def digest(text: str) -> str:
        raw = hashlib.sha256(text.encode()).digest()
        return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    record = "".join(f"{p},{digest(t)},{len(t.encode())}\n" for p, t in files.items())
    files[f"{dist}/RECORD"] = record + f"{dist}/RECORD,,\n"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{name}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


class Lab:
    """One uv release, the project (the image's /app), the worker script in a fake
    site-packages outside it, and a PATH whose only Python lacks the stand-in for Ray."""

    def __init__(self, uv: Path, work: Path) -> None:
        self.uv = uv
        self.work = work
        self.project = work / "app"
        write_wheel(self.project / "wheels", DEP)
        (self.project / "pyproject.toml").write_text(PYPROJECT)
        workers = work / "site-packages" / "ray" / "_private" / "workers"
        workers.mkdir(parents=True)
        self.script = workers / "default_worker.py"
        self.script.write_text(WORKER)
        assert not any((p / "pyproject.toml").exists() for p in self.script.parents)
        # The first `python` on PATH: the base interpreter, which has no `ray_stand_in`.
        self.base_python = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
        self.copies = 0

    def env(self, **settings: str) -> dict[str, str]:
        env = uv_env(
            self.work / "uv-cache",
            UV_OFFLINE="1",
            UV_PYTHON_INSTALL_DIR=str(self.work / "no-managed-pythons"),
            PATH=os.pathsep.join([str(self.base_python.parent), "/usr/bin", "/bin"]),
        )
        env.update(settings)
        return env

    def build_shared_env(self) -> Path:
        """`uv sync` into a fixed-path env outside the project (UV_PROJECT_ENVIRONMENT=/opt/venv)."""
        shared = self.work / "shared-venv"
        result = run(
            [self.uv, "sync", "--python", self.base_python],
            self.project,
            self.env(UV_PROJECT_ENVIRONMENT=str(shared)),
        )
        assert result.returncode == 0, result.stderr
        return shared

    def worker(self, *uv_args: str | Path, **settings: str) -> tuple[Path, ProcResult]:
        """One Ray worker: `uv run <uv_args> <script>` in a new copy of the working_dir."""
        self.copies += 1
        copy = self.work / f"_ray_pkg_{self.copies}"
        shutil.copytree(self.project, copy, ignore=shutil.ignore_patterns(".venv"))
        return copy, run([self.uv, *uv_args, self.script], copy, self.env(**settings))


def prefix_of(result: ProcResult) -> Path:
    line = next(x for x in result.stdout.splitlines() if x.startswith("prefix "))
    return Path(line.split(" ", 1)[1])


def imports(result: ProcResult) -> bool:
    return result.returncode == 0 and "imported " in result.stdout


def runs_outside_project(result: ProcResult, copy: Path) -> bool:
    """What a Ray worker sees with uv >= 0.12: another interpreter, the import fails, and uv
    itself reports nothing (no `error:` line, no project sync)."""
    return (
        result.returncode == 1
        and f"No module named '{DEP}'" in result.stderr
        and prefix_of(result) != copy / ".venv"
        and not result.error_lines
        and not (copy / ".venv").exists()
    )


@pytest.fixture(scope="module")
def labs(uv_bin: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Mapping:
    return {v: Lab(uv_bin(v), tmp_path_factory.mktemp(f"ruv110-{v}")) for v in (OLD, NEW)}


def test_old_uv_runs_the_worker_script_in_the_working_dir_project(labs: Mapping) -> None:
    """uv 0.11.33: `uv run <script outside the project>` syncs and uses the cwd's project env
    (with `--isolated`: a temporary env holding the project's dependencies)."""
    lab = labs[OLD]
    copy, result = lab.worker("run")
    assert imports(result), result.stderr
    assert prefix_of(result) == copy / ".venv"
    _copy, isolated = lab.worker("run", "--isolated")
    assert imports(isolated), isolated.stderr


@pytest.mark.parametrize(
    "uv_args",
    [
        ("run",),
        ("run", "--directory", "."),
        ("run", "--python", "{python_version}"),
        ("run", "--isolated"),
    ],
    ids=["ray-2.53-form", "directory-dot", "ray-2.54-form-with-python-pin", "isolated"],
)
def test_new_uv_runs_the_worker_script_outside_the_project(
    labs: Mapping, uv_args: tuple[str, ...]
) -> None:
    """uv 0.12.0: the same command discovers no project from the script's directory and runs it
    with the first interpreter found: `No module named …`, exit 1, no uv error. Ray 2.54's
    `--python X.Y.Z` (PR #59768), `--directory .` and `py_executable: uv run --isolated` change
    nothing."""
    lab = labs[NEW]
    version = ".".join(map(str, sys.version_info[:3]))
    args = [a.format(python_version=version) for a in uv_args]
    copy, result = lab.worker(*args)
    print(result.stdout, result.stderr)
    assert runs_outside_project(result, copy)
    assert prefix_of(result) != copy / ".venv"


def test_new_uv_says_why_only_with_verbose(labs: Mapping) -> None:
    copy, result = labs[NEW].worker("-v", "run")
    assert NO_PROJECT in result.stderr
    assert runs_outside_project(result, copy)


@pytest.mark.parametrize("version", [OLD, NEW])
@pytest.mark.parametrize(
    ("uv_args", "settings"),
    [
        (("run", "--project", "."), {}),  # the driver's `uv run --project .`, copied to workers
        (("run",), {"UV_PROJECT": "."}),  # UV_PROJECT in the workers' env
        (("run", "python"), {}),  # Ray >= 2.55: `uv run … python <script>`
    ],
    ids=["project-flag", "UV_PROJECT", "ray-2.55-form-python"],
)
def test_opt_outs_keep_the_working_dir_project(
    labs: Mapping, version: str, uv_args: tuple[str, ...], settings: dict[str, str]
) -> None:
    copy, result = labs[version].worker(*uv_args, **settings)
    assert imports(result), result.stderr
    assert prefix_of(result) == copy / ".venv"


def test_no_sync_does_not_change_discovery(labs: Mapping) -> None:
    """UV_NO_SYNC with a prebuilt fixed-path env (the usual image): fine with 0.11.33, broken
    with 0.12.0, which even warns that `--no-sync` has no effect outside a project."""
    for version, works in ((OLD, True), (NEW, False)):
        lab = labs[version]
        shared = lab.build_shared_env()
        copy, result = lab.worker("run", UV_PROJECT_ENVIRONMENT=str(shared), UV_NO_SYNC="1")
        if works:
            assert imports(result), result.stderr
            assert prefix_of(result) == shared
        else:
            assert NO_SYNC_OUTSIDE in result.stderr
            assert runs_outside_project(result, copy)


@pytest.mark.parametrize("how", ["VIRTUAL_ENV", "PATH", "UV_PYTHON"])
def test_new_uv_finds_the_env_named_by_virtual_env_or_path(labs: Mapping, how: str) -> None:
    """Outside a project uv runs the interpreter UV_PYTHON names, else the first it finds:
    VIRTUAL_ENV, then `python` on PATH. An image that names its env there (`ENV PATH=/opt/venv/bin:$PATH`) keeps workers in
    it with uv 0.12.0 (unsynced): RUV110 does not fire for it."""
    lab = labs[NEW]
    shared = lab.build_shared_env()
    extra = {"UV_PROJECT_ENVIRONMENT": str(shared)}
    if how == "VIRTUAL_ENV":
        extra["VIRTUAL_ENV"] = str(shared)
    elif how == "UV_PYTHON":
        extra["UV_PYTHON"] = str(shared / "bin" / "python")
    else:
        extra["PATH"] = os.pathsep.join([str(shared / "bin"), lab.env()["PATH"]])
    _copy, result = lab.worker("run", **extra)
    assert imports(result), result.stderr
    assert prefix_of(result) == shared


@pytest.mark.parametrize(
    "settings",
    [{"UV_PREVIEW": "1"}, {"UV_PREVIEW_FEATURES": "target-workspace-discovery"}],
    ids=["UV_PREVIEW", "UV_PREVIEW_FEATURES"],
)
def test_preview_brings_the_new_discovery_to_old_uv(
    labs: Mapping, settings: dict[str, str]
) -> None:
    """0.12.0 stabilised the `target-workspace-discovery` preview (since 0.9.25, astral-sh/uv#17423):
    with preview on, 0.11.33 already runs the worker script outside the project."""
    copy, result = labs[OLD].worker("run", **settings)
    assert runs_outside_project(result, copy)


def test_new_uv_uses_the_project_whose_venv_holds_the_script(labs: Mapping) -> None:
    """When Ray is installed in a project's in-tree `.venv`, the worker script sits under that
    project: uv 0.12.0 uses it (the image's copy), not the working_dir copy the worker runs in."""
    lab = labs[NEW]
    image = lab.work / "image-app"
    shutil.copytree(lab.project, image, ignore=shutil.ignore_patterns(".venv"))
    synced = run([lab.uv, "sync", "--python", lab.base_python], image, lab.env())
    assert synced.returncode == 0, synced.stderr
    site_packages = next((image / ".venv").glob("lib/python*/site-packages"))
    workers = site_packages / "ray" / "_private" / "workers"
    workers.mkdir(parents=True)
    (workers / "default_worker.py").write_text(WORKER)
    copy = lab.work / "_ray_pkg_under_venv"
    shutil.copytree(lab.project, copy, ignore=shutil.ignore_patterns(".venv"))
    result = run([lab.uv, "run", workers / "default_worker.py"], copy, lab.env())
    assert imports(result), result.stderr
    assert prefix_of(result) == image / ".venv"
