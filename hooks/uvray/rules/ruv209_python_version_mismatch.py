from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from uvray.edits import replace_in_lines
from uvray.facts import RAY_IMAGE, Facts, WorkerContext
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.pyproject import PythonVersionFile
from uvray.rules import RuleMeta

# Ray 2.54 appends `--python <driver's version>` to the workers' `uv run` (PR #59768).
_PINS_DRIVER_PYTHON = (2, 54)

DOC = """\
## What it does
Compares the Python of the image the Ray cluster runs (the `-py311` suffix of a
`rayproject/ray` tag, a `python:3.12…` base, a `uv:python3.12-…` base; `ARG PYTHON_VERSION`/`ARG
PYTHON` used in `FROM` are substituted; for a KubeRay resource, its head container image) with the
project's `.python-version` (the nearest one at or above the project). It compares the minor
version, and the patch when both give one. It fires when something runs the project's Python
against the cluster (Ray's uv integration is active, or the driver runs under `uv run`) and
neither `UV_PYTHON` nor the driver's `uv run --python` overrides `.python-version`. Error for Ray
< 2.54, warning for Ray >= 2.54 or an unknown Ray.

## Why is this bad?
`uv run` uses the Python `.python-version` asks for, and downloads it if the image lacks it. Ray
then refuses the process: `ray/_private/utils.py::check_version_info` (Ray 2.60.0 wheel) compares
`sys.version_info[:3]` with the cluster's and, with the default
`RAY_DEFAULT_PYTHON_VERSION_MATCH_LEVEL=patch`, raises
`RuntimeError("Version mismatch: The cluster was started with:\\n    Ray: …\\n    Python: 3.11.11\\n…")`
on any difference (`minor` only compares major.minor and logs a warning for the patch).

- Ray < 2.54: workers started by the uv integration may resolve another Python than the driver
  (ray-project/ray#59639) and die on this check.
- Ray >= 2.54 pins the workers to the driver's Python (PR #59768). Checked in the wheels:
  `ray/_private/runtime_env/uv_runtime_env_hook.py` of 2.54.0 adds, absent in 2.53.0,
  ```python
  if not options.python:
      env_vars = runtime_env.get("env_vars") or {}
      uv_python = (
          env_vars.get("UV_PYTHON")
          or os.environ.get("UV_PYTHON")
          or platform.python_version()
      )
      remaining_uv_run_args = remaining_uv_run_args + ["--python", uv_python]
  ```
  Workers then match the driver, but a driver under `uv run` still gets `.python-version`'s
  Python, which differs from the cluster's: hence a warning.

## Example
```dockerfile
FROM rayproject/ray:2.47.1-py311
```
with `.python-version`:
```
3.12
```
Use instead:
```
3.11
```

## How to fix
Write the image's Python (ideally its full version, e.g. `3.11.11`) to `.python-version`, or set
`UV_PYTHON` to the image's interpreter in the image and the runtime_env `env_vars`. Upgrading to
Ray >= 2.54 keeps workers on the driver's Python.

## Fix safety
Guarded (`--unsafe-fixes`): the fix replaces the version in `.python-version` with the image's
(its full version when the image tag names one, else `3.11`-style). That is what the cluster
runs, but it also changes the Python of every local `uv run`/`uv sync` and may need a new
`uv lock` when `requires-python` or wheels differ between the versions — a change to look at,
not to take blind.

## References
- https://github.com/ray-project/ray/issues/59639
- https://github.com/ray-project/ray/pull/59768
- https://docs.astral.sh/uv/concepts/python-versions/#python-version-files
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
"""

META = RuleMeta(
    code="RUV209",
    name="python-version-mismatch",
    severity=Severity.ERROR,
    summary="The image's Python differs from the project's .python-version",
    fix="guarded",
    doc=DOC,
)

_RAY_PY = re.compile(r"(?:^|-)py(?P<major>\d)(?P<minor>\d{1,2})(?!\d)")
_PYTHON_IMAGE = re.compile(
    r"(?:^|/)python:(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?(?![\d.]*\d)"
)
_UV_IMAGE = re.compile(
    r"(?:^|/)(?:astral-sh|astral)/uv:[^@\s]*?python(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?"
)
_FULL = re.compile(r"(?<![\d.])(\d+)\.(\d+)\.(\d+)")

PyVer = tuple[int, int, int | None]


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    found: dict[tuple[str, int], Finding] = {}
    for ctx in facts.contexts:
        if not (ctx.integration.active or (ctx.driver is not None and ctx.driver.uv_run)):
            continue
        if _python_overridden(ctx):
            continue
        pinned = _python_version_file(repo, ctx.project_dir)
        if pinned is None or pinned.major_minor is None:
            continue
        image = _image_python(facts, ctx)
        if image is None:
            continue
        what, ver, where = image
        full = _FULL.search(pinned.version)
        want: PyVer = (*pinned.major_minor, int(full.group(3)) if full else None)
        if ver[:2] == want[:2] and (ver[2] is None or want[2] is None or ver[2] == want[2]):
            continue
        old = ctx.ray.older_than(_PINS_DRIVER_PYTHON)
        severity = Severity.ERROR if old is True else Severity.WARNING
        ray = (
            f"Ray {ctx.ray.value} ({ctx.ray.source})" if ctx.ray.value else "Ray (version unknown)"
        )
        if old is True:
            consequence = (
                f"{ray} < 2.54 lets each worker's `uv run` pick its Python from `.python-version`, "
                "so workers run another Python than the cluster (ray-project/ray#59639)"
            )
        else:
            consequence = (
                f"{ray} pins workers to the driver's Python, but a driver under `uv run` still "
                "gets `.python-version`'s Python"
            )
        location = Location(pinned.path, pinned.line)
        finding = Finding(
            code=META.code,
            message=(
                f"{pinned.path} asks for Python {pinned.version}, but {what} runs Python "
                f"{_show(ver)}: {consequence}, and Ray refuses it with `Version mismatch: The "
                "cluster was started with: …` (patch level by default)."
            ),
            location=location,
            severity=severity,
            fix=f"write {_show(ver)} (the image's full version) to {pinned.path}, or set "
            "UV_PYTHON to the image's interpreter",
            related=((what, where),),
            edits=_pin_edits(repo, pinned, _show(ver)),
        )
        key = (location.path, location.line)
        if key not in found or found[key].severity < severity:
            found[key] = finding
    yield from found.values()


def _pin_edits(repo: Repo, pinned: PythonVersionFile, version: str) -> tuple:
    """The version on .python-version's line replaced by the image's (nothing else moves)."""
    text = repo.texts.get(pinned.path)
    if text is None:
        return ()
    edit = replace_in_lines(pinned.path, text, pinned.line, pinned.version, version)
    return (edit,) if edit is not None else ()


def _show(ver: PyVer) -> str:
    return ".".join(str(p) for p in ver if p is not None)


def _python_overridden(ctx: WorkerContext) -> bool:
    """UV_PYTHON or `uv run --python` take precedence over .python-version."""
    flags = ctx.worker_flags
    if flags.get("python") or flags.get("p"):
        return True
    s = ctx.setting("UV_PYTHON")
    return s is not None and bool(s.value or s.raw)


def _python_version_file(repo: Repo, directory: str) -> PythonVersionFile | None:
    d = directory
    while True:
        if d in repo.python_versions:
            return repo.python_versions[d]
        if d in ("", "."):
            return None
        d = posixpath.dirname(d)


def python_of_image(image: str) -> PyVer | None:
    ray = RAY_IMAGE.search(image)
    if ray is not None:
        m = _RAY_PY.search(ray.group("tag"))
        return (int(m.group("major")), int(m.group("minor")), None) if m else None
    m = _PYTHON_IMAGE.search(image) or _UV_IMAGE.search(image)
    if m is None:
        return None
    patch = m.group("patch")
    return (int(m.group("major")), int(m.group("minor")), int(patch) if patch else None)


def _image_python(facts: Facts, ctx: WorkerContext) -> tuple[str, PyVer, Location] | None:
    if ctx.image is not None:
        root = ctx.image.stage.ancestry()[-1]
        if not root.base_known:
            return None
        ver = python_of_image(root.base)
        if ver is None:
            return None
        df = ctx.image.dockerfile
        return (f"the base image {root.base}", ver, Location(df.path, root.from_instruction.line))
    for res in facts.repo.kuberay:
        if res.path != ctx.path or ctx.label != f"{res.kind} {res.name}":
            continue
        for group in ("head", "worker"):
            for container in res.containers:
                if container.group != group or not container.image:
                    continue
                ver = python_of_image(container.image)
                if ver is not None:
                    where = container.image_location or container.location
                    return (f"{res.kind} {res.name} image {container.image}", ver, where)
    return None
