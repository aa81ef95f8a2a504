"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV606",
    name="workers-would-reinstall-project",
    severity=Severity.ERROR,
    summary="a worker's uv sync from a copy of the project would reinstall it into the image env",
    fix=None,
    doc="(being written)\n",
)
