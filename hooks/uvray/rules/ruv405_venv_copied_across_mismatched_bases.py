from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import NamedTuple

from uvray.commands import UvCommand
from uvray.facts import RAY_IMAGE, Facts, falsy
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Dockerfile, Stage, Step
from uvray.rules import RuleMeta

# Images whose Python uvray knows the path of. The official `python` images install CPython in
# /usr/local (python:3.12-slim: /usr/local/bin/python3.12); uv's `python3.X-<distro>` images
# are built on them (uv's Docker guide: "Based on `python3.x-slim-trixie`", and
# uv-docker-example pairs `uv:python3.12-bookworm-slim` with `python:3.12-bookworm-slim`).
# rayproject/ray images keep Python in /home/ray/anaconda3 (Ray's docker/base-deps/Dockerfile).
_OFFICIAL = re.compile(r"^python:(?P<major>\d+)\.(?P<minor>\d+)(?:\.\d+)?(?:-(?P<variant>.*))?$")
_UV_PYTHON = re.compile(
    r"^ghcr\.io/astral-sh/uv:(?:\d[\w.]*-)?python(?P<major>\d+)\.(?P<minor>\d+)-(?P<variant>.+)$"
)
_RAY_PY = re.compile(r"-py(?P<major>\d)(?P<minor>\d+)(?:-|$)")
# Public images that ship no Python at all.
_NO_PYTHON = re.compile(
    r"^(?:ubuntu|debian|alpine|busybox|scratch|nvidia/cuda)(?::|$)"
    r"|^ghcr\.io/astral-sh/uv:(?:\d[\w.]*-)?(?:debian|debian-slim|bookworm|bookworm-slim|trixie"
    r"|trixie-slim|alpine[\d.]*)$"
)
_DOWNLOADS_OFF = {"never", "manual"}
# A RUN that installs a distribution Python (apt/apk/dnf/yum/conda): the builder then may use it.
_INSTALLS_PYTHON = re.compile(r"\b(?:apt-get|apt|apk|dnf|yum|microdnf|conda|mamba)\b[^\n]*\bpython")
_MANAGED_DIR = ".local/share/uv/python"

DOC = """\
## What it does
Flags a `COPY --from=<builder>` that copies the builder's virtual environment (a `.venv`, the
builder's `UV_PROJECT_ENVIRONMENT`, or a directory holding either, such as `/app`) into a final
stage where the environment's interpreter does not exist:

- the builder's Python is a system Python whose path uvray knows (`python:3.X*` images and uv's
  `ghcr.io/astral-sh/uv:python3.X-*` images: `/usr/local/bin/python3.X`; `rayproject/ray:*-pyXY*`:
  `/home/ray/anaconda3/bin/python3.X`), and the final stage's base image (its `FROM`, followed
  through stage aliases to the root image) has another Python minor, another location, another C
  library (Alpine's musl vs glibc), or no Python at all (`ubuntu`, `debian`, `alpine`,
  `nvidia/cuda`, uv's distro-only images);
- or the builder used a uv-managed Python (`uv python install`, `UV_PYTHON_PREFERENCE=only-managed`,
  `--managed-python`, or a base without Python and `UV_PYTHON_DOWNLOADS` not disabled, so uv
  downloaded one) and the final stage does not copy the managed install directory
  (`UV_PYTHON_INSTALL_DIR`, default `~/.local/share/uv/python`, `/root/...` for root).

It is deliberately conservative: `python:3.12-slim` and `python:3.12-slim-bookworm` (same
interpreter path, same minor) are a match; an unknown or in-house image, an unresolved
`ARG`-based `FROM`, an unpinned minor (`python:3`), or a builder that installs its Python with a
package manager is left alone.

## Why is this bad?
A virtual environment is not relocatable: `bin/python` is a symlink to the interpreter it was
created with, and `pyvenv.cfg` names its `home`. uv-docker-example's `multistage.Dockerfile`:
"It is important to use the image that matches the builder, as the path to the Python executable
must be the same, e.g., using `python:3.11-bookworm-slim` will fail." Its builder also sets
`UV_PYTHON_DOWNLOADS=0` because "If using a managed Python version, it needs to be copied from the
build image into the final image".

What happens then (checked with bash 5 and uv 0.13.9, a venv whose interpreter was moved away):
`.venv/bin/python` fails with `No such file or directory` (exit 127), a console script with
`cannot execute: required file not found`, and `uv run`/`uv sync` print
``warning: Ignoring existing virtual environment linked to non-existent Python interpreter:
`.venv/bin/python` -> `…` `` and build a new environment from scratch (for Ray workers: at every
worker start, against the 60 s registration timeout). Across musl and glibc the link resolves but
compiled wheels fail to import.

## Example
```dockerfile
FROM python:3.12-slim AS builder
COPY --from=ghcr.io/astral-sh/uv:0.8.3 /uv /bin/uv
WORKDIR /app
COPY . .
RUN uv sync --frozen

FROM python:3.11-slim
COPY --from=builder /app/.venv /app/.venv
```
Use instead:
```dockerfile
FROM python:3.12-slim
COPY --from=builder /app/.venv /app/.venv
```

## How to fix
Build the final stage from the same image as the builder (or a common base stage). With a
uv-managed Python, copy its install directory too (set `UV_PYTHON_INSTALL_DIR=/opt/python` in the
builder and `COPY --from=builder /opt/python /opt/python`), or use the system Python with
`UV_PYTHON_DOWNLOADS=0`.

## Fix safety
No automatic fix: the right base image is the user's choice.

## References
- https://github.com/astral-sh/uv-docker-example/blob/main/multistage.Dockerfile
- https://github.com/astral-sh/uv-docker-example/blob/main/standalone.Dockerfile
- https://docs.astral.sh/uv/guides/integration/docker/#non-editable-installs
- https://github.com/astral-sh/uv/issues/13207
"""

META = RuleMeta(
    code="RUV405",
    name="venv-copied-across-mismatched-bases",
    severity=Severity.ERROR,
    summary="A virtual environment is copied into a stage where its Python does not exist",
    fix=None,
    doc=DOC,
)


class Interpreter(NamedTuple):
    """Where a base image's Python lives: kind ("official", "ray", "none"), minor, C library."""

    kind: str
    minor: str
    libc: str

    @property
    def path(self) -> str:
        if self.kind == "official":
            return f"/usr/local/bin/python{self.minor}"
        if self.kind == "ray":
            return f"/home/ray/anaconda3/bin/python{self.minor}"
        return "no Python"


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for image in facts.images:
        df = image.dockerfile
        final = image.stage
        own = {id(s) for s in final.ancestry()}
        for step in final.all_steps():
            ins = step.instruction
            builder = df.copy_source(step) if ins.keyword == "COPY" else None
            if builder is None or id(builder) in own:
                continue
            finding = _judge(facts, df, final, builder, step)
            if finding is not None:
                yield finding


def _judge(
    facts: Facts, df: Dockerfile, final: Stage, builder: Stage, step: Step
) -> Finding | None:
    b_root, f_root = builder.ancestry()[-1], final.ancestry()[-1]
    if not b_root.base_known or not f_root.base_known:
        return None  # an ARG-based FROM uvray cannot resolve
    managed = facts.memo(("RUV405-managed", id(builder)), lambda: _managed(facts, df, builder))
    if managed is None and _normal(b_root.base) == _normal(f_root.base):
        return None  # the usual multi-stage build: same base, its own Python
    venvs = facts.memo(("RUV405-venvs", id(builder)), lambda: _venvs(facts, df, builder))
    copied = _copied_venv(df, step, venvs)
    if copied is None:
        return None
    source, venv = copied
    where = Location(df.path, step.instruction.line)
    related = (
        (f"builder stage {builder.label}", Location(df.path, builder.from_instruction.line)),
        ("final stage", Location(df.path, final.from_instruction.line)),
    )
    copy = f"`COPY --from={builder.label} {source}` copies the virtual environment {venv}"
    if managed is not None:
        reason, install_dir = managed
        if _copies_dir(df, final, builder, install_dir):
            return None
        return Finding(
            code=META.code,
            message=(
                f"{copy}, whose Python is uv-managed ({reason}) and lives in {install_dir} of "
                "that stage, but the final stage does not copy that directory: the venv's "
                "bin/python links to an interpreter that does not exist there (`No such file or "
                "directory`; uv: `warning: Ignoring existing virtual environment linked to "
                "non-existent Python interpreter` and a rebuild from scratch). uv-docker-example: "
                '"If using a managed Python version, it needs to be copied from the build image '
                'into the final image".'
            ),
            location=where,
            severity=META.severity,
            fix=f"COPY --from={builder.label} {install_dir} {install_dir} too (set "
            "UV_PYTHON_INSTALL_DIR to a fixed path), or use the system Python with "
            "UV_PYTHON_DOWNLOADS=0",
            related=related,
        )
    if _normal(b_root.base) == _normal(f_root.base):
        return None
    built, runs = _interpreter(b_root.base), _interpreter(f_root.base)
    if built is None or built.kind == "none" or runs is None or built == runs:
        return None
    if runs.kind != "none" and built[:2] == runs[:2]:
        what = (
            f"built on {built.libc} ({b_root.base}) and run on {runs.libc} ({f_root.base}): the "
            "interpreter path matches, but its compiled wheels do not load there"
        )
    else:
        what = (
            f"whose bin/python links to {built.path} ({b_root.base}), into a final stage on "
            f"{f_root.base}, which has {runs.path}: `bin/python` fails with `No such file or "
            "directory` and uv prints `warning: Ignoring existing virtual environment linked to "
            "non-existent Python interpreter` and rebuilds it from scratch"
        )
    return Finding(
        code=META.code,
        message=(
            f"{copy}, {what}. uv-docker-example's multistage.Dockerfile: \"It is important to use "
            "the image that matches the builder, as the path to the Python executable must be "
            'the same".'
        ),
        location=where,
        severity=META.severity,
        fix=f"build the final stage FROM {b_root.base} (or a base stage both share)",
        related=related,
    )


def _normal(image: str) -> str:
    image = image.split("@", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/"):
        if image.startswith(prefix):
            image = image[len(prefix) :]
    return image[len("library/") :] if image.startswith("library/") else image


def _interpreter(base: str) -> Interpreter | None:
    image = _normal(base)
    for pattern in (_OFFICIAL, _UV_PYTHON):
        m = pattern.match(image)
        if m and not (m.group("variant") or "").endswith("dhi"):
            libc = "musl" if "alpine" in (m.group("variant") or "") else "glibc"
            return Interpreter("official", f"{m.group('major')}.{m.group('minor')}", libc)
    ray = RAY_IMAGE.search(image)
    if ray:
        py = _RAY_PY.search(ray.group("tag"))
        return (
            Interpreter("ray", f"{py.group('major')}.{py.group('minor')}", "glibc") if py else None
        )
    if _NO_PYTHON.match(image):
        return Interpreter("none", "", "")
    return None


def _venvs(facts: Facts, df: Dockerfile, builder: Stage) -> list[str]:
    """Absolute paths of the environments the builder's uv commands create or sync."""
    out: list[str] = []
    for step in builder.all_steps():
        if step.instruction.keyword != "RUN":
            continue
        for cmd in facts.run_commands(df, step)[0]:
            if not isinstance(cmd, UvCommand):
                continue
            path = _env_path(cmd, step)
            if path is not None and path not in out:
                out.append(path)
    return out


def _env_path(cmd: UvCommand, step: Step) -> str | None:
    workdir = step.workdir if step.workdir != "?" else "/"
    if cmd.sub == "venv":
        target = next((p for p in cmd.positionals if not p.startswith("-")), ".venv")
        return posixpath.normpath(posixpath.join(workdir, target))
    if cmd.sub not in ("sync", "run"):
        return None
    if cmd.sub == "run" and ("no-project" in cmd.options or "isolated" in cmd.options):
        return None
    if cmd.has("active"):
        return None
    value = cmd.assignments.get("UV_PROJECT_ENVIRONMENT")
    if "UV_PROJECT_ENVIRONMENT" not in cmd.assignments:
        var = step.shell_env().get("UV_PROJECT_ENVIRONMENT")
        value = var.value if var is not None else None
        if var is not None and value is None:
            return None  # unknown value
    project = cmd.value("project") or cmd.value("directory") or ""
    root = posixpath.join(workdir, project)
    if value:
        return posixpath.normpath(posixpath.join(root, value))
    if "UV_PROJECT_ENVIRONMENT" in cmd.assignments:
        return None  # set to something uvray cannot read
    return posixpath.normpath(posixpath.join(root, ".venv"))


def _copied_venv(df: Dockerfile, step: Step, venvs: list[str]) -> tuple[str, str] | None:
    """(source as written, venv path) when this COPY brings a builder environment along."""
    words = step.words(df.escape)
    for src, known in words[:-1]:
        if not known:
            continue
        path = posixpath.normpath("/" + src.lstrip("/"))
        for venv in venvs:
            if path == venv or venv.startswith(path.rstrip("/") + "/"):
                return src, venv
        if path.endswith("/.venv"):
            return src, path
    return None


_PYTHON_INSTALL = re.compile(r"python\s+install")


def _may_manage(text: str) -> bool:
    """Can this text ask uv for a managed Python on a base that has one? Every way
    _managed_reason fires there says `managed` (--managed-python, only-managed) or
    `python install`."""
    return "managed" in text or ("install" in text and _PYTHON_INSTALL.search(text) is not None)


def _managed(facts: Facts, df: Dockerfile, builder: Stage) -> tuple[str, str] | None:
    """(why, install dir) when the builder's environments use a uv-managed Python."""
    steps = builder.all_steps()
    user = None
    reason = None
    install_dir = None
    base = builder.ancestry()[-1]
    interpreter = _interpreter(base.base)
    if interpreter is not None and interpreter.kind != "none":
        # A base with Python: only an explicit request makes uv manage one. Most builders
        # have none, and the words are cheaper to look for than commands to parse.
        texts = [step.instruction.args for step in steps]
        texts += [h.body for step in steps for h in step.instruction.heredocs]
        if not any(_may_manage(t) for t in texts):
            return None
    for step in steps:
        ins = step.instruction
        if ins.keyword != "RUN":
            continue
        body = ins.args + "".join(h.body for h in ins.heredocs)
        if _INSTALLS_PYTHON.search(body):
            return None  # a distribution Python the venv may use instead
        for cmd in facts.run_commands(df, step)[0]:
            if not isinstance(cmd, UvCommand):
                continue
            env = step.shell_env()
            if reason is None:
                reason = _managed_reason(cmd, env, base.base, ins.line)
            if reason is not None and install_dir is None:
                var = cmd.assignments.get("UV_PYTHON_INSTALL_DIR")
                if var is None and "UV_PYTHON_INSTALL_DIR" in env:
                    var = env["UV_PYTHON_INSTALL_DIR"].value
                install_dir = var
                user = step.user
    if reason is None:
        return None
    if install_dir is None:
        home = "/root" if user in (None, "root", "0") else f"~{user}"
        install_dir = f"{home}/{_MANAGED_DIR}"
    return reason, install_dir


def _managed_reason(cmd: UvCommand, env, base: str, line: int) -> str | None:
    if cmd.sub == "python install":
        return f"`uv python install` on line {line}"
    if cmd.sub not in ("sync", "run", "venv"):
        return None
    if cmd.has("managed-python") or cmd.value("python-preference") == "only-managed":
        return f"`--managed-python` on line {line}"
    pref = env.get("UV_PYTHON_PREFERENCE")
    if pref is not None and pref.value == "only-managed":
        return f"UV_PYTHON_PREFERENCE=only-managed on line {pref.location.line}"
    interpreter = _interpreter(base)
    if interpreter is None or interpreter.kind != "none":
        return None
    downloads = cmd.assignments.get("UV_PYTHON_DOWNLOADS")
    if downloads is None and "UV_PYTHON_DOWNLOADS" in env:
        downloads = env["UV_PYTHON_DOWNLOADS"].value
    if downloads is not None and (falsy(downloads) or downloads.strip().lower() in _DOWNLOADS_OFF):
        return None
    return f"{base} has no Python and UV_PYTHON_DOWNLOADS does not forbid a download"


def _copies_dir(df: Dockerfile, final: Stage, builder: Stage, install_dir: str) -> bool:
    """Does the final stage copy the managed Python directory (or a directory holding it) from
    the builder? A `~user` home, unknown to uvray, matches any copy of a `.local/share/uv`."""
    for step in final.all_steps():
        ins = step.instruction
        if ins.keyword != "COPY" or df.copy_source(step) is not builder:
            continue
        for src, ok in step.words(df.escape)[:-1]:
            if not ok:
                return True  # unknown source: give it the benefit of the doubt
            path = posixpath.normpath("/" + src.lstrip("/"))
            if install_dir.startswith("~"):
                if ".local/share/uv" in path or path in ("/", "/home"):
                    return True
                continue
            if install_dir == path or install_dir.startswith(path.rstrip("/") + "/"):
                return True
    return False
