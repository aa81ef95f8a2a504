"""Image rule RUV608 uv-unavailable-to-runtime-user: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
When Ray's uv integration is active (`--integration`): reports that `uv` is not on the PATH of the
user the probe runs as, or that its version is below 0.7.14.

## Why is this bad?
With the integration Ray starts every worker as `uv run …`: without uv on the raylet's PATH no
worker starts (RUV212). uv <= 0.7.13 has no environment lock in `uv run`, so workers that sync one
environment together race (ray-project/ray#51881, RUV102).

## Example
```
uv 0.7.13 at /usr/local/bin/uv: uv <= 0.7.13 lets concurrent workers' `uv run` race …
```

## How to fix
Install uv >= 0.7.14 somewhere on the runtime user's PATH (`COPY --from=ghcr.io/astral-sh/uv:0.8
/uv /usr/local/bin/uv`), not only in root's home.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV608",
    name="uv-unavailable-to-runtime-user",
    severity=Severity.ERROR,
    summary="uv is not on the runtime user's PATH, or too old, while Ray starts workers with uv run",
    fix=None,
    doc=DOC,
)
