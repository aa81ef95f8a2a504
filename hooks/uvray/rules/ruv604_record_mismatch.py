"""Image rule RUV604 record-mismatch: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Reads every `RECORD` and checks the files it lists with a hash: by default that each exists and has
the recorded size; with `--deep` also that its sha256 matches (urlsafe base64, no padding, as the
PyPA "Recording installed projects" spec writes it). Entries without a hash (`RECORD` itself,
`.pyc` files) are skipped, as the spec allows.

## Why is this bad?
A missing or changed file is a package that does not work as released: deleted by a cleanup
step (`find -name '*.py' -delete`, a slimming tool), overwritten by another package, or never
finished. Symlinks into a build cache that is gone count as missing (see RUV612).

## Example
```
requests 2.32.3: files listed in RECORD: 1 missing (requests/help.py)
```

## How to fix
Don't delete or edit files inside installed packages in the image; reinstall the package (`uv sync
--frozen --reinstall-package <name>`) or rebuild the environment.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV604",
    name="record-mismatch",
    severity=Severity.ERROR,
    summary="files listed in a distribution's RECORD are missing or differ",
    fix=None,
    doc=DOC,
)
