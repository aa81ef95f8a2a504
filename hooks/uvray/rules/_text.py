"""Message pieces several rules share, so the same fact is said the same way everywhere."""

from __future__ import annotations

from uvray.facts import Version, WorkerContext, uv_without_env_lock

ISSUE_51881 = "ray-project/ray#51881"
RACE_ERRORS = (
    "`failed to remove directory …dist-info: Directory not empty (os error 39)`, then "
    "`Some workers of the worker process(…) have not registered within the timeout`"
)


def uv_phrase(uv: Version) -> str:
    if uv.known:
        return f"uv {uv.value} ({uv.source})"
    return f"uv of unknown version ({uv.source})"


def race_clause(ctx: WorkerContext) -> str:
    old = uv_without_env_lock(ctx.uv)
    if old is True:
        return (
            f"With {uv_phrase(ctx.uv)}, which has no environment lock in `uv run` before 0.7.14, "
            f"workers that start together reinstall at the same moment: {RACE_ERRORS} "
            f"({ISSUE_51881})."
        )
    reinstall = (
        "every job reinstalls the project into the image env from Ray's session directory, "
        "leaves the env pointing at a directory Ray deletes, and needs the network (build "
        "backend) when workers start"
    )
    if old is False:
        return f"{uv_phrase(ctx.uv)} serialises the reinstall, but {reinstall}."
    return (
        f"With {uv_phrase(ctx.uv)}: before 0.7.14 workers race ({RACE_ERRORS}, {ISSUE_51881}); "
        f"with newer uv {reinstall}."
    )


def integration_note(ctx: WorkerContext) -> str:
    return f"Ray starts workers with `uv run` because {ctx.integration.reason}."


def where(location, relative_to) -> str:
    """`line 12` in the same file, `Dockerfile:12` elsewhere."""
    if location.path == relative_to.path:
        return f"line {location.line}"
    return f"{location.path}:{location.line}"
