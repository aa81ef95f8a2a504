from __future__ import annotations

import re
from collections.abc import Iterator

from uvray.commands import version_from_tag
from uvray.facts import RAY_IMAGE, Facts, ImageFacts, WorkerContext, parse_version
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta

DOC = """\
## What it does
Compares the Ray version locked in `uv.lock` (`[[package]] name = "ray"`: what the driver and,
with Ray's uv integration, every worker run) with the Ray the cluster was started with: the
`FROM rayproject/ray:<version>` tag of the image built from that project (or a later
`pip install ray==<version>` into the image's system Python), and a KubeRay `rayVersion`. It
fires when they differ and something runs the locked Ray against the cluster: the integration is
active, or the driver runs under `uv run`. An image that puts a project venv first on `PATH`
starts the cluster with the locked Ray itself; its base tag is then not compared.

## Why is this bad?
Every Ray process checks, when it connects, that it runs the same Ray as the cluster. In the
Ray 2.60.0 wheel, `ray/_private/utils.py::check_version_info` reads:
```python
cluster_version_info = (
    cluster_metadata["ray_version"],
    cluster_metadata["python_version"],
)
my_version_info = compute_version_info()
ray_matches = cluster_version_info[0] == my_version_info[0]
...
if ray_matches and python_matches:
    ...
else:
    error_message = f"Version mismatch: {mismatch_msg}"
    if raise_on_mismatch:
        raise RuntimeError(error_message)
```
`compute_version_info()` returns `ray.__version__`: an exact string comparison, no
compatibility range. The driver (and the workers the integration starts from `uv.lock`) fail with
```
Version mismatch: The cluster was started with:
    Ray: 2.47.1
    Python: 3.11.11
This process on <addr> was started with:
    Ray: 2.46.0
    Python: 3.11.11
```
pcmoritz on ray-project/ray#56583 gives this as the cause of a uv-run job failing.

## Example
```dockerfile
FROM rayproject/ray:2.47.1-py311
```
with `uv.lock`:
```toml
[[package]]
name = "ray"
version = "2.46.0"
```
Use instead: pin the project to the cluster's Ray (`ray[default]==2.47.1`) and re-lock, so that
`uv.lock` says `version = "2.47.1"`.

## How to fix
Pin `ray==<cluster version>` in `[project].dependencies` and run `uv lock`, or move the cluster
(base image tag, `rayVersion`) to the locked version. Keep both in one place (a build arg used by
the `FROM` line and the pin) so they cannot drift.

## Fix safety
No automatic fix: which side to move is the user's decision.

## References
- https://github.com/ray-project/ray/issues/56583
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://docs.ray.io/en/latest/cluster/kubernetes/user-guides/config.html
"""

META = RuleMeta(
    code="RUV208",
    name="ray-version-mismatch",
    severity=Severity.ERROR,
    summary="The Ray version in uv.lock differs from the cluster's Ray",
    fix=None,
    doc=DOC,
)

_PIP_INSTALL = re.compile(
    r"(?<![\w.-])(?P<uv>uv\s+)?(?:pip3?(?:\.\d+)?|python3?(?:\.\d+)?\s+-m\s+pip)\s+install\b"
    r"(?P<args>[^;&|\n]*)"
)
_RAY_PIN = re.compile(r"""(?<![\w.-])["']?ray(?:\[[^\]]*\])?\s*==\s*v?(?P<v>\d[\w.]*)""")


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    # lock line -> (lock location, locked versions, [(what, version, location)])
    found: dict[tuple[str, int], tuple[Location, list[str], list[tuple[str, str, Location]]]] = {}
    for ctx in facts.contexts:
        if ctx.lock is None or not _runs_locked_ray(ctx):
            continue
        locked = ctx.lock.versions_of("ray")
        if not locked:
            continue
        package = ctx.lock.package("ray")
        line = package.line if package is not None and package.line else 1
        location = Location(ctx.lock.path, line)
        for what, version, where in _cluster_versions(facts, ctx):
            if any(_same(version, v) for v in locked):
                continue
            entry = found.setdefault((location.path, location.line), (location, locked, []))
            if not any(w == where for _, _, w in entry[2]):
                entry[2].append((what, version, where))
    for location, locked, clusters in found.values():
        shown = " / ".join(locked)
        parts = "; ".join(f"{what} says Ray {version}" for what, version, _ in clusters)
        first = clusters[0][1]
        yield Finding(
            code=META.code,
            message=(
                f"uv.lock pins Ray {shown}, but the cluster runs another Ray ({parts}). Ray "
                "requires the exact same version in every process: the driver and the workers "
                "started from uv.lock fail with `Version mismatch: The cluster was started with:"
                f"\\n    Ray: {first}` … `Ray: {locked[0]}`."
            ),
            location=location,
            severity=META.severity,
            fix=f"pin ray=={first} in pyproject.toml and run `uv lock`, or move the cluster to "
            f"Ray {locked[0]}",
            related=tuple((what, where) for what, _, where in clusters),
        )


def _runs_locked_ray(ctx: WorkerContext) -> bool:
    return ctx.integration.active or (ctx.driver is not None and ctx.driver.uv_run is not None)


def _same(a: str, b: str) -> bool:
    a, b = a.strip().lstrip("vV"), b.strip().lstrip("vV")
    if a == b:
        return True
    if re.fullmatch(r"\d+(\.\d+)*", a) and re.fullmatch(r"\d+(\.\d+)*", b):
        va, vb = parse_version(a) or (), parse_version(b) or ()
        width = max(len(va), len(vb))
        return va + (0,) * (width - len(va)) == vb + (0,) * (width - len(vb))
    return False


def _cluster_versions(facts: Facts, ctx: WorkerContext) -> list[tuple[str, str, Location]]:
    out: list[tuple[str, str, Location]] = []
    if ctx.image is not None:
        image = _image_ray(ctx.image)
        if image is not None:
            out.append(image)
        paths = {ctx.driver.location.path} if ctx.driver is not None else set()
        resources = [r for r in facts.repo.kuberay if r.path in paths]
    else:
        resources = [
            r
            for r in facts.repo.kuberay
            if r.path == ctx.path and ctx.label == f"{r.kind} {r.name}"
        ]
    for res in resources:
        if res.ray_version and parse_version(res.ray_version) is not None:
            where = res.ray_version_location or res.location
            out.append((f"{res.kind} {res.name} rayVersion", res.ray_version, where))
    return out


def _image_ray(image: ImageFacts) -> tuple[str, str, Location] | None:
    """The Ray the image starts the cluster with: the last system `pip install ray==`, else the
    rayproject base tag (unless a venv leads PATH: then `ray start` is the venv's Ray)."""
    df = image.dockerfile
    pinned = None
    for step in image.stage.all_steps():
        ins = step.instruction
        if ins.keyword != "RUN":
            continue
        text = ins.args + "\n" + "\n".join(h.body for h in ins.heredocs)
        for m in _PIP_INSTALL.finditer(text):
            args = m.group("args")
            if m.group("uv") and "--system" not in args.split():
                continue  # `uv pip install` into a venv, not the system Ray
            pin = _RAY_PIN.search(args)
            if pin:
                pinned = (
                    f"`pip install` in {df.path}",
                    pin.group("v"),
                    Location(df.path, ins.line),
                )
    if pinned is not None:
        return pinned
    if _venv_leads_path(image):
        return None
    root = image.stage.ancestry()[-1]
    m = RAY_IMAGE.search(root.base) if root.base_known else None
    version = version_from_tag(m.group("tag")) if m else None
    if m is None or version is None or parse_version(version) is None:
        return None
    ins = root.from_instruction
    return (f"base image {root.base}", version, Location(df.path, ins.line))


def _venv_leads_path(image: ImageFacts) -> bool:
    path = image.stage.env.get("PATH")
    text = None if path is None else (path.value or path.raw)
    if not text:
        return False
    first = text.split(":")[0].rstrip("/")
    return first.endswith("/bin") and ("venv" in first or first.endswith("/.venv/bin"))
