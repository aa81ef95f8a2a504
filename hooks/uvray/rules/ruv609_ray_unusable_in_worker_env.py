"""Image rule RUV609 ray-unusable-in-worker-env: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Runs the environment's interpreter in a subprocess to `import ray` and
`ray._private.runtime_env.uv_runtime_env_hook`. Reports a failing `import ray` when Ray is
installed or the integration is expected, and a missing hook module with `--integration`.

## Why is this bad?
Workers run this interpreter: if `import ray` fails there, no worker registers. Ray < 2.43 has no
uv hook, so `RAY_RUNTIME_ENV_HOOK=ray._private.runtime_env.uv_runtime_env_hook.hook` fails (RUV210).

## Example
```
`import ray` fails in the worker interpreter /opt/venv/bin/python: ModuleNotFoundError: …
```

## How to fix
Install Ray (>= 2.43 for the uv integration) in the environment the workers use, from the lock.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV609",
    name="ray-unusable-in-worker-env",
    severity=Severity.ERROR,
    summary="Ray or its uv hook module cannot be imported by the worker interpreter",
    fix=None,
    doc=DOC,
)
