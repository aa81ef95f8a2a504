"""Image rule RUV605 unsatisfied-requirement: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
What `pip check` / `uv pip check` do, without either in the image: for every installed
distribution, every `Requires-Dist` whose marker holds for this interpreter (no extras) must be
installed at a version its specifiers allow (pre-releases allowed). The probe carries its own
PEP 508/440 parser, tested against `packaging`.

## Why is this bad?
Imports fail at run time, on the workers, not at build time. Ray itself runs `uv pip check` for
`uv` runtime envs (`ray/_private/runtime_env/uv.py`) because a broken set of packages surfaces as
worker crashes far from their cause.

## Example
```
requests 2.32.3 requires certifi>=2017.4.17, which is not installed
requests 2.32.3 requires idna<4,>=2.5, but idna 2.4 is installed
```

## How to fix
Install from a lock (`uv sync --frozen`), not with `--no-deps` or piecemeal `pip install`s; don't
uninstall packages in later layers.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV605",
    name="unsatisfied-requirement",
    severity=Severity.ERROR,
    summary="an installed distribution requires a package that is missing or at the wrong version",
    fix=None,
    doc=DOC,
)
