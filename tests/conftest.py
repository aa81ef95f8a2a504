from __future__ import annotations

import os
import sys

import pytest

# Rule crashes must surface as tracebacks in tests, not as the CLI's one-line internal error.
os.environ.setdefault("UVRAY_DEBUG", "1")
sys.dont_write_bytecode = True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order: fast tests first, slow (real uv / pre-commit) last, so failures show early."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)
