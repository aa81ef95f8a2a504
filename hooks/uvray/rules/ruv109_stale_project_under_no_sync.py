from __future__ import annotations

import posixpath
from collections.abc import Iterator

from uvray.facts import Facts, Setting, WorkerContext, truthy
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import where

DOC = """\
## What it does
Flags `UV_NO_SYNC=1` (or a driver under `uv run --no-sync`) reaching Ray's workers when the image
installed the project at build time and the project's package is **not importable from the
working_dir root** (a `src/` layout, or a package-dir mapping).

## Why is this bad?
`UV_NO_SYNC` is the measured way to stop workers from reinstalling the project (RUV101), but then
nothing installs the code submitted with the job. Ray puts the working_dir copy first on
`PYTHONPATH`, which finds a flat-layout package there — but not one under `src/`. Real Ray runs
(Ray 2.60, uv 0.13.9) showed workers importing the project from the image's original install
(`…/app/src/rayproj`), **not** from the submitted working_dir: a job runs yesterday's code without
any error.

## Example
```dockerfile
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_NO_SYNC=1
COPY . /app
RUN uv sync --locked          # installs src/rayproj from /app
```

## How to fix
Accept it knowingly (the image is the release; rebuild it to ship code), or make the package
importable from the working_dir root (flat layout), or ship code changes with `py_modules`, or let
workers sync into a per-working_dir env instead.

## Fix safety
No automatic fix.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html
- https://github.com/ray-project/ray/issues/56697
"""

META = RuleMeta(
    code="RUV109",
    name="stale-project-under-no-sync",
    severity=Severity.WARNING,
    summary="workers don't sync and can't import the submitted code: they run the image's copy",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for ctx in facts.contexts:
        if not ctx.integration.active or ctx.image is None:
            continue
        stop = ctx.no_sync()
        if stop is None or ctx.fixed_env() is None:
            continue
        if ctx.project is None or not ctx.project.packaged or ctx.project.name is None:
            continue
        install = _build_installs_project(ctx)
        if install is None:
            continue
        module = ctx.project.name.replace("-", "_").replace(".", "_").lower()
        if (
            importable_from_root(repo, ctx.project.dir, module, ctx.project.src_layout_hint)
            is not False
        ):
            continue
        location = stop.location if isinstance(stop, Setting) else stop
        yield Finding(
            code=META.code,
            message=(
                f"Ray's workers don't sync (UV_NO_SYNC/--no-sync) and `{module}` is not importable "
                "from the working_dir root (src layout), so workers import the copy the image "
                f"installed at build time ({where(install, location)}), not the code submitted with "
                "the job."
            ),
            location=location,
            severity=META.severity,
            fix="rebuild the image to ship code, use a flat layout or py_modules, or let workers "
            "sync a per-working_dir env",
            related=(("project installed here", install),),
        )


def _build_installs_project(ctx: WorkerContext):
    """Where the image's build last installed the project, or None if the final env lacks it.
    `uv sync` is exact: a later `--no-install-project` sync removes an earlier install."""
    assert ctx.image is not None
    installed = None
    for cmd, step in ctx.image.build_commands:
        if cmd.sub == "sync":
            skip = step.shell_env().get("UV_NO_INSTALL_PROJECT")
            omits = cmd.has("no-install-project", "no-install-workspace", "only-group") or (
                skip is not None and truthy(skip.value)
            )
            if not omits:
                installed = cmd.location
            elif not cmd.has("inexact"):
                installed = None
        elif cmd.sub == "pip install" and _installs_local_project(cmd, step.workdir):
            installed = cmd.location
    return installed


def _installs_local_project(cmd, workdir: str) -> bool:
    targets = list(cmd.positionals) + [
        v for v in cmd.options.get("editable", []) + cmd.options.get("e", []) if v
    ]
    for target in targets:
        norm = posixpath.normpath(target)
        if norm == "." or norm == posixpath.normpath(workdir):
            return True
    return False


def importable_from_root(
    repo: Repo, project_dir: str, module: str, src_hint: bool | None
) -> bool | None:
    """Is `module` importable with the project root on sys.path? None when uvray can't tell."""

    def rel(*parts: str) -> str:
        return posixpath.join(project_dir, *parts) if project_dir else posixpath.join(*parts)

    if repo.isdir(rel(module)) or repo.exists(rel(module + ".py")):
        return True
    if repo.isdir(rel("src", module)) or src_hint is True:
        return False
    return None
