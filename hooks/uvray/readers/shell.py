"""POSIX shell text → simple commands (words, VAR=x prefixes, line numbers).

Not a shell: just enough of the grammar to find every command a Dockerfile RUN, a workflow `run:`
or an entrypoint would execute, without being fooled by quotes, comments, line continuations,
here-documents or control-flow keywords. `RUN uv sync # --no-install-project` passes no flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional

# A variable lookup: name -> value, or None when the value is not known statically.
Lookup = Callable[[str], Optional[str]]

_SEPARATORS = {"&&", "||", ";;", "&", "|", ";", "\n", "(", ")"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_KEYWORDS_BEFORE_COMMAND = {
    "if",
    "then",
    "else",
    "elif",
    "while",
    "until",
    "do",
    "!",
    "{",
    "}",
    "time",
}
_KEYWORDS_ALONE = {"fi", "done", "esac"}
# One token at the lexer's position: the common cases in one regex call; anything else (quotes,
# expansions, escapes, redirections) falls back to _Lexer._word.
_TOKEN = re.compile(
    r"""
      (?P<blank>(?:[ \t\r]|\\\n)+)
    | (?P<nl>\n)
    | (?P<comment>\#[^\n]*)
    | (?P<both>&>)
    | (?P<op>&&|\|\||;;|[&|;()])
    | (?P<plain>[^ \t\r\n;&|()\\'"$`<>\#][^ \t\r\n;&|()\\'"$`<>]*(?=[ \t\r\n;&|()]|\Z))
    """,
    re.VERBOSE,
)
_NEEDS_LEXER = re.compile(r"[\\'\"$`<>#()]")
# Words end at the shell's blanks (space, tab, CR, newline), never at \v, \f or Unicode spaces,
# which `\s` would split at.
_SIMPLE_TOKEN = re.compile(r"(?P<op>&&|\|\||;;|[;&|\n])|(?P<word>[^ \t\r\n;&|]+)")
_BLANKS = re.compile(r"[ \t\r]+")
_PLAIN = re.compile(r"[^ \t\r\n;&|()\\'\"$`<>]+")
_PLAIN_QUOTED = re.compile(r'[^"\\$`]+')
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")
_BRACED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+=?])(.*))?$", re.S)
_REDIRECT = re.compile(r"^(\d*|&)(>\||>>|>&|<&|<>|>|<)(.*)$")
_HEREDOC = re.compile(r"^(\d*)<<(-?)(.*)$")


class Word(NamedTuple):
    text: str
    # False when the word contains a variable or command substitution whose value is unknown.
    known: bool
    offset: int
    # Offset just past the word in the source (text may be longer or shorter once expanded).
    end: int = 0


@dataclass
class SimpleCommand:
    words: list[str]
    # VAR=value prefixes; value None when not statically known.
    assignments: dict[str, str | None]
    offset: int
    end_offset: int
    known: list[bool] = field(default_factory=list)


class _Lexer:
    def __init__(self, text: str, lookup: Lookup | None) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.lookup = lookup
        self.pending_heredocs: list[tuple[str, bool]] = []

    def tokens(self) -> list[Word | str]:
        """Words and operator strings ('\\n' included); comments and here-document bodies dropped."""
        out: list[Word | str] = []
        text, n = self.text, self.n
        match = _TOKEN.match
        while self.i < n:
            m = match(text, self.i)
            if m is not None:
                kind = m.lastgroup
                self.i = m.end()
                if kind == "plain":
                    out.append(Word(m.group(), True, m.start(), self.i))
                elif kind == "op":
                    out.append(m.group())
                elif kind == "nl":
                    out.append("\n")
                    if self.pending_heredocs:
                        self._skip_heredoc_bodies()
                elif kind == "both":
                    self._skip_blanks_then_word()  # bash's &>file: a redirection of both streams
                # blanks, line continuations and comments leave nothing behind
                continue
            word = self._word()
            heredoc = _HEREDOC.match(word.text)
            if heredoc and not word.text.startswith("<<<"):
                delim = heredoc.group(3)
                if not delim:
                    nxt = self._skip_blanks_then_word()
                    delim = nxt.text if nxt else ""
                if delim:
                    self.pending_heredocs.append((delim, heredoc.group(2) == "-"))
                continue
            out.append(word)
        return out

    def _skip_blanks_then_word(self) -> Word | None:
        while self.i < self.n and self.text[self.i] in " \t":
            self.i += 1
        if self.i >= self.n or self.text[self.i] in "\n;&|()":
            return None
        return self._word()

    def _skip_heredoc_bodies(self) -> None:
        for delim, strip_tabs in self.pending_heredocs:
            while self.i < self.n:
                end = self.text.find("\n", self.i)
                line = self.text[self.i : (self.n if end < 0 else end)]
                self.i = self.n if end < 0 else end + 1
                if (line.lstrip("\t") if strip_tabs else line).rstrip("\r") == delim:
                    break
        self.pending_heredocs = []

    def _word(self) -> Word:
        text, n = self.text, self.n
        start = self.i
        m = _PLAIN.match(text, start)
        if m and (m.end() == n or text[m.end()] in " \t\r\n;&|()"):
            self.i = m.end()  # a plain word, the usual case: no quotes, escapes or expansions
            return Word(m.group(), True, start, self.i)
        parts: list[str] = []
        known = True
        while self.i < n:
            c = text[self.i]
            if c in "&|" and parts and parts[-1] in "<>" and (c == "&" or parts[-1] == ">"):
                # 2>&1, >&2, >|: part of the redirection, not a background or pipe operator
                parts.append(c)
                self.i += 1
                continue
            if c in " \t\r\n;&|()":
                # '<' and '>' stay inside words so redirections can be recognised as whole words.
                break
            if c == "\\":
                if self.i + 1 < n:
                    if text[self.i + 1] != "\n":
                        parts.append(text[self.i + 1])
                    self.i += 2
                else:
                    self.i += 1
                continue
            if c == "'":
                end = text.find("'", self.i + 1)
                end = n if end < 0 else end
                parts.append(text[self.i + 1 : end])
                self.i = min(end + 1, n)  # an unterminated quote ends with the text
                continue
            if c == '"':
                self.i += 1
                while self.i < n and text[self.i] != '"':
                    m = _PLAIN_QUOTED.match(text, self.i)
                    if m:
                        parts.append(m.group())
                        self.i = m.end()
                        continue
                    d = text[self.i]
                    if d == "\\" and self.i + 1 < n and text[self.i + 1] in '"\\$`\n':
                        if text[self.i + 1] != "\n":
                            parts.append(text[self.i + 1])
                        self.i += 2
                    elif d in "$`":
                        value, ok = self._expansion()
                        parts.append(value)
                        known = known and ok
                    else:
                        parts.append(d)
                        self.i += 1
                self.i = min(self.i + 1, n)  # past the closing quote, if there is one
                continue
            if c in "$`":
                value, ok = self._expansion()
                parts.append(value)
                known = known and ok
                continue
            # A run of ordinary characters in one step (most of a script is these).
            m = _PLAIN.match(text, self.i)
            if m and m.end() > self.i + 1:
                parts.append(m.group())
                self.i = m.end()
                continue
            parts.append(c)
            self.i += 1
        return Word("".join(parts), known, start, self.i)

    def _expansion(self) -> tuple[str, bool]:
        """Consume $VAR, ${...}, $(...), `...` at self.i; return (value, known)."""
        text, n, i = self.text, self.n, self.i
        if text[i] == "`":
            end = text.find("`", i + 1)
            self.i = n if end < 0 else end + 1
            return text[i : self.i], False
        if i + 1 >= n:
            self.i += 1
            return "$", True
        nxt = text[i + 1]
        if nxt == "(":
            self.i = _balanced(text, i + 1, "(", ")")
            return text[i : self.i], False
        if nxt == "{":
            end = _balanced(text, i + 1, "{", "}")
            self.i = end
            inner = text[i + 2 : end - 1]
            return expand_braced(inner, self.lookup, text[i:end])
        m = _PARAM.match(text, i + 1)
        if not m:
            self.i += 1
            return "$", True
        name = m.group(0)
        self.i = i + 1 + len(name)
        value = self.lookup(name) if self.lookup else None
        if value is None:
            return "$" + name, False
        return value, True


def _balanced(text: str, i: int, open_: str, close: str) -> int:
    """Index just past the bracket closing the one at text[i] (quotes respected roughly)."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and open_ == "(":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def expand_braced(inner: str, lookup: Lookup | None, raw: str) -> tuple[str, bool]:
    """${NAME}, ${NAME:-word}, ${NAME-word}, ${NAME:+word}, ${NAME+word}; anything fancier is unknown."""
    m = _BRACED.match(inner)
    if not m:
        return raw, False
    name, op, word = m.group(1), m.group(2), m.group(3) or ""
    value = lookup(name) if lookup else None
    if op is None:
        return (raw, False) if value is None else (value, True)
    if value is None:
        return raw, False
    empty_counts = op.startswith(":")
    is_set = value != "" if empty_counts else True
    if op.endswith("-") or op.endswith("="):
        return (value, True) if is_set else (word, True)
    if op.endswith("+"):
        return (word, True) if is_set else ("", True)
    return (value, True) if is_set else (raw, False)


def split_commands(text: str, lookup: Lookup | None = None) -> list[SimpleCommand]:
    """Split a shell script into simple commands, in order."""
    plain = not _NEEDS_LEXER.search(text)
    return commands_from_tokens(tokenize(text, lookup, plain), text, redirections=not plain)


def tokenize(
    text: str, lookup: Lookup | None = None, plain: bool | None = None
) -> list[Word | str]:
    if plain is None:
        plain = not _NEEDS_LEXER.search(text)
    if not plain:
        return _Lexer(text, lookup).tokens()
    # No quotes, escapes, expansions, redirections, comments or subshells: every token is a
    # plain word or an operator, and one regex pass finds them all.
    return [
        m.group() if m.lastgroup == "op" else Word(m.group(), True, m.start(), m.end())
        for m in _SIMPLE_TOKEN.finditer(text)
    ]


def commands_from_tokens(
    tokens: list[Word | str], text: str, redirections: bool = True
) -> list[SimpleCommand]:
    commands: list[SimpleCommand] = []
    current: list[Word] = []
    # In `case x in a) …;; b) …;; esac` the patterns before each `)` are not commands.
    case_patterns = False

    def flush(end: int) -> None:
        nonlocal case_patterns
        if current:
            if current[0].text == "case" and current[-1].text == "in":
                case_patterns = True
            cmd = _to_command(current, end, redirections)
            if cmd is not None:
                commands.append(cmd)
            current.clear()

    for tok in tokens:
        if isinstance(tok, Word):
            if case_patterns:
                if tok.text == "esac":
                    case_patterns = False
                continue
            if tok.text == "in" and current and current[0].text == "case":
                current.append(tok)
                flush(tok.end)
                continue
            current.append(tok)
            continue
        if case_patterns:
            if tok == ")":
                case_patterns = False
            continue
        if tok == ";;":
            flush(current[-1].end if current else 0)
            case_patterns = True
            continue
        flush(current[-1].end if current else 0)
    flush(current[-1].end if current else len(text))
    return commands


def _to_command(words: list[Word], end: int, redirections: bool = True) -> SimpleCommand | None:
    if redirections:
        words = _drop_redirections(words)
    while words and words[0].text in _KEYWORDS_BEFORE_COMMAND:
        words = words[1:]
    if not words or words[0].text in _KEYWORDS_ALONE:
        return None
    if words[0].text in ("for", "case", "select"):
        return None
    assignments: dict[str, str | None] = {}
    while words and "=" in words[0].text and _ASSIGNMENT.match(words[0].text):
        name, _, value = words[0].text.partition("=")
        assignments[name] = value if words[0].known else None
        words = words[1:]
    offset = words[0].offset if words else end
    return SimpleCommand(
        words=[w.text for w in words],
        assignments=assignments,
        offset=offset,
        end_offset=end,
        known=[w.known for w in words],
    )


def _drop_redirections(words: list[Word]) -> list[Word]:
    out: list[Word] = []
    skip_next = False
    for w in words:
        if skip_next:
            skip_next = False
            continue
        m = _REDIRECT.match(w.text)
        if m and (m.group(1) or w.text[0] in "<>"):
            if not m.group(3):
                skip_next = True
            continue
        out.append(w)
    return out
