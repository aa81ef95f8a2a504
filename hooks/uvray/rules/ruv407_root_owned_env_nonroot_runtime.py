from __future__ import annotations

from collections.abc import Iterator

from uvray.facts import Facts
from uvray.findings import Finding, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta

# PLACEHOLDER: being written (issue 3).
META = RuleMeta(
    code="RUV407",
    name="root-owned-env-nonroot-runtime",
    severity=Severity.ERROR,
    summary="(being written)",
    fix=None,
    doc="(being written)\n",
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    return iter(())
