"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV603",
    name="install-leftovers",
    severity=Severity.WARNING,
    summary="temporary files left by an interrupted install in site-packages or a dist-info",
    fix=None,
    doc="(being written)\n",
)
