"""What the property tests and the atheris targets found, minimised, one test each.

Each was a strict xfail until its fix (becb82a); the properties and the atheris targets that found
them now assert the fixed behaviour too. A new finding in code this suite does not own goes here
as a strict xfail first, and the property tolerates exactly that case until it is fixed.
"""

from __future__ import annotations

import pytest

from uvray.readers.dockerfile import read_dockerfile
from uvray.readers.shell import _Lexer, commands_from_tokens, split_commands

# --- Dockerfile: Unicode line boundaries ------------------------------------------------------
# read_dockerfile split lines with str.splitlines(), which also breaks at \v, \f, \x1c-\x1e, \x85
# (NEL), \u2028 and \u2029. BuildKit breaks lines at \n only, so a RUN holding one of those was
# cut in two: the tail became an "unknown instruction" (an input error, exit 2, on a valid
# Dockerfile), the RUN's shell text was truncated, and every later line number was off by one.
# Found by fuzz/fuzz_dockerfile.py in its first 600 runs (an error on line 93 of a 15-line file).

_ODD_LINE_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize(
    "char", _ODD_LINE_BREAKS, ids=[f"U+{ord(c):04X}" for c in _ODD_LINE_BREAKS]
)
def test_dockerfile_odd_line_break_inside_run_is_not_a_new_instruction(char: str) -> None:
    text = f'FROM python:3.12\nRUN echo "a{char}b" && uv sync --locked\n'
    df, errors = read_dockerfile(text, "Dockerfile")
    assert errors == []
    assert [(i.keyword, i.line) for i in df.instructions] == [("FROM", 1), ("RUN", 2)]
    assert df.instructions[1].args.endswith("uv sync --locked")


def test_dockerfile_line_numbers_count_newlines_only() -> None:
    _df, errors = read_dockerfile("FROM x\n# a\x0cb\nFOO\n", "Dockerfile")
    assert [(e.message, e.line) for e in errors] == [("unknown instruction FOO", 3)]


def test_dockerfile_lone_cr_is_a_line_break_like_editors_show_it() -> None:
    """Not a bug, the current contract: a lone CR ends a line (editors and annotations count it);
    the odd-line-break tests above are about the characters no editor breaks at."""
    df, errors = read_dockerfile("FROM x\rRUN uv sync\r", "Dockerfile")
    assert errors == []
    assert [(i.keyword, i.line) for i in df.instructions] == [("FROM", 1), ("RUN", 2)]


# --- shell splitter ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['"', "'", 'uv sync "--locked', "echo 'x"])
def test_shell_unterminated_quote_ends_inside_the_text(text: str) -> None:
    """An unterminated quote runs to the end of the text, not one past it (the closing-quote
    step used to run with no closing quote: end_offset was len(text) + 1)."""
    for cmd in split_commands(text):
        assert cmd.end_offset <= len(text), (cmd, len(text))


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\xa0", "\u2003", "\x1c"])
def test_shell_fast_path_and_lexer_split_odd_blanks_alike(char: str) -> None:
    """split_commands takes a regex fast path for text with no quotes, $, `, \\, <, >, # or
    parentheses. Its word pattern `[^\\s;&|]+` split at every Unicode space while the lexer kept
    \\v, \\f, NBSP… inside the word, so `uv\\vsync --locked` was `uv sync --locked` or
    `uv \\vsync --locked` depending on a quote elsewhere. POSIX sh: one word, `uv\\vsync`."""
    text = f"uv{char}sync --locked"
    fast = [c.words for c in split_commands(text)]
    lexed = [c.words for c in commands_from_tokens(_Lexer(text, None).tokens(), text)]
    assert fast == lexed == [[f"uv{char}sync", "--locked"]]
