"""Who runs what in an image: the user of each Dockerfile step and of the finished image.

Shared by the rules about ownership and home directories (RUV407, RUV408). rayproject/ray images
run as `ray` (uid 1000, HOME=/home/ray) from their base image on, with no USER line of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from uvray.facts import RAY_IMAGE
from uvray.findings import Location
from uvray.readers.dockerfile import Dockerfile, Stage, Step


def ray_base(stage: Stage) -> bool:
    """Built on a rayproject/ray image: its Dockerfile ends as `USER $RAY_UID` (1000, `ray`)
    with `ENV HOME=/home/ray` (ray-project/ray docker/base-deps/Dockerfile)."""
    root = stage.ancestry()[-1]
    return root.base_known and RAY_IMAGE.search(root.base) is not None


def effective_user(user: str | None, on_ray_base: bool) -> str:
    """The user a step or container runs as: the USER in force, else the base image's."""
    if user is None:
        return "ray" if on_ray_base else "root"
    return user


def is_root(user: str) -> bool:
    return user.split(":", 1)[0] in ("root", "0")


@dataclass
class RuntimeUser:
    name: str  # as written in USER (`app`, `1000:100`), or `ray` for the base image's
    location: Location
    origin: str  # "USER on line 9", "the base image rayproject/ray:2.47.1 (uid 1000)"


def runtime_user(df: Dockerfile, stage: Stage) -> RuntimeUser | None:
    """The non-root user the image's containers run as; None for root or an unknown USER."""
    on_ray = ray_base(stage)
    user = effective_user(stage.user, on_ray)
    if is_root(user) or "$" in user or user == "?":
        return None
    last = next((s for s in reversed(stage.all_steps()) if s.instruction.keyword == "USER"), None)
    if last is not None and stage.user is not None:
        ins = last.instruction
        return RuntimeUser(user, Location(df.path, ins.line), f"USER on line {ins.line}")
    root = stage.ancestry()[-1]
    ins = root.from_instruction
    return RuntimeUser(
        user,
        Location(df.path, ins.line),
        f"the base image {root.base}, which runs as uid 1000 `ray`",
    )


def step_user(step: Step, on_ray_base: bool) -> str:
    return effective_user(step.user, on_ray_base)
