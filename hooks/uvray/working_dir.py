"""Where a Ray driver runs and which local directory Ray packs as the job's working_dir.

Shared by the rules about what workers receive (RUV205, RUV206, RUV214, RUV215). The rules of
Ray's packing (`.gitignore`, `.rayignore` from 2.53, `excludes`) are in `Upload`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from uvray.commands import RaySubmit, UvCommand
from uvray.facts import Driver, Facts, Version, WorkerContext, integration
from uvray.findings import Location
from uvray.model import Repo, dir_of
from uvray.readers.ignorefile import IgnoreFile, read_ignore_file

IGNORE_GITIGNORE = "RAY_RUNTIME_ENV_IGNORE_GITIGNORE"


# `.rayignore` is read from this release on (packaging.get_excludes_from_ignore_files).
RAYIGNORE_SINCE = (2, 53)


@dataclass
class Upload:
    """A working_dir Ray packs and ships to the workers, seen from the repository."""

    ctx: WorkerContext
    directory: str  # repo-relative; "" = the repository root
    explicit: bool  # named by the submission (else the hook's "driver's cwd")
    # The env of the process that packs it (ray.init in the driver, or the `ray job submit` CLI).
    uploader_env: Mapping[str, object]
    location: Location  # where the upload starts (the driver or the submission)

    @property
    def ray(self) -> Version:
        return self.ctx.ray

    def ignores_gitignore(self) -> object | None:
        """The RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1 setting of the uploading process, if any."""
        entry = self.uploader_env.get(IGNORE_GITIGNORE)
        value = getattr(entry, "value", None)
        return entry if value is not None and value.strip() == "1" else None

    def excludes(self) -> IgnoreFile | None:
        runtime_env = self.ctx.driver.runtime_env if self.ctx.driver is not None else None
        patterns = getattr(runtime_env, "excludes", None)
        if not patterns:
            return None
        location = runtime_env.key_locations.get("excludes", runtime_env.location)
        model, _errors = read_ignore_file("\n".join(patterns), runtime_env.path, "git")
        # The excludes are relative to the working_dir, not to the runtime_env file.
        model.dir = self.directory
        for pattern in model.patterns:
            pattern.line = location.line
        return model


def uploads(repo: Repo, facts: Facts) -> list[Upload]:
    """Every local working_dir Ray uploads for a job whose workers start with `uv run`."""
    return facts.memo(("working-dir-uploads",), lambda: _uploads(repo, facts))


def _uploads(repo: Repo, facts: Facts) -> list[Upload]:
    steps = _workflow_steps(facts)
    out: list[Upload] = []
    seen: set[tuple[int, str, int]] = set()
    for ctx in [*facts.contexts, *_submission_contexts(repo, facts)]:
        driver = ctx.driver
        if driver is None or not ctx.integration.active:
            continue
        upload = _upload_of(repo, facts, ctx, driver, steps)
        if upload is None:
            continue
        key = (id(driver), upload.directory, id(ctx.env))
        if key not in seen:
            seen.add(key)
            out.append(upload)
    return out


def _upload_of(repo, facts, ctx: WorkerContext, driver: Driver, steps) -> Upload | None:
    if driver.working_dir:
        if driver.submit is None:
            return None  # a RayJob's / runtime_env file's path lives on the cluster side
        wd = driver.working_dir
        if "://" in wd or "$" in wd:
            return None  # a remote URI (packed elsewhere) or not known statically
        step = steps.get(id(driver.submit))
        if step is not None:
            base, env = step
        elif driver.location.path.endswith(".sh"):
            base, env = facts.home_of(driver.location.path), {}
        else:
            return None
        directory = join_in_repo(base, wd)
        explicit = True
        location = driver.location
    else:
        # Ray's hook packs the driver's current directory: only for drivers run here.
        if driver.uv_run is None or driver.submit is not None:
            return None
        step = steps.get(id(driver.uv_run))
        if step is not None:
            base, env = step[0], ctx.env
        elif ctx.image is not None and driver.location.path == ctx.image.dockerfile.path:
            base, env = ctx.project_dir, ctx.env
        else:
            return None
        move = driver.uv_run.value("directory")
        directory = join_in_repo(base, move) if move else base
        explicit = False
        location = driver.location
    if directory is None or directory not in repo.pyprojects:
        return None
    return Upload(ctx, directory, explicit, env, location)


def _workflow_steps(facts: Facts) -> dict[int, tuple[str, Mapping[str, object]]]:
    """id(command) -> (the step's directory, the step's env), for commands in `run:` steps."""

    def build() -> dict[int, tuple[str, Mapping[str, object]]]:
        out: dict[int, tuple[str, Mapping[str, object]]] = {}
        for wf, job, step, found in facts.workflow_commands:
            if not found:
                continue
            directory = facts.step_dir(wf, job, step)
            env: Mapping[str, object] = wf.effective_env(job, step)
            for item in found:
                if isinstance(item, UvCommand) and item.assignments and item.command[:1] == ["ray"]:
                    # `X=1 uv run ray job submit …`: the prefix reaches the CLI that packs.
                    prefix = {k: _Value(v, item.location) for k, v in item.assignments.items()}
                    out[id(item)] = (directory, {**env, **prefix})
                    continue
                out[id(item)] = (directory, env)
            _attach_prefixes(found, out)
        return out

    return facts.memo(("working-dir-steps",), build)


class _Value(NamedTuple):
    value: str | None
    location: Location


def _attach_prefixes(found: list, out: dict) -> None:
    """A `ray job submit` recognised inside `uv run …` gets that uv command's env prefix."""
    wrapper = None
    for item in found:
        if isinstance(item, UvCommand):
            wrapper = item if item.command[:1] == ["ray"] else None
        elif isinstance(item, RaySubmit) and wrapper is not None:
            if wrapper.location == item.location:
                out[id(item)] = out[id(wrapper)]
            wrapper = None


def _submission_contexts(repo: Repo, facts: Facts) -> list[WorkerContext]:
    """`ray job submit` drivers no image or KubeRay context carries (a repository that only
    submits to a cluster built elsewhere): their own context, with the submission's env_vars."""
    carried = {id(ctx.driver) for ctx in facts.contexts if ctx.driver is not None}
    out = []
    for driver in facts.cluster_drivers:
        if id(driver) in carried or driver.submit is None:
            continue
        home = facts.home_of(driver.location.path)
        project = repo.project_for(home)
        lock = repo.lock_for(project.dir) if project is not None else None
        ray = facts._ray_version(lock, None, None)
        env = dict(driver.env_vars)
        out.append(
            WorkerContext(
                label=f"submission at {driver.location.path}:{driver.location.line}",
                env=env,
                driver=driver,
                project=project,
                project_dir=project.dir if project is not None else home,
                lock=lock,
                uv=facts._uv_version(None),
                uv_pin=None,
                ray=ray,
                integration=integration(env, driver, True, ray),
                path=driver.location.path,
            )
        )
    return out


def join_in_repo(base: str, path: str) -> str | None:
    """path against a repo-relative base; None when absolute or outside the repository."""
    if path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    if joined in (".", ""):
        return ""
    return None if joined.startswith("..") else joined


def driver_cwd(facts: Facts, ctx: WorkerContext, driver: Driver) -> str | None:
    """The driver's working directory: repo-relative for a workflow step or script, an
    absolute image path (leading `/`) for an image's CMD; None when it runs on a cluster in a
    directory uvray cannot see."""
    assert driver.uv_run is not None
    if ctx.image is not None and any(d is driver for d in ctx.image.drivers):
        base: str | None = ctx.image.stage.workdir or "/"
    else:
        base = _step_dirs(facts).get(id(driver.uv_run))
        if base is None and driver.origin.startswith("script ") and driver.submit is None:
            base = dir_of(driver.location.path)
    if base is None:
        return None
    directory = driver.uv_run.value("directory")
    return resolve_dir(base, directory) if directory else base


def submit_dir(facts: Facts, driver: Driver) -> str | None:
    """Where `ray job submit` runs (its --working-dir is relative to that), repo-relative."""
    if driver.submit is not None:
        found = _step_dirs(facts).get(id(driver.submit))
        if found is not None:
            return found
        if driver.origin.startswith("script "):
            return dir_of(driver.location.path)
    return None


def resolve_dir(base: str | None, path: str) -> str | None:
    """path against base; absolute results keep their `/`; None when unknowable."""
    if "://" in path or "$" in path:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    if base is None:
        return None
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return "" if joined == "." else joined


def _step_dirs(facts: Facts) -> dict[int, str]:
    """id(command) -> the workflow step directory it runs in (repo-relative)."""

    def compute() -> dict[int, str]:
        out: dict[int, str] = {}
        for wf, job, step, found in facts.workflow_commands:
            directory = facts.step_dir(wf, job, step)
            for item in found:
                out[id(item)] = directory
                for inner in getattr(item, "entrypoint_commands", ()):
                    out[id(inner)] = directory
        return out

    return facts.memo(("working-dir-step-dirs",), compute)
