"""One hypothesis profile for tests/fuzz: bounded, reproducible, no example database.

CI runs a fixed, derandomized set of examples (the same every run, so a red build is a real
regression and not a lucky draw). `UVRAY_FUZZ_SCALE=20` multiplies every budget for a longer
local hunt; `UVRAY_FUZZ_SEED=<n>` draws a different (still reproducible) set.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, seed, settings

SCALE = max(1, int(os.environ.get("UVRAY_FUZZ_SCALE", "1")))
SEED = os.environ.get("UVRAY_FUZZ_SEED")


def fuzz(max_examples: int):
    """`@fuzz(n)`: n examples (times UVRAY_FUZZ_SCALE), no deadline, no database."""
    profile = settings(
        max_examples=max_examples * SCALE,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    if SEED is None:
        return profile

    def both(test):
        return seed(int(SEED))(profile(test))

    return both
