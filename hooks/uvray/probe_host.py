"""The host side of the probe: its source to pipe into an interpreter, its JSON, its findings.

Shared by `uvray env` (a local interpreter, `run_local`) and `uvray image` (the interpreter inside
a container). The probe itself (uvray/probe.py) imports nothing from uvray.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

from uvray.errors import UsageError
from uvray.findings import Finding, Location, Severity
from uvray.probe import PROBE_VERSION  # the payload's version: one number for both sides

_CODE = re.compile(r"^RUV6\d\d$")
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


def probe_source() -> bytes:
    """The probe's bytes, to pipe into `<python> - [options]`."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe.py"), "rb") as f:
        return f.read()


def parse_output(stdout: bytes, where: str) -> dict[str, Any]:
    """The probe's JSON object, checked enough that the rest can trust its shape."""
    text = stdout.decode("utf-8", "replace").strip()
    # The probe prints one line; anything a sitecustomize printed before it is not ours.
    last = text.splitlines()[-1] if text else ""
    try:
        payload = json.loads(last)
    except ValueError:
        shown = " ".join(last.split())[:120] or "(empty output)"
        raise UsageError(f"{where}: the probe printed no JSON: {shown}") from None
    problem = _shape_problem(payload)
    if problem:
        raise UsageError(f"{where}: the probe printed unexpected JSON: {problem}")
    return payload


def _shape_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "not an object"
    if payload.get("probe_version") != PROBE_VERSION:
        return f"probe_version {payload.get('probe_version')!r}, expected {PROBE_VERSION}"
    findings = payload.get("findings")
    if not isinstance(findings, list):
        return "no findings list"
    for item in findings:
        if not isinstance(item, dict):
            return "a finding is not an object"
        if not isinstance(item.get("code"), str) or not _CODE.match(item["code"]):
            return f"finding code {item.get('code')!r}"
        if item.get("severity") not in _SEVERITIES:
            return f"finding severity {item.get('severity')!r}"
        if not isinstance(item.get("message"), str):
            return "a finding without a message"
        if item.get("path") is not None and not isinstance(item["path"], str):
            return "a finding path that is not a string"
    errors = payload.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        return "errors is not a list of strings"
    return None


def findings_from_probe(
    payload: dict[str, Any],
    location: Location,
    severities: dict[str, Severity] | None = None,
) -> list[Finding]:
    """The probe's findings as uvray Findings reported at `location` (the place the host reports
    against); the in-environment path leads the message. `severities` is the config's override."""
    out: list[Finding] = []
    for item in payload["findings"]:
        code = item["code"]
        severity = (severities or {}).get(code) or _SEVERITIES[item["severity"]]
        message = item["message"]
        path = item.get("path")
        if path and path not in message:
            message = f"{path}: {message}"
        out.append(Finding(code, message, location, severity))
    return out


def probe_errors(payload: dict[str, Any]) -> list[str]:
    """Checks that crashed inside the probe (each one line); the host reports them as errors."""
    return list(payload.get("errors", []))


def run_local(python: str, options: list[str], timeout: float) -> dict[str, Any]:
    """Run the probe with a local interpreter; one-line UsageError when that cannot be done."""
    # -I: the user's PYTHONPATH/PYTHONSTARTUP and user site stay out of the verdict; -B: no
    # __pycache__ written into the env (its .pth hooks import modules from site-packages). The env's
    # own site-packages are still what `site` adds for that interpreter.
    argv = [python, "-I", "-B", "-", *options]
    try:
        proc = subprocess.run(
            argv, input=probe_source(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"{python}: the probe did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise UsageError(f"{python}: cannot run: {exc.strerror or exc}") from None
    if proc.returncode != 0 and not proc.stdout.strip():
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        raise UsageError(f"{python}: the probe failed: {last}")
    return parse_output(proc.stdout, python)
