"""The one exception the CLI turns into `uvray: error: …` and exit code 2.

Its own module, free of imports, so the no-op path of `uvray check` stays instant.
"""

from __future__ import annotations


class UsageError(Exception):
    """Bad command line or configuration: a one-line message and exit code 2."""
