"""Image rule (checked by the probe inside the image, not on the repository). PLACEHOLDER."""

from __future__ import annotations

from uvray.findings import Severity
from uvray.rules import RuleMeta

META = RuleMeta(
    code="RUV611",
    name="venv-interpreter-broken",
    severity=Severity.ERROR,
    summary="the venv's bin/python or pyvenv.cfg home does not resolve to a usable interpreter",
    fix=None,
    doc="(being written)\n",
)
