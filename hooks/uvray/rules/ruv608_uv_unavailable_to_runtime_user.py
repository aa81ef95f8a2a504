"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV608",
    name="uv-unavailable-to-runtime-user",
    severity=Severity.ERROR,
    summary="uv is not on the runtime user's PATH, or too old, while Ray starts workers with uv run",
    fix=None,
    doc="(being written)\n",
)
