from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import UV_HOOK, Facts
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta

# The first Ray release whose wheel ships ray/_private/runtime_env/uv_runtime_env_hook.py.
_HOOK_ADDED = (2, 43)

DOC = """\
## What it does
Flags `RAY_RUNTIME_ENV_HOOK=ray._private.runtime_env.uv_runtime_env_hook.hook` (set as an image
`ENV`, a workflow `env:`, a KubeRay container `env`, or a runtime_env's `env_vars`) when the Ray in
use is older than 2.43. Ray's version comes from `uv.lock` (`ray`), the `rayproject/ray` base
image tag, KubeRay `rayVersion`, or `[tool.uvray] ray-version`; when it is unknown the rule says
nothing.

## Why is this bad?
The module the variable names does not exist before Ray 2.43 (PRs #50160, #50462 added it).
Checked in the real wheels: `ray/_private/runtime_env/uv_runtime_env_hook.py` is absent from
`ray-2.42.0-cp311-cp311-manylinux2014_x86_64.whl` and present in the 2.43.0 wheel.

Ray 2.42 imports whatever the variable names, unconditionally, in the driver's `ray.init()`
(`ray/_private/worker.py::init`, both the Job-submission and the plain branch):
```python
if ray_constants.RAY_RUNTIME_ENV_HOOK in os.environ and not _skip_env_hook:
    runtime_env = _load_class(os.environ[ray_constants.RAY_RUNTIME_ENV_HOOK])(
        runtime_env
    )
```
`_load_class` (`ray/_private/storage.py`) calls `load_class` (`ray/_private/utils.py`), which does
`importlib.import_module("ray._private.runtime_env.uv_runtime_env_hook")`. So every `ray.init()`
in a driver that sees the variable fails with
`ModuleNotFoundError: No module named 'ray._private.runtime_env.uv_runtime_env_hook'`, whether or
not the driver runs under `uv run` (domain.md §5 trap 6, "harmless without `uv run`", only holds
once the module exists). A Ray Job's driver sees the image `ENV`, the KubeRay container `env` and
the runtime_env `env_vars` (the JobSupervisor actor runs with them and starts the entrypoint with
`os.environ.copy()`).

## Example
```dockerfile
FROM rayproject/ray:2.42.0-py311
ENV RAY_RUNTIME_ENV_HOOK=ray._private.runtime_env.uv_runtime_env_hook.hook
```
Use instead:
```dockerfile
FROM rayproject/ray:2.47.1-py311
# Ray >= 2.47 starts workers with the driver's `uv run` by default: no hook variable needed.
```

## How to fix
Upgrade Ray to 2.43 or later (2.47 or later to drop the variable altogether), or remove
`RAY_RUNTIME_ENV_HOOK`: Ray < 2.43 has no uv integration; use the runtime_env `uv`/`pip` field or
a pre-built image env instead.

## Fix safety
No automatic fix: whether to upgrade Ray or drop the integration is the user's decision.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://github.com/ray-project/ray/pull/50160
- https://github.com/ray-project/ray/pull/50462
- https://github.com/ray-project/ray/pull/53060
"""

META = RuleMeta(
    code="RUV210",
    name="uv-hook-module-missing",
    severity=Severity.ERROR,
    summary="RAY_RUNTIME_ENV_HOOK names Ray's uv hook, which Ray < 2.43 does not have",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for ctx in facts.contexts:
        hook = ctx.setting("RAY_RUNTIME_ENV_HOOK")
        if hook is None or hook.value is None or hook.value.strip() != UV_HOOK:
            continue
        if not ctx.ray.older_than(_HOOK_ADDED):
            continue
        key = (hook.location.path, hook.location.line)
        if key in seen:
            continue
        seen.add(key)
        shown = ctx.ray.value or "< 2.43"
        related = (("Ray version", ctx.ray.location),) if ctx.ray.location else ()
        yield Finding(
            code=META.code,
            message=(
                f"RAY_RUNTIME_ENV_HOOK={UV_HOOK} ({hook.origin}) names a module Ray {shown} "
                f"({ctx.ray.source}) does not have: it was added in Ray 2.43. Every driver's "
                "`ray.init()` imports it and fails with `ModuleNotFoundError: No module named "
                "'ray._private.runtime_env.uv_runtime_env_hook'`."
            ),
            location=hook.location,
            severity=META.severity,
            fix="upgrade Ray to >= 2.43 (>= 2.47 needs no hook variable), or remove "
            "RAY_RUNTIME_ENV_HOOK",
            related=related,
        )
