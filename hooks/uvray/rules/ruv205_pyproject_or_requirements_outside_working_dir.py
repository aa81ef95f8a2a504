from __future__ import annotations

import posixpath
from collections.abc import Iterator

from uvray.facts import Driver, Facts, ImageFacts, WorkerContext
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._text import integration_note
from uvray.working_dir import driver_cwd, resolve_dir, submit_dir

# Ray's texts (uv_runtime_env_hook.py::_check_working_dir_files, 2.43.0–2.58.0 wheels).
_TAIL = (
    "so the workers will not have access to the file. Make sure the {what} file is in the "
    "working directory. You can do so by specifying --directory in 'uv run', by changing the "
    "current working directory before running 'uv run', or by using the 'working_dir' "
    "parameter of the runtime_environment."
)
RAY_PYPROJECT = "Your {pyproject} is not in the working_dir {wd}, " + _TAIL.format(
    what="pyproject.toml"
)
RAY_REQUIREMENTS = (
    "You specified --with-requirements={value} but the requirements file is not in the "
    "working_dir {wd}, " + _TAIL.format(what="requirements")
)

DOC = """\
## What it does
Flags a driver that runs under `uv run` with Ray's uv integration active when the files uv needs
are not inside the job's `working_dir`:
- **(a)** the driver's `uv run --project <dir>` or `--with-requirements <file>` points outside the
  driver's working directory (`..`, or an absolute path outside the image's `WORKDIR`);
- **(b)** the `pyproject.toml` uv uses is found by walking up from the driver's working directory
  — a workflow step's `working-directory` (plus `uv run --directory`), or the image's `WORKDIR`
  for its `CMD`/`ENTRYPOINT` — and lies *above* it;
- **(c)** `ray job submit --working-dir <dir>` (or a runtime_env `working_dir`) ships a directory
  that does not contain the project's `pyproject.toml` (the project sits above it);
- **(d)** Ray 2.43 with a Job submission that sets a `working_dir`.

(a) and (b) apply when the hook picks the working_dir itself (no `working_dir` given), which is
when Ray checks. A runtime_env's `excludes` do not change the check (the hook looks at the
driver's filesystem), so they do not silence (a)/(b).

## Why is this bad?
`ray._private.runtime_env.uv_runtime_env_hook.hook` sets `working_dir` to the driver's
`os.getcwd()` when none is given, then `_check_working_dir_files` walks up from the cwd to the
first `pyproject.toml` (or takes `--project`), and raises in `ray.init()` if it, or any
`--with-requirements` file, is not inside the working_dir:

    Your /repo/pyproject.toml is not in the working_dir /repo/scripts, so the workers will not
    have access to the file. Make sure the pyproject.toml file is in the working directory. …

    You specified --with-requirements=['../requirements.txt'] but the requirements file is not in
    the working_dir /repo, so the workers will not have access to the file. …

When the check runs (read in the 2.43.0, 2.44.0, 2.54.0, 2.55.0 and 2.58.0 wheels):
- 2.43: always, even for a `working_dir` you set. In a Job submission the working_dir the driver
  sees is the uploaded package URI (`gcs://_ray_pkg_<hash>.zip`), so every submitted job whose
  driver runs under `uv run` fails (d). 2.44 fixed that (ray-project/ray PR #51150: "makes it
  possible to use the UV hook with Job submission").
- 2.44–2.54: only when the hook set the working_dir itself.
- 2.55+: whenever the working_dir is a local path (`_is_path`); a submitted working_dir is already
  a `gcs://` URI there, so submissions are still not checked.

Where Ray does not check (c), the outcome is worse: the driver and every worker start in the
unpacked copy of the working_dir (`…/runtime_resources/working_dir_files/_ray_pkg_<hash>`), uv
finds no `pyproject.toml` there, and runs without the project — no `ray`, no dependencies.

Evidence: the hook source above; IBM/ado#506; the Ray docs ("the working_dir … must contain the
pyproject.toml").

## Example
```yaml
- name: Run the job locally
  working-directory: scripts
  run: uv run python driver.py   # pyproject.toml is in the repository root
```
Use instead:
```yaml
- name: Run the job locally
  run: uv run python scripts/driver.py
```

## How to fix
Start the driver from the project root (`uv run --directory <project root> …`, or `cd` there),
or set the `working_dir` to the project root; keep `--with-requirements` files inside it.

## Fix safety
No automatic fix: where the driver should run is the user's decision.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://github.com/ray-project/ray/pull/51150
- https://github.com/ray-project/ray/pull/60868
- https://github.com/IBM/ado/issues/506
"""

META = RuleMeta(
    code="RUV205",
    name="pyproject-or-requirements-outside-working-dir",
    severity=Severity.ERROR,
    summary="the pyproject.toml or --with-requirements file uv needs is outside the job's "
    "working_dir",
    fix=None,
    doc=DOC,
)

_HOOK_EXISTS = (2, 43)
_USER_WORKING_DIR_OK = (2, 44)  # PR #51150: no check when the user set working_dir
_FIX = (
    "run the driver from the project root (uv run --directory <root>), or set working_dir "
    "to the project root; keep --with-requirements files inside it"
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    if not repo.pyprojects:
        return
    seen: set[tuple[str, int, str]] = set()
    for ctx in facts.contexts:
        driver = ctx.driver
        if driver is None or driver.uv_run is None or not ctx.integration.active:
            continue
        if ctx.ray.older_than(_HOOK_EXISTS) is True:
            continue  # no hook (RUV210)
        for finding in _judge(repo, facts, ctx, driver):
            key = (finding.location.path, finding.location.line, finding.message[:60])
            if key not in seen:
                seen.add(key)
                yield finding


def _judge(repo: Repo, facts: Facts, ctx: WorkerContext, driver: Driver) -> Iterator[Finding]:
    assert driver.uv_run is not None
    options = driver.uv_run.options
    if driver.working_dir:
        yield from _given_working_dir(repo, facts, ctx, driver)
        return
    # The hook makes the driver's cwd the working_dir and checks (every Ray with the hook).
    cwd = driver_cwd(facts, ctx, driver)
    shown = _shown(cwd)
    for value in options.get("with-requirements", []):
        if value and _escapes(value, cwd):
            yield _finding(
                ctx,
                driver,
                f"the driver's `uv run --with-requirements {value}` names a file outside its "
                f"working directory {shown}, which Ray's uv hook makes the job's working_dir",
                RAY_REQUIREMENTS.format(value=value, wd=shown),
            )
    if "no-project" in options:
        return
    project = driver.uv_run.value("project")
    if project is not None:
        if _escapes(project, cwd):
            yield _finding(
                ctx,
                driver,
                f"the driver's `uv run --project {project}` is outside its working directory "
                f"{shown}, which Ray's uv hook makes the job's working_dir",
                RAY_PYPROJECT.format(pyproject=_resolved(project, cwd), wd=shown),
            )
        return
    above = _pyproject_above(repo, ctx, cwd)
    if above is not None:
        yield _finding(
            ctx,
            driver,
            f"the driver's `uv run` runs in {shown}, and the pyproject.toml uv finds by walking "
            f"up from there is {above}, above it; Ray's uv hook makes {shown} the job's "
            "working_dir",
            RAY_PYPROJECT.format(pyproject=above, wd=shown),
        )


def _given_working_dir(
    repo: Repo, facts: Facts, ctx: WorkerContext, driver: Driver
) -> Iterator[Finding]:
    assert driver.uv_run is not None and driver.working_dir
    if driver.submit is None and not driver.origin.endswith("entrypoint"):
        return
    ray = ctx.ray
    if ray.older_than(_USER_WORKING_DIR_OK) is True and "no-project" not in driver.uv_run.options:
        # (d) Ray 2.43 checks against the uploaded package URI.
        yield _finding(
            ctx,
            driver,
            f"Ray {ray.value} ({ray.source}) checks the pyproject.toml against the job's "
            "working_dir even when you set it, and in a Job submission the driver sees the "
            "uploaded package URI (`gcs://_ray_pkg_<hash>.zip`), not a directory; fixed in Ray "
            "2.44 (ray-project/ray PR #51150)",
            RAY_PYPROJECT.format(pyproject="…/pyproject.toml", wd="gcs://_ray_pkg_<hash>.zip"),
        )
        return
    # (c) the submitted directory lacks the project: nobody checks, uv finds no project.
    base = submit_dir(facts, driver)
    working_dir = resolve_dir(base, driver.working_dir)
    project = ctx.project
    if working_dir is None or project is None or "project" in driver.uv_run.options:
        return
    if "no-project" in driver.uv_run.options or _under(project.dir, working_dir):
        return
    if not _under(working_dir, project.dir):
        return  # some other project: not ours to judge
    yield Finding(
        code=META.code,
        message=(
            f"the job's working_dir `{driver.working_dir}` ({_shown(working_dir)}) does not "
            f"contain {project.path}: the driver and every worker start `uv run` in the "
            "unpacked copy of that directory, find no pyproject.toml there, and run without the "
            "project (no `ray`, no dependencies), so workers cannot start. Ray does not check a "
            "working_dir you set (≥ 2.44; a submitted one is a `gcs://` URI by then). "
            + integration_note(ctx)
        ),
        location=driver.location,
        severity=META.severity,
        fix="submit the project root as the working_dir (--working-dir <project root>)",
        related=(("pyproject.toml", Location(project.path, project.project_line or 1)),),
    )


def _finding(ctx: WorkerContext, driver: Driver, what: str, ray_text: str) -> Finding:
    return Finding(
        code=META.code,
        message=(
            f'{what}: `ray.init()` raises RuntimeError: "{ray_text}" ' + integration_note(ctx)
        ),
        location=driver.location,
        severity=META.severity,
        fix=_FIX,
        related=(
            (("Ray's uv integration", ctx.integration.location),)
            if ctx.integration.location is not None and ctx.integration.location != driver.location
            else ()
        ),
    )


# --- where the driver runs -------------------------------------------------------------------


def _escapes(value: str, cwd: str | None) -> bool:
    """Is this path outside cwd? Relative `..` always is; an absolute path only when cwd is a
    known absolute (image) path it is not under."""
    if "$" in value or "://" in value:
        return False
    if value.startswith("/"):
        if cwd is None or not cwd.startswith("/"):
            return False
        return not _under(posixpath.normpath(value), cwd)
    norm = posixpath.normpath(value)
    return norm == ".." or norm.startswith("../")


def _under(path: str, directory: str) -> bool:
    """Is path at or below directory (both repo-relative, or both absolute image paths)?"""
    if directory == "":
        return not path.startswith("/") and path != ".." and not path.startswith("../")
    if directory == "/":
        return path.startswith("/")
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _shown(cwd: str | None) -> str:
    if cwd is None:
        return "<driver cwd>"
    if cwd.startswith("/"):
        return cwd
    return f"<checkout>/{cwd}" if cwd else "<checkout>"


def _resolved(path: str, cwd: str | None) -> str:
    """How Ray prints `Path(path).resolve()` (relative paths resolve against the cwd)."""
    if path.startswith("/"):
        return posixpath.normpath(path)
    if cwd is not None and cwd.startswith("/"):
        return posixpath.normpath(posixpath.join(cwd, path))
    return f"{_shown(cwd)}/{path}"


def _pyproject_above(repo: Repo, ctx: WorkerContext, cwd: str | None) -> str | None:
    """The pyproject.toml uv finds walking up from cwd, when it is above cwd (shown as a path)."""
    if cwd is None:
        return None
    if not cwd.startswith("/"):
        nearest = repo.project_for(cwd)
        if nearest is None or nearest.dir == cwd:
            return None
        return _shown(nearest.dir) + "/pyproject.toml"
    if ctx.image is None:
        return None
    landing = _image_project_dir(repo, ctx.image, cwd)
    if landing is None or landing == cwd or not _under(cwd, landing):
        return None
    return landing.rstrip("/") + "/pyproject.toml"


def _image_project_dir(repo: Repo, image: ImageFacts, cwd: str) -> str | None:
    """The image directory of the nearest pyproject.toml at or above cwd, from the final
    stage's COPY/ADD of the build context (`COPY . /app`, `COPY pyproject.toml uv.lock ./`)."""
    context = image.context_dir
    root_dest: str | None = None
    file_dest: str | None = None
    project_rel = None
    if image.project is not None and _under(image.project.dir, context):
        rel = posixpath.relpath(image.project.dir or ".", context) if context else image.project.dir
        project_rel = "" if rel in (".", "") else rel
    for step in image.stage.all_steps():
        ins = step.instruction
        if ins.keyword not in ("COPY", "ADD") or ins.flag("from"):
            continue
        words = [w for w, _known in step.words(image.dockerfile.escape)]
        if len(words) < 2:
            continue
        *sources, dest = words
        target = _image_join(step.workdir or "/", dest)
        for source in sources:
            src = posixpath.normpath(source)
            if src in (".", "/"):
                root_dest = target
            elif project_rel is not None and src == posixpath.join(project_rel, "pyproject.toml"):
                into_dir = dest.endswith("/") or len(sources) > 1 or dest in (".", "./")
                if not into_dir and posixpath.basename(target) == "pyproject.toml":
                    file_dest = posixpath.dirname(target)
                else:
                    file_dest = target
    if root_dest is not None and _under(cwd, root_dest):
        inside = posixpath.relpath(cwd, root_dest)
        mapped = posixpath.normpath(posixpath.join(context, inside)) if context else inside
        mapped = "" if mapped == "." else mapped
        nearest = repo.project_for(mapped)
        if nearest is None or not _under(nearest.dir, context):
            return None
        rel = posixpath.relpath(nearest.dir or ".", context) if context else nearest.dir
        return posixpath.normpath(posixpath.join(root_dest, rel))
    return file_dest


def _image_join(workdir: str, path: str) -> str:
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(workdir, path))
