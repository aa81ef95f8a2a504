from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, Setting
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note

DOC = """\
## What it does
Flags `UV_NO_SYNC=1` (or a driver started with `uv run --no-sync`, whose flags Ray copies to every
worker) while Ray's uv integration is active and the workers have no pre-built environment to
use: no absolute `UV_PROJECT_ENVIRONMENT`, and no `--active` with `VIRTUAL_ENV`.

## Why is this bad?
Each worker runs `uv run --no-sync …` inside a fresh copy of the working_dir. With no project
environment there, uv creates an **empty** `.venv` and runs the worker in it (uv's
`ProjectEnvironment::get_or_init`); uvray's `tests/reality` checks this with a real uv on every
CI run. `import ray` then fails and the worker never registers: `Some workers of the worker
process(…) have not registered within the timeout`.

## Example
```dockerfile
ENV UV_NO_SYNC=1
# no UV_PROJECT_ENVIRONMENT: workers look for .venv in their working_dir copy
```
Use instead:
```dockerfile
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_NO_SYNC=1
RUN uv sync --locked
```

## How to fix
Point `UV_PROJECT_ENVIRONMENT` at the pre-built image env, or drop `UV_NO_SYNC` so workers build
their own env.

## Fix safety
No automatic fix.

## References
- https://docs.astral.sh/uv/reference/environment/#uv_no_sync
- https://github.com/ray-project/ray/issues/51881
"""

META = RuleMeta(
    code="RUV106",
    name="no-sync-without-prebuilt-env",
    severity=Severity.ERROR,
    summary="workers run `uv run --no-sync` with no pre-built env: an empty .venv, no Ray",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for ctx in facts.contexts:
        if not ctx.integration.active:
            continue
        stop = ctx.no_sync()
        if stop is None or ctx.fixed_env() is not None:
            continue
        project_env = ctx.setting("UV_PROJECT_ENVIRONMENT")
        if project_env is not None and project_env.value is None:
            continue  # set to something uvray can't resolve: don't guess
        if project_env is not None and project_env.value:
            where = f"the relative UV_PROJECT_ENVIRONMENT={project_env.value} inside each working_dir copy"
        else:
            where = "`.venv` inside each working_dir copy"
        location = stop.location if isinstance(stop, Setting) else stop
        what = "UV_NO_SYNC=1" if isinstance(stop, Setting) else "the driver's `uv run --no-sync`"
        yield Finding(
            code=META.code,
            message=(
                f"{what} reaches Ray's workers, but they have no pre-built env: each worker's "
                f"`uv run --no-sync` uses {where}, which does not exist, so uv creates an empty "
                "one and `import ray` fails; workers never register. " + integration_note(ctx)
            ),
            location=location,
            severity=META.severity,
            fix="point UV_PROJECT_ENVIRONMENT at the pre-built image env, or drop UV_NO_SYNC",
        )
