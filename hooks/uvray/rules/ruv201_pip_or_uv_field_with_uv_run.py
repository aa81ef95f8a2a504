from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, uv_run_runtime_envs, version_lt
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note

RAY_MESSAGE = (
    "You are using the 'pip' or 'uv' runtime environments together with 'uv run'. These are not "
    "compatible since 'uv run' will run the workers in an isolated environment -- please add the "
    "'pip' or 'uv' dependencies to your 'uv run' environment e.g. by including them in your "
    "pyproject.toml."
)

DOC = """\
## What it does
Flags a runtime_env that Ray's workers get (`ray job submit --runtime-env`/`--runtime-env-json`,
a KubeRay `runtimeEnvYAML`) with a `pip` or `uv` field, while the driver runs under `uv run`
with Ray's uv integration active (Ray ≥ 2.47 by default, or `RAY_RUNTIME_ENV_HOOK` naming Ray's
uv hook on 2.43+).

## Why is this bad?
With the integration active, `ray.init()` in the driver passes the runtime_env through
`ray._private.runtime_env.uv_runtime_env_hook.hook` (`ray/_private/worker.py`,
`_maybe_modify_runtime_env`). From Ray 2.45 the hook starts with
`if "uv" in runtime_env or "pip" in runtime_env: raise RuntimeError(...)`:

    You are using the 'pip' or 'uv' runtime environments together with 'uv run'. These are not
    compatible since 'uv run' will run the workers in an isolated environment -- please add the
    'pip' or 'uv' dependencies to your 'uv run' environment e.g. by including them in your
    pyproject.toml.

(checked in the 2.45.0 and 2.60.0 wheels; the 2.44.0 hook has no such check). On 2.43–2.44 the
job starts, but the hook sets `py_executable` to the driver's `uv run …`, and the py_executable
plugin runs after the pip/uv plugins, so workers run in the uv project env and the `pip`/`uv`
packages are installed into a virtualenv nobody uses: the environments are mixed
(pcmoritz in ray-project/ray#51196).

`conda` is not checked by Ray's hook and is not flagged here. A hook variable set while the
driver does not run under `uv run` is harmless: the hook returns the runtime_env unchanged.

Evidence:
- https://github.com/ray-project/ray/issues/51196
- `ray/_private/runtime_env/uv_runtime_env_hook.py` (`hook`), Ray 2.44.0 vs 2.45.0 and 2.60.0
- `ray/_private/worker.py` (`_maybe_modify_runtime_env`, `init`), Ray 2.60.0

## Example
```yaml
# runtime_env.yaml, submitted with
# ray job submit --runtime-env runtime_env.yaml -- uv run python main.py
pip:
  - requests==2.32.4
```
Use instead:
```toml
# pyproject.toml
[project]
dependencies = ["ray[default]==2.47.1", "requests==2.32.4"]
```

## How to fix
Move the packages into the project's `pyproject.toml` (and `uv.lock`), which every worker's
`uv run` installs. If you want Ray's `pip`/`uv` field instead, do not start the driver with
`uv run` (or set `RAY_ENABLE_UV_RUN_RUNTIME_ENV=0` before `import ray` on Ray ≥ 2.47, and do not
set `RAY_RUNTIME_ENV_HOOK` to the uv hook).

## Fix safety
No automatic fix.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html
- https://github.com/ray-project/ray/issues/51196
- https://github.com/ray-project/ray/pull/51675
"""

META = RuleMeta(
    code="RUV201",
    name="pip-or-uv-field-with-uv-run",
    severity=Severity.ERROR,
    summary="runtime_env `pip`/`uv` with a driver under `uv run`: Ray ≥ 2.45 refuses it",
    fix=None,
    doc=DOC,
)

_QUOTED = f'"{RAY_MESSAGE}"'
_RAISES = (2, 45)
_HOOK_EXISTS = (2, 43)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for ctx, runtime_env in uv_run_runtime_envs(repo, facts):
        fields = [k for k in ("pip", "uv") if k in runtime_env.data]
        if not fields:
            continue
        older = version_lt(ctx.ray.value, _RAISES)
        if older is True and version_lt(ctx.ray.value, _HOOK_EXISTS):
            continue  # no uv hook before 2.43 (RUV210's business)
        named = " and ".join(f"`{f}`" for f in fields)
        source = "runtimeEnvYAML" if runtime_env.origin == "kuberay" else "runtime_env"
        if older is None:
            severity = Severity.ERROR
            outcome = (
                "Ray's version is unknown (so treated as ≥ 2.45, which refuses this in "
                f"`ray.init()`): {_QUOTED} (2.43–2.44 start the job but mix environments)."
            )
        elif older:
            severity = Severity.WARNING
            outcome = (
                f"Ray {ctx.ray.value} ({ctx.ray.source}) accepts it, but the uv hook's "
                "py_executable (`uv run …`) overrides the pip/uv virtualenv: workers run in the "
                "uv project env and the packages are installed where nobody uses them "
                "(ray-project/ray#51196); Ray ≥ 2.45 refuses it."
            )
        else:
            severity = Severity.ERROR
            outcome = f"Ray {ctx.ray.value} ({ctx.ray.source}) raises in `ray.init()`: {_QUOTED}"
        yield Finding(
            code=META.code,
            message=(
                f"the {source} has {named} while the driver runs under `uv run`. {outcome} "
                + integration_note(ctx)
            ),
            location=runtime_env.key_locations.get(fields[0], runtime_env.location),
            severity=severity,
            fix="add the packages to pyproject.toml/uv.lock instead of the runtime_env",
            related=(("driver", ctx.driver.location),) if ctx.driver is not None else (),
        )
