"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV612",
    name="dangling-symlinks",
    severity=Severity.ERROR,
    summary="the environment holds symlinks to files that do not exist",
    fix=None,
    doc="(being written)\n",
)
