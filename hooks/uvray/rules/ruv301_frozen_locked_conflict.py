from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import CommandUse, Facts, Setting, falsy, truthy, version_lt
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._common import judge_uv_commands
from uvray.rules._fixes import remove_option, remove_setting

# Measured with real uv (tests/reality/test_frozen_locked.py): before 0.9.23 even UV_FROZEN=0
# conflicts with --locked; from 0.9.23 a truthy env var conflicts with the opposite flag; from
# FLAG_WINS the flag wins with a warning. Two truthy env vars conflict in every version.
ENV_VALUE_AWARE = (0, 9, 23)
FLAG_WINS = (0, 12, 9)  # bisected: 0.12.8 is the last release that errors

DOC = """\
## What it does
Flags a uv project command (`uv sync`, `uv run`, `uv lock`, `uv export`, …) that gets `--locked`
while `UV_FROZEN` is set in its environment, `--frozen` while `UV_LOCKED` is set, or both
`UV_FROZEN` and `UV_LOCKED` — in a Dockerfile `RUN` (ENV and ARG count), an image's command, a
workflow step (workflow, job and step `env:`), or a Ray driver whose `uv run` flags Ray copies to
every worker.

## Why is this bad?
`--frozen` and `--locked` exclude each other, and uv treats the env vars as the flags. What
happens depends on the uv version (measured with real uv in uvray's `tests/reality`):

| uv | `UV_FROZEN=1 uv sync --locked` | `UV_FROZEN=0 uv sync --locked` | `UV_FROZEN=1 UV_LOCKED=1 uv sync` |
|---|---|---|---|
| ≤ 0.9.22 | ``error: the argument '--locked' cannot be used with '--frozen'`` | same error | error |
| 0.9.23 – 0.12.8 | ``error: the argument `--locked` cannot be used with `UV_FROZEN` (environment variable)`` | works | error |
| ≥ 0.12.9 | ``warning: Ignoring `UV_FROZEN` because `--locked` was provided`` | works | error |

`UV_FROZEN=1` in a Dockerfile or CI env is common practice, and so is `uv sync --locked` (uv's
Docker guide switched to it in 0.6.15): put together, the build or job fails — or, with newer uv,
silently does something other than what one of the two asked for. Reports: tox-dev/tox-uv#327,
astral-sh/uv#17044.

## Example
```dockerfile
ENV UV_FROZEN=1
RUN uv sync --locked
```
Use instead:
```dockerfile
ENV UV_FROZEN=1
RUN uv sync
```

## How to fix
Drop one of the two: keep `--locked` (fail when `uv.lock` is stale) or `UV_FROZEN` (never
re-lock), not both. With uv ≥ 0.9.23, `UV_FROZEN=0 uv sync --locked` also works.

## Fix safety
Guarded (`--unsafe-fixes` only): which of the two you meant is a choice, so `--fix` alone never
makes it. With `--unsafe-fixes` uvray keeps the environment-wide setting and drops the
command's flag (`uv sync --locked` under `UV_FROZEN=1` becomes `uv sync`, still frozen: the
lock is used as is, but no longer checked against `pyproject.toml`); with both variables set it
deletes `UV_LOCKED` and keeps `UV_FROZEN` (the usual Docker setting); a `UV_FROZEN=0` that old uv
treats as set is deleted. If you wanted the lock check, drop `UV_FROZEN` instead (or, with uv ≥
0.9.23, set `UV_FROZEN=0` for that command).

## References
- https://github.com/astral-sh/uv/issues/17044
- https://github.com/tox-dev/tox-uv/issues/327
- https://docs.astral.sh/uv/concepts/projects/sync/
"""

META = RuleMeta(
    code="RUV301",
    name="frozen-locked-conflict",
    severity=Severity.ERROR,
    summary="UV_FROZEN/UV_LOCKED in the environment contradict --locked/--frozen",
    fix="guarded",
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    yield from judge_uv_commands(
        facts, lambda use: _check_use(use, repo) if use.cmd.is_project_command else None
    )


def _check_use(use: CommandUse, repo: Repo | None = None) -> Finding | None:
    """The verdict on one command; with `repo`, the finding carries the guarded fix."""
    frozen = use.setting("UV_FROZEN")
    locked = use.setting("UV_LOCKED")
    if frozen is not None and locked is not None and truthy(frozen.value) and truthy(locked.value):
        return _finding(
            use,
            Severity.ERROR,
            f"UV_FROZEN={frozen.value} and UV_LOCKED={locked.value} are both set for "
            f"`{_short(use)}` ({use.where}): every uv version exits with ``error: the argument "
            "`UV_LOCKED` (environment variable) cannot be used with `UV_FROZEN` (environment "
            "variable)``.",
            (frozen, locked),
            # Keep UV_FROZEN (the usual Docker setting, trap 7); UV_LOCKED goes.
            remove_setting(repo, locked) if repo is not None else (),
        )
    for setting, flag in ((frozen, "locked"), (locked, "frozen")):
        if setting is None or not use.cmd.has(flag):
            continue
        message, severity = _env_flag_verdict(use, setting, flag)
        if message is not None:
            if repo is None:
                edits: tuple = ()
            elif falsy(setting.value) or setting.value == "":
                edits = remove_setting(repo, setting)  # a "switched off" variable old uv obeys
            else:
                edits = remove_option(repo, use.cmd.location, f"--{flag}")
            return _finding(use, severity, message, (setting,), edits)
    return None


def _env_flag_verdict(use: CommandUse, setting: Setting, flag: str):
    before_aware = version_lt(use.uv.value, ENV_VALUE_AWARE)
    before_wins = version_lt(use.uv.value, FLAG_WINS)
    cmd = f"`{_short(use)}` ({use.where})"
    opposite = "--frozen" if flag == "locked" else "--locked"
    if falsy(setting.value) or setting.value == "":
        if before_aware is True:
            return (
                f"{setting.name}={setting.value!s} is still set for {cmd}: uv {use.uv.value} "
                f"(before 0.9.23) treats any {setting.name} as {opposite} and exits with "
                f"``error: the argument '--{flag}' cannot be used with '{opposite}'``.",
                Severity.ERROR,
            )
        return None, None
    if not truthy(setting.value):
        return None, None
    base = f"--{flag} contradicts {setting.name}={setting.value} ({setting.origin}) for {cmd}: "
    if before_wins is False:
        return (
            base + f"uv {use.uv.value} ignores {setting.name} with a warning "
            f"(``Ignoring `{setting.name}` because `--{flag}` was provided``), so one of the two "
            "settings silently does nothing.",
            Severity.WARNING,
        )
    if before_aware is True:
        text = f"uv {use.uv.value} exits with ``error: the argument '--{flag}' cannot be used with '{opposite}'``."
    elif before_aware is False:
        text = (
            f"uv {use.uv.value} exits with ``error: the argument `--{flag}` cannot be used with "
            f"`{setting.name}` (environment variable)``."
        )
    else:
        text = (
            f"the uv version is unknown ({use.uv.source}): uv up to 0.12.8 exits with an error "
            f"(``the argument `--{flag}` cannot be used with `{setting.name}` (environment "
            f"variable)``); uv 0.12.9 and newer ignore {setting.name} with a warning."
        )
    return base + text, Severity.ERROR


def _finding(use: CommandUse, severity: Severity, message: str, settings, edits=()) -> Finding:
    return Finding(
        code=META.code,
        message=message,
        location=use.cmd.location,
        severity=severity,
        fix="drop one: keep --locked or UV_FROZEN (or --frozen or UV_LOCKED), not both",
        related=tuple((f"{s.name} set here", s.location) for s in settings),
        edits=edits,
    )


def _short(use: CommandUse) -> str:
    words = use.cmd.words
    text = " ".join(words[:6])
    return text + (" …" if len(words) > 6 else "")
