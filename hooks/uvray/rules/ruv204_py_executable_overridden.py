from __future__ import annotations

import re
from collections.abc import Iterator

from uvray.facts import Facts, Version, WorkerContext, all_runtime_envs, uv_run_runtime_envs
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.readers.rayconfig import RuntimeEnv
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note

DOC = """\
## What it does
Flags a runtime_env `py_executable` that the workers will not run, or that makes another field
useless:
- **(a)** the runtime_env (`ray job submit --runtime-env`/`--runtime-env-json`, a KubeRay
  `runtimeEnvYAML`) sets `py_executable` while the driver runs under `uv run` with Ray's uv
  integration active (Ray ≥ 2.47 by default, or `RAY_RUNTIME_ENV_HOOK` naming the uv hook on
  2.43+). Ray's uv hook replaces it with the driver's own `uv run …`.
- **(b)** the same runtime_env sets `py_executable` and one of `pip`, `uv` or `conda` (and the
  driver does not run under `uv run`, else (a) says it). Not flagged when `py_executable` is a bare
  `python`/`python3.X`, which the shell resolves inside the activated virtualenv/conda env, or
  `uv run --no-project …`/`uv run --active …`, which take the activated env (`VIRTUAL_ENV`).
- **(c)** the runtime_env sets `conda` while the driver runs under `uv run` with the integration
  active: the hook adds a `py_executable` that bypasses the conda env. (`pip`/`uv` in that
  situation are RUV201's: Ray ≥ 2.45 refuses them.)

## Why is this bad?
(a) `ray._private.runtime_env.uv_runtime_env_hook.hook` ends with
`runtime_env["py_executable"] = " ".join(remaining_uv_run_args)`, unconditionally (read in the
2.43.0, 2.44.0, 2.54.0, 2.55.0 and 2.58.0 wheels). `ray.init()` in the driver calls it through
`ray/_private/worker.py::_maybe_modify_runtime_env`; in a Job submission it runs on the job's
runtime_env merged with `ray.init`'s, so a submitted `py_executable` is lost too. Workers then
start as the driver's `uv run …`, not as the command you wrote, and a `uv run --isolated …`
written to avoid the shared-env race (the PR #50160 docs example) loses its `--isolated`.
The one exception is Ray Client (`ray.init("ray://…")`) on Ray ≥ 2.55:
`ray/util/client/__init__.py::_apply_uv_hook_for_client` returns early when `"py_executable" in
runtime_env`, i.e. it skips the uv hook *entirely* (no `uv run` for workers, no automatic
`working_dir`). Ray 2.54 and older have no such check; Job submission never takes that path.

(b) Ray sets workers up with its plugins in a fixed order: `working_dir` first (priority 5), then
`uv`, `pip`, `conda`, `py_modules`, `py_executable`… (all priority 10, sorted stably in
`ray/_private/runtime_env/plugin.py::sorted_plugin_setup_contexts`, list in
`agent/runtime_env_agent.py`). The pip and uv plugins set `context.py_executable` to the
virtualenv's python (`pip.py`/`uv.py::modify_context`), conda sets `"python"` (`conda.py`), and
the py_executable plugin then overwrites it with `runtime_env.py_executable()`
(`py_executable.py`). Ray does not reject the combination (`ray/runtime_env/runtime_env.py`
only rejects two of pip/uv/conda). The virtualenv or conda env is still built and activated in
the worker's shell (PATH, `VIRTUAL_ENV`), but the worker runs your `py_executable`: an absolute
interpreter or `uv run …` (uv ignores `VIRTUAL_ENV` without `--active`) never sees the packages.
The modelship comment "overrides the per-job virtualenv that runtime_env.pip creates" and
ray-project/ray#54344 describe the same override.

(c) The conda plugin sets `py_executable = "python"` and the hook's `uv run …` replaces it, so the
worker runs in the uv project env; Ray's hook checks only `pip`/`uv`, never `conda`.

## Example
```yaml
# runtime_env.yaml, submitted with
# ray job submit --runtime-env runtime_env.yaml -- uv run python main.py
py_executable: uv run --isolated --frozen python
```
Use instead (either):
```yaml
# let the hook derive py_executable from the driver's `uv run --isolated --frozen main.py`
working_dir: .
```
```yaml
# keep your own py_executable, and start the driver with plain `python`
# (or set RAY_ENABLE_UV_RUN_RUNTIME_ENV=0 in the cluster's env)
py_executable: uv run --isolated --frozen python
```

## How to fix
Pick one mechanism. Put the `uv run` flags on the driver's `uv run` (Ray copies them to every
worker), or keep your `py_executable` and do not start the driver with `uv run` (on Ray ≥ 2.47
`RAY_ENABLE_UV_RUN_RUNTIME_ENV=0` in the env the driver imports `ray` in, and no
`RAY_RUNTIME_ENV_HOOK`). With `pip`/`uv`/`conda`, drop `py_executable` or the package field.

## Fix safety
No automatic fix: which mechanism to keep is the user's decision.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html
- https://github.com/ray-project/ray/pull/50160
- https://github.com/ray-project/ray/issues/54344
- https://github.com/ray-project/ray/issues/57991
"""

META = RuleMeta(
    code="RUV204",
    name="py-executable-overridden",
    severity=Severity.WARNING,
    summary="runtime_env `py_executable` replaced by Ray's uv hook, or overriding pip/uv/conda",
    fix=None,
    doc=DOC,
)

_HOOK_EXISTS = (2, 43)  # the uv hook and the py_executable plugin (PR #50160, #50462)
_CLIENT_SKIPS = (2, 55)  # _apply_uv_hook_for_client respects py_executable (PR #60868)
_FIELDS = ("pip", "uv", "conda")
# A bare interpreter name is looked up on PATH, which the pip/uv/conda activation put first.
_BARE_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    if not repo.runtime_envs and not repo.kuberay and not facts.cluster_drivers:
        return
    seen: set[tuple[str, int]] = set()
    hooked: set[int] = set()  # runtime_envs the uv hook rewrites: (b) does not apply to them
    for ctx, env in uv_run_runtime_envs(repo, facts):
        if not isinstance(env, RuntimeEnv) or ctx.ray.older_than(_HOOK_EXISTS) is True:
            continue
        hooked.add(id(env))
        if "py_executable" in env.data:
            finding = _replaced(ctx, env)
        elif env.data.get("conda") is not None:
            finding = _conda_bypassed(ctx, env)
        else:
            continue
        key = (finding.location.path, finding.location.line)
        if key not in seen:
            seen.add(key)
            yield finding
    for env in all_runtime_envs(repo, facts):
        if id(env) in hooked:
            continue
        finding = _combined(env, facts)
        if finding is not None:
            key = (finding.location.path, finding.location.line)
            if key not in seen:
                seen.add(key)
                yield finding


def _replaced(ctx: WorkerContext, env: RuntimeEnv) -> Finding:
    """(a) the hook overwrites an explicit py_executable."""
    assert ctx.driver is not None and ctx.driver.uv_run is not None
    written = str(env.data.get("py_executable"))
    location = env.key_locations.get("py_executable", env.location)
    parts = [
        f"the runtime_env sets py_executable `{written}`, but the driver runs under "
        f"`{ctx.driver.uv_run.text()}`, so Ray's uv hook replaces it in `ray.init()` with the "
        "driver's `uv run …` (uv_runtime_env_hook.hook sets runtime_env['py_executable'] "
        "unconditionally; a Job submission's runtime_env goes through it too): workers never "
        "run the command you wrote.",
    ]
    if "--isolated" in written.split() and "isolated" not in ctx.driver.uv_run.options:
        parts.append(
            "Its `--isolated` (a temporary env per worker, no shared-env race) is lost with it."
        )
    if env.data.get("conda") is not None:
        parts.append("The `conda` env is bypassed as well: workers run in the uv project env.")
    parts.append(_client_clause(ctx.ray))
    parts.append(integration_note(ctx))
    return Finding(
        code=META.code,
        message=" ".join(parts),
        location=location,
        severity=META.severity,
        fix="put the flags on the driver's `uv run`, or drop `uv run` from the driver "
        "(RAY_ENABLE_UV_RUN_RUNTIME_ENV=0) to keep your py_executable",
        related=(("driver", ctx.driver.location),),
    )


def _client_clause(ray: Version) -> str:
    older = ray.older_than(_CLIENT_SKIPS)
    if older is True:
        return f"Ray {ray.value} ({ray.source}) replaces it on every path, Ray Client included."
    client = (
        'only a Ray Client driver (`ray.init("ray://…")`) keeps it, and then skips the uv hook '
        "entirely (no `uv run`, no automatic working_dir)"
    )
    if older is False:
        return f"On Ray {ray.value} ({ray.source}) {client}."
    return f"{_unknown(ray)}: on Ray ≥ 2.55 {client}; older Ray replaces it on every path."


def _unknown(ray: Version) -> str:
    if ray.source in ("unknown", ""):
        return "Ray's version is unknown"
    return f"Ray's version is unknown ({ray.source})"


def _conda_bypassed(ctx: WorkerContext, env: RuntimeEnv) -> Finding:
    """(c) conda with a driver under `uv run`: the hook's py_executable wins."""
    assert ctx.driver is not None and ctx.driver.uv_run is not None
    return Finding(
        code=META.code,
        message=(
            "the runtime_env sets `conda` while the driver runs under "
            f"`{ctx.driver.uv_run.text()}`: Ray's uv hook adds py_executable `uv run …`, which "
            "the py_executable plugin applies after the conda plugin's `python`, so workers run "
            "in the uv project env and never see the conda packages (Ray's hook checks only "
            "`pip`/`uv`, so nothing warns). " + integration_note(ctx)
        ),
        location=env.key_locations.get("conda", env.location),
        severity=META.severity,
        fix="move the packages into pyproject.toml, or drop `uv run` from the driver to use conda",
        related=(("driver", ctx.driver.location),),
    )


def _combined(env: RuntimeEnv, facts: Facts) -> Finding | None:
    """(b) py_executable next to pip/uv/conda in one runtime_env."""
    written = env.data.get("py_executable")
    if not isinstance(written, str) or not written.strip():
        return None
    fields = [k for k in _FIELDS if env.data.get(k) is not None]
    if not fields:
        return None
    words = written.split()
    if _BARE_PYTHON.match(words[0]):
        return None  # resolved on PATH, inside the activated env
    if words[:2] == ["uv", "run"] and ("--no-project" in words or "--active" in words):
        return None  # uv then runs the activated env (VIRTUAL_ENV) as its base
    ray = _ray_for(env, facts)
    if ray.older_than(_HOOK_EXISTS) is True:
        return None  # no py_executable plugin: Ray ignores the field (another problem)
    named = " and ".join(f"`{f}`" for f in fields)
    version = (
        f"Ray {ray.value} ({ray.source})"
        if ray.known
        else f"{_unknown(ray)}, but every Ray with the py_executable plugin (2.43+)"
    )
    return Finding(
        code=META.code,
        message=(
            f"the runtime_env sets py_executable `{written}` and {named}: {version} applies the "
            "py_executable plugin after the pip/uv/conda plugins, so workers run "
            f"`{written}` instead of the interpreter of the env {named} builds; the env is only "
            "activated in the worker's shell and its packages are not importable unless that "
            "command resolves to its python."
        ),
        location=env.key_locations.get("py_executable", env.location),
        severity=META.severity,
        fix=f"drop py_executable, or drop {named} and install the packages another way",
        related=tuple((f"`{f}`", env.key_locations[f]) for f in fields if f in env.key_locations),
    )


def _ray_for(env: RuntimeEnv, facts: Facts) -> Version:
    """The Ray of a context that uses this runtime_env, else [tool.uvray] ray-version."""
    unknown: Version | None = None
    for ctx in facts.contexts:
        if ctx.driver is not None and ctx.driver.runtime_env is env:
            if ctx.ray.known:
                return ctx.ray
            unknown = ctx.ray
    if facts.config.ray_version:
        return Version(facts.config.ray_version, "[tool.uvray] ray-version")
    return unknown or Version(None, "no Ray version found")
