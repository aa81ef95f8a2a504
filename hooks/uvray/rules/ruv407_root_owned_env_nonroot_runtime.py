from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from uvray.commands import UvCommand, recognise_words, unwrap
from uvray.edits import Edit, line_bounds
from uvray.facts import Facts, ImageFacts, image_command, installs_packages, truthy
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Dockerfile, Stage, Step
from uvray.readers.shell import split_commands
from uvray.rules import RuleMeta
from uvray.users import RuntimeUser, is_root, ray_base, runtime_user, step_user

DOC = """\
## What it does
Flags a project environment that `uv sync` creates while the build runs as **root**, in an image
whose runtime `USER` is **not root**:

- the final stage (or a stage it is built `FROM`) runs `uv sync` as root — Docker's default, or
  after `USER root` — and a later `USER` switches to another user, or the base image is
  `rayproject/ray`, whose images run as uid 1000 `ray` (`USER $RAY_UID` in Ray's
  `docker/base-deps/Dockerfile`) even with no `USER` line;
- or the final stage copies that environment from a builder stage where root created it
  (`COPY --from=builder /app/.venv /app/.venv`), without `--chown` (a `COPY --from` keeps the
  files' owner from the other stage).

Not flagged: `COPY --from=… --chown=<user>`, a later `RUN chown -R <user> <env>` (or
`chmod -R o+w`) covering the environment, and a `uv sync` run after `USER ray` (on Ray images,
where the build already runs as `ray`).

It is an **error** when something syncs that environment at run time: Ray's uv integration is
active and the workers' `uv run` targets it (an absolute `UV_PROJECT_ENVIRONMENT`) for a packaged
project — they reinstall the project from the job's working_dir copy — or the image's
`CMD`/`ENTRYPOINT` is a `uv run` (no `--no-sync`, no `UV_NO_SYNC`) whose options select other
packages than the build's last `uv sync` (`--no-install-project`, `--no-dev`, `--no-editable`,
groups, extras…). Otherwise it is a **warning**: the image works until anything (a `uv run`
after a dependency change, `uv add`, a Ray job) writes to the environment.

## Why is this bad?
The runtime user cannot write to a root-owned environment, and uv fails the moment it has
something to install or remove:

```
error: failed to remove file `/app/.venv/lib/python3.14/site-packages/package-name-0.1.dist-info/INSTALLER`: Permission denied (os error 13)
```

(astral-sh/uv#17617, astral-sh/uv-docker-example#82). Measured here with uv 0.13.9: an env
synced by root, then `uv run` as an unprivileged user from a copy of the project at another
path (what every Ray worker does, with `UV_PROJECT_ENVIRONMENT` pointing at the env) fails with
exactly ``failed to remove file `…/site-packages/proj-0.1.0.dist-info/INSTALLER`: Permission
denied (os error 13)``; `uv run` in the project's own directory after a root
`uv sync --no-install-project` fails with ``Failed to install: proj-0.1.0-py3-none-any.whl …
Permission denied (os error 13)``; the same `uv run` after a full root `uv sync` succeeded
(nothing to write). uv ≥ 0.7.14 also takes an environment lock (`<env>/.lock`) in `uv run` and
`uv sync`; when it cannot create it uv only logs `Failed to acquire environment lock` at trace
level (`crates/uv/src/commands/project/run.rs`) and runs unlocked.

A Ray worker that fails like this never registers (`Some workers of the worker process(…) have
not registered within the timeout`).

## Example
```dockerfile
FROM rayproject/ray:2.47.1-py311
USER root
COPY . /app
WORKDIR /app
RUN uv sync --locked
USER ray
```
Use instead:
```dockerfile
FROM rayproject/ray:2.47.1-py311
COPY --chown=ray . /app
WORKDIR /app
RUN uv sync --locked
```
or, in a multi-stage build, `COPY --from=builder --chown=ray /app/.venv /app/.venv`.

## How to fix
Run `uv sync` as the runtime user (put it after `USER <user>`; on `rayproject/ray` images simply
don't switch to root for it), or hand the environment over: `COPY --from=… --chown=<user>` for a
copied venv, or `&& chown -R <user> <env>` at the end of the `RUN` that syncs (in the same `RUN`,
so the layer is not duplicated). If nothing should sync at run time, say so with
`UV_NO_SYNC=1` (mind RUV109).

## Fix safety
Guarded. For a venv copied from another stage the fix adds `--chown=<user>` to that `COPY`; for a
`uv sync` run as root it appends ` && chown -R <user> <env>` to the end of that `RUN` (a
shell-form `RUN` whose last line has no comment, no heredoc). Both are offered only when the user
is known to exist at that point: a numeric uid, `ray` on a `rayproject/ray` base, or a user
created by `useradd`/`adduser` earlier in the build — otherwise `chown` would fail the build.
The owner changes; file modes do not. Other shapes get a message, not an edit.

## References
- https://github.com/astral-sh/uv/issues/17617
- https://github.com/astral-sh/uv-docker-example/issues/82
- https://github.com/ray-project/ray/blob/master/docker/base-deps/Dockerfile
- https://docs.docker.com/reference/dockerfile/#copy---chown---chmod
- https://docs.astral.sh/uv/guides/integration/docker/
"""

META = RuleMeta(
    code="RUV407",
    name="root-owned-env-nonroot-runtime",
    severity=Severity.ERROR,
    summary="the project env is created by root, but the image runs as a non-root user",
    fix="guarded",
    doc=DOC,
)

PERMISSION_ERROR = (
    "error: failed to remove file `…/site-packages/<pkg>.dist-info/INSTALLER`: "
    "Permission denied (os error 13)"
)
# Options that change which packages a sync installs: a `uv run` that differs from the build's
# last `uv sync` in any of them installs or removes something at start.
_SELECTION = frozenset(
    {
        "dev", "no-dev", "only-dev", "group", "no-group", "only-group", "all-groups",
        "no-default-groups", "extra", "all-extras", "no-extra", "no-install-project",
        "no-install-workspace", "no-install-package", "no-editable", "all-packages", "package",
    }
)  # fmt: skip
_RECURSIVE = re.compile(r"^-[A-Za-z]*R[A-Za-z]*$")
_USER_ADD = re.compile(r"\b(?:useradd|adduser)\b")
_OTHERS_WRITE = re.compile(r"^(?:[ugoa]*[ao][ugoa]*|)[+=][rwxXst]*w")


# --- environments created by root -------------------------------------------------------------


@dataclass
class RootEnv:
    path: str  # absolute path of the environment in the image
    location: Location  # the `uv sync` (or the COPY that brought it)
    step: Step
    sync: UvCommand | None  # the build's last `uv sync` of this env (selection flags)
    copied_from: str | None = None  # builder stage label for a COPY --from


def root_envs(facts: Facts, df: Dockerfile, stage: Stage) -> list[RootEnv]:
    """Environments in this stage's image that root created and nobody handed over."""
    return facts.memo(("RUV407-envs", id(stage)), lambda: _root_envs(facts, df, stage))


def _root_envs(facts: Facts, df: Dockerfile, stage: Stage) -> list[RootEnv]:
    on_ray = ray_base(stage)
    # path -> RootEnv while root-owned, None once owned by someone else (or made by them).
    envs: dict[str, RootEnv | None] = {}
    for step in stage.all_steps():
        keyword = step.instruction.keyword
        if keyword == "RUN":
            _run_step(facts, df, step, on_ray, envs)
        elif keyword in ("COPY", "ADD") and step.instruction.flag("from"):
            _copy_step(facts, df, stage, step, envs)
    return [env for env in envs.values() if env is not None]


def _run_step(facts, df: Dockerfile, step: Step, on_ray: bool, envs) -> None:
    ins = step.instruction
    text = ins.args + "".join(h.body for h in ins.heredocs)
    if "sync" in text:
        root = is_root(step_user(step, on_ray))
        for cmd in facts.run_commands(df, step)[0]:
            if not isinstance(cmd, UvCommand) or cmd.sub != "sync" or cmd.has("dry-run", "check"):
                continue
            path = env_path(cmd, step)
            if path is None:
                continue
            if path not in envs:
                envs[path] = RootEnv(path, cmd.location, step, cmd) if root else None
            elif envs[path] is not None:
                envs[path].sync = cmd  # type: ignore[union-attr]
    if "chown" in text or "chmod" in text:
        for target in _handed_over(step, text):
            for path, env in list(envs.items()):
                if env is not None and (target is None or _covers(target, path)):
                    envs[path] = None


def _copy_step(facts, df: Dockerfile, stage: Stage, step: Step, envs) -> None:
    ins = step.instruction
    source_stage = df.copy_source(step)
    if source_stage is None or source_stage is stage or source_stage in stage.ancestry():
        return
    chown = ins.flag("chown")
    if chown is not None and not is_root(chown):
        # Handed over: whatever lands is the user's. No need to work out what the source stage
        # built (the usual multi-stage shape, so this matters for speed).
        words = step.words(df.escape)
        if len(words) >= 2 and words[-1][1]:
            dest_path = _join(step.workdir, words[-1][0])
            for path, env in list(envs.items()):
                if env is not None and _covers(dest_path, path):
                    envs[path] = None
        return
    handed = False
    built = root_envs(facts, df, source_stage)
    if not built:
        return
    words = step.words(df.escape)
    if len(words) < 2:
        return
    *sources, (dest, dest_known) = words
    if not dest_known:
        return
    dest_path = _join(step.workdir, dest)
    for src, known in sources:
        if not known:
            continue
        src_path = _join("/", src)
        for env in built:
            if not _covers(src_path, env.path):
                continue
            # COPY copies a directory's contents: /app/.venv → /app/.venv, /app → /app.
            landed = posixpath.normpath(dest_path + env.path[len(src_path.rstrip("/")) :])
            if handed:
                envs[landed] = None
            else:
                location = Location(
                    df.path, ins.line, 1, ins.end_line if ins.end_line != ins.line else None
                )
                envs[landed] = RootEnv(landed, location, step, env.sync, source_stage.label)


def env_path(cmd: UvCommand, step: Step) -> str | None:
    """Where a `uv sync` (or `uv run`) puts the project env: UV_PROJECT_ENVIRONMENT (absolute,
    or relative to the project), `--active` + VIRTUAL_ENV, else `<project>/.venv`. None when a
    value is unknown."""
    env = step.shell_env()

    def value(name: str) -> tuple[bool, str | None]:
        if name in cmd.assignments:
            return True, cmd.assignments[name]
        var = env.get(name)
        return (var is not None), (None if var is None else var.value)

    return _env_path(cmd, step.workdir, value)


def _env_path(cmd: UvCommand, workdir: str, value) -> str | None:
    target = cmd.value("directory") or cmd.value("project")
    if target is None:
        has, target = value("UV_PROJECT")
        if has and target is None:
            return None
    if target and "$" in target:
        return None
    project = _join(workdir, target) if target else workdir
    if cmd.has("active"):
        has, venv = value("VIRTUAL_ENV")
        if has:
            return None if venv is None or "$" in venv else _join(workdir, venv)
    has, configured = value("UV_PROJECT_ENVIRONMENT")
    if has:
        if configured is None or "$" in configured:
            return None
        if configured:
            return _join(project, configured)
    return _join(project, ".venv")


def _handed_over(step: Step, text: str) -> list[str | None]:
    """Paths a `chown -R <non-root>` or `chmod -R o+w` in this RUN gives to other users
    (None: a path uvray cannot read, which may be any)."""
    env = step.shell_env()

    def lookup(name: str) -> str | None:
        var = env.get(name)
        return None if var is None else var.value

    targets: list[str | None] = []
    for command in split_commands(text, lookup):
        words, _ = unwrap(command.words, {})
        if not words or words[0].rsplit("/", 1)[-1] not in ("chown", "chmod"):
            continue
        recursive = any(w == "--recursive" or _RECURSIVE.match(w) for w in words[1:])
        args = [w for w in words[1:] if not w.startswith("-")]
        if not recursive or len(args) < 2:
            continue
        who = args[0]
        if words[0].endswith("chown") and is_root(who):
            continue
        if words[0].endswith("chmod") and not _grants_others_write(who):
            continue
        for path in args[1:]:
            targets.append(None if "$" in path else _join(step.workdir, path))
    return targets


def _grants_others_write(mode: str) -> bool:
    if mode.isdigit():
        return int(mode[-1]) & 2 == 2
    return any(_OTHERS_WRITE.match(part) for part in mode.split(","))


def _covers(directory: str, path: str) -> bool:
    directory = directory.rstrip("/") or "/"
    return directory == "/" or path == directory or path.startswith(directory + "/")


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, path))
    return joined if joined.startswith("/") else "/" + joined


# --- the rule ---------------------------------------------------------------------------------


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for image in facts.images:
        df, stage = image.dockerfile, image.stage
        user = runtime_user(df, stage)
        if user is None:
            continue
        for env in root_envs(facts, df, stage):
            key = (env.location.path, env.location.line)
            if key in seen:
                continue
            seen.add(key)
            yield _finding(repo, facts, image, user, env)


def _finding(
    repo: Repo, facts: Facts, image: ImageFacts, user: RuntimeUser, env: RootEnv
) -> Finding:
    runtime, where_synced = _runtime_sync(repo, facts, image, env)
    if env.copied_from is not None:
        made = (
            f"The environment {env.path} is copied from the stage `{env.copied_from}`, where root "
            "created it, without `--chown` (COPY --from keeps the owner)"
        )
    else:
        made = f"`uv sync` creates the environment {env.path} as root"
    message = (
        f"{made}, but the image runs as `{user.name}` ({user.origin}): that user cannot write "
        f"to it, and uv fails as soon as it has anything to install or remove there "
        f"(``{PERMISSION_ERROR}``, astral-sh/uv#17617)."
    )
    if runtime:
        message += f" {runtime}"
    else:
        message += (
            " Nothing syncs it at run time today, but any later `uv run` after a dependency "
            "change, `uv add` or a Ray job that syncs it will fail."
        )
    related = [("runtime user set here", user.location)]
    if where_synced is not None:
        related.append(("syncs the environment at run time", where_synced))
    edits = _edits(repo, image, user, env)
    return Finding(
        code=META.code,
        message=message,
        location=env.location,
        severity=Severity.ERROR if runtime else Severity.WARNING,
        fix=(
            f"COPY --from=… --chown={user.name}"
            if env.copied_from is not None
            else f"run `uv sync` as `{user.name}`, or append `&& chown -R {user.name} {env.path}` "
            "to this RUN"
        ),
        related=tuple(related),
        edits=edits,
    )


def _runtime_sync(
    repo: Repo, facts: Facts, image: ImageFacts, env: RootEnv
) -> tuple[str | None, Location | None]:
    """Why something writes to the env when the container runs, and where; (None, None) if not."""
    for ctx in facts.contexts:
        if ctx.image is not image or not ctx.integration.active or not ctx.workers_sync:
            continue
        fixed = ctx.fixed_env()
        if fixed is None or fixed.value is None or _join("/", fixed.value) != env.path:
            continue
        if ctx.project is None or not installs_packages(repo, ctx.project):
            continue
        return (
            f"Ray starts every worker with `uv run` because {ctx.integration.reason}, and "
            f"{fixed.name}={fixed.value} points them at this environment: each worker "
            "reinstalls the project from its working_dir copy and dies with that error "
            "(measured with uv 0.13.9).",
            ctx.integration.location or fixed.location,
        )
    run, location = _image_uv_run(image)
    if run is None or location is None:
        return None, None
    stage = image.stage
    env_vars = stage.env

    def value(name: str) -> tuple[bool, str | None]:
        if name in run.assignments:
            return True, run.assignments[name]
        var = env_vars.get(name)
        return (var is not None), (None if var is None else var.value)

    if run.has("no-sync") or truthy(value("UV_NO_SYNC")[1]):
        return None, None
    if _env_path(run, stage.workdir, value) != env.path:
        return None, None
    differ = _selection(run) ^ (_selection(env.sync) if env.sync is not None else set())
    if not differ:
        return None, None
    flags = ", ".join(f"--{name}" for name in sorted(differ))
    return (
        f"The image starts with `{' '.join(run.words)}`, which syncs this environment first and "
        f"selects other packages than the build's `uv sync` ({flags}), so the container fails "
        "at start.",
        location,
    )


def _image_uv_run(image: ImageFacts) -> tuple[UvCommand | None, Location | None]:
    argv, ins = image_command(image.stage)
    if argv is None or ins is None:
        return None, None
    location = Location(image.dockerfile.path, ins.line)
    env = image.stage.env

    def lookup(name: str) -> str | None:
        var = env.get(name)
        return None if var is None else var.value

    for cmd in recognise_words(argv, {}, location, lookup):
        if isinstance(cmd, UvCommand) and cmd.sub == "run":
            return cmd, location
    return None, None


def _selection(cmd: UvCommand) -> set[str]:
    return {name for name in cmd.options if name in _SELECTION}


# --- the fix ----------------------------------------------------------------------------------


def _edits(repo: Repo, image: ImageFacts, user: RuntimeUser, env: RootEnv) -> tuple[Edit, ...]:
    df = image.dockerfile
    text = repo.texts.get(df.path)
    if text is None or not re.fullmatch(r"[\w.:-]+", user.name):
        return ()
    if not _user_exists(image.stage, env.step, user.name):
        return ()
    ins = env.step.instruction
    if env.copied_from is not None:
        # `COPY --from=builder …` → `COPY --chown=<user> --from=builder …`
        start, end = line_bounds(text, ins.line)
        line = text[start:end]
        offset = len(line) - len(line.lstrip(" \t"))
        keyword = line[offset : offset + 4]
        if keyword.upper() != "COPY":
            return ()
        at = start + offset + 4
        return (Edit(df.path, at, at, f" --chown={user.name}"),)
    if not re.fullmatch(r"[\w./+@-]+", env.path) or ins.heredocs or ins.exec_form() is not None:
        return ()
    if env.step.shell[:1] and env.step.shell[0].rsplit("/", 1)[-1] not in ("sh", "bash"):
        return ()
    start, end = line_bounds(text, ins.end_line)
    line = text[start:end].rstrip("\r\n")
    body = line.rstrip()
    if "#" in body or body.endswith(("&", ";", "|", df.escape)) or not body.strip():
        return ()
    at = start + len(body)
    return (Edit(df.path, at, at, f" && chown -R {user.name} {env.path}"),)


def _user_exists(stage: Stage, at: Step, name: str) -> bool:
    """Can `chown <name>` / `COPY --chown=<name>` resolve the user when `at` runs? A numeric id
    always can; `ray` on a rayproject/ray base; a name some earlier RUN creates."""
    owner = name.split(":", 1)[0]
    if owner.isdigit():
        return ":" not in name or name.split(":", 1)[1].isdigit()
    if ray_base(stage) and owner == "ray" and ":" not in name:
        return True
    for step in stage.all_steps():
        if step is at:
            return False
        ins = step.instruction
        if ins.keyword != "RUN":
            continue
        body = ins.args + "".join(h.body for h in ins.heredocs)
        if _USER_ADD.search(body) and re.search(rf"(?<![\w-]){re.escape(owner)}(?![\w-])", body):
            return True
    return False
