from __future__ import annotations

from collections.abc import Iterator

from uvray.commands import exact_version
from uvray.facts import Facts, _depends_on
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta

DOC = """\
## What it does
Flags where a Ray image or CI job gets an unpinned uv: `ghcr.io/astral-sh/uv:latest` (or no
tag), the installer without a version (`https://astral.sh/uv/install.sh`), `pip install uv`
without `==`, `astral-sh/setup-uv` without `version:` (and no `required-version`), or a
`rayproject/ray` ≥ 2.45 base image with no uv pin of its own (Ray's `base-deps` installs uv with
the unpinned installer, ray-project/ray PR #51675).

## Why is this bad?
How Ray's workers behave depends on the uv version: environment locking arrived in 0.7.12/0.7.14
(RUV102), `uv version` changed in 0.8.0 (the `uv` runtime_env field), env/flag conflicts changed in
0.9.23 (RUV301), and uv 0.12.0 changed how `uv run <script>` finds the project (RUV110). An
unpinned uv changes under you between two builds. uv's Docker guide: "it is best practice to pin
to a specific uv version".

## Example
```dockerfile
COPY --from=ghcr.io/astral-sh/uv:latest /uv /bin/uv
```
Use instead:
```dockerfile
COPY --from=ghcr.io/astral-sh/uv:0.8.0 /uv /bin/uv
```

## How to fix
Pin an exact uv version (0.7.14 or newer for Ray's uv integration).

## Fix safety
No automatic fix: uvray can't pick the version for you.

## References
- https://docs.astral.sh/uv/guides/integration/docker/#installing-uv
- https://github.com/ray-project/ray/pull/51675
"""

META = RuleMeta(
    code="RUV103",
    name="uv-unpinned",
    severity=Severity.WARNING,
    summary="a Ray image or CI job gets an unpinned uv",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen = set()
    for image in facts.images:
        if not image.is_ray_image or not image.uv_pins:
            continue
        pin = image.uv_pins[-1]
        if pin.pinned or not pin.known:
            continue
        key = (pin.location.path, pin.location.line)
        if key in seen:
            continue
        seen.add(key)
        if pin.kind == "base-image" and "rayproject" in pin.spec:
            what = f"the base image {pin.spec} installs uv with Ray's unpinned installer"
        elif pin.kind == "pip":
            what = f"`pip install uv{pin.spec}` does not pin an exact version"
        elif pin.kind == "installer":
            what = "the uv installer URL has no version"
        elif pin.spec and pin.spec[0].isdigit():
            what = f"the uv image tag {pin.spec} floats to the newest release of that line"
        else:
            what = f"uv comes from {pin.spec or 'an untagged image'} (not a version)"
        yield Finding(
            code=META.code,
            message=(
                f"{what}: the uv that Ray's workers run changes between builds, and the uv "
                "version decides whether workers race (0.7.14) and how `uv run` finds the project "
                "(0.12.0)."
            ),
            location=pin.location,
            severity=META.severity,
            fix="pin an exact uv version, e.g. COPY --from=ghcr.io/astral-sh/uv:0.8.0 /uv /bin/uv",
        )
    for wf in repo.workflows:
        project = repo.project_for(facts.home_of(wf.path))
        if project is None or not _depends_on(project, "ray") or project.required_version:
            continue
        for job in wf.jobs:
            for step in job.steps:
                if not step.uses or step.uses.split("@")[0].lower() != "astral-sh/setup-uv":
                    continue
                if "version-file" in step.with_:
                    continue
                version = step.with_.get("version")
                if version is not None and (version.value is None or exact_version(version.value)):
                    continue  # pinned, or an expression uvray can't resolve
                what = (
                    "astral-sh/setup-uv has no `version:`"
                    if version is None or not version.value
                    else f"astral-sh/setup-uv `version: {version.value}` is not one release"
                )
                yield Finding(
                    code=META.code,
                    message=(
                        f"{what} and the project sets no `[tool.uv] required-version`: this Ray "
                        "project's CI runs whatever uv is newest in that range."
                    ),
                    location=step.location,
                    severity=META.severity,
                    fix="set `version:` on astral-sh/setup-uv (or `required-version` in [tool.uv])",
                )
