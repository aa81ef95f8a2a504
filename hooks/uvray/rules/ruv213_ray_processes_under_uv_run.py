from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from uvray.commands import (
    RayStart,
    Recognised,
    ScriptReader,
    UvCommand,
    recognise_site,
    recognise_words,
    script_word,
    site_for_lines,
)
from uvray.facts import UV_HOOK, Facts, Version, falsy, image_command
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo, dir_of
from uvray.rules import RuleMeta

FLAG = "RAY_ENABLE_UV_RUN_RUNTIME_ENV"
# From 2.47 the hook looks at every ancestor (`psutil.Process().parents()`) and is on by
# default; 2.43–2.46 looked at the direct parent only, which for a job driver is never the
# `uv run` that started the cluster.
_ALL_ANCESTORS = (2, 47)
# 2.48 replaced the argparse slicing of the ancestor's command line by an optparse model of
# `uv run`'s options (uv_runtime_env_hook.py, 2.47.0 vs 2.54.0 wheels).
_OPTPARSE = (2, 48)
_UV_WORD = re.compile(r"(?<![\w.-])uv(?![\w.-])")

DOC = """\
## What it does
Flags a command that starts Ray's own processes under `uv run` and keeps them there:
`uv run ray start … --block` (also `uv run bash -c "ray start … --block"`, or `uv run` of a
shell script that runs it) in a Dockerfile's final `ENTRYPOINT`/`CMD` (or a start script they
run), a KubeRay head or worker container's `command`/`args`, a workflow `run:` step, or a shell
script in the repository — when the Ray in use is 2.47 or newer (`uv.lock`, the `rayproject/ray`
tag, KubeRay `rayVersion`, `[tool.uvray] ray-version`) and Ray's uv integration is not switched
off for those processes (`RAY_ENABLE_UV_RUN_RUNTIME_ENV=0` in the image/container/step env or
the command prefix, with no `RAY_RUNTIME_ENV_HOOK` naming the uv hook). When Ray's version is
unknown the rule still warns and says so.

Not flagged: `ray start` without `--block` (it returns at once; the raylet and its children are
re-parented and no longer have the `uv run` as an ancestor), `/app/.venv/bin/ray start` or
`ray start` found on `PATH`, `uvx … ray start` (the process is `uv tool uvx`, not `uv run`),
`uv run ray job submit` (the CLI only talks to the dashboard over HTTP: the job's driver is a
child of the JobSupervisor actor, which is a raylet child, not of the CLI), `uv run python
driver.py` (a driver: that is how the integration is meant to be used), and Ray < 2.47.

## Why is this bad?
From Ray 2.47 on, `ray.init()` in every driver calls `_maybe_modify_runtime_env`
(`ray/_private/worker.py`), which asks `_get_uv_run_cmdline()`
(`ray/_private/runtime_env/uv_runtime_env_hook.py`) for "the command line of the first ancestor
process that was run with `uv run`":
```python
parents = psutil.Process().parents()
for parent in parents:
    cmdline = parent.cmdline()
    if len(cmdline) > 1 and os.path.basename(cmdline[0]) == "uv" and cmdline[1] == "run":
        return cmdline
```
(2.47.0 and 2.54.0 wheels; 2.46.0 only checked `psutil.Process().parent()`), gated by
`RAY_ENABLE_UV_RUN_RUNTIME_ENV = env_bool("RAY_ENABLE_UV_RUN_RUNTIME_ENV", True)`
(`ray/_private/ray_constants.py`). A `ray start --block` under `uv run` stays alive, so the
raylet, every worker, the JobSupervisor actor and every **job driver** it launches
(`ray job submit -- python main.py`, a RayJob entrypoint) have that `uv run ray start …` among
their ancestors. `ray.init()` in such a driver applies Ray's uv hook with the *cluster's*
command line, whether or not the driver was started with `uv run`:

- `py_executable` is set from that command line: on 2.47 by slicing it by the driver's own
  argument count (`uv_run_args = cmdline[: len(cmdline) - len(script_args)]`), which leaves
  `ray start …` words in the workers' command (symptoms like
  `(raylet) usage: default_worker.py [-h] --cluster-id CLUSTER_ID …`, ray-project/ray#54263);
  from 2.48 on it is `uv run` (plus `--python X.Y.Z` on 2.54+);
- `working_dir` is set to the driver's current directory, which is zipped and uploaded;
- every worker then starts as `uv run … default_worker.py` in a copy of that directory —
  a uv project sync per worker in a directory that may hold no `pyproject.toml` at all, or the
  wrong one (ray-project/ray#54768 reports the JobSupervisor chain being picked up).

The image's Ray should run from the environment directly; the drivers that want the uv
integration can opt in with their own `uv run` (the nearest `uv run` ancestor wins).

## Example
```dockerfile
FROM rayproject/ray:2.47.1-py311
WORKDIR /app
RUN uv sync --frozen
CMD ["uv", "run", "ray", "start", "--head", "--block"]
```
Use instead:
```dockerfile
FROM rayproject/ray:2.47.1-py311
WORKDIR /app
RUN uv sync --frozen
CMD ["/app/.venv/bin/ray", "start", "--head", "--block"]
```

## How to fix
Start Ray with the environment's `ray` directly (`/app/.venv/bin/ray start …`, or put
`/app/.venv/bin` on `PATH` and run `ray start …`). If you do want `uv run` there, set
`RAY_ENABLE_UV_RUN_RUNTIME_ENV=0` for the cluster's processes (and don't set
`RAY_RUNTIME_ENV_HOOK` to the uv hook), and let drivers opt in explicitly with a runtime_env
`py_executable`.

## Fix safety
No automatic fix: the path of the environment's `ray` is the user's choice.

## References
- https://github.com/ray-project/ray/pull/53060
- https://github.com/ray-project/ray/issues/54263
- https://github.com/ray-project/ray/issues/54768
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
"""

META = RuleMeta(
    code="RUV213",
    name="ray-processes-under-uv-run",
    severity=Severity.WARNING,
    summary="`uv run ray start --block`: every job driver Ray starts inherits that `uv run`",
    fix=None,
    doc=DOC,
)


@dataclass
class _Source:
    """Where commands start, what env they get, and which Ray that is."""

    found: list[Recognised]
    env: Mapping[str, object]  # name -> anything with `.value` (Var, EnvEntry, Setting)
    ray: Version
    origin: str
    reader: ScriptReader | None


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    if not (repo.dockerfiles or repo.kuberay or repo.workflows or repo.script_paths):
        return
    seen: set[tuple[str, int]] = set()
    for source in _sources(repo, facts):
        for cmd in source.found:
            if not isinstance(cmd, UvCommand) or cmd.sub != "run" or not cmd.command:
                continue
            start = _ray_start_under(cmd, source.reader)
            if start is None:
                continue
            key = (cmd.location.path, cmd.location.line)
            if key in seen:
                continue
            seen.add(key)
            finding = _judge(cmd, start, source)
            if finding is not None:
                yield finding


def _judge(cmd: UvCommand, start: RayStart, source: _Source) -> Finding | None:
    flag = _value(cmd.assignments, source.env, FLAG)
    hook = _value(cmd.assignments, source.env, "RAY_RUNTIME_ENV_HOOK")
    if falsy(flag) and (hook or "").strip() != UV_HOOK:
        return None  # switched off for the cluster's processes (RUV211 covers a leftover hook)
    older = source.ray.older_than(_ALL_ANCESTORS)
    if older is True:
        return None
    if older is None:
        ray = (
            "Ray's version is unknown (no uv.lock, rayproject/ray tag or rayVersion names it; "
            "set [tool.uvray] ray-version), assumed ≥ 2.47, where"
        )
    else:
        ray = f"Ray {source.ray.value} ({source.ray.source}):"
    sliced = (
        "a slice of that command line (2.47 cuts it by the driver's argument count, leaving "
        "`ray start …` words in the workers' command: `usage: default_worker.py …`, "
        "ray-project/ray#54263)"
    )
    plain = "`uv run` (plus `--python X.Y.Z` on 2.54+)"
    optparse = source.ray.older_than(_OPTPARSE)
    if optparse is False:
        effect = f"`py_executable` becomes {plain}"
    elif optparse is True:
        effect = f"`py_executable` becomes {sliced}"
    else:
        effect = f"`py_executable` becomes {plain} on 2.48+, {sliced} on 2.47"
    words = " ".join(cmd.words)
    role = "head" if start.head else "node"
    message = (
        f"`{words}` ({source.origin}) keeps the Ray {role}'s processes under `uv run`. {ray} "
        "`ray.init()` in every job driver the cluster starts scans all its ancestors "
        "(`psutil.Process().parents()` in uv_runtime_env_hook._get_uv_run_cmdline) and finds "
        f"this `uv run`: even a driver not started with `uv run` gets Ray's uv hook — {effect}, "
        "its current directory becomes the uploaded working_dir, and every worker starts "
        "with `uv run` there."
    )
    related = []
    if source.ray.location is not None:
        related.append(("Ray version", source.ray.location))
    return Finding(
        code=META.code,
        message=message,
        location=cmd.location,
        severity=META.severity,
        fix="start Ray with the environment's `ray` (`/app/.venv/bin/ray start …` or PATH), "
        f"or set {FLAG}=0 for the cluster",
        related=tuple(related),
    )


def _value(assignments: Mapping[str, str | None], env: Mapping[str, object], name: str):
    if name in assignments:
        return assignments[name]
    entry = env.get(name)
    return None if entry is None else getattr(entry, "value", None)


def _ray_start_under(cmd: UvCommand, reader: ScriptReader | None) -> RayStart | None:
    """The blocking `ray start` this `uv run` keeps as its descendant: run directly, through a
    shell `-c`, or in a shell script uv runs."""
    for item in recognise_words(cmd.command, dict(cmd.assignments), cmd.location):
        if isinstance(item, RayStart) and "--block" in item.words:
            return item
    script = script_word(cmd.command) or (
        cmd.command[0] if cmd.command[0].endswith(".sh") else None
    )
    if script is None or reader is None:
        return None
    target = reader(script)
    if target is None:
        return None
    path, text = target
    found, _pins = recognise_site(site_for_lines(path, text, 1), reader)
    for item in found:
        if isinstance(item, RayStart) and "--block" in item.words:
            return item
    return None


# --- where Ray gets started ---------------------------------------------------------------


def _sources(repo: Repo, facts: Facts) -> Iterator[_Source]:
    yield from _image_sources(facts)
    yield from _kuberay_sources(repo, facts)
    yield from _workflow_sources(repo, facts)
    yield from _script_sources(repo, facts)


def _image_sources(facts: Facts) -> Iterator[_Source]:
    for image in facts.images:
        argv, ins = image_command(image.stage)
        if argv is None or ins is None or not any("uv" in w or ".sh" in w for w in argv):
            continue
        df = image.dockerfile
        env = image.stage.env
        loc = Location(df.path, ins.line, 1, ins.end_line if ins.end_line != ins.line else None)
        reader = facts.script_reader(image.context_dir, image.stage.workdir)

        def lookup(name: str, env=env) -> str | None:
            var = env.get(name)
            return None if var is None else var.value

        found = recognise_words(argv, {}, loc, lookup)
        script = script_word(argv)
        if script is not None:
            target = reader(script)
            if target is not None:
                path, text = target
                more, _pins = recognise_site(site_for_lines(path, text, 1, lookup), reader)
                found = found + more
        yield _Source(found, env, image.ray_version, ins.keyword, reader)


def _kuberay_sources(repo: Repo, facts: Facts) -> Iterator[_Source]:
    for res in repo.kuberay:
        ray = _repo_ray(facts, facts.home_of(res.path))
        if not ray.known and res.ray_version:
            ray = Version(res.ray_version, f"{res.kind} rayVersion", res.ray_version_location)
        for container in res.containers:
            if container.group not in ("head", "worker"):
                continue
            # KubeRay's own form is `command: [bash, -lc, --]` + `args: ["… ray start …"]`.
            words = [w for w in (container.command or []) if w != "--"]
            words += container.args or []
            if not any("uv" in w for w in words):
                continue
            loc = Location(res.path, _line_with(repo, res.path, container.location.line))
            found = recognise_words(words, {}, loc)
            reader = facts.script_reader(facts.home_of(res.path))
            yield _Source(found, container.env, ray, f"{res.kind} {container.group}", reader)


def _workflow_sources(repo: Repo, facts: Facts) -> Iterator[_Source]:
    for wf, job, step, found in facts.workflow_commands:
        if not any(isinstance(c, UvCommand) and c.sub == "run" for c in found):
            continue
        directory = facts.step_dir(wf, job, step)
        env = wf.effective_env(job, step)
        yield _Source(
            found,
            env,
            _repo_ray(facts, directory),
            "workflow step",
            facts.script_reader(directory),
        )


def _script_sources(repo: Repo, facts: Facts) -> Iterator[_Source]:
    for path in repo.script_paths:
        text = repo.script(path)
        if text is None or "uv" not in text or "ray" not in text or "--block" not in text:
            continue
        reader = facts.script_reader(dir_of(path))
        found, _pins = recognise_site(site_for_lines(path, text, 1), reader)
        yield _Source(found, {}, _repo_ray(facts, facts.home_of(path)), f"script {path}", reader)


def _repo_ray(facts: Facts, directory: str) -> Version:
    """The Ray a directory's project locks, else [tool.uvray] ray-version."""
    project = facts.repo.project_for(directory)
    lock = facts.repo.lock_for(project.dir if project is not None else directory)
    return facts._ray_version(lock, None, None)


def _line_with(repo: Repo, path: str, first: int) -> int:
    """The first line at or after `first` that names uv (the container's command or args)."""
    text = repo.texts.get(path)
    if text is None:
        return first
    lines = text.splitlines()
    for number in range(first, min(len(lines), first + 60) + 1):
        if _UV_WORD.search(lines[number - 1]):
            return number
    return first
