"""Image rule RUV614 smoke-test-failed: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
With `--smoke`: starts a single-node Ray (`ray.init(address="local")`, a temporary `_temp_dir`,
usage stats and token auth off) and runs four tasks, under `uv run --frozen` from a copy of the
project when uv and the project are present (so workers go through Ray's uv hook, as a job's do),
else with the env's interpreter. The run has a bounded timeout (`--smoke-timeout`, default 60 s);
afterwards the output and Ray's logs are searched for `have not registered within the timeout`,
`Directory not empty (os error 39)`, `failed to remove`, and uv `error:` lines.

## Why is this bad?
It is the end-to-end form of the other image rules: workers that cannot start (no network for a
build backend, a racing reinstall, a broken env) make jobs hang until their timeout.

## Example
```
the Ray smoke test failed (timed out after 60s): Some workers of the worker process(3109) have
not registered within the timeout. …
```

## How to fix
Read the quoted log lines; the usual causes are RUV606/RUV101 (workers re-syncing a shared env),
RUV608 (uv missing or old) and an offline cluster without the build backend in uv's cache.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV614",
    name="smoke-test-failed",
    severity=Severity.ERROR,
    summary="a Ray job run inside the image failed (worker registration or uv install errors)",
    fix=None,
    doc=DOC,
)
