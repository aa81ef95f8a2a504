from __future__ import annotations

import re
from collections.abc import Iterator

from uvray.edits import line_bounds
from uvray.facts import RAY_IMAGE, CommandUse, Facts, Setting
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._common import judge_uv_commands

# Prefixes of a Python installation, not of a virtual environment: Debian/Ubuntu and the python
# images (/usr/local), the distro's own Python (/usr), conda/miniforge installs (rayproject/ray
# images put Python, Ray and conda in /home/ray/anaconda3: docker/base-deps/Dockerfile).
_SYSTEM_PREFIX = re.compile(
    r"^(?:/usr(?:/local)?"
    r"|/opt/conda"
    r"|/(?:opt|root|home/[^/]+)/(?:ana|mini)conda3?"
    r"|/(?:opt|root|home/[^/]+)/(?:miniforge3?|mambaforge|micromamba)"
    r")/?$"
)
# The same prefix named through the variables conda and its images set.
# actions/setup-python's `pythonLocation` is the prefix of the Python it installed.
_PREFIX_VARIABLE = re.compile(
    r"^(?:\$\{?(?:CONDA_PREFIX|CONDA_DIR|MAMBA_ROOT_PREFIX|pythonLocation)\}?"
    r"|\$\{\{\s*env\.pythonLocation\s*\}\})/?$"
)
_QUOTES = "\"'"
# `$(python -c "import sysconfig; print(sysconfig.get_config_var('prefix'))")`, as uv's docs
# suggest for finding the prefix, or `sys.prefix`.
_PREFIX_QUERY = re.compile(r"sysconfig|sys\.prefix|sys\.base_prefix")
_RAY_PREFIX = "/home/ray/anaconda3"

DOC = """\
## What it does
Flags an exact project sync into the prefix of a Python installation: `UV_PROJECT_ENVIRONMENT`
(or `VIRTUAL_ENV` with `--active`) is `/usr/local`, `/usr`, `/opt/conda`,
`/home/ray/anaconda3`, another conda/miniforge root, `$CONDA_PREFIX`, or the result of asking
Python for its prefix (`sysconfig.get_config_var('prefix')`), and a `uv sync` without
`--inexact` (or a `uv run --exact`) runs against it — in a Dockerfile `RUN`, an image's
`CMD`/`ENTRYPOINT`, a CI step, or a Ray driver whose flags every worker repeats.

## Why is this bad?
`uv sync` is exact: it removes every package the lockfile does not list. uv's docs on the project
environment path: "This option can be used to write to the system Python environment, though it
is not recommended. `uv sync` will remove extraneous packages from the environment by default
and, as such, may leave the system in a broken state." (`docs/concepts/projects/config.md`,
astral-sh/uv). Only pip, setuptools, wheel and uv survive (`is_seed_package`,
`crates/uv-installer/src/plan.rs`).

Measured with uv 0.13.9: a copy of a CPython 3.10 installation with `six` added, a project
depending only on `idna`, `UV_PROJECT_ENVIRONMENT=<that prefix> uv sync` printed
`Uninstalled 1 package` / ` - six==1.16.0` (pip and setuptools were kept); `uv sync --inexact`
printed `Checked 1 package` and removed nothing; `uv run` (inexact by default) removed nothing.

On a `rayproject/ray` image the prefix `/home/ray/anaconda3` holds Ray itself, its dependencies,
conda and everything the image's `uv pip install --system` put there (Ray's
`docker/base-deps/Dockerfile`): an exact sync of a project that does not lock all of it
uninstalls them — Ray included when the project does not depend on `ray`.

There is no environment variable for `--inexact`: `UV_INEXACT` does not exist (uv at
astral-sh/uv@26a9dd4 has no such name in `crates/uv-static/src/env_vars.rs`, and uv 0.13.9 with
`UV_INEXACT=1` still uninstalled the extra package). Only the flag (or its alias `--no-exact`)
counts.

`uv pip install --system` and `uv pip sync` are not project syncs and are not flagged (though
`uv pip sync` is exact too, it is meant for that).

## Example
```dockerfile
FROM rayproject/ray:2.47.1-py311
ENV UV_PROJECT_ENVIRONMENT=/home/ray/anaconda3
RUN uv sync --frozen
```
Use instead:
```dockerfile
FROM rayproject/ray:2.47.1-py311
ENV UV_PROJECT_ENVIRONMENT=/home/ray/anaconda3
RUN uv sync --frozen --inexact
```

## How to fix
Add `--inexact` to the `uv sync` that targets the system prefix, or give the project its own
virtual environment (`UV_PROJECT_ENVIRONMENT=/opt/venv`, or uv's default `.venv`), or install
into the system with `uv pip install --system -r <(uv export --frozen)`.

## Fix safety
No automatic fix: whether the prefix should keep its extra packages, or the project should get
its own environment, is the user's decision.

## References
- https://docs.astral.sh/uv/concepts/projects/config/#project-environment-path
- https://docs.astral.sh/uv/reference/cli/#uv-sync--inexact
- https://github.com/ray-project/ray/blob/master/docker/base-deps/Dockerfile
"""

META = RuleMeta(
    code="RUV406",
    name="project-env-is-system-prefix",
    severity=Severity.ERROR,
    summary="An exact `uv sync` targets a system Python prefix and uninstalls what the lock lacks",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    yield from judge_uv_commands(facts, lambda use: _judge(repo, facts, use))


def _judge(repo: Repo, facts: Facts, use: CommandUse) -> Finding | None:
    cmd = use.cmd
    if cmd.sub == "sync":
        if cmd.has("inexact", "no-exact") or cmd.has("dry-run", "check"):
            return None
    elif cmd.sub != "run" or not cmd.has("exact"):
        return None  # `uv run` is inexact by default; `uv pip …` is not a project sync
    if cmd.has("active"):
        target = use.setting("VIRTUAL_ENV")
    else:
        target = use.setting("UV_PROJECT_ENVIRONMENT")
    shown = _system_prefix(repo, target) if target is not None else None
    if target is None or shown is None:
        return None
    what = "uv sync" if cmd.sub == "sync" else "uv run --exact"
    ray = _ray_note(repo, facts, use, target)
    message = (
        f"`{what}` ({use.where}) syncs exactly into {shown} ({target.name}, "
        f"{target.origin}), the prefix of a Python installation, not a virtual environment: it "
        "uninstalls every package uv.lock does not list (only pip, setuptools, wheel and uv "
        "are kept). uv's docs: \"`uv sync` will remove extraneous packages from the environment "
        'by default and, as such, may leave the system in a broken state."' + ray
    )
    related = [(f"{target.name} set here", target.location)]
    return Finding(
        code=META.code,
        message=message,
        location=cmd.location,
        severity=META.severity,
        fix="add --inexact to this uv sync, or give the project its own venv "
        "(e.g. UV_PROJECT_ENVIRONMENT=/opt/venv)",
        related=tuple(r for r in related if r[1] != cmd.location),
    )


def _system_prefix(repo: Repo, setting: Setting) -> str | None:
    """The setting as shown in the message when it names a system prefix, else None."""
    if setting.value is not None:
        text = setting.value.strip()
        return text if text and _SYSTEM_PREFIX.match(text) else None
    raw = (setting.raw or _written(repo, setting)).strip().strip(_QUOTES)
    if _PREFIX_VARIABLE.match(raw):
        return raw
    words = raw.split()
    first = words[0].strip(_QUOTES) if words else ""
    if _PREFIX_VARIABLE.match(first):
        return first
    if _PREFIX_QUERY.search(raw):
        return "the Python prefix (`sysconfig`/`sys.prefix`)"
    return None


def _written(repo: Repo, setting: Setting) -> str:
    """The value as written on its line, for settings that carry no raw text (a command prefix
    `UV_PROJECT_ENVIRONMENT=$(python -c …) uv sync`, a workflow `env:` expression). Only asked
    when the value is unknown, which is rare."""
    text = repo.texts.get(setting.location.path)
    if text is None:
        return ""
    # Lines as the readers count them (line_bounds: "\n" only, not splitlines' form feeds).
    start, end = line_bounds(text, setting.location.line)
    line = text[start:end].rstrip("\r\n")
    at = line.find(setting.name)
    if at < 0:
        return ""
    rest = line[at + len(setting.name) :].lstrip()
    return rest[1:] if rest[:1] in ("=", ":") else ""


def _ray_note(repo: Repo, facts: Facts, use: CommandUse, target: Setting) -> str:
    """On a rayproject image, /home/ray/anaconda3 holds Ray itself: say so."""
    if (target.value or "").rstrip("/") != _RAY_PREFIX or use.stage is None:
        return ""
    root = use.stage.ancestry()[-1]
    if not root.base_known or not RAY_IMAGE.search(root.base):
        return ""
    note = (
        f" On {root.base} this prefix holds Ray, its dependencies and conda "
        "(Ray's docker/base-deps/Dockerfile)"
    )
    project = repo.project_for(facts.context_dir(use.dockerfile)) if use.dockerfile else None
    if project is not None and not any(r.name == "ray" for r in project.dependencies):
        return (
            note
            + f": the project {project.name or ''} does not depend on ray, so Ray itself is uninstalled."
        )
    return note + ": whatever of it uv.lock does not pin is uninstalled."
