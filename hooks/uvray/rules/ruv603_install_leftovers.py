"""Image rule RUV603 install-leftovers: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Reports `.tmp*` entries directly in site-packages or inside a `*.dist-info` directory.

## Why is this bad?
uv stages files under `.tmpXXXXXX` names and renames them into place. A leftover means an install
died midway, or two installs raced, the failure of ray-project/ray#51881
(``Caused by: No such file or directory (os error 2) at path "<…>.dist-info/.tmpnuyHyL"``) and
astral-sh/uv#13870. The packages around it may be half-written.

## Example
```
site-packages/.tmpA1b2C3/
site-packages/certifi-2024.8.30.dist-info/.tmpZ9y8X7
```

## How to fix
Rebuild the environment; stop concurrent syncs of one env (uv >= 0.7.14, RUV102; a per-working_dir
env or `UV_NO_SYNC=1` for Ray workers, RUV101).

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV603",
    name="install-leftovers",
    severity=Severity.WARNING,
    summary="temporary files left by an interrupted install in site-packages or a dist-info",
    fix=None,
    doc=DOC,
)
