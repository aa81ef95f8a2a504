from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from uvray.report import github, json_, sarif, text

HOOKS = Path(__file__).resolve().parents[2] / "hooks"


def test_importing_the_reporters_pulls_in_nothing_heavy():
    # The hook's startup budget is tens of milliseconds; json, hashlib and friends load only when a
    # format that needs them actually renders.
    code = (
        "import sys\n"
        "import uvray.report.text, uvray.report.github, uvray.report.json_, uvray.report.sarif\n"
        "heavy = ['json', 'hashlib', 'urllib.parse', 'pathlib', 'uvray.rules']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": str(HOOKS)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("module", [text, github, json_, sarif])
def test_every_format_has_render_taking_the_report_first(module):
    params = list(inspect.signature(module.render).parameters)
    assert params[0] == "report"
