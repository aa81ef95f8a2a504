from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator

from uvray.facts import Facts, WorkerContext
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.pyproject import Pyproject, UvSource
from uvray.readers.rayconfig import RuntimeEnv
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note
from uvray.working_dir import driver_cwd, resolve_dir, submit_dir

DOC = """\
## What it does
Flags a project whose workers run under Ray's uv integration while its uv configuration points
outside the job's `working_dir` — the only part of the repository Ray ships to workers:
- **(a)** a `[tool.uv.sources]` entry with `path = "../…"` (editable or not) that resolves outside
  the working_dir — error; an absolute `path` — warning (it works only where every Ray node has
  that path, e.g. baked into the image);
- **(b)** `[tool.uv.workspace] members` globs that start outside the working_dir;
- **(c)** the project is a member of a workspace whose root lies outside the working_dir, and it
  uses `{ workspace = true }` sources.

The working_dir is the one the submission gives (`ray job submit --working-dir`, runtime_env
`working_dir`, resolved from where `ray job submit` runs), else the directory Ray's uv hook
uploads: the driver's cwd (a workflow step's directory), else the project directory. Sources
that are `git`, `url`, `index`, or `workspace = true` inside the working_dir are fine. Not flagged
when workers do not sync (`UV_NO_SYNC`/`--no-sync`: uv then reads no sources), or when the
runtime_env `excludes` drop `pyproject.toml` (workers then find no project), or when the
working_dir is a remote URI uvray cannot see into.

## Why is this bad?
Every worker runs `uv run …` inside the unpacked copy of the working_dir
(`/tmp/ray/session_*/runtime_resources/working_dir_files/_ray_pkg_<hash>`), where uv resolves
relative source paths against that copy. Nothing outside it was shipped. Measured with uv 0.13.9
on a copy of a project with `lib = { path = "../lib", editable = true }`:

    error: Failed to generate package metadata for `lib==0.1.0 @ editable+../lib`
      cause: Distribution not found at: file:///tmp/…/lib

(`directory+../lib` without `editable`; older uv prints `Caused by:`), and with `--frozen`
(or `UV_FROZEN`): `error: Failed to determine installation plan` / `cause: Distribution not found
at: file:///…`. A member outside the working_dir, or a member copied without its workspace root,
gives `` `foo` references a workspace in `tool.uv.sources` (e.g., `foo = { workspace = true }`), but
is not a workspace member `` (the member case with `--frozen`: no `uv.lock` either). `uv run
--no-sync` printed nothing. The worker dies before registering, so Ray reports `Some workers of
the worker process(<pid>) have not registered within the timeout`.

The Ray docs: editable packages "must be inside your current working directory so it's available
to all workers". SkyRL's test conftest excludes `pyproject.toml`/`uv.lock` because "Ray's UV hook
tries to replicate editable install paths (e.g., sglang @ editable+../../sglang/python) that don't
exist in Ray workers".

## Example
```toml
[project]
name = "job"
version = "0.1.0"
dependencies = ["ray[default]==2.47.1", "shared"]

[tool.uv.sources]
shared = { path = "../shared", editable = true }
```
Use instead: make the working_dir the common parent (`ray job submit --working-dir .. -- uv run
--project job …`), move `shared` inside the project, ship it with `py_modules`, or publish it
and depend on a version.

## How to fix
Put everything uv needs inside the working_dir, or depend on a built wheel/git URL instead of a
path.

## Fix safety
No automatic fix.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://docs.astral.sh/uv/concepts/projects/dependencies/#path
- https://docs.astral.sh/uv/concepts/projects/workspaces/
"""

META = RuleMeta(
    code="RUV206",
    name="uv-sources-outside-working-dir",
    severity=Severity.ERROR,
    summary="`[tool.uv.sources]` paths or workspace members outside the working_dir Ray ships "
    "to workers",
    fix=None,
    doc=DOC,
)

_FIX = (
    "keep path sources and workspace members inside the working_dir (or widen the "
    "working_dir), or depend on a wheel/git URL"
)
_NOT_FOUND = "Distribution not found at: file:///…/{name}"
_NOT_MEMBER = (
    "`{name}` references a workspace in `tool.uv.sources` (e.g., `{name} = {{ workspace = true "
    "}}`), but is not a workspace member"
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    if not any(p.uv_source_list or p.has_workspace for p in repo.pyprojects.values()):
        return
    seen: set[tuple[str, int]] = set()
    for ctx in facts.contexts:
        project = ctx.project
        if project is None or not ctx.integration.active or not ctx.workers_sync:
            continue
        if _excludes_pyproject(ctx):
            continue  # trap 11: workers find no project
        working_dir = _working_dir(facts, ctx)
        if working_dir is None or not _under(project.dir, working_dir):
            continue  # unknown, or the pyproject itself is not shipped (RUV205)
        for finding in _judge(repo, ctx, project, working_dir):
            key = (finding.location.path, finding.location.line)
            if key not in seen:
                seen.add(key)
                yield finding


def _judge(repo: Repo, ctx: WorkerContext, project: Pyproject, wd: str) -> Iterator[Finding]:
    frozen = ctx.frozen() is not None
    for member in [project, *_members_inside(repo, project, wd)]:
        for source in member.uv_source_list:
            if source.kind in ("path", "editable-path"):
                finding = _path_source(ctx, member, source, wd, frozen)
                if finding is not None:
                    yield finding
    if project.has_workspace:
        outside = [g for g in project.workspace_members if _glob_escapes(project.dir, g, wd)]
        if outside:
            yield _finding(
                ctx,
                Location(project.path, project.workspace_line or 1),
                f"[tool.uv.workspace] members {', '.join(repr(g) for g in outside)} start "
                f"outside the working_dir {_shown(wd)}",
                "workers see no such members; a dependency on one fails with "
                f"`{_NOT_MEMBER.format(name='<member>')}`"
                + (f" (with --frozen/UV_FROZEN: `{_NOT_FOUND.format(name='<member>')}`)"),
                Severity.ERROR,
            )
    root = _workspace_root(repo, project)
    if root is not None and not _under(root.dir, wd):
        names = [s.name for s in project.uv_source_list if s.kind == "workspace"]
        if names:
            yield _finding(
                ctx,
                Location(project.path, project.uv_sources[names[0]].line or 1),
                f"{project.path} is a member of the workspace rooted at {root.path}, outside the "
                f"working_dir {_shown(wd)}, and takes {', '.join(f'`{n}`' for n in names)} "
                "from it (`workspace = true`)",
                f"workers get the member without its root: `{_NOT_MEMBER.format(name=names[0])}`",
                Severity.ERROR,
            )


def _path_source(
    ctx: WorkerContext, member: Pyproject, source: UvSource, wd: str, frozen: bool
) -> Finding | None:
    value = source.value
    if not value or "$" in value or "://" in value:
        return None
    location = Location(member.path, source.line or 1)
    kind = "editable" if source.kind == "editable-path" else "directory"
    if value.startswith("/") or (len(value) > 2 and value[1] == ":"):
        return _finding(
            ctx,
            location,
            f"`{source.name}` comes from the absolute path `{value}`, which is not part of the "
            f"working_dir {_shown(wd)}",
            "workers resolve it on their node; unless every Ray node has that path (baked into "
            f"the image), their `uv run` fails: `{_NOT_FOUND.format(name=value.lstrip('/'))}`",
            Severity.WARNING,
        )
    target = posixpath.normpath(posixpath.join(member.dir, value))
    if _under(target, wd):
        return None
    if frozen:
        error = f"error: Failed to determine installation plan / cause: {_NOT_FOUND}"
    else:
        error = (
            f"error: Failed to generate package metadata for `{source.name}==… @ "
            f"{kind}+{value}` / cause: {_NOT_FOUND}"
        )
    return _finding(
        ctx,
        location,
        f'`{source.name}` comes from `path = "{value}"` ({_shown(target)}), outside the '
        f"working_dir {_shown(wd)} that Ray ships to workers",
        "every worker's `uv run` resolves it inside the unpacked copy, where it does not exist: "
        f"`{error.format(name=posixpath.basename(target))}`",
        Severity.ERROR,
    )


def _finding(
    ctx: WorkerContext, location: Location, what: str, outcome: str, severity: Severity
) -> Finding:
    related: tuple[tuple[str, Location], ...] = ()
    if ctx.driver is not None:
        related = (("driver", ctx.driver.location),)
    elif ctx.integration.location is not None:
        related = (("Ray's uv integration", ctx.integration.location),)
    return Finding(
        code=META.code,
        message=f"{what}: {outcome}; the worker never registers. " + integration_note(ctx),
        location=location,
        severity=severity,
        fix=_FIX,
        related=related,
    )


def _working_dir(facts: Facts, ctx: WorkerContext) -> str | None:
    """The job's working_dir, repo-relative; None when it is remote or unknowable."""
    driver = ctx.driver
    fallback = ctx.project.dir if ctx.project is not None else ctx.project_dir
    if driver is None:
        return fallback
    if driver.working_dir:
        found = resolve_dir(submit_dir(facts, driver), driver.working_dir)
        if found is None or found.startswith("/"):
            return None  # a URI, an image path, or relative to a place uvray cannot see
        return found
    if driver.uv_run is None:
        return fallback
    cwd = driver_cwd(facts, ctx, driver)
    if cwd is None or cwd.startswith("/"):
        return fallback  # on a cluster or in an image: its project directory
    return cwd


def _excludes_pyproject(ctx: WorkerContext) -> bool:
    env = ctx.driver.runtime_env if ctx.driver is not None else None
    if not isinstance(env, RuntimeEnv):
        return False
    for pattern in env.excludes:
        pattern = pattern.strip().lstrip("/")
        if pattern and fnmatch.fnmatchcase("pyproject.toml", posixpath.basename(pattern)):
            return True
    return False


def _members_inside(repo: Repo, project: Pyproject, wd: str) -> list[Pyproject]:
    """The project's workspace members that Ray ships (inside the working_dir)."""
    if not project.has_workspace:
        return []
    out = []
    for directory, member in repo.pyprojects.items():
        if member is project or not _under(directory, wd) or not _under(directory, project.dir):
            continue
        if _is_member(project, directory):
            out.append(member)
    return out


def _workspace_root(repo: Repo, project: Pyproject) -> Pyproject | None:
    """The workspace root above the project that lists it as a member, if any."""
    directory = project.dir
    while directory:
        directory = posixpath.dirname(directory)
        root = repo.pyprojects.get(directory)
        if root is not None and root.has_workspace and _is_member(root, project.dir):
            return root
    return None


def _is_member(root: Pyproject, directory: str) -> bool:
    rel = posixpath.relpath(directory or ".", root.dir) if root.dir else directory
    if rel.startswith(".."):
        return False
    return any(fnmatch.fnmatchcase(rel, g) for g in root.workspace_members) and not any(
        fnmatch.fnmatchcase(rel, g) for g in root.workspace_exclude
    )


def _glob_escapes(base: str, glob: str, wd: str) -> bool:
    """Does a members glob start outside the working_dir? Judged on its fixed prefix."""
    if glob.startswith("/"):
        return True
    fixed = []
    for part in glob.split("/"):
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    prefix = posixpath.normpath(posixpath.join(base, *fixed)) if fixed else base
    return not _under("" if prefix == "." else prefix, wd)


def _under(path: str, directory: str) -> bool:
    if path == ".." or path.startswith("../") or path.startswith("/"):
        return False
    return directory == "" or path == directory or path.startswith(directory + "/")


def _shown(path: str) -> str:
    return f"<checkout>/{path}" if path else "<checkout>"
