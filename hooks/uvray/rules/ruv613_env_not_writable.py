"""Image rule RUV613 env-not-writable: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
When runtime syncing is expected (`--integration` or `--runtime-sync`): checks from owner and mode
bits that the current user can write the environment directory, its `bin/` and its site-packages.
Mode bits, not `access()`, because the probe may run on a read-only container root, which is not
how the image is deployed.

## Why is this bad?
A worker's `uv run` that has to sync a root-owned env as a non-root user (rayproject/ray runs as
uid 1000) fails: ``error: failed to remove file `<venv>/…/INSTALLER`: Permission denied (os error
13)`` (RUV407).

## Example
```
uid 1000 cannot write /opt/venv, /opt/venv/lib/python3.11/site-packages …
```

## How to fix
`COPY --chown=<user>` / `chown -R` the env to the runtime user, or stop workers from syncing it
(`UV_NO_SYNC=1`, RUV101).

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV613",
    name="env-not-writable",
    severity=Severity.ERROR,
    summary="the runtime user cannot write the environment that workers will sync",
    fix=None,
    doc=DOC,
)
