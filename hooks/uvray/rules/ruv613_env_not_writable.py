"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV613",
    name="env-not-writable",
    severity=Severity.ERROR,
    summary="the runtime user cannot write the environment that workers will sync",
    fix=None,
    doc="(being written)\n",
)
