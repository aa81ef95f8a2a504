from __future__ import annotations

from collections.abc import Callable, Iterator

from uvray.facts import Facts, WorkerContext, truthy
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.pyproject import Pyproject
from uvray.rules import RuleMeta

DOC = """\
## What it does
Flags a project whose workers run under Ray's uv integration (the driver runs under `uv run` on
Ray >= 2.47, `RAY_RUNTIME_ENV_HOOK` names Ray's uv hook, or a runtime_env `py_executable` is
`uv run …`) while `ray` (with any extra) is not in `[project].dependencies`, or is only in a
dependency group or extra the workers' `uv run` leaves out (`--no-dev`/`UV_NO_DEV` for `dev`,
`--no-default-groups`, `--no-group`, `--only-group`, an extra nobody enables). When workers do not
sync (`--no-sync`/`UV_NO_SYNC`), the image's own `uv sync` decides what the env holds. Projects
without a `[project]` table (virtual workspace roots) and projects with dynamic dependencies are
skipped.

## Why is this bad?
With the integration active every worker is started as `uv run … default_worker.py` in the uv
project environment (`ray/_private/runtime_env/uv_runtime_env_hook.py` copies the driver's
`uv run` command into the runtime_env `py_executable`; `context.py::exec_worker` runs it). That
environment is the project's `.venv`, which does not see the image's system Ray: a worker whose
env has no `ray` cannot import `default_worker.py`'s dependencies and dies before registering
(`Some workers of the worker process(<pid>) have not registered within the timeout`).

- ray-project/ray#62679: "broken if working_dir's pyproject does not have ray as dependency".
- ray-project/ray#58839 (PR) and edoakes on ray-project/ray#56697: the worker env is the project
  env, so the project must depend on Ray.
- The Ray docs' uv example lists `"ray"` in the project's dependencies.

## Example
```toml
[project]
name = "job"
version = "0.1.0"
dependencies = ["numpy"]

[dependency-groups]
dev = ["ray[default]==2.47.1"]
```
with the driver started as `uv run --no-dev main.py`.

Use instead:
```toml
[project]
name = "job"
version = "0.1.0"
dependencies = ["numpy", "ray[default]==2.47.1"]
```

## How to fix
Add `ray==<the cluster's Ray version>` (with the extras you need) to `[project].dependencies`
and re-lock, or disable the integration (`RAY_ENABLE_UV_RUN_RUNTIME_ENV=0`) and ship workers a
pre-built env instead.

## Fix safety
No automatic fix: the Ray version and extras to add are the user's decision.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://github.com/ray-project/ray/issues/62679
- https://github.com/ray-project/ray/pull/58839
- https://github.com/ray-project/ray/issues/56697
- https://docs.astral.sh/uv/concepts/projects/dependencies/#default-groups
"""

META = RuleMeta(
    code="RUV207",
    name="ray-not-in-project-dependencies",
    severity=Severity.ERROR,
    summary="Ray's uv integration runs workers in the project env, but the project does not "
    "depend on ray",
    fix=None,
    doc=DOC,
)

Flags = dict[str, list[str | None]]


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for ctx in facts.contexts:
        project = ctx.project
        if not ctx.integration.active or project is None or not project.has_project:
            continue
        if _dynamic_dependencies(project):
            continue
        problem = _problem(project, ctx)
        if problem is None:
            continue
        location = Location(project.path, project.dependencies_line or project.project_line or 1)
        key = (location.path, location.line)
        if key in seen:
            continue
        seen.add(key)
        related: tuple[tuple[str, Location], ...] = ()
        if ctx.integration.location is not None:
            related = (("Ray's uv integration", ctx.integration.location),)
        yield Finding(
            code=META.code,
            message=(
                f"{problem}, but Ray's uv integration is active on {ctx.label} "
                f"({ctx.integration.reason}): every worker runs in the uv project env, which does "
                "not see the image's system Ray, so workers cannot start."
            ),
            location=location,
            severity=META.severity,
            fix='add "ray==<cluster version>" to [project].dependencies and re-lock',
            related=related,
        )


def _dynamic_dependencies(project: Pyproject) -> bool:
    table = project.data.get("project") if isinstance(project.data, dict) else None
    dynamic = table.get("dynamic") if isinstance(table, dict) else None
    return isinstance(dynamic, list) and "dependencies" in dynamic


def _problem(project: Pyproject, ctx: WorkerContext) -> str | None:
    """Why ray is missing from the workers' env, or None when it reaches them."""
    flags = ctx.worker_flags
    if any(v and v.split("[")[0].split("=")[0].strip() == "ray" for v in flags.get("with", [])):
        return None  # `uv run --with ray…`: Ray copies the driver's flags to every worker

    def env(name: str) -> str | None:
        s = ctx.setting(name)
        return None if s is None else s.value

    found = _missing(project, flags, env, "the workers' `uv run`")
    if found is not None or ctx.workers_sync or ctx.image is None:
        return found
    # Workers do not sync: the env is what the image's last `uv sync` installed.
    syncs = [(c, s) for c, s in ctx.image.build_commands if c.sub == "sync"]
    if not syncs:
        return None
    cmd, step = syncs[-1]
    vars_ = step.shell_env()

    def build_env(name: str) -> str | None:
        if name in cmd.assignments:
            return cmd.assignments[name]
        var = vars_.get(name)
        return None if var is None else var.value

    return _missing(project, cmd.options, build_env, f"the image's `{cmd.text()}`")


def _missing(
    project: Pyproject, flags: Flags, env: Callable[[str], str | None], who: str
) -> str | None:
    def has_ray(reqs) -> bool:
        return any(r.name == "ray" for r in reqs)

    groups = project.dependency_groups
    extras = project.optional_dependencies
    only = [g for g in flags.get("only-group", []) if g]
    if "only-dev" in flags:
        only.append("dev")
    if only:
        if any(has_ray(groups.get(g, [])) for g in only):
            return None
        return f"{who} installs only the group(s) {', '.join(only)}, which have no `ray`"
    if has_ray(project.dependencies):
        return None
    enabled_extras = set(extras) if "all-extras" in flags else {e for e in flags.get("extra", [])}
    if any(has_ray(extras.get(e, [])) for e in enabled_extras):
        return None
    enabled, dropped = _enabled_groups(project, flags, env)
    if any(has_ray(groups.get(g, [])) for g in enabled):
        return None
    in_groups = [g for g, reqs in groups.items() if has_ray(reqs)]
    if in_groups:
        why = "; ".join(f"`{g}` ({dropped.get(g, 'not a default group')})" for g in in_groups)
        return f"`ray` is only in dependency group(s) that {who} leaves out: {why}"
    in_extras = [e for e, reqs in extras.items() if has_ray(reqs)]
    if in_extras:
        return (
            f"`ray` is only in the optional dependencies {', '.join(in_extras)}, which {who} "
            "does not enable"
        )
    return f"`ray` is not in [project].dependencies of {project.path}"


def _enabled_groups(
    project: Pyproject, flags: Flags, env: Callable[[str], str | None]
) -> tuple[set[str], dict[str, str]]:
    groups = project.dependency_groups
    tool_uv = project.data.get("tool", {}).get("uv", {}) if isinstance(project.data, dict) else {}
    default = tool_uv.get("default-groups") if isinstance(tool_uv, dict) else None
    if default == "all":
        defaults = set(groups)
    elif isinstance(default, list):
        defaults = {g for g in default if isinstance(g, str)}
    else:
        defaults = {"dev"}
    dropped: dict[str, str] = {}
    if "no-default-groups" in flags or truthy(env("UV_NO_DEFAULT_GROUPS")):
        for g in defaults:
            dropped[g] = "default groups are disabled"
        defaults = set()
    if "no-dev" in flags:
        dropped["dev"] = "`--no-dev`"
    elif truthy(env("UV_NO_DEV")):
        dropped["dev"] = "UV_NO_DEV"
    for g in flags.get("no-group", []):
        if g:
            dropped[g] = f"`--no-group {g}`"
    enabled = set(defaults) | {g for g in flags.get("group", []) if g}
    if "all-groups" in flags:
        enabled |= set(groups)
    return enabled - set(dropped), dropped
