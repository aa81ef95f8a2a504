from __future__ import annotations

import re
from collections.abc import Iterator

from uvray.facts import RAY_IMAGE, Facts, ImageFacts, version_lt
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta

# rayproject/ray images ship uv in /usr/local/bin from this release on (PR #51675).
_RAY_SHIPS_UV = (2, 45)
# Public base images known to come without uv. An unknown or in-house base may well have it.
_PLAIN_BASES = re.compile(
    r"^(?:docker\.io/)?(?:library/)?"
    r"(?:python|ubuntu|debian|alpine|buildpack-deps|nvidia/cuda|pytorch/pytorch"
    r"|continuumio/miniconda3|mambaorg/micromamba)(?::|@|$)"
)
_ROOT_USERS = {None, "root", "0"}
# The installer puts uv in $HOME/.local/bin unless one of these says where.
_INSTALL_DIR_VARS = ("UV_INSTALL_DIR", "UV_UNMANAGED_INSTALL", "XDG_BIN_HOME", "CARGO_HOME")
_COPIES_UV = re.compile(r"(^|\s|/)uvx?(\s|$)")

DOC = """\
## What it does
Flags an image whose Ray workers start with `uv run` (Ray's uv integration is active: a driver
under `uv run` with Ray >= 2.47, `RAY_RUNTIME_ENV_HOOK` naming Ray's uv hook, or a runtime_env
`py_executable: uv run …`) while the final image has no `uv` on the raylet's `PATH`:

- the final stage's ancestry brings no uv (no `COPY --from=ghcr.io/astral-sh/uv…`, no
  `COPY --from=<stage> … /uv …`, no `pip install uv`, no installer, no uv base image) and the
  base is a `rayproject/ray` image older than 2.45 or a public image without uv (`python`,
  `ubuntu`, `debian`, `nvidia/cuda`, …), e.g. `rayproject/ray:2.44.0` as is, or `python:3.11-slim`
  with uv only in a builder stage whose `.venv` is copied over;
- or uv comes only from the standalone installer run as root (it installs to
  `/root/.local/bin`) while the final `USER` is not root.

The finding is at the final stage's `FROM` line. An unknown base image (an `ARG`, an in-house
image) is given the benefit of the doubt, and so is a final stage that runs `uv` itself while
building.

## Why is this bad?
Ray starts every worker through bash: `RuntimeEnvContext.exec_worker`
(`ray/_private/runtime_env/context.py`, unchanged 2.44 → 2.60) runs
`bash -c "cd <working_dir> && exec uv run … default_worker.py …"`. Without `uv` on the `PATH`
bash prints `bash: line 1: exec: uv: not found` and exits with 127 (checked with bash 5.2:
`bash -c 'exec uvxyz run x'; echo $?` prints `bash: line 1: exec: uvxyz: not found` and `127`),
so no worker ever registers and tasks hang until the raylet gives up on them. Ray's own images
only carry uv from 2.45 on (PR #51675); issue #50961 is this failure on a 2.43 image.

The installer's default target is `$HOME/.local/bin`: run as root, that is `/root/.local/bin`,
which is neither on another user's `PATH` nor readable by it (`/root` is mode 700).

## Example
```dockerfile
FROM ghcr.io/astral-sh/uv:0.7.19 AS uv
FROM python:3.11-slim AS builder
COPY --from=uv /uv /bin/uv
RUN uv sync --frozen
FROM python:3.11-slim
COPY --from=builder /app/.venv /app/.venv
```
Use instead:
```dockerfile
FROM python:3.11-slim
COPY --from=ghcr.io/astral-sh/uv:0.7.19 /uv /uvx /bin/
COPY --from=builder /app/.venv /app/.venv
```

## How to fix
Bring uv into the final image, on a `PATH` directory every user can read:
`COPY --from=ghcr.io/astral-sh/uv:<version> /uv /uvx /bin/`, or run the installer with
`UV_INSTALL_DIR=/usr/local/bin`, or use `rayproject/ray` 2.45 or later. If the workers should
not use uv at all, disable the integration (`RAY_ENABLE_UV_RUN_RUNTIME_ENV=0`, no uv hook).

## Fix safety
No automatic fix: which uv version to add, and where, is the user's decision.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://github.com/ray-project/ray/issues/50961
- https://github.com/ray-project/ray/pull/51675
- https://docs.astral.sh/uv/guides/integration/docker/#installing-uv
- https://docs.astral.sh/uv/reference/installer/
"""

META = RuleMeta(
    code="RUV212",
    name="uv-not-on-raylet-path",
    severity=Severity.ERROR,
    summary="Ray starts workers with `uv run`, but the final image has no uv on the PATH",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for ctx in facts.contexts:
        image = ctx.image
        if image is None or not ctx.integration.active:
            continue
        root = image.stage.ancestry()[-1]
        location = _from_location(image)
        key = (location.path, location.line)
        if key in seen:
            continue
        problem = facts.memo(("ruv212", id(image)), lambda image=image: _missing_uv(facts, image))
        if problem is None:
            continue
        seen.add(key)
        related = []
        if ctx.integration.location is not None:
            related.append(("uv integration", ctx.integration.location))
        yield Finding(
            code=META.code,
            message=(
                f"{problem}, but Ray starts every worker with `exec uv run …` "
                f"({ctx.integration.reason}): workers die with `bash: line 1: exec: uv: not "
                f"found` (exit 127) and never register. Final image: FROM {root.base}."
            ),
            location=location,
            severity=META.severity,
            fix="COPY --from=ghcr.io/astral-sh/uv:<version> /uv /uvx /bin/ into the final stage "
            "(or use rayproject/ray >= 2.45)",
            related=tuple(related),
        )


def _from_location(image: ImageFacts) -> Location:
    ins = image.stage.from_instruction
    return Location(image.dockerfile.path, ins.line, 1)


def _missing_uv(facts: Facts, image: ImageFacts) -> str | None:
    """Why the final image has no uv on the PATH, or None when it has (or may have) one."""
    stage = image.stage
    root = stage.ancestry()[-1]
    if not root.base_known:
        return None
    steps = stage.all_steps()
    if _copies_uv_from_a_stage(image):
        return None
    pins = facts.uv_pins(image.dockerfile, stage)
    if not pins and not image.uv_pins:
        if image.build_commands:
            return None  # the build runs uv itself: it comes from somewhere uvray cannot see
        ray_tag = RAY_IMAGE.search(root.base)
        if ray_tag:
            from uvray.commands import version_from_tag

            version = version_from_tag(ray_tag.group("tag"))
            if version_lt(version, _RAY_SHIPS_UV) is True:
                return (
                    f"the final image has no uv: its base {root.base} predates Ray 2.45, the "
                    "first rayproject/ray image with uv (PR #51675), and no stage step adds it"
                )
            return None
        if _PLAIN_BASES.match(root.base):
            builders = _builder_stages_with_uv(facts, image)
            where = f" (only the stage {builders} has it)" if builders else ""
            return f"the final image has no uv{where}: its base {root.base} does not ship it"
        return None
    if any(p.kind != "installer" for p in image.uv_pins) or stage.user in _ROOT_USERS:
        return None
    for index, _pin in pins:
        if index < 0 or index >= len(steps):
            return None
        step = steps[index]
        text = step.instruction.args + "".join(h.body for h in step.instruction.heredocs)
        if step.user not in _ROOT_USERS or any(v in text for v in _INSTALL_DIR_VARS):
            return None
        if any(v in step.shell_env() for v in _INSTALL_DIR_VARS):
            return None
        for later in steps[index:]:
            body = later.instruction.args + "".join(h.body for h in later.instruction.heredocs)
            if later.instruction.keyword == "RUN" and ".local/bin/uv" in body:
                return None  # moved, copied or linked somewhere else
    return (
        "uv is installed only by the standalone installer run as root, into /root/.local/bin, "
        f"while the final USER is {stage.user!r}: that directory is not on its PATH nor readable"
    )


def _copies_uv_from_a_stage(image: ImageFacts) -> bool:
    """`COPY --from=<stage> /usr/local/bin/uv …` where that stage got uv some way uvray does not
    turn into a pin (pip, the installer): uv is there all the same."""
    df = image.dockerfile
    for step in image.stage.all_steps():
        ins = step.instruction
        if ins.keyword != "COPY" or not ins.flag("from"):
            continue
        source = df.stage(ins.flag("from"))
        if source is not None and _COPIES_UV.search(ins.args):
            return True
    return False


def _builder_stages_with_uv(facts: Facts, image: ImageFacts) -> str:
    own = {id(s) for s in image.stage.ancestry()}
    names = [
        s.label
        for s in image.dockerfile.stages
        if id(s) not in own and any(i >= 0 for i, _ in facts.uv_pins(image.dockerfile, s))
    ]
    return ", ".join(names)
