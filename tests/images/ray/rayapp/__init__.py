"""The package Ray's workers import in the smoke test (flat layout: importable from the
working_dir root too, so UV_NO_SYNC does not leave workers on a stale copy, RUV109)."""

from __future__ import annotations

__version__ = "0.1.0"


def square(x: int) -> int:
    return x * x
