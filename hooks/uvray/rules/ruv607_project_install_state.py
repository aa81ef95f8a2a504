"""Image rule RUV607 project-install-state: checked by the probe (uvray/probe.py) inside an image or a local
venv (`uvray image`, `uvray env`), not on the repository. This module holds META and the doc."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Reads `[project].name` from the project's `pyproject.toml` and finds its dist-info in the
environment. Reports: an install from a local path (`direct_url.json`) that does not exist (error
when editable: `import <project>` fails), an install from a path other than the project directory
(warning: something re-synced it from a copy, e.g. a Ray worker from its session directory), and a
packaged project that is not installed at all (info: built with `--no-install-project`; the first
syncing `uv run` will install it).

## Why is this bad?
After a Ray worker's reinstall the image env holds the project editable from
`/tmp/ray/session_…/_ray_pkg_<hash>`; once Ray deletes that directory the project no longer
imports. An env built with `--no-install-project` makes the first `uv run` install it, at run time.

## Example
```
project probe-app is installed editable from /tmp/ray/session_2024…/_ray_pkg_1a2b, which does
not exist here; `import probe_app` fails
```

## How to fix
Install the project at build time from the directory it runs from, and stop workers from
re-syncing it (RUV101/RUV606).

## Fix safety
No automatic fix: the image has to be rebuilt.
"""

META = RuleMeta(
    code="RUV607",
    name="project-install-state",
    severity=Severity.WARNING,
    summary="the project is not installed as the image intends (missing, or from a path workers will not have)",
    fix=None,
    doc=DOC,
)
