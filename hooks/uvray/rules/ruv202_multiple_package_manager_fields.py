from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts, all_runtime_envs
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta

RAY_MESSAGE = (
    "The 'pip' field, 'uv' field, and 'conda' field of runtime_env cannot be specified at the "
    "same time."
)

DOC = """\
## What it does
Flags a runtime_env with two or more of the `pip`, `uv` and `conda` fields: a runtime_env file,
a KubeRay `runtimeEnvYAML` or RayService application `runtime_env`, or the runtime_env of a
`ray job submit --runtime-env`/`--runtime-env-json`.

## Why is this bad?
Ray refuses it when it builds the `RuntimeEnv` (`ray/runtime_env/runtime_env.py`,
`RuntimeEnv.__init__`, identical in Ray 2.44.0, 2.45.0 and 2.60.0), before any worker starts:

    ValueError: The 'pip' field, 'uv' field, and 'conda' field of runtime_env cannot be
    specified at the same time.

The check counts the fields that are not None, so an empty list still counts. Evidence:
- `ray/runtime_env/runtime_env.py` (`RuntimeEnv.__init__`), Ray 2.44.0, 2.45.0, 2.60.0
- https://github.com/ray-project/ray/issues/51196 (how these fields interact with `uv run`)

## Example
```yaml
pip:
  - requests
conda:
  dependencies: [numpy]
```
Use instead:
```yaml
conda:
  dependencies:
    - numpy
    - pip:
        - requests
```

## How to fix
Keep one package manager. To use pip with conda, list the pip packages inside the conda
environment (as Ray's message says). When the driver runs under `uv run`, put the packages in
`pyproject.toml` instead (RUV201).

## Fix safety
No automatic fix.

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html
- https://github.com/ray-project/ray/issues/51196
"""

META = RuleMeta(
    code="RUV202",
    name="multiple-package-manager-fields",
    severity=Severity.ERROR,
    summary="runtime_env with more than one of `pip`/`uv`/`conda`: Ray refuses it",
    fix=None,
    doc=DOC,
)

_FIELDS = ("pip", "uv", "conda")


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    for env in all_runtime_envs(repo, facts):
        # Ray counts fields that are not None (`pip: []` counts).
        present = [k for k in env.data if k in _FIELDS and env.data[k] is not None]
        if len(present) < 2:
            continue
        named = ", ".join(f"`{k}`" for k in present)
        yield Finding(
            code=META.code,
            message=(
                f"this runtime_env sets {named}; Ray refuses it before any worker starts: "
                f"{RAY_MESSAGE}"
            ),
            location=env.key_locations.get(present[1], env.location),
            severity=META.severity,
            fix="keep one of pip/uv/conda (pip packages can go inside the conda env)",
            related=tuple(
                (f"`{k}`", env.key_locations[k]) for k in present if k in env.key_locations
            ),
        )
