"""RUV001 and RUV002 are produced by the suppression pass (uvray/suppressions.py), not by a check."""

from __future__ import annotations

from collections.abc import Iterator

from uvray.findings import Finding, Severity
from uvray.rules import RuleMeta

DOC = """\
## What it does
Reports a `# uvray: ignore[RUVnnn]` (or `ignore-file[...]`) comment that suppressed nothing: the
rule no longer fires on the lines it covers.

## Why is this bad?
Stale suppressions hide the next real finding on those lines and mislead readers about what is
wrong there (ruff's RUF100 `unused-noqa` exists for the same reason; hadolint users asked for
it in hadolint/hadolint#997).

## Example
```dockerfile
# uvray: ignore[RUV101] we set UV_NO_SYNC below
ENV UV_NO_SYNC=1
```
(RUV101 doesn't fire here, so the comment is unused.)

## How to fix
Delete the comment, or the codes in it that no longer apply.

## Fix safety
No automatic fix yet.
"""

META = RuleMeta(
    code="RUV001",
    name="unused-suppression",
    severity=Severity.WARNING,
    summary="a uvray ignore comment that suppressed nothing",
    fix=None,
    doc=DOC,
)


def check(repo, facts) -> Iterator[Finding]:
    return iter(())
