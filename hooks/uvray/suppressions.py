"""Inline suppressions: `# uvray: ignore[RUV101] reason` and `# uvray: ignore-file[RUV101] reason`.

A comment on its own line covers what follows it: the next Dockerfile instruction (all its
lines), or the next YAML/TOML line and the lines indented under it. In YAML and TOML a trailing
comment covers its own line. Whitespace and a trailing reason are fine (hadolint#997, #1028 show
what happens when they aren't); a comment that says `uvray:` but doesn't parse is reported
(RUV002), and so is one that suppressed nothing (RUV001), like ruff's RUF100.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MENTION = re.compile(r"#\s*uvray\s*:", re.I)
_DIRECTIVE = re.compile(
    r"#\s*uvray\s*:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<codes>[^\]]*)\]\s*(?P<reason>.*)$", re.I
)
_CODE = re.compile(r"^RUV\d{3}$")


@dataclass
class Suppression:
    path: str
    line: int  # of the comment
    codes: tuple[str, ...]
    file_wide: bool
    first: int  # covered lines, inclusive
    last: int
    reason: str
    used: set[str] = field(default_factory=set)

    def covers(self, code: str, line: int, end_line: int) -> bool:
        if code not in self.codes:
            return False
        if self.file_wide:
            return True
        return self.first <= line <= self.last or self.first <= end_line <= self.last


@dataclass
class Malformed:
    path: str
    line: int
    message: str


def mentions(text: str) -> bool:
    return _MENTION.search(text) is not None


def parse(
    path: str,
    text: str,
    spans: list[tuple[int, int]] | None,
    yaml_like: bool,
    known_codes: set[str],
) -> tuple[list[Suppression], list[Malformed]]:
    """spans: (first, last) line of each Dockerfile instruction; None for YAML/TOML files."""
    if not _MENTION.search(text):
        return [], []
    lines = text.splitlines()
    suppressions: list[Suppression] = []
    malformed: list[Malformed] = []
    for index, line in enumerate(lines):
        mention = _MENTION.search(line)
        if not mention:
            continue
        lineno = index + 1
        own_line = line[: mention.start()].strip() == ""
        if not own_line and not yaml_like:
            continue  # in a Dockerfile a trailing '#' is part of the instruction, not a comment
        if not own_line and not _starts_comment(line, mention.start()):
            continue  # inside a quoted YAML/TOML string, or glued to a value: not a comment
        m = _DIRECTIVE.match(line[mention.start() :])
        if not m:
            malformed.append(
                Malformed(
                    path,
                    lineno,
                    "malformed uvray comment: expected `# uvray: ignore[RUVnnn] reason`",
                )
            )
            continue
        codes = tuple(c.strip().upper() for c in m.group("codes").split(",") if c.strip())
        bad = [c for c in codes if not _CODE.match(c) or c not in known_codes]
        if not codes or bad:
            what = f"unknown rule code {bad[0]!r}" if bad else "no rule code"
            malformed.append(Malformed(path, lineno, f"malformed uvray comment: {what}"))
            continue
        file_wide = m.group("kind").lower() == "ignore-file"
        if file_wide:
            first, last = 1, len(lines)
        elif not own_line:
            first, last = _yaml_span(lines, index)
        else:
            first, last = _next_span(lines, index, spans, yaml_like)
        suppressions.append(
            Suppression(path, lineno, codes, file_wide, first, last, m.group("reason").strip())
        )
    return suppressions, malformed


def _starts_comment(line: str, index: int) -> bool:
    """Is the '#' at index a YAML/TOML comment: after whitespace and outside a quoted scalar?
    Only a quote that opens a scalar counts (`name: don't` has none)."""
    if index > 0 and line[index - 1] not in " \t":
        return False
    quote = None
    for i, c in enumerate(line[:index]):
        if quote is None and c in "'\"":
            before = line[:i].rstrip()
            if before == "" or before.endswith((":", "-", "[", "{", ",", "=")):
                quote = c
        elif c == quote and not (c == "'" and line[i + 1 : i + 2] == "'"):
            quote = None  # '' inside a single-quoted scalar is an escaped quote
    return quote is None


def _next_span(lines: list[str], index: int, spans, yaml_like: bool) -> tuple[int, int]:
    nxt = index + 1
    while nxt < len(lines) and (lines[nxt].strip() == "" or lines[nxt].lstrip().startswith("#")):
        nxt += 1
    if nxt >= len(lines):
        return 0, -1
    if spans is not None:
        for first, last in spans:
            if first == nxt + 1:
                return first, last
        return nxt + 1, nxt + 1
    return _yaml_span(lines, nxt)


def _yaml_span(lines: list[str], index: int) -> tuple[int, int]:
    """The line and every following line indented deeper (a YAML key's block, a TOML value)."""
    line = lines[index]
    indent = len(line) - len(line.lstrip())
    body = line.strip()
    is_list_item = body.startswith("- ")
    last = index
    for j in range(index + 1, len(lines)):
        text = lines[j]
        if text.strip() == "":
            continue
        j_indent = len(text) - len(text.lstrip())
        if j_indent > indent or (is_list_item and j_indent == indent + 2):
            last = j
            continue
        break
    return index + 1, last + 1
