from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator

from uvray.facts import CommandUse, Facts, truthy, uv_commands
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Dockerfile, Stage, Step
from uvray.rules import RuleMeta

DOC = """\
## What it does
Flags `uv sync`/`uv run`/`uv export` with `--frozen` or `--locked` (or `UV_FROZEN`/`UV_LOCKED` in
the environment) that runs before `uv.lock` is in place: in a Dockerfile, before a `COPY`/`ADD` or
bind mount brings `uv.lock` into the project directory (or when `.dockerignore` — or BuildKit's
per-Dockerfile `<Dockerfile>.dockerignore`, which replaces it for that Dockerfile — keeps it out
of the build context, or the context has none); in a workflow, when the repository has no `uv.lock`
for the step's directory (or `.gitignore` keeps it out of the checkout).

## Why is this bad?
uv refuses to run:

```
error: Unable to find lockfile at `uv.lock`, but `--frozen` was provided. To create a lockfile, run `uv lock` or `uv sync` without the flag.
```

(older uv: ``Unable to find lockfile at `uv.lock`. To create a lockfile, run `uv lock` or `uv
sync`.``, astral-sh/uv#17259). `UV_FROZEN=1` left in an image's or runner's env is the usual
way this happens.

## Example
```dockerfile
ENV UV_FROZEN=1
WORKDIR /app
COPY pyproject.toml ./
RUN uv sync --no-install-project
```
Use instead:
```dockerfile
ENV UV_FROZEN=1
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --no-install-project
```

## How to fix
Copy or bind-mount `uv.lock` next to `pyproject.toml` before the sync
(`RUN --mount=type=bind,source=uv.lock,target=uv.lock uv sync --locked`), commit `uv.lock`, and
keep it out of `.dockerignore`/`.gitignore`.

## Fix safety
No automatic fix.

## References
- https://docs.astral.sh/uv/guides/integration/docker/#intermediate-layers
- https://github.com/astral-sh/uv/issues/17259
"""

META = RuleMeta(
    code="RUV302",
    name="frozen-without-lockfile-in-build",
    severity=Severity.ERROR,
    summary="a frozen or locked uv command runs where uv.lock is not present",
    fix=None,
    doc=DOC,
)

_NEEDS_LOCK = {"sync", "run", "export", "tree"}


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    present_cache: dict[tuple[str, int], tuple[set[str], str | None]] = {}
    for use in uv_commands(facts):
        if use.cmd.sub not in _NEEDS_LOCK:
            continue
        mode = _lock_mode(use)
        if mode is None:
            continue
        if use.step is not None and use.dockerfile is not None and use.stage is not None:
            finding = _check_dockerfile(repo, facts, use, mode, present_cache)
        elif use.where == "workflow step":
            finding = _check_workflow(repo, use, mode)
        else:
            finding = None
        if finding is not None:
            yield finding


def _lock_mode(use: CommandUse) -> str | None:
    if use.cmd.has("frozen"):
        return "--frozen"
    if use.cmd.has("locked"):
        return "--locked"
    if use.cmd.has("no-sync") and use.cmd.sub == "run":
        return None
    for name, flag in (("UV_FROZEN", "--frozen"), ("UV_LOCKED", "--locked")):
        s = use.setting(name)
        if s is not None and truthy(s.value):
            return f"{flag} (from {name}={s.value})"
    return None


def _message(mode: str, why: str) -> str:
    flag = mode.split()[0]
    return (
        f"`uv` runs with {mode} but {why}: uv exits with ``error: Unable to find lockfile at "
        f"`uv.lock`, but `{flag}` was provided``."
    )


# --- Dockerfiles ------------------------------------------------------------------------------


def _check_dockerfile(repo, facts, use: CommandUse, mode, cache) -> Finding | None:
    df, stage, step = use.dockerfile, use.stage, use.step
    assert df is not None and stage is not None and step is not None
    context = facts.context_dir(df)
    lock_in_context, ignored_by = _context_lock(repo, facts, df, context)
    usable = lock_in_context and ignored_by is None
    present = _locks_before(facts, repo, df, stage, step, context, usable)
    if _locked_earlier_in_same_run(facts, df, step, use):
        present.add(step.workdir)
    project_dir = _project_dir(use, step)
    if any(project_dir == d or project_dir.startswith(d.rstrip("/") + "/") for d in present):
        return None
    if "?" in present:
        return None  # something uvray can't resolve may have brought it
    if ignored_by is not None:
        why = f"{ignored_by} keeps uv.lock out of the build context"
    elif not lock_in_context:
        where = context or "the repository root"
        why = f"the build context ({where}) has no uv.lock"
    else:
        why = f"uv.lock is not copied or mounted into {project_dir} before this step"
    return Finding(
        code=META.code,
        message=_message(mode, why),
        location=use.cmd.location,
        severity=META.severity,
        fix="COPY or bind-mount uv.lock next to pyproject.toml before this RUN",
    )


def _context_lock(repo: Repo, facts, df: Dockerfile, context: str) -> tuple[bool, str | None]:
    """Is uv.lock in the build context, and which .dockerignore (if any) keeps it out?"""
    lock_path = posixpath.join(context, "uv.lock") if context else "uv.lock"
    if not repo.exists(lock_path):
        return False, None
    ignore, _path = facts.docker_ignore(df)
    if ignore is not None and ignore.ignores("uv.lock"):
        return True, ignore.path
    return True, None


def _project_dir(use: CommandUse, step: Step) -> str:
    target = use.cmd.value("directory") or use.cmd.value("project")
    if target:
        return _join(step.workdir, target)
    project_env = use.setting("UV_PROJECT")
    if project_env is not None and project_env.value:
        return _join(step.workdir, project_env.value)
    return step.workdir


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, path))
    return joined if joined.startswith("/") else "/" + joined


def _locks_before(
    facts, repo, df, stage: Stage, target: Step, context: str, lock_in_context: bool
) -> set[str]:
    """Directories in the image that hold uv.lock when `target` runs ("?" = maybe, unknowable)."""
    present: set[str] = set()
    for step in stage.all_steps():
        if step is target:
            present |= _mounted_locks(repo, df, step, context, lock_in_context)
            return present
        keyword = step.instruction.keyword
        if keyword in ("COPY", "ADD"):
            # Each COPY is judged once per run, however many syncs come after it.
            present |= facts.memo(
                ("RUV302-copy", id(step), lock_in_context),
                lambda step=step: _copied_locks(repo, df, step, context, lock_in_context),
            )
        elif keyword == "RUN" and _runs_uv_lock(df, step):
            present.add(step.workdir)
    return present


def _locked_earlier_in_same_run(facts, df, step: Step, use: CommandUse) -> bool:
    """`RUN uv lock && uv sync --frozen`: a lock made earlier in the same RUN."""
    for cmd in facts.run_commands(df, step)[0]:
        if cmd is use.cmd:
            return False
        if getattr(cmd, "sub", None) == "lock":
            return True
    return False


def _runs_uv_lock(df, step: Step) -> bool:
    text = step.instruction.args + "".join(h.body for h in step.instruction.heredocs)
    return "uv lock" in text


def _copied_locks(repo, df, step: Step, context, lock_in_context) -> set[str]:
    ins = step.instruction
    if ins.heredocs and ins.args.lstrip().startswith("<<"):
        return set()
    words = step.words(df.escape)
    if len(words) < 2:
        return set()
    *sources, (dest, dest_known) = words
    if not dest_known:
        return {"?"}
    dest_dir = _join(step.workdir, dest)
    from_stage = ins.flag("from")
    found: set[str] = set()
    for src, known in sources:
        if not known:
            found.add("?")
            continue
        base = posixpath.basename(src.rstrip("/")) or "."
        if from_stage:
            if base == "uv.lock":
                found.add(
                    dest_dir
                    if dest.endswith("/") or len(sources) > 1
                    else posixpath.dirname(dest_dir)
                )
            elif "." not in base or src.rstrip("/") in ("", "."):
                found.add(dest_dir)  # a directory from another stage: may hold a lock
            continue
        if not lock_in_context:
            continue
        src_norm = posixpath.normpath(src.lstrip("/")) if src.strip("/") else "."
        if base == "uv.lock" or (_is_glob(base) and fnmatch.fnmatchcase("uv.lock", base)):
            if posixpath.dirname(src_norm) in ("", "."):
                if dest.endswith("/") or len(sources) > 1 or _is_glob(base):
                    found.add(dest_dir)
                elif posixpath.basename(dest_dir) == "uv.lock":
                    found.add(posixpath.dirname(dest_dir))
        elif src_norm in (".", "./"):
            found.add(dest_dir)
    return found


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _mounted_locks(repo, df, step: Step, context, lock_in_context) -> set[str]:
    found: set[str] = set()
    for value in step.instruction.flag_values("mount"):
        opts = dict(
            part.split("=", 1) if "=" in part else (part, "true") for part in value.split(",")
        )
        if opts.get("type", "bind") != "bind":
            continue
        source = opts.get("source", opts.get("src", "."))
        target = opts.get("target", opts.get("dst", opts.get("destination")))
        if not target:
            continue
        target_path = _join(step.workdir, target)
        if "from" in opts:
            found.add(
                target_path
                if posixpath.basename(source) != "uv.lock"
                else posixpath.dirname(target_path)
            )
            continue
        if not lock_in_context:
            continue
        if posixpath.basename(source) == "uv.lock":
            found.add(posixpath.dirname(target_path))
        elif posixpath.normpath(source) == ".":
            found.add(target_path)
    return found


# --- workflows --------------------------------------------------------------------------------


def _check_workflow(repo: Repo, use: CommandUse, mode: str) -> Finding | None:
    target = use.cmd.value("directory") or use.cmd.value("project") or ""
    directory = posixpath.join(use.workdir or "", target)  # workdir: already repo-relative
    directory = posixpath.normpath(directory) if directory else ""
    directory = "" if directory == "." else directory
    if directory.startswith("/") or directory.startswith("..") or "$" in directory:
        return None
    probe = directory
    while True:
        lock = posixpath.join(probe, "uv.lock") if probe else "uv.lock"
        if repo.exists(lock):
            gitignore = _gitignore_for(repo, probe)
            if gitignore is not None and gitignore.ignores(_relative(lock, gitignore.dir)):
                why = f"{gitignore.path} keeps {lock} out of the checkout"
                break
            return None
        if not probe:
            why = "the repository has no uv.lock"
            break
        probe = posixpath.dirname(probe)
    return Finding(
        code=META.code,
        message=_message(mode, why),
        location=use.cmd.location,
        severity=META.severity,
        fix="commit uv.lock (and keep it out of .gitignore), or drop --frozen/--locked here",
    )


def _gitignore_for(repo: Repo, directory: str):
    """The nearest .gitignore at or above a directory (good enough for `uv.lock` lines)."""
    while True:
        found = repo.ignore_file(directory, ".gitignore")
        if found is not None or not directory:
            return found
        directory = posixpath.dirname(directory)


def _relative(path: str, directory: str) -> str:
    return posixpath.relpath(path or ".", directory) if directory else path
