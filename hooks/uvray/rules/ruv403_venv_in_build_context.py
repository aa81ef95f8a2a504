from __future__ import annotations

import posixpath
from collections.abc import Iterator

from uvray.edits import Edit, append_line, newline_of
from uvray.facts import Facts
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Step
from uvray.rules import RuleMeta

DOC = """\
## What it does
Flags a `COPY . …` or `ADD . …` (the build context's root, or a directory of the context that
holds a `pyproject.toml`) when the build context has no `.dockerignore` (nor a per-Dockerfile
`<Dockerfile>.dockerignore`), or has one that does not exclude the project's `.venv`.

## Why is this bad?
The host's `.venv` is copied into the image. It is specific to the host's platform, and its
`bin/python` links to the host's interpreter, which does not exist in the image. Copied over the
image's environment it replaces working files with host ones; copied next to it, uv finds a
broken environment and rebuilds it, printing
`warning: Ignoring existing virtual environment linked to non-existent Python interpreter:
.venv/bin/python3 -> python` (astral-sh/uv#13207). It also makes the build context, and the
layer, as large as the host venv. uv's Docker guide: "It is best practice to add `.venv` to a
`.dockerignore` file in your repository to prevent it from being included in image builds. The
project virtual environment is dependent on your local platform and should be created from
scratch in the image."

## Example
```dockerfile
# no .dockerignore next to the build context
WORKDIR /app
COPY . .
RUN uv sync --locked
```
Use instead (`.dockerignore`):
```
.venv
```

## How to fix
Add `.venv` (or `**/.venv` for workspaces with several environments) to the `.dockerignore` at
the root of the build context, creating the file if needed. Or copy only what the build needs
(`COPY pyproject.toml uv.lock ./`, `COPY src ./src`).

## Fix safety
Safe: `--fix` appends the environment's path (`.venv`, or `app/.venv` for a project in a
subdirectory of the context) as the last line of the `.dockerignore` BuildKit uses for this
Dockerfile, creating the file when there is none. Last, so it also overrides an earlier
`!.venv`. It only keeps the host environment out of the build context; the image builds its own.

## References
- https://docs.astral.sh/uv/guides/integration/docker/
- https://github.com/astral-sh/uv/issues/13207
- https://docs.docker.com/build/concepts/context/#dockerignore-files
"""

META = RuleMeta(
    code="RUV403",
    name="venv-in-build-context",
    severity=Severity.WARNING,
    summary="COPY/ADD of the build context brings the host's .venv into the image",
    fix="safe",
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for df in repo.dockerfiles:
        copies = [
            step
            for stage in df.stages
            for step in stage.steps
            if step.instruction.keyword in ("COPY", "ADD") and step.instruction.flag("from") is None
        ]
        if not copies:
            continue
        context = facts.context_dir(df)
        ignore, ignore_path = facts.docker_ignore(df)
        for step in copies:
            finding = _check_copy(repo, facts, df, step, context, ignore, ignore_path)
            if finding is not None:
                yield finding


def _check_copy(repo, facts, df, step: Step, context, ignore, ignore_path) -> Finding | None:
    ins = step.instruction
    if ins.flag("from") is not None:
        return None  # another stage or image, not the build context
    if ins.heredocs and ins.args.lstrip().startswith("<<"):
        return None
    words = step.words(df.escape)
    if len(words) < 2:
        return None
    for src, known in words[:-1]:
        if not known or "://" in src or src.startswith("git@"):
            continue
        # Many Dockerfiles share a context and copy the same source: judge each pair once.
        venvs = facts.memo(
            ("RUV403", context, src), lambda src=src: _venvs_copied(repo, context, src)
        )
        if not venvs:
            continue
        kept = [v for v in venvs if ignore is None or not ignore.ignores(v, is_dir=True)]
        if not kept:
            continue
        venv = kept[0]
        if ignore is None:
            why = f"the build context has no .dockerignore ({ignore_path} is missing)"
        else:
            why = f"{ignore.path} does not exclude {venv}"
        return Finding(
            code=META.code,
            message=(
                f"`{ins.keyword} {src}` copies the build context, and {why}: the host's "
                f"{venv} (platform-specific, its bin/python linked to the host interpreter) "
                "lands in the image and overwrites or confuses the image's environment "
                "(`warning: Ignoring existing virtual environment linked to non-existent "
                "Python interpreter`)."
            ),
            location=Location(df.path, ins.line),
            severity=META.severity,
            fix=f"add `{venv}` to {ignore_path}",
            edits=_ignore_venvs(repo, ignore_path, kept),
        )
    return None


def _venvs_copied(repo: Repo, context: str, src: str) -> list[str]:
    """Paths, relative to the context, of project `.venv`s that copying `src` would bring in."""
    if any(c in src for c in "*?["):
        return []
    rel = posixpath.normpath(src.lstrip("/")) if src.strip("/") else "."
    if rel == "." or rel == "":
        rel = ""
    elif rel.startswith(".."):
        return []
    copied = posixpath.join(context, rel) if context else rel
    copied = copied.rstrip("/")
    if rel and not repo.isdir(copied):
        return []
    venvs: list[str] = []
    for project_dir in sorted(repo.pyprojects):
        directory = _env_dir(repo, project_dir)
        if directory == copied or not copied or directory.startswith(copied + "/"):
            inside = posixpath.relpath(directory or ".", context) if context else directory
            inside = "" if inside == "." else inside
            if inside.startswith(".."):
                continue
            venv = posixpath.join(inside, ".venv") if inside else ".venv"
            if venv not in venvs:
                venvs.append(venv)
    return venvs


def _env_dir(repo: Repo, project_dir: str) -> str:
    """Where a project's `.venv` lives: a workspace member uses its workspace root's."""
    lock = repo.lock_for(project_dir)
    if lock is not None:
        return lock.dir
    directory = project_dir
    while directory:
        directory = posixpath.dirname(directory)
        parent = repo.pyprojects.get(directory)
        if parent is not None and parent.has_workspace:
            return directory
    return project_dir


def _ignore_venvs(repo: Repo, ignore_path: str, venvs: list[str]) -> tuple[Edit, ...]:
    """Append the venvs to the ignore file (created when missing). Appended last, they also
    override an earlier `!.venv`."""
    text = repo.texts.get(ignore_path)
    if text is None and repo.exists(ignore_path):
        return ()  # there, but not read (excluded, unreadable): edit nothing blind
    nl = newline_of(text or "")
    return (append_line(ignore_path, text, nl.join(venvs)),)
