"""Image rule RUV612 dangling-symlinks: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Walks the whole environment (without following links) and reports symlinks whose target does not
exist; the interpreter links in `bin/` are RUV611's.

## Why is this bad?
`UV_LINK_MODE=symlink` (or a hardlink fallback into a cache mount) links the installed files into
uv's cache; a `RUN --mount=type=cache` cache is not in the image, so every linked file is missing
at run time (RUV401, astral-sh/uv#7509).

## Example
```
412 dangling symlinks in the environment: /opt/venv/lib/python3.11/site-packages/idna/core.py, …
```

## How to fix
Install with `UV_LINK_MODE=copy` when the cache is a mount (RUV402), or don't use symlink mode.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV612",
    name="dangling-symlinks",
    severity=Severity.ERROR,
    summary="the environment holds symlinks to files that do not exist",
    fix=None,
    doc=DOC,
)
