from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import UV_HOOK, Facts, Setting, falsy, truthy
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._fixes import remove_setting

FLAG = "RAY_ENABLE_UV_RUN_RUNTIME_ENV"
# The first Ray release that reads the flag (ray_constants.py, PR #53060).
_FLAG_ADDED = (2, 47)

DOC = """\
## What it does
Flags a `RAY_ENABLE_UV_RUN_RUNTIME_ENV` setting that does not do what it says:
- **(a)** it is falsy (`0`, `false`, …) while `RAY_RUNTIME_ENV_HOOK` still names Ray's uv hook
  (`ray._private.runtime_env.uv_runtime_env_hook.hook`) in the env the same driver sees;
- **(b)** it is set at all while the Ray in use is older than 2.47, where the flag does not exist.
  Only when Ray's version is known (`uv.lock`, the `rayproject/ray` tag, KubeRay `rayVersion`,
  `[tool.uvray] ray-version`).

## Why is this bad?
(a) In Ray >= 2.47 the flag only gates the *first* of two branches of
`ray/_private/worker.py::_maybe_modify_runtime_env` (read in the 2.60.0 wheel):
```python
if ray_constants.RAY_ENABLE_UV_RUN_RUNTIME_ENV:
    from ray._private.runtime_env.uv_runtime_env_hook import (
        _get_uv_run_cmdline,
        hook,
    )

    cmdline = _get_uv_run_cmdline()
    if cmdline:
        # This means the current driver is running in `uv run`, in which case we want
        # to propagate the uv environment to the workers.
        return hook(runtime_env)

if ray_constants.RAY_RUNTIME_ENV_HOOK in os.environ and not _skip_env_hook:
    return load_class(os.environ[ray_constants.RAY_RUNTIME_ENV_HOOK])(runtime_env)
```
With the flag off, the second branch still loads whatever `RAY_RUNTIME_ENV_HOOK` names. If that
is the uv hook, a driver under `uv run` still gets `py_executable = "uv run …"` and its cwd as
`working_dir`: every worker runs `uv run` just as if the flag were on. The `ray_constants.py`
comment (2.47 and 2.60) says the flag exists to switch off the *automatic* path: "If you enable
RAY_ENABLE_UV_RUN_RUNTIME_ENV AND you run the driver with `uv run`, Ray deactivates the regular
RAY_RUNTIME_ENV_HOOK … If you want to combine a custom RAY_RUNTIME_ENV_HOOK with `uv run`, you
should flag off RAY_ENABLE_UV_RUN_RUNTIME_ENV and call
ray._private.runtime_env.uv_runtime_env_hook.hook manually in your hook".

(b) The flag arrived in Ray 2.47 (ray-project/ray PR #53060):
`RAY_ENABLE_UV_RUN_RUNTIME_ENV = env_bool("RAY_ENABLE_UV_RUN_RUNTIME_ENV", True)` is in the 2.47.0
wheel's `ray/_private/ray_constants.py`; no `.py` file of the 2.46.0 wheel mentions the name. In
Ray < 2.47 setting it changes nothing: only `RAY_RUNTIME_ENV_HOOK` turns the uv integration on
(`0` disables nothing, `1` enables nothing).

Not flagged: the flag set only in a runtime_env's `env_vars`. It is a module-level constant read
when the driver imports `ray`, so `ray.init(runtime_env={"env_vars": {…}})` in code is too late;
but uvray reads runtime_envs only from Job submissions (`ray job submit`, KubeRay
`runtimeEnvYAML`), and there the driver does see them before `import ray`: the JobSupervisor actor
runs with the job's runtime_env (`job_manager._get_supervisor_runtime_env` copies the user's
`env_vars`) and starts the entrypoint with `env = os.environ.copy()`
(`dashboard/modules/job/job_supervisor.py`, 2.60.0). So for what uvray can see it works.

## Example
```dockerfile
FROM rayproject/ray:2.47.1-py311
ENV RAY_RUNTIME_ENV_HOOK=ray._private.runtime_env.uv_runtime_env_hook.hook \\
    RAY_ENABLE_UV_RUN_RUNTIME_ENV=0
```
Use instead:
```dockerfile
FROM rayproject/ray:2.47.1-py311
ENV RAY_ENABLE_UV_RUN_RUNTIME_ENV=0
```

## How to fix
To turn Ray's uv integration off, remove `RAY_RUNTIME_ENV_HOOK` (on Ray >= 2.47 also keep the
flag at `0`). On Ray < 2.47 remove the flag: it has no effect there; the hook variable alone
decides.

## Fix safety
Safe. For (a) `--fix` deletes the `RAY_RUNTIME_ENV_HOOK` assignment, which is what the flag
asked for: the integration off. For (b) it deletes the flag, which changes nothing at runtime.
The edit removes one `KEY=value` pair from an `ENV`/`ARG` line (keeping its other pairs,
continuations and line endings; the whole instruction when it is the only pair), or one entry
of a YAML `env:` mapping (with the `env:` key when it is the only entry). Shapes it cannot edit
without guessing (JSON, flow mappings, a runtime_env left empty) are reported and not fixed.

## References
- https://github.com/ray-project/ray/pull/53060
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
"""

META = RuleMeta(
    code="RUV211",
    name="disable-flag-ineffective",
    severity=Severity.WARNING,
    summary="RAY_ENABLE_UV_RUN_RUNTIME_ENV does not do what it says (hook still set, or Ray < 2.47)",
    fix="safe",
    doc=DOC,
)


def _is_uv_hook(setting: Setting | None) -> bool:
    return setting is not None and setting.value is not None and setting.value.strip() == UV_HOOK


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for ctx in facts.contexts:
        flag = ctx.setting(FLAG)
        if flag is None or flag.value is None:
            continue
        hook = ctx.setting("RAY_RUNTIME_ENV_HOOK")
        hook_set = _is_uv_hook(hook)
        written = f"{FLAG}={flag.value} ({flag.origin})"
        if ctx.ray.older_than(_FLAG_ADDED):
            message = (
                f"{written} has no effect: Ray {ctx.ray.value or '< 2.47'} ({ctx.ray.source}) "
                "predates the flag (added in Ray 2.47) and never reads it. "
            )
            if hook_set:
                assert hook is not None
                message += (
                    f"RAY_RUNTIME_ENV_HOOK still names the uv hook ({hook.origin}), so Ray runs "
                    "it in every driver's `ray.init()`, and a driver under `uv run` still starts "
                    "every worker with `uv run`."
                )
            elif falsy(flag.value):
                message += (
                    "There is nothing to disable: before 2.47 only RAY_RUNTIME_ENV_HOOK turns "
                    "Ray's uv integration on."
                )
            elif truthy(flag.value):
                message += (
                    "It does not turn the uv integration on: before 2.47 only "
                    f"RAY_RUNTIME_ENV_HOOK={UV_HOOK} does."
                )
            fix = (
                "remove RAY_ENABLE_UV_RUN_RUNTIME_ENV (the hook variable alone decides before 2.47)"
            )
            remove = flag
        elif falsy(flag.value) and hook_set:
            assert hook is not None
            message = (
                f"{written} does not disable Ray's uv integration: RAY_RUNTIME_ENV_HOOK still "
                f"names the uv hook ({hook.origin}), so `ray.init()` loads it through the "
                "RAY_RUNTIME_ENV_HOOK branch of `_maybe_modify_runtime_env`, and a driver under "
                "`uv run` still gets `py_executable = uv run …` and its cwd as working_dir: "
                "every worker still starts with `uv run`."
            )
            fix = "remove RAY_RUNTIME_ENV_HOOK to turn the uv integration off"
            remove = hook
        else:
            continue
        key = (flag.location.path, flag.location.line)
        if key in seen:
            continue
        seen.add(key)
        related = []
        if hook_set and hook is not None:
            related.append(("RAY_RUNTIME_ENV_HOOK", hook.location))
        if ctx.ray.location is not None:
            related.append(("Ray version", ctx.ray.location))
        yield Finding(
            code=META.code,
            message=message,
            location=flag.location,
            severity=META.severity,
            fix=fix,
            related=tuple(related),
            edits=remove_setting(repo, remove),
        )
