"""RUV002 is produced by the suppression pass (uvray/suppressions.py), not by a check."""

from __future__ import annotations

from collections.abc import Iterator

from uvray.findings import Finding, Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Reports a comment that mentions `uvray:` but is not a valid suppression: a misspelt directive
(`# uvray: ingore[RUV101]`), missing brackets (`# uvray: ignore RUV101`), an empty code list, or
an unknown code.

## Why is this bad?
A suppression that doesn't parse suppresses nothing, silently (hadolint/hadolint#997: a typo in a
pragma went unnoticed).

## Example
```dockerfile
# uvray: ignore RUV101
ENV UV_PROJECT_ENVIRONMENT=/opt/venv
```
Use instead:
```dockerfile
# uvray: ignore[RUV101] single-job cluster, reinstall accepted
ENV UV_PROJECT_ENVIRONMENT=/opt/venv
```

## How to fix
Write `# uvray: ignore[RUVnnn, RUVmmm] reason` on the line above, or
`# uvray: ignore-file[RUVnnn] reason` anywhere in the file.

## Fix safety
No automatic fix.
"""

META = RuleMeta(
    code="RUV002",
    name="malformed-suppression",
    severity=Severity.WARNING,
    summary="a uvray comment that is not a valid suppression",
    fix=None,
    doc=DOC,
)


def check(repo, facts) -> Iterator[Finding]:
    return iter(())
