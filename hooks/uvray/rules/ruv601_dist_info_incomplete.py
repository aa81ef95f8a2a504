"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV601",
    name="dist-info-incomplete",
    severity=Severity.ERROR,
    summary="dist-info directory lacks METADATA, RECORD or INSTALLER",
    fix=None,
    doc="(being written)\n",
)
