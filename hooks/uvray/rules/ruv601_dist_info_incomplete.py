"""Image rule RUV601 dist-info-incomplete: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Walks every site-packages of the environment and reports each `*.dist-info` directory that lacks
`METADATA`, `RECORD` or `INSTALLER` (an error when `METADATA` or `RECORD` is missing, a warning when
only `INSTALLER` is).

## Why is this bad?
An installer writes these files last; a dist-info without them is an install that was cut short
(astral-sh/uv#716) or a hand-made copy. Without `METADATA`, `importlib.metadata` and `pip`/`uv`
cannot see the package; without `RECORD` neither can uninstall it, so the next sync by a Ray
worker fails halfway: ``warning: Failed to uninstall package at <…>.dist-info due to missing
`RECORD` file`` (astral-sh/uv#1525, #8690).

## Example
```
/opt/venv/lib/python3.11/site-packages/urllib3-2.2.3.dist-info/
    INSTALLER  METADATA  WHEEL            # no RECORD
```

## How to fix
Rebuild the environment from scratch in the image (`uv sync --frozen` into a fresh venv) instead of
copying a partly written one; don't let two installers write one env at once (RUV101/RUV102).

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV601",
    name="dist-info-incomplete",
    severity=Severity.ERROR,
    summary="dist-info directory lacks METADATA, RECORD or INSTALLER",
    fix=None,
    doc=DOC,
)
