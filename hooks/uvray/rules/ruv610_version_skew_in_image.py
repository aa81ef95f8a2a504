"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV610",
    name="version-skew-in-image",
    severity=Severity.ERROR,
    summary="the image's Ray or Python differs from uv.lock or .python-version",
    fix=None,
    doc="(being written)\n",
)
