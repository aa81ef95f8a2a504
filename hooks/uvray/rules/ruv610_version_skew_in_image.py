"""Image rule RUV610 version-skew-in-image: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Compares the Ray version importable in the worker interpreter with the one `uv.lock` pins, and the
interpreter's Python version with `.python-version` (a prefix: `3.11` matches `3.11.7`).
`uvray env` reads both from the project directory; `--expect-ray-version` /
`--expect-python-version` override them.

## Why is this bad?
Ray refuses to connect a driver and a cluster of different Ray or Python versions (`Version
mismatch: The cluster was started with: …`), and a worker env resolved for another Python is not
the one that was tested (RUV208/RUV209).

## Example
```
Ray 2.60.0 is installed, uv.lock says 2.59.0
```

## How to fix
Build the image from the same lock and Python the project declares (`FROM rayproject/ray:<ver>-py311`
with `ray==<ver>` in `uv.lock`).

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV610",
    name="version-skew-in-image",
    severity=Severity.ERROR,
    summary="the image's Ray or Python differs from uv.lock or .python-version",
    fix=None,
    doc=DOC,
)
