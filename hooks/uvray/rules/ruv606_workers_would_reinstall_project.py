"""Image rule RUV606 workers-would-reinstall-project: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
With `--worker-sync`, when uv and the project (with `uv.lock`) are present: copies the project to
a new temporary path, as Ray unpacks a job's `working_dir`, and runs
`uv sync --dry-run --frozen --offline` there with the environment the workers inherit
(`UV_PROJECT_ENVIRONMENT` as set). When the environment uv would use lies outside the copy and uv
plans changes (` - <project>==… (from file:///app)`, ` + <project> @ file:///<copy>`), it reports
them, quoting uv's plan. Not reported: `UV_NO_SYNC` set (workers' `uv run` does not sync), a plan
with no changes (e.g. `[tool.uv] package = false`), or an environment inside the copy (a private
env per `working_dir`).

## Why is this bad?
It is RUV101 seen from inside the built image: every Ray worker's `uv run` reinstalls the project
into the shared environment from its own path; with uv <= 0.7.13 concurrent workers race
(`failed to remove directory …dist-info: Directory not empty (os error 39)`,
ray-project/ray#51881), and afterwards the env points at a session directory Ray deletes.
Measured with uv 0.7.13 and 0.13.9 (`tests/probe/test_worker_sync.py`).

## Example
```
Would use project environment at: /opt/venv
 - probe-app==0.1.0 (from file:///app)
 + probe-app @ file:///tmp/_ray_pkg_probe
```

## How to fix
See RUV101: keep the workers' env per `working_dir`, or set `UV_NO_SYNC=1` for them with a
pre-built env, or make the project non-packaged (`[tool.uv] package = false`); and use uv >= 0.7.14.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV606",
    name="workers-would-reinstall-project",
    severity=Severity.ERROR,
    summary="a worker's uv sync from a copy of the project would reinstall it into the image env",
    fix=None,
    doc=DOC,
)
