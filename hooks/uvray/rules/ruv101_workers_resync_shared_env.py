from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, WorkerContext, installs_packages, uv_without_env_lock
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note, race_clause, where
from uvray.script_discovery import workers_miss_project

DOC = """\
## What it does
Flags a Ray setup in which every worker's `uv run` syncs an environment that lives at a **fixed
path** — an absolute `UV_PROJECT_ENVIRONMENT` (or `--active` with `VIRTUAL_ENV`) in the env the
workers get — for a packaged project, while Ray's uv integration is active and nothing stops the
workers from syncing.

Not flagged when the workers never find the project: Ray < 2.55 starts them as
`uv run <site-packages>/…/default_worker.py`, and uv >= 0.12.0 looks for the project from that
script's directory, finds none and runs the worker outside the env — a different failure, which
RUV110 reports (measured in `tests/reality/test_worker_script_discovery.py`).

## Why is this bad?
Ray starts every worker as `uv run …` inside an unpacked copy of the job's `working_dir`
(`/tmp/ray/session_*/runtime_resources/working_dir_files/_ray_pkg_<hash>`). uv sees the same
project at a new path and reinstalls it into the shared env (uv's "path mismatch",
astral-sh/uv#3843). With uv ≤ 0.7.13, which has no environment lock in `uv run` (added by
astral-sh/uv PR #14153 in 0.7.14), workers that start together reinstall at the same moment:

```
error: failed to remove directory `/home/ray/default/.venv/lib/python3.11/site-packages/<pkg>.dist-info`: Directory not empty (os error 39)
Caused by: No such file or directory (os error 2) at path "…/<pkg>.dist-info/.tmpnuyHyL"
Some workers of the worker process(3109) have not registered within the timeout. The process is dead, probably it crashed during start.
```

(ray-project/ray#51881). Real runs (uvray's `tests/reality`, and `ray-lab` in the project's
research) reproduced this with Ray 2.44 and 2.60: about 6 of 20 eight-worker jobs failed with
uv ≤ 0.7.13. With uv ≥ 0.7.14 the reinstall is serialised, but every job still reinstalls the
project into the image env from Ray's session directory, leaves the env pointing at a directory
Ray later deletes, and needs the network (to fetch the build backend) when workers start — on an
offline cluster workers never register.

**`uv sync --no-install-project` at build time does not prevent it** (the fix a popular write-up
of #51881 gives): the driver's own `uv run` installs the project and the workers reinstall it
from their path. uvray says so when it sees that flag.

## Example
```dockerfile
FROM rayproject/ray:2.44.0-py311
COPY --from=ghcr.io/astral-sh/uv:0.6.11 /uv /bin/uv
ENV UV_PROJECT_ENVIRONMENT=/home/ray/default/.venv
ENV RAY_RUNTIME_ENV_HOOK=ray._private.runtime_env.uv_runtime_env_hook.hook
COPY . /home/ray/default
RUN uv sync --frozen --no-install-project
```

Use instead (one of):
```dockerfile
# the env lives in each working_dir copy; workers never touch the image env
ENV UV_PROJECT_ENVIRONMENT=
COPY --from=ghcr.io/astral-sh/uv:0.8.0 /uv /bin/uv
```
```dockerfile
# pre-built env, workers don't sync it (mind RUV109: they run the image's copy of the code)
ENV UV_NO_SYNC=1
```

## How to fix
What was measured to work: keep the workers' env per `working_dir` (no absolute
`UV_PROJECT_ENVIRONMENT` for the workers); or pre-build the env and set `UV_NO_SYNC=1`; or make
the project non-packaged (`[tool.uv] package = false`) when it needn't be installed; or submit
with `ray job submit --working-dir …` so the driver and the workers share one path; and in all
cases use uv ≥ 0.7.14 (RUV102). `--no-install-project` is worth it for layer caching, not as a fix
for this failure.

When the job is submitted with `--working-dir` (or a runtime_env `working_dir`), the driver and
the workers share one path and don't race; uvray then reports a warning for the per-job reinstall
into the image env instead of an error.

## Fix safety
No automatic fix: which of the fixes fits depends on how the image is used.

## References
- https://github.com/ray-project/ray/issues/51881
- https://github.com/astral-sh/uv/pull/14153
- https://docs.astral.sh/uv/reference/environment/#uv_project_environment
"""

META = RuleMeta(
    code="RUV101",
    name="workers-resync-shared-env",
    severity=Severity.ERROR,
    summary="Ray workers re-sync a fixed-path environment and reinstall the project into it",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for ctx in facts.contexts:
        if workers_miss_project(ctx):
            continue  # they never sync the env; RUV110 says what happens instead
        finding = _check_context(repo, ctx)
        if finding is not None:
            yield finding


def _check_context(repo: Repo, ctx: WorkerContext) -> Finding | None:
    if not ctx.integration.active or not ctx.workers_sync:
        return None
    env = ctx.fixed_env()
    if env is None or ctx.project is None or not installs_packages(repo, ctx.project):
        return None
    shared_path = _driver_shares_path(ctx)
    what = (
        f"Ray workers will sync the fixed-path environment {env.shown} ({env.name}, {env.origin}) "
        "from a copy of the working_dir at a new path, so they reinstall the project into it."
    )
    parts = [what, integration_note(ctx)]
    if shared_path:
        parts.append(
            "The job is submitted with a working_dir, so on the driver's node the driver and workers "
            "share one path, and uv >= 0.7.14 serialises the reinstall on other nodes; but every "
            "job still reinstalls the project into the image env from Ray's session directory, "
            "which Ray later deletes."
        )
    else:
        parts.append(race_clause(ctx))
    no_install = _no_install_project_sync(ctx)
    if no_install is not None:
        parts.append(
            f"`uv sync --no-install-project` at build time ({where(no_install, env.location)}) does not "
            "prevent this: the driver's `uv run` installs the project and workers reinstall it "
            "from their path."
        )
    related = [(f"{env.name} set here", env.location)]
    if ctx.integration.location is not None:
        related.append(("Ray's uv integration", ctx.integration.location))
    if ctx.driver is not None and ctx.driver.location != ctx.integration.location:
        related.append(("driver", ctx.driver.location))
    if ctx.uv_pin is not None:
        related.append(("uv comes from here", ctx.uv_pin.location))
    return Finding(
        code=META.code,
        message=" ".join(parts),
        location=env.location,
        severity=Severity.WARNING if shared_path else META.severity,
        fix=(
            "don't let workers sync a fixed-path env: unset UV_PROJECT_ENVIRONMENT for the "
            "workers (per-working_dir .venv), or pre-build it and set UV_NO_SYNC=1, or "
            "`[tool.uv] package = false`, or submit with --working-dir; and use uv >= 0.7.14"
        ),
        related=tuple(related),
    )


def _driver_shares_path(ctx: WorkerContext) -> bool:
    """`ray job submit --working-dir … -- uv run …`: the driver installs from the same unpacked
    copy the workers start in, so on its node they find the project in place (measured). Other
    nodes' image envs still hold the build-time install, and their workers reinstall together:
    only an env-locking uv makes that safe, so the leniency needs uv >= 0.7.14."""
    driver = ctx.driver
    if driver is None or driver.uv_run is None or not driver.working_dir:
        return False
    return uv_without_env_lock(ctx.uv) is False


def _no_install_project_sync(ctx: WorkerContext) -> Location | None:
    if ctx.image is None:
        return None
    for cmd, _step in ctx.image.build_commands:
        if cmd.sub == "sync" and cmd.has("no-install-project", "no-install-workspace"):
            return cmd.location
    return None
