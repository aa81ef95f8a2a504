"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV605",
    name="unsatisfied-requirement",
    severity=Severity.ERROR,
    summary="an installed distribution requires a package that is missing or at the wrong version",
    fix=None,
    doc="(being written)\n",
)
