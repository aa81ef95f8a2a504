from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator

from uvray.commands import UvCommand
from uvray.edits import Edit, replace_in_lines
from uvray.facts import Facts, truthy
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Dockerfile, Stage, Step
from uvray.readers.pyproject import Pyproject
from uvray.rules import RuleMeta

DOC = """\
## What it does
Flags the dependency-only layer of a **uv workspace** (the root `pyproject.toml` has
`[tool.uv.workspace]` members) that runs `uv sync --locked` (or with `UV_LOCKED` set) while only
the root `pyproject.toml` and `uv.lock` are in the image: bind-mounted into that `RUN`
(`--mount=type=bind,source=pyproject.toml,…`) or copied one by one, with no member
`pyproject.toml` mounted or copied before it (no `COPY . …`, no copy of the members'
directories).

## Why is this bad?
uv validates `--locked` by re-resolving the whole workspace, and the workspace is defined by the
members' `pyproject.toml` files, which are not there. uv's Docker guide (section "Intermediate
layers in workspaces"): "uv cannot assert that the `uv.lock` file is up-to-date without each of
the workspace member `pyproject.toml` files, so we use `--frozen` instead of `--locked` to skip
the check during the initial sync."

Measured with uv 0.5.11, 0.7.13 and 0.13.9 (a workspace with one or two members; only the root
`pyproject.toml` and `uv.lock` in the directory; `uv sync --locked --no-install-workspace`
and `--no-install-project`), every version fails the build:

```
error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided.
```

and when the root depends on a member through `{ workspace = true }`:

```
error: Failed to build `app @ file:///app`
  Caused by: Failed to parse entry: `lib`
  Caused by: `lib` references a workspace in `tool.uv.sources` (e.g., `lib = { workspace = true }`), but is not a workspace member
```

`--frozen --no-install-workspace` succeeded with every version. `--frozen --no-install-project`
is not enough when the root depends on a member: uv still tries to install the member
(``Distribution not found at: file:///app/packages/lib``), which is why the guide pairs
`--frozen` with `--no-install-workspace`.

## Example
```dockerfile
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    --mount=type=bind,source=uv.lock,target=uv.lock \\
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\
    uv sync --locked --no-install-project
COPY . /app
RUN uv sync --locked
```
Use instead:
```dockerfile
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    --mount=type=bind,source=uv.lock,target=uv.lock \\
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\
    uv sync --frozen --no-install-workspace
COPY . /app
RUN uv sync --locked
```

## How to fix
In the first layer only, use `--frozen` instead of `--locked` and `--no-install-workspace`
instead of `--no-install-project`. Keep `--locked` on the full `uv sync` after the members are
copied: it still validates the lock for the whole workspace. Alternatively bind-mount every
member's `pyproject.toml` too.

## Fix safety
Safe: the edit changes only that `RUN`: `--locked` becomes `--frozen`, and
`--no-install-project` becomes `--no-install-workspace` (or `--no-install-workspace` is added
after `--frozen` when neither is there). The lock is still checked by the later full sync.
`--no-install-workspace` exists since uv 0.3 (uv's `changelogs/0.3.x.md`), so no uv version
this rule can meet lacks it; the behaviour above does not depend on the uv version.
Line continuations, line endings and `# escape=` directives are untouched. When `--locked` comes
from `UV_LOCKED` rather than the command line, no edit is made.

## References
- https://docs.astral.sh/uv/guides/integration/docker/#intermediate-layers
- https://docs.astral.sh/uv/concepts/projects/workspaces/
- https://docs.astral.sh/uv/concepts/projects/sync/#checking-if-the-lockfile-is-up-to-date
"""

META = RuleMeta(
    code="RUV409",
    name="workspace-first-layer-locked",
    severity=Severity.ERROR,
    summary="`uv sync --locked` in a workspace's dependency-only layer, without the members' "
    "pyproject.toml",
    fix="safe",
    doc=DOC,
)

LOCKFILE_ERROR = (
    "error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided."
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for df in repo.dockerfiles:
        context = facts.context_dir(df)
        project = repo.project_for(context)
        if project is None or not project.has_workspace or project.dir != context:
            continue
        members = facts.memo(("RUV409-members", project.dir), lambda p=project: _members(repo, p))
        if not members:
            continue
        for stage in df.stages:
            for step in stage.steps:
                ins = step.instruction
                if ins.keyword != "RUN" or "sync" not in ins.text + _bodies(step):
                    continue
                for cmd in facts.run_commands(df, step)[0]:
                    if isinstance(cmd, UvCommand) and cmd.sub == "sync":
                        finding = _check_sync(repo, df, stage, step, cmd, project, members)
                        if finding is not None:
                            yield finding


def _bodies(step: Step) -> str:
    return "".join(h.body for h in step.instruction.heredocs)


def _members(repo: Repo, project: Pyproject) -> list[str]:
    """Member directories relative to the workspace root, as the repository has them."""
    found = []
    for directory, member in repo.pyprojects.items():
        if member is project:
            continue
        rel = posixpath.relpath(directory or ".", project.dir) if project.dir else directory
        if rel.startswith(".."):
            continue
        if any(
            fnmatch.fnmatchcase(rel, g.strip("/")) for g in project.workspace_members
        ) and not any(fnmatch.fnmatchcase(rel, g.strip("/")) for g in project.workspace_exclude):
            found.append(rel)
    return sorted(found)


def _locked_by(step: Step, cmd: UvCommand) -> str | None:
    """`--locked`, or `UV_LOCKED=…` when the environment asks for it; None otherwise (and when
    `--frozen`/`UV_FROZEN` is also there: that conflict is RUV301's)."""
    if cmd.has("frozen"):
        return None
    env = step.shell_env()

    def value(name: str) -> str | None:
        if name in cmd.assignments:
            return cmd.assignments[name]
        var = env.get(name)
        return None if var is None else var.value

    if truthy(value("UV_FROZEN")):
        return None
    if cmd.has("locked"):
        return "--locked"
    locked = value("UV_LOCKED")
    return f"UV_LOCKED={locked}" if truthy(locked) else None


def _check_sync(
    repo: Repo,
    df: Dockerfile,
    stage: Stage,
    step: Step,
    cmd: UvCommand,
    project: Pyproject,
    members: list[str],
) -> Finding | None:
    how = _locked_by(step, cmd)
    if how is None or cmd.has("directory", "project"):
        return None
    present = _files_present(df, stage, step, members)
    if present is None or not {"pyproject.toml", "uv.lock"} <= present:
        return None
    shown = ", ".join(f"{m}/pyproject.toml" for m in members[:3])
    if len(members) > 3:
        shown += f" and {len(members) - 3} more"
    message = (
        f"`uv sync` runs with {how} in a layer of a uv workspace (root {project.path}) that has only "
        f"the root pyproject.toml and uv.lock, not the members' ({shown}): uv cannot check the "
        f"lock without them and the build fails with {_predicted_error(project)} Use `--frozen "
        "--no-install-workspace` in this first layer and keep `--locked` for the full sync after "
        "the members are copied (uv's Docker guide, intermediate layers in workspaces)."
    )
    edits = _edits(repo, df, step, cmd) if how == "--locked" else ()
    return Finding(
        code=META.code,
        message=message,
        location=cmd.location,
        severity=META.severity,
        fix="use `uv sync --frozen --no-install-workspace` in this layer"
        if how == "--locked"
        else f"don't set {how.split('=')[0]} for this layer; use `--frozen --no-install-workspace`",
        related=(("workspace members declared here", _workspace_location(project)),),
        edits=edits,
    )


def _workspace_location(project: Pyproject) -> Location:
    return Location(project.path, project.workspace_line or 1)


def _predicted_error(project: Pyproject) -> str:
    """The error uv prints (measured, uv 0.5.11–0.13.9): a root that depends on a member through
    a workspace source fails while reading its own metadata; otherwise the lock check fails."""
    deps = {r.name for r in project.all_requirements()}
    for source in project.uv_source_list:
        if source.kind == "workspace" and source.name in deps:
            return (
                f"``Failed to build `{project.name or '<root>'} @ file://…` … `{source.name}` "
                "references a workspace in `tool.uv.sources` (e.g., "
                f"`{source.name} = {{ workspace = true }}`), but is not a workspace member``."
            )
    return f"``{LOCKFILE_ERROR}``."


# --- what the RUN sees ------------------------------------------------------------------------


def _files_present(
    df: Dockerfile, stage: Stage, target: Step, members: list[str]
) -> set[str] | None:
    """Root files of the workspace in the sync's directory when `target` runs: "pyproject.toml"
    and "uv.lock" when copied or bind-mounted one by one. None when anything may have brought a
    member's pyproject.toml (a copy of the context, of a member directory, of another stage…)."""
    sync_dir = target.workdir
    present: set[str] = set()
    for step in stage.all_steps():
        if step is target:
            break
        ins = step.instruction
        if ins.keyword not in ("COPY", "ADD"):
            continue
        if ins.heredocs and ins.args.lstrip().startswith("<<"):
            continue
        words = step.words(df.escape)
        if len(words) < 2:
            continue
        *sources, (dest, dest_known) = words
        if not dest_known:
            return None
        dest_path = _join(step.workdir, dest)
        if ins.flag("from") is not None:
            if _overlaps(dest_path, sync_dir):
                return None  # another stage's or image's files: may hold anything
            continue
        for src, known in sources:
            name = _root_file(src, known, members)
            if name is None:
                return None
            if name and _lands_in(dest, dest_path, name, len(sources)) == sync_dir:
                present.add(name)
    for value in target.instruction.flag_values("mount"):
        opts = _mount_options(value)
        if opts.get("type", "bind") != "bind":
            continue
        target_path = opts.get("target") or opts.get("dst") or opts.get("destination")
        if not target_path:
            continue
        mounted = _join(sync_dir, target_path)
        if "from" in opts:
            if _overlaps(mounted, sync_dir):
                return None
            continue
        name = _root_file(opts.get("source", opts.get("src", ".")), True, members)
        if name is None:
            return None
        if name and posixpath.dirname(mounted) == sync_dir and posixpath.basename(mounted) == name:
            present.add(name)
    return present


def _root_file(src: str, known: bool, members: list[str]) -> str | None:
    """ "pyproject.toml"/"uv.lock" for those root files, "" for a source that cannot hold a
    member's pyproject.toml, None for one that may (unknown, glob, the context, a member)."""
    if not known or any(c in src for c in "*?["):
        return None
    rel = posixpath.normpath(src.lstrip("/")) if src.strip("/") else "."
    if rel in (".", ""):
        return None
    if rel in ("pyproject.toml", "uv.lock"):
        return rel
    for member in members:
        if member == rel or member.startswith(rel + "/") or rel.startswith(member + "/"):
            return None
    return ""


def _lands_in(dest: str, dest_path: str, name: str, sources: int) -> str:
    """The directory a copied root file ends up in."""
    if dest.endswith("/") or sources > 1 or posixpath.basename(dest_path) != name:
        return dest_path
    return posixpath.dirname(dest_path)


def _mount_options(value: str) -> dict[str, str]:
    return dict(part.split("=", 1) if "=" in part else (part, "true") for part in value.split(","))


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, path))
    return joined if joined.startswith("/") else "/" + joined


# --- the fix ----------------------------------------------------------------------------------


def _edits(repo: Repo, df: Dockerfile, step: Step, cmd: UvCommand) -> tuple[Edit, ...]:
    """`--locked` → `--frozen`; `--no-install-project` → `--no-install-workspace`, or add
    `--no-install-workspace` after `--frozen` when no `--no-install-*` is there. All on the
    command's own lines; nothing else moves. No edit when a flag is not literally there
    (it came from a variable)."""
    text = repo.texts.get(df.path)
    if text is None:
        return ()
    first, last = cmd.location.line, cmd.location.last_line
    exec_form = step.instruction.exec_form() is not None
    if cmd.has("no-install-workspace"):
        frozen = "--frozen"
        extra = None
    elif cmd.has("no-install-project"):
        frozen = "--frozen"
        extra = replace_in_lines(
            df.path, text, first, "--no-install-project", "--no-install-workspace", last
        )
        if extra is None:
            return ()
    else:
        frozen = (
            '--frozen", "--no-install-workspace' if exec_form else "--frozen --no-install-workspace"
        )
        extra = None
    locked = replace_in_lines(df.path, text, first, "--locked", frozen, last)
    if locked is None:
        return ()
    return (locked, extra) if extra is not None else (locked,)
