from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, truthy
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note
from uvray.script_discovery import workers_miss_project

DOC = """\
## What it does
Flags `UV_COMPILE_BYTECODE=1` in the environment Ray's workers get (the final image's `ENV`, a
KubeRay container env, runtime_env `env_vars`) when the workers sync with `uv run`.

## Why is this bad?
uv's docs for `--compile-bytecode`: "Commands that perform a sync operation (e.g., `uv sync` or
`uv run`) will process the entire site-packages directory including packages that are not being
modified". Any worker sync that installs something — the project reinstall of RUV101, or a fresh
per-working_dir `.venv` — then compiles the whole environment before the worker can register,
against Ray's 60 s `worker_register_timeout_seconds`. (uv returns early when nothing changes, so an
env that is already in sync costs nothing.)

## Example
```dockerfile
FROM rayproject/ray:2.47.0-py311
ENV UV_COMPILE_BYTECODE=1
```
Use instead:
```dockerfile
RUN UV_COMPILE_BYTECODE=1 uv sync --locked   # compile at build time only
```

## How to fix
Set it only where the build syncs (a `RUN` prefix or a builder stage), or override it for the
workers with `UV_COMPILE_BYTECODE=0` in runtime_env `env_vars`.

## Fix safety
No automatic fix yet.

## References
- https://docs.astral.sh/uv/reference/environment/#uv_compile_bytecode
"""

META = RuleMeta(
    code="RUV108",
    name="compile-bytecode-at-runtime",
    severity=Severity.WARNING,
    summary="UV_COMPILE_BYTECODE reaches Ray's workers, which sync at start-up",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for ctx in facts.contexts:
        if not ctx.integration.active or not ctx.workers_sync or workers_miss_project(ctx):
            continue  # (missing the project, they never sync: RUV110)
        setting = ctx.setting("UV_COMPILE_BYTECODE")
        if setting is None or not truthy(setting.value):
            continue
        yield Finding(
            code=META.code,
            message=(
                f"UV_COMPILE_BYTECODE={setting.value} ({setting.origin}) reaches Ray's workers: "
                "any worker `uv run` that installs something recompiles the whole "
                "site-packages before the worker can register (60 s timeout). "
                + integration_note(ctx)
            ),
            location=setting.location,
            severity=META.severity,
            fix="set UV_COMPILE_BYTECODE only for the build's `uv sync` (RUN prefix or builder stage)",
        )
