"""Loops several rules share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Callable

from uvray.facts import CommandUse, Facts, uv_commands
from uvray.findings import Finding


def judge_uv_commands(
    facts: Facts, judge: Callable[[CommandUse], Finding | None]
) -> Iterator[Finding]:
    """judge() over every uv command uvray sees; the same finding (a command repeated by several
    images or drivers) is reported once."""
    seen = set()
    for use in uv_commands(facts):
        finding = judge(use)
        if finding is None:
            continue
        key = (finding.location.path, finding.location.line, finding.message)
        if key not in seen:
            seen.add(key)
            yield finding
