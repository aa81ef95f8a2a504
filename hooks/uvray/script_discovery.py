"""How a Ray worker's `uv run <default_worker.py>` finds the project, or misses it.

Ray < 2.55 starts workers as `uv run <options> <site-packages>/ray/_private/workers/default_worker.py`;
uv >= 0.12.0 looks for the project from the script's directory, where there is none, and runs the
worker outside the project env (measured: tests/reality/test_worker_script_discovery.py). RUV110
reports it; the rules about what worker syncs do to the env (RUV101, RUV107, RUV108) skip workers
that certainly never sync.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from uvray.facts import truthy

if TYPE_CHECKING:
    from uvray.facts import WorkerContext

# The first Ray whose uv hook ends py_executable with `python` (2.55.0 wheel; 2.54.0 only adds
# `--python X.Y.Z`): workers then run `uv run … python <default_worker.py>`.
APPENDS_PYTHON = (2, 55)
# uv discovers the project from the script's directory from this release on (astral-sh/uv#20225).
SCRIPT_DISCOVERY = (0, 12, 0)
# The same discovery as the `target-workspace-discovery` preview (astral-sh/uv#17423, 0.9.25).
PREVIEW_SINCE = (0, 9, 25)
PREVIEW_FEATURE = "target-workspace-discovery"
_VENV_NAMES = (".venv", "venv")


def explicit_project(ctx: WorkerContext) -> bool:
    """`--project`/`UV_PROJECT` beat script-relative discovery (crates/uv/src/lib.rs); with
    `--no-project`/`UV_NO_PROJECT` no uv release uses the project: nothing changed at 0.12."""
    flags = ctx.worker_flags
    if "project" in flags or "no-project" in flags:
        return True
    no_project = ctx.setting("UV_NO_PROJECT")
    if no_project is not None and truthy(no_project.value):
        return True
    project = ctx.setting("UV_PROJECT")
    return project is not None and bool(project.value or project.raw)


def env_interpreter(ctx: WorkerContext) -> bool:
    """Does uv >= 0.12 pick a venv's interpreter outside a project? It does for VIRTUAL_ENV, a
    venv's bin first on PATH, or UV_PYTHON/--python naming a venv's python (measured: the worker
    then runs in that env, unsynced)."""
    venv = ctx.setting("VIRTUAL_ENV")
    if venv is not None and (venv.value or venv.raw):
        return True
    project_env = ctx.setting("UV_PROJECT_ENVIRONMENT")
    env_dir = (project_env.value or project_env.raw) if project_env is not None else None
    path = ctx.setting("PATH")
    if path is not None and _is_venv_bin((path.value or path.raw or "").split(":", 1)[0], env_dir):
        return True
    python = ctx.setting("UV_PYTHON")
    flags = ctx.worker_flags
    wanted = [*(flags.get("python") or []), *(flags.get("p") or [])]
    if python is not None:
        wanted.append(python.value or python.raw)
    return any(
        text and "/" in text and _is_venv_bin(posixpath.dirname(text), env_dir) for text in wanted
    )


def _is_venv_bin(directory: str, project_env: str | None) -> bool:
    directory = directory.rstrip("/")
    if not directory.endswith("/bin"):
        return False
    env = directory[: -len("/bin")]
    if project_env and env == project_env.rstrip("/"):
        return True
    return posixpath.basename(env) in _VENV_NAMES


def script_discovery(ctx: WorkerContext) -> bool | None:
    """Does the workers' uv discover the project from the script's directory? None: unknown."""
    older = ctx.uv.older_than(SCRIPT_DISCOVERY)
    if older is not True:
        return None if older is None else True
    return preview(ctx) and ctx.uv.older_than(PREVIEW_SINCE) is False


def preview(ctx: WorkerContext) -> bool:
    preview = ctx.setting("UV_PREVIEW")
    if preview is not None and truthy(preview.value):
        return True
    features = ctx.setting("UV_PREVIEW_FEATURES")
    if features is not None and PREVIEW_FEATURE in (features.value or ""):
        return True
    flags = ctx.worker_flags
    if "preview" in flags:
        return True
    return any(PREVIEW_FEATURE in (value or "") for value in flags.get("preview-features", ()))


def workers_miss_project(ctx: WorkerContext) -> bool:
    """True when Ray's hook starts the workers (no user py_executable) on a Ray known to be older
    than 2.55, with a uv known to discover from the script, and nothing points uv at the project:
    the workers then never sync the project env (they fail, RUV110)."""
    driver = ctx.driver
    if driver is not None and driver.uv_run is None and driver.py_executable is not None:
        return False
    if ctx.ray.older_than(APPENDS_PYTHON) is not True:
        return False
    if explicit_project(ctx) or env_interpreter(ctx):
        return False
    return script_discovery(ctx) is True
