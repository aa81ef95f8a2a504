from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note
from uvray.script_discovery import workers_miss_project

# han-steve's failing case on ray-project/ray#50961 had ~400 packages and 32 concurrent workers.
LARGE_LOCK = 200

DOC = f"""\
## What it does
Flags Ray setups where every worker's `uv run` re-resolves the project against `uv.lock`: Ray's
uv integration is active, workers sync, and neither `UV_FROZEN`/`--frozen` nor
`UV_NO_SYNC`/`--no-sync` reaches them. A warning when `uv.lock` has {LARGE_LOCK} packages or more,
otherwise an info.

## Why is this bad?
Each worker runs its own `uv run`, which locks (resolves and checks `uv.lock`) and audits the
environment before the worker can start. han-steve on ray-project/ray#50961: "With 32 concurrent
uv run processes … the node becomes CPU-saturated for 30+ seconds, causing liveliness probe
failures"; switching to a one-time `uv sync --frozen` gave "a 100x speed improvement and no
failures". Ray kills a worker that has not registered within 60 s
(`worker_register_timeout_seconds`). Without `--frozen`, a worker's `uv run` may also rewrite
`uv.lock` in its working_dir copy.

## Example
```dockerfile
ENV RAY_RUNTIME_ENV_HOOK=ray._private.runtime_env.uv_runtime_env_hook.hook
# workers: `uv run ...` resolves a 400-package lock, 32 at a time
```
Use instead:
```dockerfile
ENV UV_FROZEN=1
```

## How to fix
Set `UV_FROZEN=1` for the workers (or start the driver with `uv run --frozen`), or pre-build the
env and set `UV_NO_SYNC=1`, or give Ray a custom `py_executable` that installs once per node
(Anyscale KB "Scale uv dependency installations on large Anyscale clusters").

## Fix safety
No automatic fix.

## References
- https://github.com/ray-project/ray/issues/50961
- https://docs.anyscale.com/kb/scale-uv-on-large-clusters
"""

META = RuleMeta(
    code="RUV107",
    name="per-worker-resolution-load",
    severity=Severity.WARNING,
    summary="every Ray worker re-resolves uv.lock (no --frozen, no --no-sync on the worker path)",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for ctx in facts.contexts:
        if not ctx.integration.active or not ctx.workers_sync or ctx.frozen() is not None:
            continue
        if workers_miss_project(ctx):
            continue  # they never sync; RUV110 says what happens instead
        if "isolated" in ctx.worker_flags:
            continue
        location = ctx.integration.location or (ctx.driver.location if ctx.driver else None)
        if location is None:
            continue
        size = len(ctx.lock) if ctx.lock is not None else None
        severity = Severity.WARNING if size is not None and size >= LARGE_LOCK else Severity.INFO
        size_text = f"{size} packages in uv.lock" if size is not None else "no uv.lock found"
        yield Finding(
            code=META.code,
            message=(
                f"Every Ray worker's `uv run` re-resolves the project ({size_text}) before it "
                "can start, because neither UV_FROZEN/--frozen nor UV_NO_SYNC/--no-sync reaches "
                "the workers; many workers at once can saturate the node past Ray's 60 s "
                "registration timeout. " + integration_note(ctx)
            ),
            location=location,
            severity=severity,
            fix="set UV_FROZEN=1 for the workers, or pre-build the env and set UV_NO_SYNC=1",
        )
