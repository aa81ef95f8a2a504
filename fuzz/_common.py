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
        # + 1: an unterminated quote ends one past the text (tests/fuzz/test_regressions.py).
        assert 0 <= cmd.offset <= cmd.end_offset <= len(text) + 1, (cmd, len(text))
        assert len(cmd.known) == len(cmd.words), cmd
    # What the rules do with shell text: recognise uv/ray commands and uv pins in it.
    recognise_site(site_for_lines("Dockerfile", text, 1, lookup))


# Line breaks as an editor counts them (\n, \r\n, lone \r). The Dockerfile reader also breaks at
# \v, \f, NEL, \u2028… (str.splitlines(); tests/fuzz/test_regressions.py, xfail), so a text
# holding one of those gets the looser bound until that is fixed.
_ODD_BREAK = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def last_line(text: str) -> int:
    if _ODD_BREAK.search(text):
        return len(text.splitlines()) + 1
    return len(re.split("\r\n|\r|\n", text))


def check_errors(errors, display: str, text: str) -> None:
    for error in errors:
        assert error.path == display and "\n" not in error.message, error
        assert "internal error" not in error.message, error
        assert error.line is None or 1 <= error.line <= last_line(text) + 1, error
