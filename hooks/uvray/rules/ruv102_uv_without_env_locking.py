from __future__ import annotations

import re
from collections.abc import Iterator

from uvray.facts import Facts, WorkerContext, parse_version, uv_without_env_lock
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import ISSUE_51881, RACE_ERRORS, integration_note

DOC = """\
## What it does
Flags a uv pinned at 0.7.13 or older for an image or CI job in which Ray starts its workers with
`uv run` and the workers sync their environment — whichever env that is (a shared image env or a
fresh `.venv` in each working_dir copy).

## Why is this bad?
uv took no environment lock in `uv sync` before 0.7.12 (astral-sh/uv PR #13869) and none in
`uv run` before **0.7.14** (astral-sh/uv PR #14153: "Prevent concurrent updates of the environment
in `uv run`"). Ray runs one `uv run` per worker, and workers start together, so with an older uv
they write the same environment at the same moment:

```
error: failed to remove directory `…/<pkg>.dist-info`: Directory not empty (os error 39)
warning: Failed to uninstall package at …dist-info due to missing `RECORD` file
```

and the raylet reports `Some workers of the worker process(…) have not registered within the
timeout` (ray-project/ray#51881). A uv-only reproduction (8 simultaneous `uv run` from a moved
copy of the project, 10 rounds) showed 3–10 failing processes of 80 with uv 0.6.10 and 0.7.13,
and 0 of 240 with 0.7.14 and 0.13.9 — uvray's `tests/reality` re-runs it on every CI run. Even a
per-working_dir `.venv` is built by all starting workers at once (ray-project/ray#50961).

## Example
```dockerfile
COPY --from=ghcr.io/astral-sh/uv:0.6.11 /uv /uvx /bin/
```
Use instead:
```dockerfile
COPY --from=ghcr.io/astral-sh/uv:0.8.0 /uv /uvx /bin/
```

## How to fix
Pin uv 0.7.14 or newer wherever the image or job gets uv (`COPY --from=ghcr.io/astral-sh/uv:<v>`,
`pip install uv==<v>`, the installer URL, `astral-sh/setup-uv` `version:`), or set
`UV_NO_SYNC=1` for the workers when their env is pre-built (see RUV106/RUV109).

## Fix safety
No automatic fix: a uv upgrade can change other behaviour; pick the version deliberately.

## References
- https://github.com/astral-sh/uv/pull/14153
- https://github.com/astral-sh/uv/pull/13869
- https://github.com/ray-project/ray/issues/51881
"""

META = RuleMeta(
    code="RUV102",
    name="uv-without-env-locking",
    severity=Severity.ERROR,
    summary="uv older than 0.7.14 has no environment lock, and Ray's workers run it concurrently",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for ctx in facts.contexts:
        if not ctx.integration.active or not ctx.workers_sync or ctx.uv_pin is None:
            continue
        if uv_without_env_lock(ctx.uv) is not True or ctx.uv.location is None:
            continue
        if _required_version_blocks_old_uv(ctx):
            continue
        which = (
            f"uv {ctx.uv.value} ({ctx.uv.source})"
            if ctx.uv.value
            else f"every uv release that {ctx.uv.source} can resolve to"
        )
        yield Finding(
            code=META.code,
            message=(
                f"{which} has no environment lock in `uv run` "
                "(added in 0.7.14, astral-sh/uv PR #14153), and every Ray worker runs its own "
                f"`uv run`: workers that start together write the same env at once — {RACE_ERRORS} "
                f"({ISSUE_51881}). {integration_note(ctx)}"
            ),
            location=ctx.uv.location,
            severity=META.severity,
            fix="pin uv 0.7.14 or newer",
            related=(
                (("Ray's uv integration", ctx.integration.location),)
                if ctx.integration.location
                else ()
            ),
        )


def _required_version_blocks_old_uv(ctx: WorkerContext) -> bool:
    """`[tool.uv] required-version = ">=0.7.14"` makes an older uv refuse to run at all."""
    spec = ctx.project.required_version if ctx.project is not None else None
    if not spec:
        return False
    for clause in spec.split(","):
        m = re.match(r"^\s*(>=|==|>|~=)\s*([\d.]+)", clause)
        if m:
            v = parse_version(m.group(2))
            if v is not None and v + (0,) * (3 - len(v)) >= (0, 7, 14):
                return True
    return False
