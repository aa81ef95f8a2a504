"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV607",
    name="project-install-state",
    severity=Severity.WARNING,
    summary="the project is not installed as the image intends (missing, or from a path workers will not have)",
    fix=None,
    doc="(being written)\n",
)
