from __future__ import annotations

import re
from collections.abc import Iterator

from uvray.commands import UvCommand, recognise_words
from uvray.edits import Edit, indent_of, insert_after_line, keyword_like, newline_of
from uvray.facts import Facts, ImageFacts, WorkerContext, image_command
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.readers.dockerfile import Dockerfile, Stage, Var, _raw_words
from uvray.rules import RuleMeta

# Settings that decide which environment and Python `uv run` uses, whether it syncs, and whether
# Ray starts workers with it.
_EXACT_NAMES = {"UV_PROJECT_ENVIRONMENT", "UV_NO_SYNC"}
_PREFIXES = ("UV_PYTHON", "RAY_")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")

DOC = """\
## What it does
Flags `UV_PROJECT_ENVIRONMENT`, `UV_PYTHON*` (`UV_PYTHON`, `UV_PYTHON_INSTALL_DIR`,
`UV_PYTHON_DOWNLOADS`, `UV_PYTHON_PREFERENCE`, …), `UV_NO_SYNC` or `RAY_*` set with `ENV` in a
builder stage whose files the final stage copies (`COPY --from=<stage>`), but not in the final
stage nor in any stage it is built `FROM`, when the final image runs `uv run`: in its
`CMD`/`ENTRYPOINT`, or because Ray starts its workers with `uv run` (Ray's uv integration is
active for the image).

A final stage built `FROM builder` inherits the builder's `ENV` and is not flagged; a final
stage that sets the variable itself (to any value) is not flagged either. A final stage that only
copies the environment and runs `python` or a console script (no `uv run`, no Ray integration)
is fine: the settings were only needed at build time (domain trap 1).

## Why is this bad?
`ENV` does not cross stages: Docker's reference says "A stage inherits any environment variables
that were set using ENV by its parent stage or any ancestor" — a stage it copies files from is
neither. The final stage's `uv run` then runs with uv's defaults: without
`UV_PROJECT_ENVIRONMENT` it ignores the environment copied to `/opt/venv` and creates a new
`.venv`, syncing every dependency again (and, without `UV_PYTHON_DOWNLOADS=0` /
`UV_PYTHON`, possibly downloading a Python); without `UV_NO_SYNC` it syncs at every start; without
`RAY_ENABLE_UV_RUN_RUNTIME_ENV=0` Ray's uv integration is on again. IsaacLab PR #7628 (NVIDIA)
describes exactly this: the runtime stage's `uv run` "built a second one from scratch … a silent
188-package reinstall (plus a downloaded CPython)".

## Example
```dockerfile
FROM python:3.12-slim AS builder
COPY --from=ghcr.io/astral-sh/uv:0.8.3 /uv /bin/uv
ENV UV_PROJECT_ENVIRONMENT=/opt/venv
RUN --mount=type=bind,target=/app uv sync --frozen --project /app

FROM python:3.12-slim
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /bin/uv /bin/uv
CMD ["uv", "run", "--frozen", "python", "main.py"]
```
Use instead:
```dockerfile
FROM python:3.12-slim
ENV UV_PROJECT_ENVIRONMENT=/opt/venv
COPY --from=builder /opt/venv /opt/venv
```

## How to fix
Repeat the `ENV` lines in the final stage, or put them in a common base stage that both the
builder and the final stage are built `FROM`.

## Fix safety
Guarded: the fix inserts, right after the final stage's `FROM` line, one `ENV` line per missing
variable with the builder's text copied verbatim (the file's line endings and keyword case are
kept). It needs a look because the final stage's paths may differ from the builder's (another
base image, another user's home). A value that refers to a builder-only `ARG` or `ENV` is not
copied (it would expand to something else in the final stage): those are left to the user.

## References
- https://docs.docker.com/reference/dockerfile/#env
- https://docs.astral.sh/uv/guides/integration/docker/#using-uv-in-docker
- https://github.com/isaac-sim/IsaacLab/pull/7628
"""

META = RuleMeta(
    code="RUV404",
    name="env-set-only-in-builder-stage",
    severity=Severity.WARNING,
    summary="A uv/Ray setting is set only in a builder stage, but the final stage runs `uv run`",
    fix="guarded",
    doc=DOC,
)


def _watched(name: str) -> bool:
    return name in _EXACT_NAMES or name.startswith(_PREFIXES)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for image in facts.images:
        missing = _builder_only(image)
        if not missing:
            continue
        runs = facts.memo(("RUV404-runs", id(image)), lambda image=image: _runs_uv(facts, image))
        if runs is None:
            continue
        yield _finding(repo, image, missing, runs)


def _builder_only(image: ImageFacts) -> list[tuple[Stage, Var]]:
    """(builder stage, variable) for every watched ENV a stage the final stage copies from has
    and the final stage does not (not set by it, nor inherited from a stage it is built FROM)."""
    df = image.dockerfile
    final = image.stage
    own = {id(s) for s in final.ancestry()}
    found: dict[tuple[str, int, str], tuple[Stage, Var]] = {}
    for step in final.all_steps():
        ins = step.instruction
        if ins.keyword not in ("COPY", "ADD"):
            continue
        builder = df.copy_source(step)
        if builder is None or id(builder) in own:
            continue
        for var in builder.env.values():
            if var.kind != "ENV" or not _watched(var.name) or var.name in final.env:
                continue
            key = (var.location.path, var.location.line, var.name)
            found.setdefault(key, (builder, var))
    # By line, and within a line in the order the ENV writes them (dict order).
    return sorted(found.values(), key=lambda bv: bv[1].location.line)


def _runs_uv(facts: Facts, image: ImageFacts) -> tuple[str, Location | None] | None:
    """Why the final image runs `uv run`, and where: its own start command, or Ray's workers."""
    argv, ins = image_command(image.stage)
    if argv is not None and ins is not None:
        loc = Location(image.dockerfile.path, ins.line)
        found = recognise_words(argv, {}, loc, lambda _name: None)
        if any(isinstance(c, UvCommand) and c.sub == "run" for c in found):
            return f"its {ins.keyword} runs `uv run`", loc
    ctx = _active_contexts(facts).get(id(image))
    if ctx is not None:
        return (
            f"Ray starts its workers with `uv run` ({ctx.integration.reason})",
            ctx.integration.location,
        )
    return None


def _active_contexts(facts: Facts) -> dict[int, WorkerContext]:
    """The first context with Ray's uv integration active, per image: one pass over the
    contexts, not one per image (a monorepo has hundreds of both)."""

    def build() -> dict[int, WorkerContext]:
        found: dict[int, WorkerContext] = {}
        for ctx in facts.contexts:
            if ctx.image is not None and ctx.integration.active:
                found.setdefault(id(ctx.image), ctx)
        return found

    return facts.memo(("RUV404-active-contexts",), build)


def _finding(
    repo: Repo,
    image: ImageFacts,
    missing: list[tuple[Stage, Var]],
    runs: tuple[str, Location | None],
) -> Finding:
    df = image.dockerfile
    final = image.stage
    why, where_run = runs
    named = ", ".join(
        f"{var.name}={var.raw if var.value is None else var.value} (stage {var.stage}, "
        f"line {var.location.line})"
        for builder, var in missing
    )
    first = missing[0][1]
    plural = len(missing) > 1
    message = (
        f"{named} {'are' if plural else 'is'} set only in a builder stage the final stage copies "
        f"from; ENV does not cross stages, so the final stage ({final.label}, FROM {final.base}) "
        f"runs without {'them' if plural else 'it'} while {why}: "
        + "; ".join(dict.fromkeys(_consequence(var.name) for _, var in missing))
        + ' (IsaacLab PR #7628: "a silent 188-package reinstall (plus a downloaded CPython)").'
    )
    from_loc = Location(df.path, final.from_instruction.line)
    related: list[tuple[str, Location]] = [("final stage", from_loc)]
    if where_run is not None:
        related.append(("uv run", where_run))
    related.extend((f"{var.name} set here", var.location) for _, var in missing[1:])
    edits = _copy_edits(repo, df, final, missing)
    return Finding(
        code=META.code,
        message=message,
        location=first.location,
        severity=META.severity,
        fix=f"repeat the ENV line{'s' if plural else ''} in the final stage "
        f"(after line {final.from_instruction.end_line}) or set {'them' if plural else 'it'} in a "
        "base stage both are built FROM",
        related=tuple(related),
        edits=edits,
    )


def _consequence(name: str) -> str:
    if name == "UV_PROJECT_ENVIRONMENT":
        return "uv ignores the copied environment, creates a new .venv and syncs it from scratch"
    if name == "UV_NO_SYNC":
        return "uv syncs the environment at every start"
    if name.startswith("UV_PYTHON"):
        return "uv may pick, or download, another Python"
    return "Ray runs with its defaults there (e.g. its uv integration back on)"


def _copy_edits(
    repo: Repo, df: Dockerfile, final: Stage, missing: list[tuple[Stage, Var]]
) -> tuple[Edit, ...]:
    """One insertion after the final FROM holding an `ENV` line per copyable variable."""
    text = repo.texts.get(df.path)
    if text is None:
        return ()
    # What `$NAME` means right after the final FROM: only ENV inherited from a parent stage.
    inherited = final.parent.env if final.parent is not None else {}
    lines = []
    for builder, var in missing:
        written = _written(df, builder, var)
        if written is None or not _portable(written, df, builder, var, inherited):
            continue
        lines.append(written)
    if not lines:
        return ()
    line = final.from_instruction.end_line
    env = keyword_like(text, line, "ENV")
    # One edit for all lines: two insertions at one offset would be fixed a round apart.
    content = (newline_of(text) + indent_of(text, line)).join(f"{env} {w}" for w in lines)
    return (insert_after_line(df.path, text, line, content),)


def _written(df: Dockerfile, builder: Stage, var: Var) -> str | None:
    """`KEY=value` exactly as the builder's ENV instruction writes it (legacy `ENV KEY value`
    as a whole); None when it cannot be found."""
    for stage in builder.ancestry():
        for step in stage.steps:
            ins = step.instruction
            if ins.keyword != "ENV" or not ins.line <= var.location.line <= ins.end_line:
                continue
            args = ins.args.strip()
            if not re.match(r"^[^\s=]+=", args):
                return args if args.split(None, 1)[0] == var.name else None
            for word, _offset in _raw_words(args, df.escape):
                if word.startswith(var.name + "="):
                    return word
    return None


def _portable(written: str, df: Dockerfile, builder: Stage, var: Var, inherited) -> bool:
    """False when the value refers to an ARG or ENV the final stage does not have at its FROM:
    copied verbatim it would expand to something else there."""
    names = _REFERENCE.findall(written.partition("=")[2] if "=" in written else written)
    if not names:
        return True
    step = next(
        (
            s
            for s in builder.all_steps()
            if s.instruction.line <= var.location.line <= s.instruction.end_line
        ),
        None,
    )
    scope_args = step.args if step is not None else {}
    for name in names:
        if name in inherited:
            continue
        if name in scope_args or name in df.global_args or name in builder.env:
            return False
    return True
