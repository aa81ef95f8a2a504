"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV604",
    name="record-mismatch",
    severity=Severity.ERROR,
    summary="files listed in a distribution's RECORD are missing or differ",
    fix=None,
    doc="(being written)\n",
)
