from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from uvray.edits import Edit, insert_before_line, keyword_like, line_bounds
from uvray.facts import CommandUse, Facts, Setting, truthy, uv_commands
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Step, expand
from uvray.rules import RuleMeta

DOC = """\
## What it does
Flags a `uv sync`, `uv pip install` or `uv run` (and the other commands that install into an
environment) in a Dockerfile `RUN` that mounts uv's cache as a BuildKit cache mount
(`--mount=type=cache,target=/root/.cache/uv`, `target=$UV_CACHE_DIR`, or any target while
`UV_CACHE_DIR` points at it) while the link mode is `symlink` (`UV_LINK_MODE=symlink` from
`ENV`, `ARG` or a command prefix, or `--link-mode symlink` / `--link-mode=symlink`).

## Why is this bad?
With `symlink`, uv does not put the package files into the environment: every file in
`site-packages` is a symbolic link into the cache. A cache mount exists only while that one `RUN`
runs and is never part of the image, so the finished image holds a `.venv` full of dangling
links and nothing in it can be imported. charliermarsh in astral-sh/uv#7509: "Symlinks are fairly
problematic, since if the cache gets deleted, your entire project will break."

Measured with uv 0.13.9: a project depending on `six`, synced with
`UV_CACHE_DIR=/tmp/x/cache UV_LINK_MODE=symlink uv sync`, then the cache directory deleted:
`.venv/bin/python -c "import six"` fails with `ModuleNotFoundError: No module named 'six'`, and
`find .venv -xtype l` lists every installed file as a broken link
(`.venv/lib/python3.11/site-packages/six.py`, `six-1.17.0.dist-info/METADATA`, `proj.pth`, …).

## Example
```dockerfile
ENV UV_LINK_MODE=symlink
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
Set `ENV UV_LINK_MODE=copy` (uv's Docker guide does this next to every cache mount) and drop
`--link-mode symlink`. Keep `symlink` only where the cache outlives the environment and is
present wherever the environment is used.

## Fix safety
Safe: `--fix` changes the value where the link mode is set — `--link-mode symlink` becomes
`--link-mode copy`, `UV_LINK_MODE=symlink` (an `ENV`, `ARG` or command prefix written in the
repository) becomes `UV_LINK_MODE=copy` — or, when the value comes from elsewhere, inserts
`ENV UV_LINK_MODE=copy` before the `RUN`. It only changes how files reach the environment, not
which files; every other byte of the file stays as it was.

## References
- https://docs.astral.sh/uv/guides/integration/docker/#caching
- https://docs.astral.sh/uv/reference/environment/#uv_link_mode
- https://github.com/astral-sh/uv/issues/7509
"""

META = RuleMeta(
    code="RUV401",
    name="symlink-link-mode-with-cache-mount",
    severity=Severity.ERROR,
    summary="uv links the environment into a cache mount that is not part of the image",
    fix="safe",
    doc=DOC,
)

# uv commands that link package files from the cache into an environment.
INSTALLS = {"sync", "run", "pip install", "pip sync", "add", "remove", "tool install"}


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[int] = set()
    for use in uv_commands(facts):
        if use.step is None or use.dockerfile is None or id(use.step) in seen:
            continue
        mount = cached_uv_cache_mount(facts, use)
        if mount is None:
            continue
        mode, origin = link_mode(use)
        if mode != "symlink":
            continue
        seen.add(id(use.step))
        yield Finding(
            code=META.code,
            message=(
                f"`uv {use.cmd.sub}` runs with link mode `symlink` ({origin}) and uv's cache "
                f"is a cache mount at {mount}: the cache is not part of the image, so every "
                "file in the environment is a dangling symlink and imports fail "
                "(`ModuleNotFoundError`)."
            ),
            location=use.cmd.location,
            severity=META.severity,
            fix="set ENV UV_LINK_MODE=copy",
            related=(("cache mount", Location(use.dockerfile.path, use.step.instruction.line)),),
            edits=copy_mode_edits(repo, use, use.step.instruction.line),
        )


# --- shared with RUV402 -------------------------------------------------------------------------


def installs(use: CommandUse) -> bool:
    """Does this command link packages from the cache into an environment?"""
    if use.cmd.sub not in INSTALLS:
        return False
    if use.cmd.sub == "run":
        if use.cmd.has("no-sync"):
            return False
        no_sync = use.setting("UV_NO_SYNC")
        if no_sync is not None and truthy(no_sync.value):
            return False
    if use.cmd.has("no-cache", "n"):
        return False  # a temporary cache, not the mount
    no_cache = use.setting("UV_NO_CACHE")
    return not (no_cache is not None and truthy(no_cache.value))


def cached_uv_cache_mount(facts: Facts, use: CommandUse) -> str | None:
    """uv_cache_mount, once per command for RUV401 and RUV402 together."""
    return facts.memo(("uv-cache-mount", id(use.cmd)), lambda: uv_cache_mount(use))


def uv_cache_mount(use: CommandUse) -> str | None:
    """The target of a `--mount=type=cache` on this RUN that is uv's cache directory for
    `use`, when the command installs; None otherwise."""
    step = use.step
    if step is None or not any("cache" in v for v in step.instruction.flag_values("mount")):
        return None  # most RUNs: no cache mount at all
    if not installs(use):
        return None
    mounts = cache_mount_targets(step)
    if not mounts:
        return None
    dirs = uv_cache_dirs(use, step)
    for target in mounts:
        if target in dirs or target.endswith("/.cache/uv"):
            return target
    return None


def cache_mount_targets(step: Step) -> list[str]:
    """Targets (absolute, normalised, variables expanded) of the RUN's cache mounts."""
    targets = []
    env = step.shell_env()
    for value in step.instruction.flag_values("mount"):
        opts = dict(
            part.split("=", 1) if "=" in part else (part, "true") for part in value.split(",")
        )
        if opts.get("type") != "cache":
            continue
        target = opts.get("target", opts.get("dst", opts.get("destination")))
        if not target:
            continue
        target, _known = expand(target.strip("\"'"), env)
        targets.append(_absolute(step.workdir, target))
    return targets


def uv_cache_dirs(use: CommandUse, step: Step) -> set[str]:
    """Where uv keeps its cache for this command (every candidate uvray can see)."""
    dirs: set[str] = set()
    option = use.cmd.value("cache-dir")
    if option:
        dirs.add(_absolute(step.workdir, option))
    env_dir = use.setting("UV_CACHE_DIR")
    if env_dir is not None and env_dir.value:
        dirs.add(_absolute(step.workdir, env_dir.value))
    if option or (env_dir is not None and env_dir.value):
        return dirs
    xdg = use.setting("XDG_CACHE_HOME")
    if xdg is not None and xdg.value:
        dirs.add(_absolute(step.workdir, xdg.value + "/uv"))
    home = use.setting("HOME")
    if home is not None and home.value:
        dirs.add(_absolute(step.workdir, home.value + "/.cache/uv"))
    if step.user in (None, "", "root", "0", "0:0", "root:root"):
        dirs.add("/root/.cache/uv")
    return dirs


def link_mode(use: CommandUse) -> tuple[str | None, str]:
    """The link mode this command uses ("" when nothing sets it, None when unknowable), and
    where it comes from."""
    option = use.cmd.value("link-mode")
    if option is not None:
        return option.strip().lower(), f"--link-mode {option}"
    setting: Setting | None = use.setting("UV_LINK_MODE")
    if setting is None:
        return "", "uv's default"
    if setting.value is None:
        return None, f"UV_LINK_MODE from {setting.origin}"
    return setting.value.strip().lower(), f"UV_LINK_MODE={setting.value} from {setting.origin}"


def _absolute(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base or "/", path))
    return joined if joined.startswith("/") else "/" + joined


def copy_mode_edits(repo: Repo, use: CommandUse, run_line: int) -> tuple[Edit, ...]:
    """Make `use` run with link mode copy: rewrite the value where the repository sets it,
    else put `ENV UV_LINK_MODE=copy` before `run_line` (a RUN of the same stage)."""
    option = use.cmd.value("link-mode")
    if option is not None:
        loc = use.cmd.location
        edit = _rewrite_value(repo, loc.path, loc.line, loc.last_line, _OPTION, option)
        return (edit,) if edit is not None else ()
    setting = use.setting("UV_LINK_MODE")
    if setting is not None and setting.value is not None:
        loc = setting.location
        edit = _rewrite_value(repo, loc.path, loc.line, loc.last_line, _ASSIGNMENT, setting.value)
        if edit is not None:
            return (edit,)
        if "UV_LINK_MODE" in use.cmd.assignments:
            return ()  # a prefix uvray cannot rewrite would override an ENV
    path = use.dockerfile.path
    text = repo.texts.get(path)
    if text is None:
        return ()
    env = keyword_like(text, run_line, "ENV")
    return (insert_before_line(path, text, run_line, f"{env} UV_LINK_MODE=copy"),)


_OPTION = r"--link-mode(?:=|[ \t]+)[\"']?({value})\b"
_ASSIGNMENT = r"\bUV_LINK_MODE=[\"']?({value})\b"


def _rewrite_value(repo: Repo, path: str, first: int, last: int, pattern: str, value: str):
    """An Edit replacing the first `value` matched by pattern within lines first..last."""
    text = repo.texts.get(path)
    if text is None:
        return None
    start, _ = line_bounds(text, first)
    _, end = line_bounds(text, last)
    found = re.compile(pattern.format(value=re.escape(value)), re.IGNORECASE).search(
        text, start, end
    )
    if found is None:
        return None
    return Edit(path, found.start(1), found.end(1), "copy")
