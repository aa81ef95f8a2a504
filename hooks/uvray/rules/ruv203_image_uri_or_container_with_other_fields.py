from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, all_runtime_envs, uv_run_runtime_envs, version_lt
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.readers.rayconfig import RuntimeEnv
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note

DOC = """\
## What it does
Flags a runtime_env whose `image_uri` (or `container`) is combined with any field other than
`config` and `env_vars`. It also flags `image_uri`/`container` in the runtime_env of a driver
that runs under `uv run` with Ray's uv integration active: the uv hook adds `py_executable` (and
`working_dir` when unset) to that runtime_env before Ray validates it.

## Why is this bad?
Ray validates every runtime_env in `RuntimeEnv.__init__` (`ray/runtime_env/runtime_env.py`,
identical in Ray 2.44.0, 2.45.0 and 2.60.0):

    ValueError: The 'image_uri' field currently cannot be used together with other fields of
    runtime_env. Specified fields: {...}

The allowed keys come from `ImageURIPlugin.get_compatible_keys()` (`{"image_uri", "config",
"env_vars"}`, `ray/_private/runtime_env/image_uri.py`); for `container` the set is
`{"container", "config", "env_vars"}` with the same message naming `'container'`. Both checks
run only when the field is truthy.

With a driver under `uv run` (checked in the Ray 2.60.0 source): `ray.init()` calls
`_maybe_modify_runtime_env` (`ray/_private/worker.py`), which runs
`uv_runtime_env_hook.hook`; the hook sets `runtime_env["py_executable"]` unconditionally and
`runtime_env["working_dir"] = os.getcwd()` when unset, with no exception for `image_uri` or
`container` (the 2.44.0 hook does the same). `init` then stores the result with
`job_config.set_runtime_env(runtime_env)` (no validation), and `JobConfig._get_proto_job_config`
calls `_validate_runtime_env`, i.e. `RuntimeEnv(**runtime_env)`, which raises the error above
with `py_executable` (and `working_dir`) among the specified fields. So `image_uri` alone is
fine, but not for a job whose driver runs under `uv run` with the integration active.

Evidence:
- `ray/runtime_env/runtime_env.py` (`RuntimeEnv.__init__`), Ray 2.44.0, 2.45.0, 2.60.0
- `ray/_private/runtime_env/uv_runtime_env_hook.py` (`hook`), Ray 2.44.0, 2.60.0
- `ray/_private/worker.py` (`_maybe_modify_runtime_env`, `init`), `ray/job_config.py`
  (`set_runtime_env`, `_validate_runtime_env`), Ray 2.60.0
- https://github.com/ray-project/ray/issues/51196

## Example
```yaml
image_uri: rayproject/ray:2.47.1-py311
pip:
  - requests
```
Use instead:
```yaml
image_uri: my-registry/my-job:1.0  # an image that already contains the packages
env_vars:
  LOG_LEVEL: info
```

## How to fix
Bake the packages, code and interpreter into the image and keep only `config` and `env_vars`
next to `image_uri`. For a driver under `uv run`, start it with the image's Python instead, or
set `RAY_ENABLE_UV_RUN_RUNTIME_ENV=0` before `import ray` (Ray ≥ 2.47) so the hook does not run.

## Fix safety
No automatic fix.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html
- https://github.com/ray-project/ray/issues/51196
"""

META = RuleMeta(
    code="RUV203",
    name="image-uri-or-container-with-other-fields",
    severity=Severity.ERROR,
    summary="runtime_env `image_uri`/`container` with fields other than config/env_vars",
    fix=None,
    doc=DOC,
)

_COMPATIBLE = {"config", "env_vars"}
_HOOK_EXISTS = (2, 43)


def _isolating_field(env: RuntimeEnv) -> str | None:
    """`container` or `image_uri` when set (truthy), in the order Ray checks them."""
    for name in ("container", "image_uri"):
        if env.data.get(name):
            return name
    return None


def _fields(names) -> str:
    return "{" + ", ".join(repr(n) for n in sorted(names)) + "}"


def _ray_text(name: str, others) -> str:
    return (
        f"The '{name}' field currently cannot be used together with other fields of "
        f"runtime_env. Specified fields: {_fields(others)}"
    )


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    flagged: set[int] = set()
    for env in all_runtime_envs(repo, facts):
        name = _isolating_field(env)
        if name is None:
            continue
        others = set(env.data) - _COMPATIBLE - {name}
        if not others:
            continue
        flagged.add(id(env))
        yield Finding(
            code=META.code,
            message=f"Ray refuses this runtime_env: {_ray_text(name, others)}",
            location=env.key_locations.get(name, env.location),
            severity=META.severity,
            fix=f"keep only config and env_vars next to `{name}`; bake the rest into the image",
        )
    for ctx, env in uv_run_runtime_envs(repo, facts):
        name = _isolating_field(env)
        if name is None or id(env) in flagged:
            continue
        if version_lt(ctx.ray.value, _HOOK_EXISTS):
            continue  # no uv hook before 2.43
        others = (set(env.data) - _COMPATIBLE - {name}) | {"py_executable"}
        if "working_dir" not in env.data:
            others.add("working_dir")
        flagged.add(id(env))
        yield Finding(
            code=META.code,
            message=(
                f"the driver runs under `uv run`, so Ray's uv hook adds py_executable (and "
                f"working_dir when unset) to this runtime_env in `ray.init()`, and Ray then "
                f"refuses it: {_ray_text(name, others)}. " + integration_note(ctx)
            ),
            location=env.key_locations.get(name, env.location),
            severity=META.severity,
            fix=(
                "start the driver without `uv run` (the image's Python), or set "
                "RAY_ENABLE_UV_RUN_RUNTIME_ENV=0 before `import ray`"
            ),
            related=(("driver", ctx.driver.location),) if ctx.driver is not None else (),
        )
