"""Image rule RUV611 venv-interpreter-broken: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
For a virtual environment: `bin/python` must resolve to an existing file executable by the
current user, and `pyvenv.cfg`'s `home` must exist. When the interpreter is gone `uvray env` probes
the venv with its own Python instead.

## Why is this bad?
A venv copied from a builder stage on another base image (RUV405) or made by a Python that was
removed (RUV408) keeps links to an interpreter that is not there: nothing in it runs, and uv
discards it (`Ignoring existing virtual environment linked to non-existent Python interpreter`)
and re-creates it at run time, on every worker.

## Example
```
/opt/venv/bin/python points at /usr/local/bin/python3.11, which does not exist
```

## How to fix
Create the venv in the final stage, or build and run on the same base image; use a Python that is
present at run time (`UV_PYTHON=/usr/bin/python3`, `UV_PYTHON_INSTALL_DIR` readable by the user).

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV611",
    name="venv-interpreter-broken",
    severity=Severity.ERROR,
    summary="the venv's bin/python or pyvenv.cfg home does not resolve to a usable interpreter",
    fix=None,
    doc=DOC,
)
