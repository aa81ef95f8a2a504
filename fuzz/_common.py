"""Shared by the atheris targets: find uvray, turn fuzzer bytes into the text a reader gets, and
the invariants every target checks (an AssertionError is a crash to libFuzzer)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# Run from a checkout without installing: the package lives in hooks/ (src layout).
HOOKS = Path(__file__).resolve().parents[1] / "hooks"
if str(HOOKS) not in sys.path:
    sys.path.insert(0, str(HOOKS))

# For tests/fuzz/test_atheris.py: proves a crash is caught, reported and saved as an artifact.
SELFTEST = os.environ.get("UVRAY_FUZZ_SELFTEST") == "1"


def as_text(data: bytes) -> str:
    """What the reader sees: uvray's own decoding when it accepts the bytes; otherwise the bytes
    repaired (NUL and invalid UTF-8 replaced) so that every input still reaches the reader."""
    from uvray.readers.text import decode

    text, _error = decode(data, "f")
    if text is None:
        text = data.decode("utf-8", "replace").replace("\x00", "\ufffd")
    if SELFTEST and "UVRAY-SELFTEST-CRASH" in text:
        raise RuntimeError("self-test crash")
    return text


def check_commands(text: str, lookup=None) -> None:
    from uvray.commands import recognise_site, site_for_lines
    from uvray.readers.shell import split_commands

    for cmd in split_commands(text, lookup):
        assert 0 <= cmd.offset <= cmd.end_offset <= len(text), (cmd, len(text))
        assert len(cmd.known) == len(cmd.words), cmd
    # What the rules do with shell text: recognise uv/ray commands and uv pins in it.
    recognise_site(site_for_lines("Dockerfile", text, 1, lookup))


# Lines end at \n, \r\n or a lone \r, as editors and annotations count them.
_LINE_BREAK = re.compile("\r\n|\r|\n")


def last_line(text: str) -> int:
    return len(_LINE_BREAK.split(text))


def check_errors(errors, display: str, text: str) -> None:
    for error in errors:
        assert error.path == display and "\n" not in error.message, error
        assert "internal error" not in error.message, error
        assert error.line is None or 1 <= error.line <= last_line(text) + 1, error
