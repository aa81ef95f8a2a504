from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, WorkerContext, truthy
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.ignorefile import IgnoreFile, IgnorePattern
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note
from uvray.working_dir import RAYIGNORE_SINCE, Upload, join_in_repo, uploads

DOC = """\
## What it does
Flags a Ray job whose workers start with `uv run` (Ray's uv integration is active) while the
`uv.lock` of the project does not travel with the job's `working_dir`:

- the working_dir's own `.gitignore` ignores `uv.lock` (Ray honours it unless
  `RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1` is set where the upload happens);
- the working_dir's `.rayignore` ignores it (Ray ≥ 2.53; when Ray's version is unknown the
  message says it depends on that);
- the runtime_env's `excludes` matches it;
- or, for a working_dir named explicitly (`ray job submit --working-dir …`, a runtime_env
  `working_dir`), the repository has no `uv.lock` there at all.

The working_dir is the one Ray uploads: the directory the driver runs `uv run` in (Ray's hook
sets `working_dir` to the driver's current directory: an image's `CMD` is taken to run in the
build context's project, a workflow step in its `working-directory`) or the one named in the
submission. Only a working_dir that holds the project's `pyproject.toml` is judged (one that
does not is RUV205's business), and nothing is reported when `UV_NO_SYNC`/`--no-sync` reaches
the workers (uv then never reads the lock).

Severity: **error** when `--frozen`/`--locked` (the driver's `uv run` flags, which Ray copies to
every worker) or `UV_FROZEN`/`UV_LOCKED` (in the env the workers get) reach the workers;
**warning** otherwise.

## Why is this bad?
Ray starts every worker as `uv run …` inside an unpacked copy of the uploaded working_dir
(`/tmp/ray/session_*/runtime_resources/working_dir_files/_ray_pkg_<hash>`). Ray builds that
copy in `ray/_private/runtime_env/packaging.py::_dir_travel`, which reads the `.gitignore`
(and from 2.53 the `.rayignore`) of every directory it walks, **starting at the working_dir**
— a `.gitignore` in a parent directory (the repository root, when the working_dir is a
subdirectory) is never read — and drops what they match, together with `runtime_env.excludes`
(pathspec `gitwildmatch`, checked in the 2.46, 2.47, 2.52, 2.53 and 2.54 wheels;
`RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1` turns the `.gitignore` part off: `worker.py` and
`dashboard_sdk.py` read it in the uploading process).

Without `uv.lock` in the copy:
- with `--frozen`/`--locked`/`UV_FROZEN`/`UV_LOCKED`, every worker's `uv run` exits at once
  (`crates/uv/src/commands/project/mod.rs`, `ProjectError::MissingLockfile`; checked with
  uv 0.13.9 and 0.9.21):

  ```
  error: Unable to find lockfile at `uv.lock`, but `--frozen` was provided. To create a lockfile, run `uv lock` or `uv sync` without the flag.
  ```
  (``but `UV_FROZEN=1` was provided`` for the env var; uv ≤ 0.9.21:
  ``error: Unable to find lockfile at `uv.lock`. To create a lockfile, run `uv lock` or `uv sync`.``);
  no worker registers (`Some workers of the worker process(…) have not registered within the
  timeout`) and the job hangs or fails;
- otherwise each worker's `uv run` resolves the project again on its node (`LockMode::Write` in
  `commands/project/run.rs`: network access at worker start, a `uv.lock` written into the shared
  copy) and may pick other versions than the driver's lock. Ray's docs recommend `uv lock` "so
  things won't change in uncontrolled ways".

`UV_FROZEN=1` with a shipped `uv.lock` is fine (domain trap 7) and is not flagged.

## Example
```gitignore
# .gitignore (the project is the job's working_dir)
.venv
uv.lock
```
```dockerfile
ENV UV_FROZEN=1
CMD ["uv", "run", "python", "main.py"]
```
Use instead:
```gitignore
.venv
```

## How to fix
Commit `uv.lock` and keep it out of the working_dir's `.gitignore`, `.rayignore` and the
runtime_env `excludes` (a `!uv.lock` line after a broader pattern re-includes it). If the lock
must stay out of git, ship it anyway with `RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1` where the job is
submitted (and a `.rayignore` for what should still stay home).

## Fix safety
No automatic fix: whether `uv.lock` belongs in version control is the project's decision.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://docs.astral.sh/uv/concepts/projects/sync/#checking-if-the-lockfile-is-up-to-date
- https://github.com/astral-sh/uv/issues/17259
"""

META = RuleMeta(
    code="RUV214",
    name="lockfile-not-shipped-to-workers",
    severity=Severity.ERROR,
    summary="Ray's workers run `uv run` in a working_dir copy that has no uv.lock",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    best: dict[tuple[str, int], Finding] = {}
    for upload in uploads(repo, facts):
        finding = _judge(repo, upload)
        if finding is None:
            continue
        key = (finding.location.path, finding.location.line)
        known = best.get(key)
        if known is None or finding.severity > known.severity:
            best[key] = finding
    yield from best.values()


def _judge(repo: Repo, upload: Upload) -> Finding | None:
    ctx = upload.ctx
    if not ctx.workers_sync or "no-project" in ctx.worker_flags:
        return None
    lock = join_in_repo(upload.directory, "uv.lock")
    why, location, related = _why_missing(repo, upload, lock)
    if why is None:
        return None
    strict = _strict_source(ctx)
    where = upload.directory or "the repository root"
    head = f"Ray uploads {where} as the job's working_dir, but {why}."
    if strict is not None:
        text, flag, origin = strict
        severity = Severity.ERROR
        outcome = (
            f"{text} ({origin}) reaches the workers, so every worker's `uv run` exits with "
            f"``error: Unable to find lockfile at `uv.lock`, but {flag} was provided`` "
            "(uv ≤ 0.9.21: ``Unable to find lockfile at `uv.lock`. To create a lockfile, run "
            "`uv lock` or `uv sync`.``) and no worker registers."
        )
        fix = "ship uv.lock with the working_dir (commit it; keep it out of the ignore files)"
    else:
        severity = Severity.WARNING
        outcome = (
            "Each worker's `uv run` resolves the project again in its copy (network at worker "
            "start, a uv.lock written there) and may pick other versions than the driver's lock."
        )
        fix = (
            "ship uv.lock with the working_dir so the workers install the driver's locked versions"
        )
    if upload.location != location:
        related.append(("the upload starts here", upload.location))
    if ctx.integration.location is not None and ctx.integration.location != upload.location:
        related.append(("Ray's uv integration", ctx.integration.location))
    return Finding(
        code=META.code,
        message=f"{head} {outcome} {integration_note(ctx)}",
        location=location,
        severity=severity,
        fix=fix,
        related=tuple(related),
    )


def _why_missing(repo: Repo, upload: Upload, lock: str):
    """Why uv.lock is not in the shipped copy, where to point, and the related places."""
    related: list[tuple[str, Location]] = []
    if not repo.exists(lock):
        if not upload.explicit:
            # The driver's own `uv run` writes uv.lock before ray.init() packs the directory
            # (or, under --frozen, fails before any worker starts).
            return None, upload.location, related
        return f"the repository has no {lock}", upload.location, related
    gitignore = repo.ignore_file(upload.directory, ".gitignore")
    line = _ignoring_line(gitignore, "uv.lock")
    if line is not None and gitignore is not None:
        switched_off = upload.ignores_gitignore()
        if switched_off is None:
            why = f"its .gitignore ignores uv.lock (`{line.text}`), and Ray honours it"
            return why, Location(gitignore.path, line.line), related
    rayignore = repo.ignore_file(upload.directory, ".rayignore")
    line = _ignoring_line(rayignore, "uv.lock")
    if line is not None and rayignore is not None:
        older = upload.ray.older_than(RAYIGNORE_SINCE)
        if older is not True:
            if older is None:
                when = (
                    "which Ray reads from 2.53 on (Ray's version is unknown here: set "
                    "[tool.uvray] ray-version)"
                )
            else:
                when = f"which Ray {upload.ray.value} reads"
            why = f"its .rayignore ignores uv.lock (`{line.text}`), {when}"
            return why, Location(rayignore.path, line.line), related
    excludes = upload.excludes()
    line = _ignoring_line(excludes, "uv.lock")
    if line is not None and excludes is not None:
        why = f"the runtime_env's excludes match uv.lock (`{line.text}`)"
        return why, Location(excludes.path, line.line), related
    return None, upload.location, related


def _ignoring_line(ignore: IgnoreFile | None, relpath: str) -> IgnorePattern | None:
    if ignore is None:
        return None
    pattern = ignore.deciding_pattern(relpath)
    return pattern if pattern is not None and not pattern.negated else None


def _strict_source(ctx: WorkerContext) -> tuple[str, str, str] | None:
    """What makes the workers' uv refuse a missing lock: (what, uv's wording, where)."""
    flags = ctx.worker_flags
    driver = ctx.driver
    for flag in ("frozen", "locked"):
        if flag in flags and driver is not None:
            return f"`--{flag}`", f"`--{flag}`", f"the driver's `uv run`, {driver.origin}"
    for name in ("UV_FROZEN", "UV_LOCKED"):
        setting = ctx.setting(name)
        if setting is not None and truthy(setting.value):
            return f"{name}={setting.value}", f"`{name}=1`", setting.origin
    return None


# --- which directories get uploaded -----------------------------------------------------------
