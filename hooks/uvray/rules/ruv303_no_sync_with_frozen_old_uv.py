from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import CommandUse, Facts, Setting
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._common import judge_uv_commands
from uvray.rules._fixes import remove_option, remove_setting

# Measured with real uv: 0.5.4 is the last release whose `uv run` rejects --no-sync with --frozen.
FIXED = (0, 5, 5)

DOC = """\
## What it does
Flags a `uv run` that gets both `--no-sync` (or `UV_NO_SYNC`) and `--frozen` (or `UV_FROZEN`)
when the uv that runs it is older than 0.5.5 — in a Dockerfile `RUN` (ENV and ARG count), an
image's command, or a workflow step (workflow, job and step `env:`).

## Why is this bad?
Before uv 0.5.5, `uv run` declared `--no-sync` and `--frozen` as conflicting arguments, and uv
treats the env vars as the flags, so the command exits with status 2 before running anything
(astral-sh/uv#9397, fixed by astral-sh/uv#9400). Measured with uv 0.5.4:
`UV_NO_SYNC=1 UV_FROZEN=1 uv run true` → ``error: the argument '--no-sync' cannot be used with
'--frozen'`` (exit 2); the same with `--no-sync --frozen`, with one flag and the other env var,
and even with `UV_NO_SYNC=0 UV_FROZEN=0` (uv 0.5.4 counts any value). Measured with uv 0.5.5 and
0.13.9: all of these run. When the uv version is unknown uvray says nothing: current uv accepts
the combination (RUV103 asks you to pin uv).

## Example
```dockerfile
COPY --from=ghcr.io/astral-sh/uv:0.5.4 /uv /bin/
ENV UV_FROZEN=1 UV_NO_SYNC=1
CMD ["uv", "run", "python", "train.py"]
```
Use instead:
```dockerfile
COPY --from=ghcr.io/astral-sh/uv:0.5.4 /uv /bin/
ENV UV_NO_SYNC=1
CMD ["uv", "run", "python", "train.py"]
```

## How to fix
Drop `UV_FROZEN`/`--frozen` for `uv run`: `--no-sync` already implies `--frozen`. Or upgrade uv
to 0.5.5 or newer.

## Fix safety
- Safe when the command itself says `--frozen`: `--fix` deletes that word (and the blank before
  it); `--no-sync` already implies `--frozen` for this command alone.
- Guarded (`--unsafe-fixes`) when `UV_FROZEN` comes from the environment (`ENV`, `ARG`, a
  workflow `env:`): the fix deletes that assignment (or the whole `ENV` line when it is the only
  pair, or the `env:` key when it is the only entry), but another command in the same
  environment — a build's `uv sync` — may rely on `UV_FROZEN`; add `--frozen` there if so.

## References
- https://github.com/astral-sh/uv/issues/9397
- https://github.com/astral-sh/uv/pull/9400
- https://docs.astral.sh/uv/reference/environment/#uv_no_sync
"""

META = RuleMeta(
    code="RUV303",
    name="no-sync-with-frozen-old-uv",
    severity=Severity.ERROR,
    summary="uv < 0.5.5 rejects `uv run` with both --no-sync/UV_NO_SYNC and --frozen/UV_FROZEN",
    fix="safe",
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    yield from judge_uv_commands(
        facts, lambda use: _check_use(repo, use) if use.cmd.sub == "run" else None
    )


def _source(use: CommandUse, flag: str, env_name: str) -> tuple[str, Setting | None] | None:
    if use.cmd.has(flag):
        return f"--{flag}", None
    setting = use.setting(env_name)
    if setting is not None:
        # uv < 0.5.5 treats any value as the flag (measured: UV_NO_SYNC=0 UV_FROZEN=0 fails too).
        return f"{env_name}={setting.shown} ({setting.origin})", setting
    return None


def _check_use(repo: Repo, use: CommandUse) -> Finding | None:
    if use.uv.older_than(FIXED) is not True:
        return None  # fixed, or unknown: current uv accepts the combination
    no_sync = _source(use, "no-sync", "UV_NO_SYNC")
    frozen = _source(use, "frozen", "UV_FROZEN")
    if no_sync is None or frozen is None:
        return None
    words = use.cmd.words
    short = " ".join(words[:6]) + (" …" if len(words) > 6 else "")
    version = use.uv.value or f"older than 0.5.5 ({use.uv.source})"
    message = (
        f"{no_sync[0]} and {frozen[0]} for `{short}` ({use.where}): uv {version} (before 0.5.5) "
        "exits with ``error: the argument '--no-sync' cannot be used with '--frozen'`` "
        "(astral-sh/uv#9397); --no-sync already implies --frozen."
    )
    settings = [s for _, s in (no_sync, frozen) if s is not None]
    frozen_setting = frozen[1]
    if frozen_setting is None:
        edits, applicability = remove_option(repo, use.cmd.location, "--frozen"), None
    else:
        # UV_FROZEN may also be what keeps another command (a build's `uv sync`) frozen.
        edits, applicability = remove_setting(repo, frozen_setting), "guarded"
    return Finding(
        code=META.code,
        message=message,
        location=use.cmd.location,
        severity=Severity.ERROR,
        fix="drop UV_FROZEN/--frozen for `uv run` (--no-sync implies it), or use uv >= 0.5.5",
        related=tuple((f"{s.name} set here", s.location) for s in settings),
        edits=edits,
        applicability=applicability,
    )
