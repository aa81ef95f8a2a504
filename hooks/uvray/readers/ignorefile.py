""".dockerignore, .gitignore and .rayignore: which files a build context or a Ray upload leaves out.

Two dialects:

- "docker": moby/patternmatcher, as used by `docker build` and BuildKit. Patterns are Go
  filepath.Match globs plus `**`, relative to the context root; a pattern that matches a directory
  also matches everything below it, and the last matching line wins, so `!` can re-include a file
  inside an excluded directory.
- "git": gitignore(5). A pattern without a slash matches at any depth, a trailing slash means
  "directories only", and a file inside an ignored directory stays ignored whatever later lines
  say. Ray reads .rayignore (and .gitignore) with pathspec's gitwildmatch, the same rules.

Each pattern is translated to a regular expression once, on first use; a file's patterns are then
joined into alternations, last line first, so one or two `re.match` calls find the line that
decides a path, whatever the number of lines.
"""

from __future__ import annotations

import posixpath
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional

from uvray.findings import InputError

KINDS = ("docker", "git")


@dataclass
class IgnorePattern:
    text: str  # the line as written (without the line break)
    negated: bool  # a "!" line: re-includes what it matches
    line: int
    pattern: str = ""  # the glob after "!", cleaning (docker) and escape/space handling (git)
    dir_only: bool = False  # git: the pattern ended with "/"
    # git: no slash at the start or in the middle, so it is matched against the last path
    # component (which is how it matches at any depth)
    basename_only: bool = False
    # Python regex that must match the whole path (the last component if basename_only);
    # None for a line that never matches
    regex: str | None = field(default=None, repr=False)


@dataclass
class IgnoreFile:
    path: str  # repo-relative display path
    dir: str  # repo-relative directory the patterns are relative to; "" for the root
    kind: str  # "docker" or "git"
    patterns: list[IgnorePattern] = field(default_factory=list)
    # Compiled from `patterns` on the first query; build a new IgnoreFile to change patterns.
    _matchers: tuple | None = field(default=None, init=False, repr=False, compare=False)
    _dir_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def ignores(self, relpath: str, is_dir: bool = False) -> bool:
        """Whether `relpath` (POSIX, relative to this file's directory) is left out."""
        deciding = self.deciding_pattern(relpath, is_dir)
        return deciding is not None and not deciding.negated

    def deciding_pattern(self, relpath: str, is_dir: bool = False) -> IgnorePattern | None:
        """The line that decides `relpath`: an ignoring line, a "!" line, or None if no line
        applies. Rules use it to point at the line that excluded a file."""
        path = _normalise_path(relpath)
        if not path or not self.patterns:
            return None
        if self._matchers is None:
            self._matchers = self._compile()
        files, dirs = self._matchers
        if self.kind == "docker":
            return self._last_match(files, path)
        # git: a file inside an ignored directory cannot be re-included, so the shallowest
        # ignored ancestor decides. Ancestors repeat across paths, hence the cache.
        parts = path.split("/")
        for depth in range(1, len(parts)):
            ancestor = "/".join(parts[:depth])
            if ancestor not in self._dir_cache:
                self._dir_cache[ancestor] = self._last_match(dirs, ancestor)
            deciding = self._dir_cache[ancestor]
            if deciding is not None and not deciding.negated:
                return deciding
        return self._last_match(dirs if is_dir else files, path)

    def _compile(self) -> tuple[_Matcher, _Matcher]:
        if self.kind == "docker":
            # A docker pattern matches a path or any of its parent directories.
            files = _matcher(self.patterns, "(?:/.*)?", lambda p: True)
            return files, files
        return (
            _matcher(self.patterns, "", lambda p: not p.dir_only),
            _matcher(self.patterns, "", lambda p: True),
        )

    def _last_match(self, matcher: _Matcher, path: str) -> IgnorePattern | None:
        full, base = matcher
        best = _last_index(full, path)
        if base[0] is not None:
            best = max(best, _last_index(base, path.rpartition("/")[2]))
        return self.patterns[best] if best >= 0 else None


# An alternation of pattern regexes, last line first, and the pattern index of each branch: the
# first branch that matches is the last line that applies.
_Alternation = tuple[Optional[re.Pattern[str]], list[int]]
# Patterns matched against the whole path, and those matched against its last component (kept
# apart: "(?:.*/)?" in front of every basename pattern makes matching several times slower).
_Matcher = tuple[_Alternation, _Alternation]


def _matcher(
    patterns: list[IgnorePattern], suffix: str, use: Callable[[IgnorePattern], bool]
) -> _Matcher:
    usable = [i for i, p in enumerate(patterns) if p.regex is not None and use(p)]
    full = [i for i in usable if not patterns[i].basename_only]
    base = [i for i in usable if patterns[i].basename_only]
    return _alternation(patterns, full, suffix), _alternation(patterns, base, suffix)


def _alternation(patterns: list[IgnorePattern], indices: list[int], suffix: str) -> _Alternation:
    if not indices:
        return None, []
    order = indices[::-1]
    body = "|".join(f"(?P<p{k}>{patterns[i].regex}{suffix})" for k, i in enumerate(order))
    return _compile_quietly(rf"(?:{body})\Z"), order


def _last_index(alternation: _Alternation, text: str) -> int:
    regex, order = alternation
    found = regex.match(text) if regex is not None else None
    if found is None or found.lastgroup is None:
        return -1
    return order[int(found.lastgroup[1:])]


def _normalise_path(relpath: str) -> str:
    path = posixpath.normpath(relpath).lstrip("/")
    return "" if path == "." else path


def ignore_kind(display_path: str) -> str:
    """The dialect of an ignore file: docker for .dockerignore and Dockerfile.dockerignore,
    git for .gitignore and .rayignore."""
    return "docker" if display_path.endswith(".dockerignore") else "git"


def read_ignore_file(
    text: str, display_path: str, kind: str
) -> tuple[IgnoreFile, list[InputError]]:
    """Parse an ignore file. kind is "docker" or "git" ("ray" is accepted as "git").

    Lines docker would refuse (a bare "!", a malformed "[" class) give an error each and are
    left out; git silently ignores such lines, so they never match and give no error.
    """
    if kind == "ray":
        kind = "git"
    if kind not in KINDS:
        raise ValueError(f"unknown ignore-file kind {kind!r} (expected 'docker' or 'git')")
    directory = posixpath.dirname(display_path)
    result = IgnoreFile(display_path, "" if directory in (".", "/") else directory, kind)
    errors: list[InputError] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if kind == "docker":
            pattern, problem = _docker_pattern(line, number)
        else:
            pattern, problem = _git_pattern(line, number), None
        if problem is not None:
            errors.append(InputError(display_path, problem, number))
        elif pattern is not None:
            result.patterns.append(pattern)
    return result, errors


# ---------------------------------------------------------------------------------------------
# docker: moby/patternmatcher (ignorefile.ReadAll, then Pattern.compile and Pattern.match)
# ---------------------------------------------------------------------------------------------


def _go_clean(path: str) -> str:
    """Go's path.Clean; unlike posixpath.normpath it also folds a leading "//"."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _docker_pattern(line: str, number: int) -> tuple[IgnorePattern | None, str | None]:
    if line.startswith("#"):  # only a "#" in the very first column starts a comment
        return None, None
    body = line.strip()
    if not body:
        return None, None
    negated = body.startswith("!")
    if negated:
        body = body[1:].strip()
        if not body:
            return None, 'invalid pattern "!": an exclusion needs a pattern after "!"'
    body = _go_clean(body)
    if len(body) > 1 and body.startswith("/"):
        body = body[1:]
    problem = _go_match_syntax_error(body)
    if problem is None:
        regex = _docker_regex(body)
        problem = _regex_error(regex)
        if problem is None:
            return IgnorePattern(line, negated, number, body, regex=regex), None
    return None, f"invalid pattern {line.strip()!r}: {problem}"


def _go_match_syntax_error(pattern: str) -> str | None:
    """What Go's filepath.Match rejects with ErrBadPattern (docker fails the build on it)."""
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                return "ends with a lone backslash"
            i += 2
        elif ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and pattern[i] == "]" and ranges > 0:
                    i += 1
                    break
                i = _go_class_char(pattern, i)
                if i < 0:
                    return "malformed [...] character class"
                if i < n and pattern[i] == "-":
                    i = _go_class_char(pattern, i + 1)
                    if i < 0:
                        return "malformed [...] character class"
                ranges += 1
        else:
            i += 1
    return None


def _go_class_char(pattern: str, i: int) -> int:
    """Go's getEsc: index after one class character, or -1 where Match reports a bad pattern."""
    if i >= len(pattern) or pattern[i] in "-]":
        return -1
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            return -1
    return i + 1


def _docker_regex(pattern: str) -> str:
    """The Python regex (without anchors) for a cleaned docker pattern.

    Mirrors Pattern.compile: it decides between an exact, prefix ("foo/**"), suffix ("**/foo")
    and regexp comparison, and those compare differently (an exact pattern is compared as a plain
    string, backslashes included), so each case is rendered as the equivalent regex.
    """
    out: list[str] = []
    kind = "exact"
    i, n, step = 0, len(pattern), 0
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1  # "**/" is treated as "**"
                if i >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        out.append(".*")
                        kind = "regexp"
                else:
                    out.append("(?:.*/)?")
                    kind = "regexp"
                if step == 0:
                    kind = "suffix"
            else:
                out.append("[^/]*")
                kind = "regexp"
        elif ch == "?":
            out.append("[^/]")
            kind = "regexp"
        elif ch in ".+()|{}$":
            out.append("\\" + ch)
        elif ch == "\\":
            # Go escapes the next character; a lone trailing backslash was rejected earlier.
            out.append("\\" + pattern[i] if i < n else "\\\\")
            i += 1
        elif ch in "[]":
            out.append(ch)
            kind = "regexp"
        else:
            # Go appends other characters unescaped; they mean the same in Python's re.
            out.append(ch)
        step += 1
    if kind == "exact":
        return re.escape(pattern)
    if kind == "prefix":
        return re.escape(pattern[:-2]) + ".*"
    if kind == "suffix":
        suffix = pattern[2:]
        alternatives = [".*" + re.escape(suffix)]
        if suffix.startswith("/"):
            alternatives.append(re.escape(suffix[1:]))  # "**/foo" also matches "foo"
        return "(?:" + "|".join(alternatives) + ")"
    return "".join(out)


def _compile_quietly(regex: str) -> re.Pattern[str]:
    with warnings.catch_warnings():
        # A literal "[" inside a class ("[[a]") is fine today but draws a FutureWarning.
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(regex)


def _regex_error(regex: str) -> str | None:
    try:
        _compile_quietly(regex)
    except re.error as exc:
        return str(exc)
    except (RecursionError, OverflowError):
        return "too complex"
    return None


# ---------------------------------------------------------------------------------------------
# git: gitignore(5)
# ---------------------------------------------------------------------------------------------

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _git_pattern(line: str, number: int) -> IgnorePattern | None:
    if not line or line.startswith("#"):
        return None
    body = _strip_unescaped_trailing_spaces(line)
    negated = body.startswith("!")
    if negated:
        body = body[1:]
    dir_only = body.endswith("/")
    if dir_only:
        body = body[:-1]
    # A slash at the start or in the middle anchors the pattern to the ignore file's directory.
    anchored = "/" in body
    if body.startswith("/"):
        body = body[1:]
    if not body:
        return None
    regex: str | None = _git_regex(body)
    if regex is not None and _regex_error(regex) is not None:
        regex = None
    return IgnorePattern(line, negated, number, body, dir_only, not anchored, regex)


def _strip_unescaped_trailing_spaces(line: str) -> str:
    end = len(line)
    while end > 0 and line[end - 1] == " ":
        backslashes = len(line[: end - 1]) - len(line[: end - 1].rstrip("\\"))
        if backslashes % 2:
            break  # "\ " is a quoted space and stays
        end -= 1
    return line[:end]


def _git_regex(pattern: str) -> str | None:
    """Regex (without anchors) for a gitignore glob, None if git would never match it. `**` is
    special only as a whole segment."""
    segments = pattern.split("/")
    if any(_git_segment(s) is None for s in segments if s != "**"):
        return None
    out = ""
    need_slash = False
    for index, segment in enumerate(segments):
        sep = "/" if need_slash else ""
        if segment == "**":
            if index == len(segments) - 1:
                out += sep + ".*"  # "dir/**": everything inside; "**": everything
            else:
                out += sep + "(?:.*/)?"  # "**/x", "a/**/b": zero or more directories
                need_slash = False
            continue
        out += sep + (_git_segment(segment) or "")
        need_slash = True
    return out


def _git_segment(segment: str) -> str | None:
    out: list[str] = []
    i, n = 0, len(segment)
    while i < n:
        ch = segment[i]
        if ch == "*":
            while i < n and segment[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 >= n:
                return None  # a trailing backslash makes the pattern invalid: never matches
            i += 1
            out.append(re.escape(segment[i]))
        elif ch == "[":
            end, cls = _git_class(segment, i)
            if end < 0:
                out.append(re.escape(ch))  # no closing "]": a literal "["
            elif cls is None:
                return None  # unknown [:name:] class: git's wildmatch gives up on the pattern
            else:
                out.append(cls)
                i = end
                continue
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _git_class(segment: str, start: int) -> tuple[int, str | None]:
    """(index after "]", regex class) for the bracket expression at `start`; (-1, None) if the
    bracket never closes."""
    i, n = start + 1, len(segment)
    negated = i < n and segment[i] in "!^"
    if negated:
        i += 1
    items: list[str] = []
    first = True
    while i < n:
        ch = segment[i]
        if ch == "]" and not first:
            body = "".join(items)
            # A bracket expression never matches "/" in a path (wildmatch's WM_PATHNAME).
            return i + 1, (f"[^/{body}]" if negated else f"[{body}]")
        first = False
        if ch == "[" and segment.startswith("[:", i):
            close = segment.find(":]", i + 2)
            if close >= 0:
                name = segment[i + 2 : close]
                if name not in _POSIX_CLASSES:
                    end = segment.find("]", close + 2)
                    return (end + 1 if end >= 0 else -1), None
                items.append(_POSIX_CLASSES[name])
                i = close + 2
                continue
        if ch == "\\" and i + 1 < n:
            i += 1
            ch = segment[i]
        if ch == "-" and items and i + 1 < n and segment[i + 1] != "]":
            items.append("-")
        else:
            items.append(re.escape(ch))
        i += 1
    return -1, None
