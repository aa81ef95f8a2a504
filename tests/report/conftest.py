"""A small hand-built Report shared by the reporter tests.

Two files, four findings (error, warning, info; one multi-line span; one path with ",", ":" and a
space; one message with "%", a newline and a carriage return) plus one input error, and a registry
with one rule that never fires (SARIF must still list it).
"""

from __future__ import annotations

import pytest

from uvray.findings import Finding, InputError, Location, Severity
from uvray.report import Report
from uvray.rules import RuleMeta

DOCKERFILE = """\
FROM python:3.12-slim AS final
WORKDIR /app
ENV UV_PROJECT_ENVIRONMENT=/opt/venv
COPY . .
RUN pip install uv \\
\t&& uv sync --frozen \\
    && echo done
CMD ["python", "main.py"]
"""

ODD_PATH = "ray/runtime env,v2:prod.yaml"
RUNTIME_ENV = """\
runtime_env:
  pip: [requests]
  working_dir: .
  py_executable: uv run
"""

RULE_DOC = """\
## What it does
Flags the thing.
Over two lines.

## Why is this bad?
Because.
"""


def rule(
    code: str, name: str, severity: Severity, summary: str, fix: str | None = None
) -> RuleMeta:
    return RuleMeta(code=code, name=name, severity=severity, summary=summary, fix=fix, doc=RULE_DOC)


RULES = {
    meta.code: meta
    for meta in (
        rule(
            "RUV101",
            "project-installed-into-runtime-synced-env",
            Severity.ERROR,
            "The project is installed into the environment Ray syncs at runtime",
            "guarded",
        ),
        rule("RUV103", "uv-unpinned", Severity.WARNING, "uv is installed without a version pin"),
        rule(
            "RUV107",
            "per-worker-resolution-load",
            Severity.INFO,
            "Every worker resolves the environment itself",
        ),
        rule(
            "RUV201",
            "pip-or-uv-field-with-uv-run",
            Severity.ERROR,
            "runtime_env pip/uv fields are ignored under uv run",
        ),
        rule(
            "RUV502",
            "workflow-env-overrides-image",
            Severity.WARNING,
            "A workflow env var overrides the image's ENV",
        ),
    )
}

FINDINGS = [
    # Deliberately out of order: every reporter must sort.
    Finding(
        code="RUV107",
        message="py_executable makes each worker resolve the env",
        location=Location(ODD_PATH, 4, 3, 4, 24),
        severity=Severity.INFO,
    ),
    Finding(
        code="RUV103",
        message="uv is installed without a version pin",
        location=Location("Dockerfile", 5, 5, 7, 17),
        severity=Severity.WARNING,
        fix="pin it: pip install uv==0.9.5",
    ),
    Finding(
        code="RUV201",
        message="pip is 100% ignored\nunder uv run\r(Ray >= 2.45)",
        location=Location(ODD_PATH, 2, 3, 2, 18),
        severity=Severity.ERROR,
    ),
    Finding(
        code="RUV101",
        message="the project is installed into the env Ray syncs at runtime",
        location=Location("Dockerfile", 3, 5, 3, 37),
        severity=Severity.ERROR,
        fix="add --no-install-project to the final uv sync",
        related=(("uv sync runs here", Location("Dockerfile", 6, 5, 6, 25)),),
    ),
]

INPUT_ERROR = InputError("docker/Dockerfile.gpu", "invalid UTF-8 (byte 0xff)", 2)


def make_report(**changes: object) -> Report:
    fields: dict[str, object] = {
        "findings": list(FINDINGS),
        "errors": [INPUT_ERROR],
        "rules": dict(RULES),
        "root": "/work/repo",
        "files_checked": 3,
        "sources": {"Dockerfile": DOCKERFILE, ODD_PATH: RUNTIME_ENV},
    }
    fields.update(changes)
    return Report(**fields)  # type: ignore[arg-type]


@pytest.fixture
def report() -> Report:
    return make_report()


def finding(
    severity: Severity = Severity.ERROR,
    code: str = "RUV101",
    path: str = "Dockerfile",
    line: int = 1,
    **kwargs: object,
) -> Finding:
    """A one-off finding for tests that need many of them."""
    location = Location(
        path,
        line,
        kwargs.pop("column", 1),
        kwargs.pop("end_line", None),  # type: ignore[arg-type]
        kwargs.pop("end_column", None),
    )  # type: ignore[arg-type]
    message = str(kwargs.pop("message", f"{code} at line {line}"))
    return Finding(code=code, message=message, location=location, severity=severity, **kwargs)  # type: ignore[arg-type]
