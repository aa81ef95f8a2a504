from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import CommandUse, Facts, truthy
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._common import judge_uv_commands

DOC = """\
## What it does
Flags a `uv sync` or `uv run` that runs with `UV_SYSTEM_PYTHON` truthy in its environment — a
Dockerfile `RUN` (ENV and ARG count), an image's command, or a workflow step (workflow, job and
step `env:`) — unless `UV_PROJECT_ENVIRONMENT` is also set. The pip interface
(`uv pip install --system`, `uv pip sync`) is not flagged: there the variable does what it says.

## Why is this bad?
`UV_SYSTEM_PYTHON` only affects the pip interface; project commands ignore it and still create
and use the project's `.venv` (charliermarsh in astral-sh/uv#12715; astral-sh/uv#9067). A
Dockerfile that sets it and then runs `uv sync` installs everything into `/app/.venv`, not into
the system Python the author expected, so `python train.py` (without the venv on `PATH`) cannot
import the dependencies. Measured with uv 0.13.9: `UV_SYSTEM_PYTHON=1 uv sync` in a project
prints `Creating virtual environment at: .venv` and installs there, and
`UV_SYSTEM_PYTHON=1 uv run python -c 'import sys; print(sys.prefix)'` prints `<project>/.venv`;
`uv sync --system` is rejected (``error: unexpected argument '--system' found``), while
`UV_SYSTEM_PYTHON=1 uv pip install …` reports `Using Python 3.11.7 environment at: <system prefix>`.

## Example
```dockerfile
ENV UV_SYSTEM_PYTHON=1
RUN uv sync --locked
```
Use instead:
```dockerfile
ENV UV_PROJECT_ENVIRONMENT=/usr/local
RUN uv sync --locked
```

## How to fix
To install the project into a given environment, set `UV_PROJECT_ENVIRONMENT` (an absolute path
such as `/usr/local` targets the system prefix; see uv's docs on the risks), or put
`/app/.venv/bin` on `PATH`. Remove `UV_SYSTEM_PYTHON` unless `uv pip` commands need it.

## Fix safety
No automatic fix: whether you wanted the system prefix or the venv is a choice.

## References
- https://github.com/astral-sh/uv/issues/12715
- https://github.com/astral-sh/uv/issues/9067
- https://docs.astral.sh/uv/reference/environment/#uv_system_python
- https://docs.astral.sh/uv/concepts/projects/config/#project-environment-path
"""

META = RuleMeta(
    code="RUV304",
    name="uv-system-python-with-project-commands",
    severity=Severity.WARNING,
    summary="UV_SYSTEM_PYTHON has no effect on `uv sync`/`uv run`: they still use .venv",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    yield from judge_uv_commands(facts, _check_use)


def _check_use(use: CommandUse) -> Finding | None:
    cmd = use.cmd
    if cmd.sub not in ("sync", "run"):
        return None
    if cmd.sub == "run" and cmd.has("no-project", "script"):
        return None  # not a project run
    setting = use.setting("UV_SYSTEM_PYTHON")
    if setting is None or not truthy(setting.value):
        return None
    if use.setting("UV_PROJECT_ENVIRONMENT") is not None:
        return None  # the environment is chosen explicitly; UV_SYSTEM_PYTHON is for `uv pip`
    words = cmd.words
    short = " ".join(words[:6]) + (" …" if len(words) > 6 else "")
    return Finding(
        code=META.code,
        message=(
            f"UV_SYSTEM_PYTHON={setting.value} ({setting.origin}) has no effect on `{short}` "
            f"({use.where}): project commands ignore it and still create and use the project's "
            "`.venv` (astral-sh/uv#12715); set UV_PROJECT_ENVIRONMENT to choose the environment."
        ),
        location=cmd.location,
        severity=Severity.WARNING,
        fix="set UV_PROJECT_ENVIRONMENT (or put .venv/bin on PATH) instead of UV_SYSTEM_PYTHON",
        related=(("UV_SYSTEM_PYTHON set here", setting.location),),
    )
