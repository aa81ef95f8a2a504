from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from uvray.commands import UvCommand
from uvray.facts import Facts, falsy, truthy
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Stage, Step
from uvray.rules import RuleMeta
from uvray.users import is_root, ray_base, runtime_user, step_user

DOC = """\
## What it does
Flags a uv-managed Python that the build installs **as root** into root's home while the image
runs as a **non-root** user. It fires only where the install is certain:

- `uv python install …`;
- or a uv command that must use a managed Python: `--managed-python`,
  `--python-preference only-managed`, `UV_MANAGED_PYTHON=1` or
  `UV_PYTHON_PREFERENCE=only-managed` (unless Python downloads are off:
  `UV_PYTHON_DOWNLOADS=never|manual`, `--no-python-downloads`);
- or a `uv sync`/`uv venv`/`uv run` that must download one because the base image cannot
  serve it: `--python 3.12` (or `UV_PYTHON=3.12`) on a `python:3.11…` base, or any of them on a
  plain `debian:`/`ubuntu:` base (no Python) with no earlier step installing one — uv's default
  `python-downloads = automatic` then fetches a managed Python (astral-sh/uv#7758,
  vllm-project/vllm#15302);

run as root (Docker's default, or after `USER root`), with the install directory under `/root`:
uv's default is `$XDG_DATA_HOME/uv/python`, else `$HOME/.local/share/uv/python` — for root
`/root/.local/share/uv/python` — and `UV_PYTHON_INSTALL_DIR` (or `uv python install
--install-dir`) overrides it. The runtime user is the final `USER`, or uid 1000 `ray` on a
`rayproject/ray` base.

Not flagged: `UV_PYTHON_INSTALL_DIR=/opt/python` (or any directory outside `/root`), an install
run after `USER <non-root>`, and root on a `rayproject/ray` base, whose `ENV HOME=/home/ray`
(ray-project/ray `docker/base-deps/Dockerfile`) puts the install in
`/home/ray/.local/share/uv/python`. A `uv sync` that merely *may* download a Python (a `.python-version`
or `requires-python` that the base's interpreter might not satisfy) is not flagged: uvray does
not guess which interpreters an image has.

## Why is this bad?
`/root` is mode 700 on Debian and Ubuntu images, so no other user can reach the interpreter. The
project's `.venv/bin/python` is a symlink into it, and every use fails:

```
error: Failed to query Python interpreter
  Caused by: failed to canonicalize path `/app/.venv/bin/python`: Permission denied (os error 13)
```

(astral-sh/uv#13309 "Permission Denied: Running UV Installed Python with Non-Root User";
ppy/osu-wiki#14765; stickerdaniel/linkedin-mcp-server#316 shows the symlink chain
`/app/.venv/bin/python3 → … → /root/.local/share/uv/python/cpython-3.13…/bin/python3.13` and
`/root` as `drwx------`; vllm-project/vllm#15174 the same as `cannot open shared object file:
Permission denied`). Running `.venv/bin/python` directly fails with `Permission denied` too. Reproduced here
with uv 0.13.9: a venv created by root against an interpreter inside a mode-700 directory, then
`uv run` as an unprivileged user, prints exactly the error above (and `sh: .venv/bin/python:
Permission denied` when run directly). A Ray worker started this way never registers.

uv's install directory, from its source and docs: `ManagedPythonInstallations::from_settings`
(`crates/uv-python/src/managed.rs`) takes `UV_PYTHON_INSTALL_DIR`, else the state directory
`uv_dirs::user_state_dir()` = `$XDG_DATA_HOME/uv` (`crates/uv-dirs/src/lib.rs`), i.e.
`~/.local/share/uv/python` (docs/reference/storage.md, "Python versions"); `uv python dir`
prints `/root/.local/share/uv/python` for root (uv 0.13.9). The default Python preference is
`managed`: once a managed Python is installed, later `uv sync`/`uv venv` use it.

## Example
```dockerfile
FROM debian:bookworm-slim
COPY --from=ghcr.io/astral-sh/uv:0.8.0 /uv /bin/uv
RUN uv python install 3.12
WORKDIR /app
COPY . .
RUN uv sync --locked
USER 1000
```
Use instead:
```dockerfile
FROM debian:bookworm-slim
COPY --from=ghcr.io/astral-sh/uv:0.8.0 /uv /bin/uv
ENV UV_PYTHON_INSTALL_DIR=/opt/python
RUN uv python install 3.12
WORKDIR /app
COPY . .
RUN uv sync --locked
USER 1000
```

## How to fix
Install managed Pythons outside root's home (`ENV UV_PYTHON_INSTALL_DIR=/opt/python` before the
install), or use the image's system Python (`UV_PYTHON_DOWNLOADS=0`, uv's Docker guide), or run
the install as the runtime user.

## Fix safety
No automatic fix: where Python should live, and whether the venv must be rebuilt against it
(uv's storage docs: changing the directory is not reflected in existing environments), is the
user's decision.

## References
- https://docs.astral.sh/uv/reference/storage/#python-versions
- https://docs.astral.sh/uv/reference/environment/#uv_python_install_dir
- https://docs.astral.sh/uv/guides/integration/docker/#managing-python-interpreters
- https://github.com/astral-sh/uv/issues/13309
- https://github.com/ppy/osu-wiki/issues/14765
- https://github.com/astral-sh/uv/issues/7758
- https://github.com/vllm-project/vllm/pull/15302
"""

META = RuleMeta(
    code="RUV408",
    name="managed-python-under-root-home",
    severity=Severity.WARNING,
    summary="uv-managed Python is installed under /root while the image runs as a non-root user",
    fix=None,
    doc=DOC,
)

CANONICALIZE_ERROR = (
    "failed to canonicalize path `/…/.venv/bin/python3`: Permission denied (os error 13)"
)
_DEFAULT_SUFFIX = ".local/share/uv/python"
_DOWNLOADS_OFF = {"never", "manual"}
_PYTHON_BASE = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(\d+)\.(\d+)")
_NO_PYTHON_BASE = re.compile(r"^(?:docker\.io/)?(?:library/)?(?:debian|ubuntu):")
_MINOR = re.compile(r"^(?:cpython@|cpython-|python)?(\d+)\.(\d+)(?:[.\-+@]|$)")


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for image in facts.images:
        if not image.build_commands:
            continue  # no uv command in the build: nothing installs a Python
        df, stage = image.dockerfile, image.stage
        user = runtime_user(df, stage)
        if user is None:
            continue
        on_ray = ray_base(stage)
        for cmd, step in image.build_commands:
            key = (cmd.location.path, cmd.location.line)
            if key in seen or not is_root(step_user(step, on_ray)):
                continue
            how = _installs_managed_python(cmd, step) or _downloads_python(cmd, step, stage)
            if how is None:
                continue
            where = _install_dir(cmd, step, on_ray)
            if where is None:
                continue
            directory, origin = where
            if not (directory == "/root" or directory.startswith("/root/")):
                continue
            if _root_opened_later(stage, step):
                continue
            seen.add(key)
            yield Finding(
                code=META.code,
                message=(
                    f"{how} runs as root and installs a uv-managed Python into {directory} "
                    f"({origin}), but the image runs as `{user.name}` ({user.origin}): /root is "
                    "not readable by other users (mode 700 on Debian/Ubuntu images), so a venv "
                    "linked to that interpreter fails with ``error: Failed to query Python "
                    f"interpreter`` / ``{CANONICALIZE_ERROR}`` (astral-sh/uv#13309)."
                ),
                location=cmd.location,
                severity=META.severity,
                fix="set ENV UV_PYTHON_INSTALL_DIR=/opt/python before this step (or use the "
                "image's Python with UV_PYTHON_DOWNLOADS=0)",
                related=(("runtime user set here", user.location),),
            )


def _root_opened_later(stage: Stage, install: Step) -> bool:
    """A later `chmod … /root…` (e.g. `chmod 755 /root`): the user opened root's home on
    purpose; uvray does not judge the mode."""
    after = False
    for step in stage.all_steps():
        if step is install:
            after = True
        elif after and step.instruction.keyword == "RUN":
            text = step.instruction.args + "".join(h.body for h in step.instruction.heredocs)
            if "chmod" in text and "/root" in text:
                return True
    return False


def _value(cmd: UvCommand, step: Step, name: str) -> tuple[bool, str | None]:
    """(set?, value) of a variable for this command: its own prefix, then ARG/ENV."""
    if name in cmd.assignments:
        return True, cmd.assignments[name]
    var = step.shell_env().get(name)
    return (var is not None), (None if var is None else var.value)


def _installs_managed_python(cmd: UvCommand, step: Step) -> str | None:
    """How this command certainly installs a managed Python, or None."""
    if cmd.sub == "python install":
        return f"`{cmd.text()}`"
    if cmd.sub.startswith("python ") or cmd.sub.startswith("pip ") or not cmd.sub:
        return None
    if cmd.has("no-python-downloads"):
        return None
    downloads = _value(cmd, step, "UV_PYTHON_DOWNLOADS")[1]
    if downloads is not None and (falsy(downloads) or downloads.strip().lower() in _DOWNLOADS_OFF):
        return None
    if cmd.has("managed-python"):
        return f"`{cmd.text()}` (--managed-python)"
    if (cmd.value("python-preference") or "") == "only-managed":
        return f"`{cmd.text()}` (--python-preference only-managed)"
    if cmd.has("no-managed-python") or cmd.value("python-preference") is not None:
        return None
    managed = _value(cmd, step, "UV_MANAGED_PYTHON")[1]
    if truthy(managed):
        return f"`{cmd.text()}` with UV_MANAGED_PYTHON={managed}"
    preference = _value(cmd, step, "UV_PYTHON_PREFERENCE")[1]
    if preference == "only-managed":
        return f"`{cmd.text()}` with UV_PYTHON_PREFERENCE=only-managed"
    return None


def _downloads_python(cmd: UvCommand, step: Step, stage: Stage) -> str | None:
    """A project command that must download a Python (uv's default `python-downloads =
    automatic`): it asks for a minor version the `python:X.Y` base lacks, or the base is plain
    Debian/Ubuntu (no Python) and nothing installed one before it (astral-sh/uv#7758,
    vllm-project/vllm#15302)."""
    if cmd.sub not in ("sync", "venv", "run") or cmd.has(
        "no-python-downloads", "no-managed-python"
    ):
        return None
    if truthy(_value(cmd, step, "UV_NO_MANAGED_PYTHON")[1]):
        return None
    downloads = _value(cmd, step, "UV_PYTHON_DOWNLOADS")[1]
    if downloads is not None and (falsy(downloads) or downloads.strip().lower() in _DOWNLOADS_OFF):
        return None
    preference = cmd.value("python-preference") or _value(cmd, step, "UV_PYTHON_PREFERENCE")[1]
    if preference == "only-system":
        return None
    root = stage.ancestry()[-1]
    if not root.base_known:
        return None
    requested = cmd.value("python") or cmd.value("p")
    if requested is None:
        requested = _value(cmd, step, "UV_PYTHON")[1]
    base = _PYTHON_BASE.match(root.base)
    if requested is not None:
        wanted = _MINOR.match(requested)
        if base is None or wanted is None:
            return None
        if (wanted.group(1), wanted.group(2)) == (base.group(1), base.group(2)):
            return None
        return (
            f"`{cmd.text()}` (Python {wanted.group(1)}.{wanted.group(2)} is not the base image "
            f"{root.base}'s, so uv downloads it)"
        )
    if not _NO_PYTHON_BASE.match(root.base):
        return None
    for earlier in stage.all_steps():
        if earlier is step:
            break
        ins = earlier.instruction
        if ins.keyword == "RUN" and "python" in ins.args + "".join(h.body for h in ins.heredocs):
            return None  # apt-get install python3, or a `uv python install` (judged itself)
        if ins.keyword in ("COPY", "ADD") and ins.flag("from") and "python" in ins.args:
            return None
    return f"`{cmd.text()}` (the base image {root.base} has no Python, so uv downloads one)"


def _install_dir(cmd: UvCommand, step: Step, on_ray: bool) -> tuple[str, str] | None:
    """Where uv puts managed Pythons (crates/uv-python/src/managed.rs, uv-dirs): --install-dir,
    UV_PYTHON_INSTALL_DIR, $XDG_DATA_HOME/uv/python, $HOME/.local/share/uv/python. None when a
    value in the chain is unknown."""
    if cmd.sub == "python install":
        explicit = cmd.value("install-dir") or cmd.value("i")
        if explicit:
            return None if "$" in explicit else (_abs(step, explicit), "--install-dir")
    has, value = _value(cmd, step, "UV_PYTHON_INSTALL_DIR")
    if has:
        if value is None or "$" in value:
            return None
        if value:  # uv ignores an empty value
            return _abs(step, value), "UV_PYTHON_INSTALL_DIR"
    has, value = _value(cmd, step, "XDG_DATA_HOME")
    if has:
        if value is None:
            return None
        if value.startswith("/"):  # relative XDG paths are invalid and ignored
            return posixpath.join(
                posixpath.normpath(value), "uv/python"
            ), "$XDG_DATA_HOME/uv/python"
    has, home = _value(cmd, step, "HOME")
    if has:
        if home is None or not home.startswith("/"):
            return None
        return posixpath.join(posixpath.normpath(home), _DEFAULT_SUFFIX), f"HOME={home}"
    if on_ray:
        # rayproject/ray sets ENV HOME=/home/ray, which stays in force under USER root.
        return "/home/ray/" + _DEFAULT_SUFFIX, "HOME=/home/ray from the rayproject/ray image"
    return "/root/" + _DEFAULT_SUFFIX, "uv's default ~/.local/share/uv/python, root's home"


def _abs(step: Step, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(step.workdir, path))
    return joined if joined.startswith("/") else "/" + joined
