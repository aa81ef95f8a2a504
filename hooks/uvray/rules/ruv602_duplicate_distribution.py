"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV602",
    name="duplicate-distribution",
    severity=Severity.ERROR,
    summary="two installed distributions normalise to the same name in one site-packages",
    fix=None,
    doc="(being written)\n",
)
