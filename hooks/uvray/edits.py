"""Text edits a rule attaches to a finding, and the small pure helpers that build them.

An Edit replaces `text[start:end]` of one file with `new`. Offsets index the file's text exactly
as uvray read it (`repo.texts[path]`: line endings and all, a UTF-8 BOM stripped); a file that
does not exist yet is the empty text, and an Edit on it creates the file. Helpers keep the file's
own line ending and the indentation of the line they edit next to, so a fix changes only what it
says it changes.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "Edit",
    "append_line",
    "apply_edits",
    "delete_lines",
    "indent_of",
    "insert_after_line",
    "insert_before_line",
    "keyword_like",
    "line_bounds",
    "newline_of",
    "replace_in_lines",
]


class Edit(NamedTuple):
    path: str  # repo-relative, POSIX
    start: int
    end: int
    new: str


def newline_of(text: str) -> str:
    """The file's line ending: that of its first line (CRLF files stay CRLF)."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def line_bounds(text: str, line: int) -> tuple[int, int]:
    """(start, end) offsets of 1-based `line`; end is past its line ending (or the text's end)."""
    start = 0
    for _ in range(line - 1):
        i = text.find("\n", start)
        if i < 0:
            return len(text), len(text)
        start = i + 1
    i = text.find("\n", start)
    return start, (len(text) if i < 0 else i + 1)


def indent_of(text: str, line: int) -> str:
    start, end = line_bounds(text, line)
    body = text[start:end]
    return body[: len(body) - len(body.lstrip(" \t"))]


def insert_before_line(
    path: str, text: str, line: int, content: str, indent: str | None = None
) -> Edit:
    """A new line before `line`, indented like it (or with `indent`)."""
    start, _ = line_bounds(text, line)
    pad = indent_of(text, line) if indent is None else indent
    return Edit(path, start, start, f"{pad}{content}{newline_of(text)}")


def insert_after_line(
    path: str, text: str, line: int, content: str, indent: str | None = None
) -> Edit:
    """A new line after `line` (after the last line of a multi-line instruction: pass that)."""
    _, end = line_bounds(text, line)
    pad = indent_of(text, line) if indent is None else indent
    nl = newline_of(text)
    if end == len(text) and text and not text.endswith("\n"):
        return Edit(path, end, end, f"{nl}{pad}{content}")
    return Edit(path, end, end, f"{pad}{content}{nl}")


def delete_lines(path: str, text: str, first: int, last: int | None = None) -> Edit:
    start, _ = line_bounds(text, first)
    _, end = line_bounds(text, last if last is not None else first)
    return Edit(path, start, end, "")


def append_line(path: str, text: str | None, content: str) -> Edit:
    """`content` as the file's last line, creating the file when `text` is None."""
    if not text:
        return Edit(path, 0, 0, content + "\n")
    nl = newline_of(text)
    if text.endswith("\n"):
        return Edit(path, len(text), len(text), content + nl)
    return Edit(path, len(text), len(text), nl + content + nl)


def replace_in_lines(
    path: str, text: str, first: int, old: str, new: str, last: int | None = None
) -> Edit | None:
    """Replace the first `old` found within lines first..last (a whole word: not part of a
    longer name), or None when it is not there."""
    start, _ = line_bounds(text, first)
    _, end = line_bounds(text, last if last is not None else first)
    at = start
    while True:
        i = text.find(old, at, end)
        if i < 0:
            return None
        before = text[i - 1] if i > 0 else " "
        after = text[i + len(old)] if i + len(old) < len(text) else " "
        if not _word_char(before, old[0]) and not _word_char(after, old[-1]):
            return Edit(path, i, i + len(old), new)
        at = i + 1


def _word_char(ch: str, edge: str) -> bool:
    # `--locked` must not match inside `--locked-foo`, `UV_FROZEN` not inside `XUV_FROZEN`.
    if not (edge.isalnum() or edge in "_-"):
        return False
    return ch.isalnum() or ch in "_-"


def apply_edits(text: str, edits) -> str:
    """`text` with non-overlapping `edits` (all on one file) applied. Raises ValueError on overlap:
    the fixer never passes overlapping edits, and a rule that makes them has a bug."""
    out: list[str] = []
    at = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < at:
            raise ValueError(f"overlapping edits in {edit.path} at offset {edit.start}")
        out.append(text[at : edit.start])
        out.append(edit.new)
        at = edit.end
    out.append(text[at:])
    return "".join(out)


def keyword_like(text: str, line: int, keyword: str) -> str:
    """`keyword` in the case of the instruction keyword on `line` (`run` files get `env`)."""
    start, end = line_bounds(text, line)
    word = text[start:end].lstrip(" \t").split(None, 1)
    if word and word[0].islower():
        return keyword.lower()
    return keyword.upper()
