"""Image rule RUV602 duplicate-distribution: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Reports two or more `*.dist-info` directories in one site-packages whose project names normalise
to the same name (PEP 503: `Foo_Bar`, `foo-bar`, `foo.bar`).

## Why is this bad?
One environment can hold one version of a project. Two dist-infos mean an upgrade or reinstall was
interrupted or raced (astral-sh/uv#11648; Ray workers reinstalling one shared env at the same time,
ray-project/ray#51881): which metadata `importlib.metadata` returns is an accident of directory
order, the files on disk may belong to either version, and the next uninstall removes the wrong
files.

## Example
```
site-packages/idna-3.10.dist-info
site-packages/idna-3.7.dist-info
```

## How to fix
Rebuild the environment; find what installed the second copy (two `uv sync`/`pip install` runs into
one env, a `COPY` of an older env over a newer one) and keep one writer.

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV602",
    name="duplicate-distribution",
    severity=Severity.ERROR,
    summary="two installed distributions normalise to the same name in one site-packages",
    fix=None,
    doc=DOC,
)
