#!/usr/bin/env python3
"""atheris target: the shell splitter (readers/shell.py) and the uv/ray command recogniser that
reads its output (commands.py), on RUN bodies, workflow `run:` scripts and entrypoints.

    python fuzz/fuzz_shell.py -max_total_time=600 /tmp/out fuzz/corpus/shell

See fuzz/README.md. A crash is any exception, including a failed invariant.
"""

from __future__ import annotations

import sys

import _common  # noqa: F401  (puts hooks/ on sys.path)
import atheris

with atheris.instrument_imports(include=["uvray"]):
    import uvray.commands
    import uvray.readers.shell  # noqa: F401

from _common import as_text, check_commands

VALUES = {"A": "v", "UV": "uv", "PY": "python3.12", "EMPTY": ""}


def test_one_input(data: bytes) -> None:
    text = as_text(data)
    check_commands(text, VALUES.get)
    check_commands(text, None)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
