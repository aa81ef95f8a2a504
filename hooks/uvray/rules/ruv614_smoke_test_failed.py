"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV614",
    name="smoke-test-failed",
    severity=Severity.ERROR,
    summary="a Ray job run inside the image failed (worker registration or uv install errors)",
    fix=None,
    doc="(being written)\n",
)
