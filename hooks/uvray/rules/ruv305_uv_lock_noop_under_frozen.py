from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import CommandUse, Facts, truthy
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._common import judge_uv_commands

# Measured with real uv: through 0.10.4 `UV_FROZEN=1 uv lock` is silent; from 0.10.5 it warns.
WARNS = (0, 10, 5)
_WARNING = (
    "warning: The lockfile at `uv.lock` was only checked for validity, not whether it is "
    "up-to-date, because `UV_FROZEN=1` was provided; use `--check` instead"
)

DOC = """\
## What it does
Flags `uv lock` (also `uv lock --upgrade` and `--upgrade-package`) that runs with `UV_FROZEN`
truthy in its environment (or with `--frozen`) — in a Dockerfile `RUN` (ENV and ARG count) or a
workflow step (workflow, job and step `env:`). `UV_FROZEN` alone, without `uv lock`, is fine.
`uv lock --check`/`--check-exists` and `--locked` are left to other rules.

## Why is this bad?
Under `UV_FROZEN`, `uv lock` does not resolve: it only reads `uv.lock` and exits 0, so a job or
script that runs `uv lock --upgrade` to refresh the lockfile silently keeps the old one
(astral-sh/uv#12783). Measured with a project whose `pyproject.toml` had changed since locking,
`UV_FROZEN=1 uv lock`, `uv lock --upgrade` and `uv lock --upgrade-package x` exit 0 and leave
`uv.lock` unchanged in every version tried (0.5.4 – 0.13.9). uv 0.5.4 – 0.10.4 print nothing;
uv 0.10.5 and newer print ``{warning}``. `UV_FROZEN=0 uv lock` updates the lockfile (0.9.22,
0.9.23, 0.13.9).

## Example
```yaml
env:
  UV_FROZEN: "1"
jobs:
  bump:
    steps:
      - run: uv lock --upgrade
```
Use instead:
```yaml
env:
  UV_FROZEN: "1"
jobs:
  bump:
    steps:
      - run: uv lock --upgrade
        env:
          UV_FROZEN: "0"
```

## How to fix
Unset `UV_FROZEN` (or set it to `0`) for the `uv lock` step; keep it for the sync and run steps.
To check that the lockfile is current, use `uv lock --check`.

## Fix safety
No automatic fix yet.

## References
- https://github.com/astral-sh/uv/issues/12783
- https://docs.astral.sh/uv/concepts/projects/sync/
""".replace("{warning}", _WARNING)

META = RuleMeta(
    code="RUV305",
    name="uv-lock-noop-under-frozen",
    severity=Severity.WARNING,
    summary="`uv lock` under UV_FROZEN does not update uv.lock",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    yield from judge_uv_commands(facts, _check_use)


def _check_use(use: CommandUse) -> Finding | None:
    cmd = use.cmd
    if cmd.sub != "lock" or cmd.has("check", "check-exists", "locked", "dry-run"):
        return None
    setting = use.setting("UV_FROZEN")
    if cmd.has("frozen"):
        cause, related = "--frozen", ()
    elif setting is not None and truthy(setting.value):
        cause = f"UV_FROZEN={setting.value} ({setting.origin})"
        related = (("UV_FROZEN set here", setting.location),)
    else:
        return None
    words = cmd.words
    short = " ".join(words[:6]) + (" …" if len(words) > 6 else "")
    upgrade = cmd.has("upgrade", "U", "upgrade-package", "P")
    what = "upgrades nothing and " if upgrade else ""
    before = use.uv.older_than(WARNS)
    if before is True:
        how = f"uv {use.uv.value or 'before 0.10.5'} says nothing about it"
    elif before is False:
        how = f"uv {use.uv.value} only warns (``{_WARNING}``)"
    else:
        how = "uv up to 0.10.4 says nothing about it; 0.10.5 and newer only warn"
    return Finding(
        code=META.code,
        message=(
            f"`{short}` ({use.where}) runs under {cause}: it {what}leaves uv.lock unchanged and "
            f"exits 0 ({how}; astral-sh/uv#12783)."
        ),
        location=cmd.location,
        severity=Severity.WARNING,
        fix="unset UV_FROZEN (or set UV_FROZEN=0) for the `uv lock` command",
        related=related,
    )
