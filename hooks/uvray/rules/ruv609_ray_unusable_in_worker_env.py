"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV609",
    name="ray-unusable-in-worker-env",
    severity=Severity.ERROR,
    summary="Ray or its uv hook module cannot be imported by the worker interpreter",
    fix=None,
    doc="(being written)\n",
)
