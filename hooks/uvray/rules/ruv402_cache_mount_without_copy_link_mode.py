from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, uv_commands
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules.ruv401_symlink_link_mode_with_cache_mount import (
    cached_uv_cache_mount,
    copy_mode_edits,
    link_mode,
)

DOC = """\
## What it does
Flags a `uv sync`, `uv pip install` or `uv run` (and the other commands that install into an
environment) in a Dockerfile `RUN` that mounts uv's cache as a BuildKit cache mount
(`--mount=type=cache,target=/root/.cache/uv`) while the link mode is not `copy`: neither
`UV_LINK_MODE=copy` (`ENV`, `ARG` or a command prefix) nor `--link-mode copy` is in force.

## Why is this bad?
uv's default link mode on Linux is `hardlink`. A cache mount is a different filesystem from the
image layer the environment is written to, so every hard link fails and uv falls back to copying,
after printing a warning on every build:

```
warning: Failed to hardlink files; falling back to full copy. This may lead to degraded performance.
         If the cache and target directories are on different filesystems, hardlinking may not be supported.
         If this is intentional, set `export UV_LINK_MODE=copy` or use `--link-mode=copy` to suppress this warning.
```

uv's Docker guide (caching section): "Changing the `UV_LINK_MODE` silences warnings about not
being able to link files since the cache and sync target are on separate file systems."

Measured with uv 0.13.9: cache in `/dev/shm/uvcache` (tmpfs), project on `/` (a different
filesystem, per `df`): `uv sync` prints exactly the warning above and then installs by copying;
with `UV_LINK_MODE=copy` or `--link-mode=copy` the same sync prints no warning. The installed
environment is the same either way, hence severity info.

## Example
```dockerfile
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked
```
Use instead:
```dockerfile
ENV UV_LINK_MODE=copy
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked
```

## How to fix
Add `ENV UV_LINK_MODE=copy` before the `RUN` (as uv's Docker guide and uv-docker-example do), or
pass `--link-mode copy` to the command.

## Fix safety
Safe: `--fix` sets the link mode to `copy` where the repository sets it (`--link-mode hardlink`
→ `--link-mode copy`, `UV_LINK_MODE=hardlink` → `UV_LINK_MODE=copy`), or else inserts
`ENV UV_LINK_MODE=copy` on its own line before the stage's first such `RUN` (same indentation,
the file's line endings and keyword case). It only makes uv copy directly instead of
trying hard links first and then copying; later instructions of the stage and the stages built
on it copy too, which installs the same files.

## References
- https://docs.astral.sh/uv/guides/integration/docker/#caching
- https://docs.astral.sh/uv/reference/environment/#uv_link_mode
- https://github.com/astral-sh/uv-docker-example
"""

META = RuleMeta(
    code="RUV402",
    name="cache-mount-without-copy-link-mode",
    severity=Severity.INFO,
    summary="a uv cache mount without UV_LINK_MODE=copy makes uv warn that it cannot hardlink",
    fix="safe",
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[int] = set()
    # One ENV line per stage, before its first flagged RUN: every finding of the stage carries
    # that same edit, which the fixer applies once.
    first_run: dict[int, int] = {}
    for use in uv_commands(facts):
        if use.step is None or use.dockerfile is None or id(use.step) in seen:
            continue
        mount = cached_uv_cache_mount(facts, use)
        if mount is None:
            continue
        mode, origin = link_mode(use)
        # copy: fine; symlink: RUV401; None: a value uvray cannot see (could be copy).
        if mode is None or mode in ("copy", "symlink"):
            continue
        seen.add(id(use.step))
        yield Finding(
            code=META.code,
            message=(
                f"`uv {use.cmd.sub}` uses a cache mount at {mount} with link mode "
                f"`{mode or 'hardlink'}` ({origin}): the cache mount is a different filesystem "
                "from the image, so uv prints `warning: Failed to hardlink files; falling back "
                "to full copy. This may lead to degraded performance.` Set "
                "ENV UV_LINK_MODE=copy."
            ),
            location=use.cmd.location,
            severity=META.severity,
            fix="add ENV UV_LINK_MODE=copy before this RUN",
            edits=copy_mode_edits(
                repo, use, first_run.setdefault(id(use.stage), use.step.instruction.line)
            ),
        )
