from __future__ import annotations

import posixpath
from collections.abc import Iterator

from uvray.edits import append_line
from uvray.facts import Facts
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note
from uvray.working_dir import RAYIGNORE_SINCE, Upload, uploads

# Ray 2.54 excludes `.git,.venv,venv,__pycache__` from every working_dir by default
# (ray_constants.RAY_RUNTIME_ENV_DEFAULT_EXCLUDES, applied in working_dir.py).
_DEFAULT_EXCLUDES_SINCE = (2, 54)

DOC = """\
## What it does
Flags a Ray job whose workers start with `uv run` (Ray's uv integration is active) when the
project's virtual environment inside the uploaded `working_dir` would be zipped and shipped
with the job, on a Ray older than 2.54:

- **(a)** `RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1` is set for the process that packs the
  working_dir (the driver, or the shell that runs `ray job submit`), so Ray reads no
  `.gitignore` at all, while the driver's `uv run` keeps its environment in the working_dir
  (`.venv`, or a relative `UV_PROJECT_ENVIRONMENT`);
- **(b)** a virtual environment exists on disk in the working_dir (uvray looks at the working
  copy it runs in) without a `.gitignore` of its own — it was not created by uv — and the
  working_dir's `.gitignore` does not list it;

and in both cases neither the working_dir's `.rayignore` (read by Ray ≥ 2.53) nor the
runtime_env's `excludes` leaves it out. When Ray's version is unknown the rule warns and says
so.

Why not simply "a `.venv` that is not gitignored"? Real runs of Ray's packer
(`ray._private.runtime_env.packaging._dir_travel`, Ray 2.52.0 and 2.53.0, on a project whose
`.venv` was made by `uv venv` and was *not* listed in the project's `.gitignore`) uploaded
`main.py`, `pyproject.toml`, `uv.lock` and nothing of `.venv`: uv writes a `.gitignore`
containing `*` into every environment it creates (`crates/uv-virtualenv/src/virtualenv.rs`,
since uv's first release), and Ray reads the `.gitignore` of *every* directory it walks.
With `RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1` the same run uploaded all of `.venv`.

## Why is this bad?
Until 2.54 Ray has no default excludes: a local working_dir is packed whole except what
`.gitignore`/`.rayignore`/`excludes` remove (`_dir_travel` in `packaging.py`; `.rayignore`
support arrived in 2.53, `get_excludes_from_ignore_files`). Ray 2.54 added
`RAY_RUNTIME_ENV_DEFAULT_EXCLUDES = ".git,.venv,venv,__pycache__"` (`ray_constants.py`,
applied by `upload_working_dir_if_needed` in `working_dir.py`). Before that, a shipped venv:

- makes every job upload the whole environment (often hundreds of MiB; past
  `GCS_STORAGE_MAX_SIZE`, 512 MiB by default, the submission fails with
  `Package size (…) exceeds the maximum size of 512.00MiB. You can exclude large files using
  the 'excludes' option to the runtime_env …`);
- puts the driver machine's platform-specific environment into every worker's copy, where the
  workers' `uv run` finds it as the project environment: its `bin/python` points at the
  driver's interpreter (`warning: Ignoring existing virtual environment linked to non-existent
  Python interpreter`, astral-sh/uv#13207) or at one with other packages.

## Example
```yaml
# .github/workflows/ray.yml — Ray 2.53.0 in uv.lock
env:
  RAY_RUNTIME_ENV_IGNORE_GITIGNORE: "1"   # ship the gitignored data files
steps:
  - run: uv run python main.py
```
Use instead (`.rayignore` next to `pyproject.toml`):
```
.venv
```

## How to fix
Keep the environment out of the upload: with Ray 2.53 add `.venv` to the working_dir's
`.rayignore` (Ray reads it even with `RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1`); with older Ray add
`".venv"` to the runtime_env's `excludes`; or upgrade to Ray ≥ 2.54.

## Fix safety
Safe, and only when Ray's version is known to be 2.53.x: `uvray check --fix` appends the
environment's path (`.venv`) to the working_dir's `.rayignore`, creating the file if needed.
That only stops uploading a directory uv rebuilds on every node anyway. For older or unknown
Ray versions no edit is made (a `.rayignore` would be silently ignored); the hint names
`excludes`.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#api-reference
- https://docs.astral.sh/uv/concepts/projects/config/#project-environment-path
- https://github.com/astral-sh/uv/issues/13207
"""

META = RuleMeta(
    code="RUV215",
    name="venv-uploaded-with-working-dir",
    severity=Severity.WARNING,
    summary="Ray < 2.54 zips the project's virtual environment into the job's working_dir",
    fix="safe",
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int, str]] = set()
    for upload in uploads(repo, facts):
        finding = _judge(repo, upload)
        if finding is None:
            continue
        key = (finding.location.path, finding.location.line, upload.directory)
        if key not in seen:
            seen.add(key)
            yield finding


def _judge(repo: Repo, upload: Upload) -> Finding | None:
    ctx = upload.ctx
    ray = upload.ray
    if ray.older_than(_DEFAULT_EXCLUDES_SINCE) is False:
        return None
    venv = _venv_in(upload)
    if venv is None:
        return None
    path = _join(upload.directory, venv)
    why = _why_shipped(repo, upload, venv, path)
    if why is None:
        return None
    reason, setting = why
    if _left_out(repo, upload, venv):
        return None
    rayignore = _join(upload.directory, ".rayignore")
    edits: tuple = ()
    if ray.older_than(RAYIGNORE_SINCE) is False:
        # Ray 2.53.x: the .rayignore is read, whatever RAY_RUNTIME_ENV_IGNORE_GITIGNORE says.
        edits = (append_line(rayignore, repo.texts.get(rayignore), venv),)
        fix = f"add `{venv}` to {rayignore}"
    else:
        fix = f'add "{venv}" to the runtime_env\'s excludes (or use Ray >= 2.54)'
    if ray.known:
        version = f"Ray {ray.value} ({ray.source}) has no default excludes (2.54 added"
    else:
        version = (
            "Ray's version is unknown (set [tool.uvray] ray-version); before 2.54 Ray has no "
            "default excludes (2.54 added"
        )
    where = upload.directory or "the repository root"
    message = (
        f"Ray packs {where} as the job's working_dir and {path} goes with it: {reason}. "
        f"{version} `.git,.venv,venv,__pycache__`), so every job uploads the environment "
        "(past 512 MiB: `Package size (…) exceeds the maximum size`) and each worker's "
        "`uv run` finds the driver's environment (built for the driver's machine) in its copy. "
        + integration_note(ctx)
    )
    related = []
    if setting is not None:
        related.append(("RAY_RUNTIME_ENV_IGNORE_GITIGNORE", setting.location))
    if ray.location is not None:
        related.append(("Ray version", ray.location))
    return Finding(
        code=META.code,
        message=message,
        location=upload.location,
        severity=META.severity,
        fix=fix,
        related=tuple(related),
        edits=edits,
    )


def _venv_in(upload: Upload) -> str | None:
    """The project environment's path inside the working_dir, as uv places it for the driver:
    `.venv`, or a relative UV_PROJECT_ENVIRONMENT; None when it lives elsewhere."""
    driver = upload.ctx.driver
    flags = driver.uv_run.options if driver is not None and driver.uv_run is not None else {}
    if any(f in flags for f in ("active", "isolated", "no-project")):
        return None
    entry = upload.uploader_env.get("UV_PROJECT_ENVIRONMENT")
    value = getattr(entry, "value", None)
    if entry is not None and value is None:
        return None  # not known statically
    if not value:
        return ".venv"
    if value.startswith(("/", "$", "~")):
        return None
    normal = posixpath.normpath(value)
    return None if normal.startswith("..") or normal == "." else normal


def _why_shipped(repo: Repo, upload: Upload, venv: str, path: str):
    """Why Ray's packer keeps the venv: (reason, the setting responsible) or None."""
    off = upload.ignores_gitignore()
    on_disk = repo.isdir(path)
    if off is not None and (on_disk or not upload.explicit):
        origin = getattr(off, "origin", None) or _origin(off)
        return (
            f"RAY_RUNTIME_ENV_IGNORE_GITIGNORE=1 ({origin}) makes Ray skip every .gitignore, "
            "including the `*` one uv writes into each environment it creates",
            off,
        )
    if off is None and on_disk and not repo.exists(_join(path, ".gitignore")):
        gitignore = repo.ignore_file(upload.directory, ".gitignore")
        if gitignore is not None and gitignore.ignores(venv, is_dir=True):
            return None
        listed = "" if gitignore is None else f", and {gitignore.path} does not list it"
        return (
            f"{path} exists and has no .gitignore of its own (uv writes one into every "
            f"environment it creates; this one was made by another tool){listed}",
            None,
        )
    return None


def _left_out(repo: Repo, upload: Upload, venv: str) -> bool:
    """Does a .rayignore (Ray >= 2.53, or an unknown Ray) or the runtime_env's excludes drop it?"""
    rayignore = repo.ignore_file(upload.directory, ".rayignore")
    if (
        rayignore is not None
        and upload.ray.older_than(RAYIGNORE_SINCE) is not True
        and rayignore.ignores(venv, is_dir=True)
    ):
        return True
    excludes = upload.excludes()
    return excludes is not None and excludes.ignores(venv, is_dir=True)


def _origin(setting: object) -> str:
    location = getattr(setting, "location", None)
    if isinstance(location, Location):
        return f"{location.path}:{location.line}"
    return "the uploading process's env"


def _join(directory: str, name: str) -> str:
    return posixpath.join(directory, name) if directory else name
