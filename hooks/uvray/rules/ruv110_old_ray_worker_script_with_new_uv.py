from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, WorkerContext
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.script_discovery import (
    APPENDS_PYTHON,
    PREVIEW_FEATURE,
    SCRIPT_DISCOVERY,
    env_interpreter,
    explicit_project,
    script_discovery,
)

# Options the hook removes from the driver's `uv run` before handing it to the workers.
_DROPPED = ("--directory", "-m", "--module")
_DROPPED_EQ = ("--directory=", "--module=")
_WORKER = "<site-packages>/ray/_private/workers/default_worker.py"
_SILENT = (
    "it finds none above site-packages, so it silently runs the worker outside the project env "
    "with the first Python it finds (`uv -v`: `No project found; searching for Python "
    "interpreter`; no uv error): workers die with `ModuleNotFoundError: No module named 'ray'` "
    "(or run without the project's dependencies) and never register (`Some workers of the "
    "worker process(<pid>) have not registered within the timeout`)"
)

DOC = """\
## What it does
Flags a Ray cluster whose workers start their Python as a *script* passed to `uv run` while the
uv on the nodes discovers projects from the script's directory (uv >= 0.12.0):

- **Ray's uv hook on Ray < 2.55** (the integration is active: a driver under `uv run` on Ray >= 2.47,
  or `RAY_RUNTIME_ENV_HOOK` naming the hook): workers run
  `uv run <driver's flags> <site-packages>/ray/_private/workers/default_worker.py`;
- **a runtime_env `py_executable: "uv run …"` with no command after the options** (e.g.
  `uv run --frozen`, `uv run --isolated`), on any Ray: the same command line.

It does not fire when the workers get a project explicitly (`--project` on the driver's
`uv run` or in `py_executable`, `UV_PROJECT` in the image, container or runtime_env env), run
with `--no-project`, or when uv would find the project env as the interpreter anyway
(`VIRTUAL_ENV` set, the first `PATH` entry is a venv's `bin`, such as `/app/.venv/bin` or
`$UV_PROJECT_ENVIRONMENT/bin`, or `UV_PYTHON`/`--python` names an interpreter inside one).

Severity: error when Ray (< 2.55) and uv (>= 0.12.0) are known; warning when uv's version is
unknown (an unpinned `rayproject/ray` image installs whatever uv is current) or Ray's is. uv
0.9.25–0.11.x with `UV_PREVIEW=1` or `UV_PREVIEW_FEATURES=target-workspace-discovery` behaves
like 0.12.0 and is flagged too.

## Why is this bad?
`RuntimeEnvContext.exec_worker` (`ray/_private/runtime_env/context.py`, same in the 2.44–2.60
wheels) runs `bash -c "cd <working_dir copy> && exec <py_executable> <default_worker.py> …"`,
and the worker path is absolute (`ray/_private/node.py`: `os.path.join(…, "workers",
"default_worker.py")`). Before 2.55 the uv hook sets `py_executable` to the driver's `uv run`
options alone (2.54.0 adds `--python X.Y.Z`), so uv receives a script target. The Ray 2.55.0 wheel
is the first to append `python` ("so that when Ray adds … default_worker.py, it becomes `uv run
--python X.Y.Z python …`"), which uv treats as a command and resolves from the cwd.

uv 0.12.0's changelog, breaking changes: "**Discover projects relative to the script passed to
`uv run`** (astral-sh/uv#20225) … uv now starts project and workspace discovery from the
script's directory instead … You can opt out of script-relative discovery by selecting a project
explicitly, e.g., `uv run --project . other-project/script.py`." (`crates/uv/src/lib.rs`: an
explicit `--project` wins, else `run_command.script_dir()`, else the cwd.) It was the
`target-workspace-discovery` preview since 0.9.25 (astral-sh/uv#17423).

Measured with real uv (`tests/reality/test_worker_script_discovery.py`): a project with `.venv`,
a script outside it that imports the project's dependency, run from a fresh copy of the project:
- uv 0.11.33 `uv run <script>`: the copy's `.venv`, import works;
- uv 0.12.0 `uv run <script>`, `uv run --directory . <script>`, `uv run --python 3.11.7 <script>`,
  `uv run --isolated <script>`: the base interpreter on `PATH`, `ModuleNotFoundError`, exit 1, no
  uv error; `UV_NO_SYNC=1` changes nothing (uv warns "`--no-sync` has no effect when used outside
  of a project");
- uv 0.12.0 with `--project .`, `UV_PROJECT=.`, or `uv run python <script>`: the copy's `.venv`;
  with `VIRTUAL_ENV`, `PATH` or `UV_PYTHON` naming a prebuilt env: that env (unsynced).
With real Ray 2.44.0 and uv 0.13.9 the workers died with `No module named 'ray'` and the job hung
(`shared/reality.md`). If Ray itself is installed in a project's in-tree `.venv` (the script then
sits under that project), uv 0.12 uses *that* project, the image's copy, not the job's
working_dir (measured too). `py_executable: "uv run --isolated"` (§5 trap 10 for the reinstall
rules) is no exception here: uv 0.12.0 ran the script outside the project as well.

## Example
```dockerfile
FROM rayproject/ray:2.53.0-py311
COPY --from=ghcr.io/astral-sh/uv:0.12.0 /uv /uvx /bin/
CMD ["uv", "run", "main.py"]
```
Use instead:
```dockerfile
FROM rayproject/ray:2.53.0-py311
COPY --from=ghcr.io/astral-sh/uv:0.12.0 /uv /uvx /bin/
CMD ["uv", "run", "--project", ".", "main.py"]
```

## How to fix
One of:
- run the driver as `uv run --project . …` (Ray copies the driver's flags to every worker;
  `--project .` resolves in each worker's working_dir copy), or end a `py_executable` with
  `python` (`uv run --frozen python`);
- set `UV_PROJECT=.` in the workers' env (image `ENV`, KubeRay container env, or runtime_env
  `env_vars`);
- upgrade Ray to 2.55 or later;
- pin uv below 0.12.0 (`COPY --from=ghcr.io/astral-sh/uv:0.11.33 /uv /uvx /bin/`).

## Fix safety
No automatic fix: which of these fits (a driver flag, an env var, an upgrade) is the user's call.

## References
- https://github.com/astral-sh/uv/pull/20225
- https://github.com/astral-sh/uv/pull/17423
- https://github.com/astral-sh/uv/blob/main/CHANGELOG.md#0120
- https://github.com/ray-project/ray/pull/59768
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://docs.astral.sh/uv/concepts/projects/run/
"""

META = RuleMeta(
    code="RUV110",
    name="old-ray-worker-script-with-new-uv",
    severity=Severity.ERROR,
    summary="Ray < 2.55 starts workers as `uv run <default_worker.py>`, which uv >= 0.12 runs "
    "outside the project",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    found: dict[tuple[str, int], Finding] = {}
    for ctx in facts.contexts:
        if not ctx.integration.active:
            continue
        finding = _judge(ctx)
        if finding is None:
            continue
        key = (finding.location.path, finding.location.line)
        if key not in found or found[key].severity < finding.severity:
            found[key] = finding
    yield from found.values()


def _judge(ctx: WorkerContext) -> Finding | None:
    driver = ctx.driver
    py_exe = driver.py_executable if driver is not None and driver.uv_run is None else None
    if py_exe is not None:
        # A user's py_executable is used as written on every Ray version.
        if py_exe.command:
            return None  # `uv run … python`: a command, resolved from the cwd
        ray_old: bool | None = True
        starts = f"the runtime_env's `py_executable: {py_exe.text()}`"
    else:
        ray_old = ctx.ray.older_than(APPENDS_PYTHON)
        if ray_old is False:
            return None
        starts = "Ray's uv hook"
    if explicit_project(ctx) or env_interpreter(ctx):
        return None
    uv_new = script_discovery(ctx)
    if uv_new is False or (uv_new is None and ray_old is None):
        return None  # nothing known enough to say (both versions unknown)
    severity = Severity.ERROR if uv_new and ray_old else Severity.WARNING
    return Finding(
        code=META.code,
        message=_message(ctx, starts, py_exe is not None, ray_old, uv_new),
        location=_location(ctx),
        severity=severity,
        fix=(
            "end py_executable with `python` (`uv run --frozen python`) or add `--project .`"
            if py_exe is not None
            else "run the driver as `uv run --project . …` (Ray copies it to the workers) or "
            "set UV_PROJECT=. in the workers' env; or use Ray >= 2.55, or pin uv < 0.12.0"
        ),
        related=_related(ctx),
    )


def _message(
    ctx: WorkerContext, starts: str, py_exe: bool, ray_old: bool | None, uv_new: bool | None
) -> str:
    command = f"`{_worker_command(ctx, py_exe)} {_WORKER}`"
    if py_exe:
        ray = f"{starts} starts every worker as {command} (a script outside the project)"
    elif ray_old is None:
        known = "" if ctx.ray.source == "unknown" else f" ({ctx.ray.source})"
        ray = (
            f"Ray's version is unknown{known}; set [tool.uvray] ray-version: if it is below "
            f"2.55, its uv hook starts every worker as {command} (a script outside the project)"
        )
    else:
        ray = (
            f"Ray {ctx.ray.value} ({ctx.ray.source}) < 2.55 starts every worker as {command} "
            "(a script outside the project"
            + ("; 2.54's `--python` pin does not change that)" if _is_254(ctx) else ")")
        )
    if uv_new is None:
        uv = (
            f"uv's version is unknown ({ctx.uv.source}): if it is 0.12.0 or later, it discovers "
            f"the project from the script's directory (astral-sh/uv#20225), {_SILENT}. Pin uv "
            "below 0.12.0, or pass `--project .`"
        )
    elif ctx.uv.older_than(SCRIPT_DISCOVERY):
        uv = (
            f"uv {ctx.uv.value} ({ctx.uv.source}) with the `{PREVIEW_FEATURE}` preview on "
            f"({_preview_origin(ctx)}) discovers the project from the script's directory, as "
            f"uv >= 0.12.0 does: {_SILENT}"
        )
    else:
        uv = (
            f"uv {ctx.uv.value} ({ctx.uv.source}) discovers the project from the script's "
            f"directory (uv 0.12.0, astral-sh/uv#20225): {_SILENT}"
        )
    return f"{ray}; {uv}."


def _worker_command(ctx: WorkerContext, py_exe: bool) -> str:
    """The workers' `uv run …` as Ray builds it: py_executable as written, or the driver's uv
    options without `--directory`/`-m` (the hook drops them)."""
    driver = ctx.driver
    if driver is None:
        return "uv run <the driver's uv run options>"
    cmd = driver.py_executable if py_exe else driver.uv_run
    if cmd is None:
        return "uv run <the driver's uv run options>"
    if py_exe:
        return cmd.text()
    words = cmd.words[: len(cmd.words) - len(cmd.command)]
    options = words[words.index("run") + 1 :] if "run" in words else []
    kept: list[str] = []
    skip = False
    for word in options:
        if skip:
            skip = False
        elif word in _DROPPED:
            skip = True  # its value follows
        elif not word.startswith(_DROPPED_EQ):
            kept.append(word)
    if _is_254(ctx):
        kept += ["--python", "X.Y.Z"]
    return " ".join(["uv", "run", *kept])


def _is_254(ctx: WorkerContext) -> bool:
    return ctx.ray.older_than(APPENDS_PYTHON) is True and ctx.ray.older_than((2, 54)) is False


def _preview_origin(ctx: WorkerContext) -> str:
    for name in ("UV_PREVIEW", "UV_PREVIEW_FEATURES"):
        setting = ctx.setting(name)
        if setting is not None:
            return f"{name}={setting.shown}, {setting.origin}"
    return "the driver's `uv run` flags"


def _location(ctx: WorkerContext) -> Location:
    driver = ctx.driver
    if driver is not None:
        if driver.uv_run is None and driver.py_executable is not None:
            return driver.py_executable.location
        return driver.location
    for loc in (ctx.integration.location, ctx.uv.location, ctx.ray.location):
        if loc is not None:
            return loc
    return Location(ctx.path or ctx.project_dir or ".", 1)


def _related(ctx: WorkerContext) -> tuple[tuple[str, Location], ...]:
    related = []
    if ctx.uv.location is not None:
        related.append(("uv", ctx.uv.location))
    if ctx.ray.location is not None:
        related.append(("Ray version", ctx.ray.location))
    if ctx.integration.location is not None:
        related.append(("uv integration", ctx.integration.location))
    return tuple(related)
