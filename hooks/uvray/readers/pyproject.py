"""pyproject.toml, uv.lock and .python-version: the uv side of a project, as plain data.

Every reader returns (model, errors) and never raises on bad input: one broken file must not stop
uvray from checking the others. Line numbers are best effort (tomllib gives none), so every line is
``int | None`` and None means "point at the file".
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

from uvray.findings import InputError

# ---------------------------------------------------------------------------------------------
# Names and requirements (PEP 503 / PEP 508)
# ---------------------------------------------------------------------------------------------

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_NAME_RE = re.compile(_NAME)
_NORMALISE_RE = re.compile(r"[-_.]+")
_REQ_HEAD_RE = re.compile(r"\s*(" + _NAME + r")\s*(?:\[([^\]]*)\]\s*)?")
# Longest operators first so "===" is not read as "==" followed by "=...".
_CLAUSE_RE = re.compile(r"(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;()]+)")
_VERSION_RE = re.compile(r"[A-Za-z0-9_.*+!-]+")


def normalize_name(name: str) -> str:
    """PEP 503 name: what pip, uv and PyPI compare ("Ray_Core" and "ray-core" are one project)."""
    return _NORMALISE_RE.sub("-", name).lower()


@dataclass
class Requirement:
    name: str  # PEP 503 normalised
    text: str  # the string as written
    extras: tuple[str, ...] = ()  # PEP 685 normalised, in written order
    specifier: str = ""  # clauses joined by "," without spaces, e.g. ">=2.47,<3"; "" for none
    marker: str | None = None  # the text after ";", stripped
    line: int | None = None
    url: str | None = None  # for "name @ url"


def parse_requirement(text: str, line: int | None = None) -> Requirement | None:
    """Parse the PEP 508 forms that appear in pyproject files; None when the string is not one."""
    head = _REQ_HEAD_RE.match(text)
    if head is None:
        return None
    extras = _parse_extras(head.group(2))
    if extras is None:
        return None
    rest = text[head.end() :]
    url: str | None = None
    if rest.startswith("@"):
        # PEP 508: a URL runs to whitespace, so a marker after a URL needs a space before ";".
        after = rest[1:].strip()
        found = re.search(r"\s+;", after)
        url = after if found is None else after[: found.start()]
        marker_text = None if found is None else after[found.end() :]
        if not url or re.search(r"\s", url):
            return None
        specifier = ""
    else:
        spec_text, sep, marker_part = rest.partition(";")
        marker_text = marker_part if sep else None
        parsed = _parse_specifier(spec_text)
        if parsed is None:
            return None
        specifier = parsed
    marker: str | None = None
    if marker_text is not None:
        marker = marker_text.strip()
        if not marker:
            return None
    return Requirement(
        name=normalize_name(head.group(1)),
        text=text,
        extras=extras,
        specifier=specifier,
        marker=marker,
        line=line,
        url=url,
    )


def _parse_extras(inner: str | None) -> tuple[str, ...] | None:
    if inner is None or not inner.strip():
        return ()
    extras = []
    for part in inner.split(","):
        part = part.strip()
        if not _NAME_RE.fullmatch(part):
            return None
        extras.append(normalize_name(part))
    return tuple(extras)


def _parse_specifier(spec: str) -> str | None:
    spec = spec.strip()
    if spec.startswith("("):
        if not spec.endswith(")"):
            return None
        spec = spec[1:-1].strip()
    if not spec:
        return ""
    clauses = []
    for clause in spec.split(","):
        found = _CLAUSE_RE.fullmatch(clause.strip())
        if found is None:
            return None
        op, version = found.groups()
        if op != "===" and not _VERSION_RE.fullmatch(version):
            return None
        clauses.append(op + version)
    return ",".join(clauses)


# ---------------------------------------------------------------------------------------------
# Line locator: tomllib reports no positions, so a tiny scanner records where keys and tables
# are defined. It understands headers, dotted keys, strings (incl. multi-line) and brackets,
# which is enough to not be fooled by "[tool.uv]" inside a string or a multi-line array.
# ---------------------------------------------------------------------------------------------

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DOTTED_KEY = _KEY_PART + r"(?:[ \t]*\.[ \t]*" + _KEY_PART + r")*"
_HEADER_RE = re.compile(r"[ \t]*\[(\[?)[ \t]*(" + _DOTTED_KEY + r")[ \t]*\]\]?[ \t]*(?:#.*)?\r?$")
_KEYLINE_RE = re.compile(r"[ \t]*(" + _DOTTED_KEY + r")[ \t]*=")
_KEY_PART_RE = re.compile(_KEY_PART)
_VALUE_TOKEN_RE = re.compile(r"\"\"\"|'''|[\"'#\[\]{}]")
_BASIC_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class _Entry:
    line: int
    path: tuple[str, ...]


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for found in _KEY_PART_RE.finditer(dotted):
        part = found.group(0)
        if part[0] == '"':
            part = part[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        elif part[0] == "'":
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)


def _find_multiline_end(line: str, start: int, delim: str) -> int:
    """Index just past the closing delimiter of a multi-line string, or -1 if it is not here."""
    i = start
    while True:
        j = line.find(delim, i)
        if j < 0:
            return -1
        if delim == '"""':
            backslashes = len(line[:j]) - len(line[:j].rstrip("\\"))
            if backslashes % 2:
                i = j + 1
                continue
        end = j + 3
        # Up to two quote characters right before the delimiter belong to the string.
        extra = 0
        while extra < 2 and end < len(line) and line[end] == delim[0]:
            end += 1
            extra += 1
        return end


def _scan_value(line: str, pos: int, depth: int) -> tuple[str | None, int]:
    """Follow strings and brackets to the end of a line: (open multi-line delimiter, depth)."""
    while True:
        token = _VALUE_TOKEN_RE.search(line, pos)
        if token is None:
            return None, depth
        kind = token.group(0)
        if kind in ('"""', "'''"):
            end = _find_multiline_end(line, token.end(), kind)
            if end < 0:
                return kind, depth
            pos = end
        elif kind == '"':
            closed = _BASIC_STRING_RE.match(line, token.start())
            if closed is None:
                return None, depth
            pos = closed.end()
        elif kind == "'":
            end = line.find("'", token.end())
            if end < 0:
                return None, depth
            pos = end + 1
        elif kind == "#":
            return None, depth
        else:
            depth = depth + 1 if kind in "[{" else max(0, depth - 1)
            pos = token.end()


class _Locator:
    """Where tables, keys and strings are written in one TOML text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.entries = _scan_entries(text)
        self._entry_lines = [e.line for e in self.entries]
        starts = [0]
        for found in re.finditer("\n", text):
            starts.append(found.end())
        self._line_starts = starts

    def line_of(self, path: tuple[str, ...]) -> int | None:
        """First line defining `path` or something inside it; else the innermost enclosing
        definition (e.g. ``uv = { package = false }`` for tool.uv.package)."""
        if not path:
            return None
        n = len(path)
        best: _Entry | None = None
        for entry in self.entries:
            if entry.path[:n] == path:
                return entry.line
            m = len(entry.path)
            if m < n and path[:m] == entry.path and (best is None or m > len(best.path)):
                best = entry
        return None if best is None else best.line

    def string_line(self, start: int | None, value: str) -> int | None:
        """Line of the first quoted `value` between line `start` and the next key or table."""
        if start is None:
            return None
        after = bisect.bisect_right(self._entry_lines, start)
        end_line = self._entry_lines[after] if after < len(self._entry_lines) else None
        lo = self._line_starts[start - 1] if start - 1 < len(self._line_starts) else len(self.text)
        hi = len(self.text)
        if end_line is not None and end_line - 1 < len(self._line_starts):
            hi = self._line_starts[end_line - 1]
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        hits = [
            self.text.find(quoted, lo, hi)
            for quoted in ('"' + escaped + '"', "'" + value + "'", '"""' + value + '"""')
        ]
        hits = [h for h in hits if h >= 0]
        if not hits:
            return start
        return bisect.bisect_right(self._line_starts, min(hits))


def _scan_entries(text: str) -> list[_Entry]:
    entries: list[_Entry] = []
    table: tuple[str, ...] = ()
    open_string: str | None = None
    depth = 0
    for number, line in enumerate(text.split("\n"), 1):
        pos = 0
        if open_string is not None:
            end = _find_multiline_end(line, 0, open_string)
            if end < 0:
                continue
            open_string, pos = None, end
        elif depth == 0:
            header = _HEADER_RE.match(line)
            if header is not None:
                table = _split_key(header.group(2))
                entries.append(_Entry(number, table))
                continue
            keyline = _KEYLINE_RE.match(line)
            if keyline is None:
                continue  # blank, comment, or something tomllib has already rejected
            entries.append(_Entry(number, table + _split_key(keyline.group(1))))
            pos = keyline.end()
        open_string, depth = _scan_value(line, pos, depth)
    return entries


def _line_of_table(text: str, table: str) -> int | None:
    """Line where the dotted `table` (e.g. "tool.uv") is first defined; None if not found."""
    return _Locator(text).line_of(tuple(table.split(".")))


def _line_of_key(text: str, table: str, key: str) -> int | None:
    """Line where `key` of the dotted `table` is defined ("" for the root table)."""
    prefix = tuple(table.split(".")) if table else ()
    return _Locator(text).line_of((*prefix, *key.split(".")))


# ---------------------------------------------------------------------------------------------
# TOML parsing shared by pyproject.toml and uv.lock
# ---------------------------------------------------------------------------------------------

_TOML_POSITION_RE = re.compile(
    r"\s*\(at line (\d+), column \d+\)\s*$|\s*\(at end of document\)\s*$"
)


def _load_toml(text: str, display: str) -> tuple[dict | None, InputError | None]:
    # Imported here so importing uvray stays cheap and Python 3.9/3.10 only needs tomli when a
    # TOML file is actually read.
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]
        except ImportError:
            return None, InputError(display, "cannot read TOML: install tomli (Python < 3.11)")
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return None, _toml_error(exc, text, display)
    except ValueError as exc:
        # int() refuses integers over 4300 digits before tomllib can wrap the error.
        return None, InputError(display, f"invalid TOML: {exc}")
    except RecursionError:
        # Thousands of nested arrays exhaust the pure-Python parser's stack.
        return None, InputError(display, "invalid TOML: nested too deeply")


def _toml_error(exc: Exception, text: str, display: str) -> InputError:
    # Python 3.14 keeps the bare reason and the line on the exception; older versions (and
    # tomli) only put "(at line 3, column 5)" at the end of the message.
    bare = getattr(exc, "msg", None)
    line = getattr(exc, "lineno", None)
    message = bare if isinstance(bare, str) else (str(exc.args[0]) if exc.args else str(exc))
    found = _TOML_POSITION_RE.search(message)
    if found is not None:
        if not isinstance(line, int):
            line = int(found.group(1)) if found.group(1) else text.count("\n") + 1
        message = message[: found.start()]
    return InputError(display, f"invalid TOML: {message}", line if isinstance(line, int) else None)


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _directory_of(display: str) -> str:
    directory = posixpath.dirname(display)
    return "" if directory in (".", "/") else directory


# ---------------------------------------------------------------------------------------------
# pyproject.toml
# ---------------------------------------------------------------------------------------------

SOURCE_KINDS = ("path", "editable-path", "workspace", "git", "url", "index", "other")


@dataclass
class UvSource:
    """One entry of ``[tool.uv.sources]``; a list of sources yields one UvSource per item."""

    name: str  # PEP 503 normalised package name
    kind: str  # one of SOURCE_KINDS
    value: str | None  # the path, git/url address or index name; None for workspace/other
    line: int | None = None
    marker: str | None = None
    raw: dict = field(default_factory=dict)


@dataclass
class Pyproject:
    path: str  # repo-relative display path
    dir: str = ""  # repo-relative directory, "" for the repository root
    has_project: bool = False
    project_line: int | None = None
    name: str | None = None  # as written; see normalized_name
    name_line: int | None = None
    version: str | None = None
    requires_python: str | None = None
    requires_python_line: int | None = None
    dependencies: list[Requirement] = field(default_factory=list)
    dependencies_line: int | None = None
    # Keys (extra and group names) are PEP 685 normalised.
    optional_dependencies: dict[str, list[Requirement]] = field(default_factory=dict)
    dependency_groups: dict[str, list[Requirement]] = field(default_factory=dict)
    build_system: bool = False
    build_backend: str | None = None
    build_system_line: int | None = None
    build_requires: list[Requirement] = field(default_factory=list)
    uv_line: int | None = None  # where [tool.uv] is first defined
    uv_package: bool | None = None
    uv_package_line: int | None = None
    # One source per package name (the first item when [tool.uv.sources] gives a list)...
    uv_sources: dict[str, UvSource] = field(default_factory=dict)
    # ...and every source item, in file order.
    uv_source_list: list[UvSource] = field(default_factory=list)
    has_workspace: bool = False
    workspace_members: list[str] = field(default_factory=list)
    workspace_exclude: list[str] = field(default_factory=list)
    workspace_line: int | None = None
    required_version: str | None = None
    required_version_line: int | None = None
    uvray_table: dict | None = None
    uvray_line: int | None = None
    # Where the import package lives, as the build configuration declares it: paths relative to
    # the project directory ("src/rayproj", "src") or bare package names ("rayproj").
    packages_hint: list[str] = field(default_factory=list)
    # True: the code lives in a subdirectory (src/ layout), so the project root on sys.path does
    # not make it importable; False: declared at the root; None: nothing says.
    src_layout_hint: bool | None = None
    data: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def packaged(self) -> bool:
        """Whether uv builds and installs the project itself (uv's `tool.uv.package` rule)."""
        if self.uv_package is not None:
            return self.uv_package
        return self.build_system

    @property
    def normalized_name(self) -> str | None:
        return None if self.name is None else normalize_name(self.name)

    @property
    def is_virtual_workspace_root(self) -> bool:
        return self.has_workspace and not self.has_project

    def all_requirements(self) -> list[Requirement]:
        """Dependencies, then every extra, then every group; an included group's requirements
        appear once even when several groups include it."""
        seen: set[int] = set()
        result: list[Requirement] = []
        groups = [self.dependencies, *self.optional_dependencies.values()]
        groups.extend(self.dependency_groups.values())
        for group in groups:
            for req in group:
                if id(req) not in seen:
                    seen.add(id(req))
                    result.append(req)
        return result


class _Reader:
    """Pulls typed values out of parsed TOML, recording an InputError for each wrong type."""

    def __init__(self, data: dict, locator: _Locator, display: str) -> None:
        self.data = data
        self.locator = locator
        self.display = display
        self.errors: list[InputError] = []

    def line(self, path: tuple[str, ...]) -> int | None:
        return self.locator.line_of(path)

    def get(self, path: tuple[str, ...], types: tuple[type, ...], expected: str) -> Any:
        """The value at `path` if it has one of `types`; None (plus an error) otherwise."""
        node: Any = self.data
        for key in path:
            # A parent that is not a table was reported when the parent itself was read.
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        if isinstance(node, types) and not (isinstance(node, bool) and bool not in types):
            return node
        self.wrong(path, node, expected)
        return None

    def wrong(
        self, path: tuple[str, ...], value: object, expected: str, index: int | None = None
    ) -> None:
        where = ".".join(path) + ("" if index is None else f"[{index}]")
        message = f"{where} must be {expected}, not {_type_name(value)}"
        self.errors.append(InputError(self.display, message, self.line(path)))

    def strings(self, path: tuple[str, ...]) -> list[str]:
        values = self.get(path, (list,), "an array of strings")
        result = []
        for index, value in enumerate(values or []):
            if isinstance(value, str):
                result.append(value)
            else:
                self.wrong(path, value, "a string", index)
        return result

    def requirement(self, text: str, path: tuple[str, ...], key_line: int | None):
        line = self.locator.string_line(key_line, text)
        req = parse_requirement(text, line)
        if req is None:
            where = ".".join(path)
            message = f"invalid requirement {text!r} in {where}"
            self.errors.append(InputError(self.display, message, line))
        return req

    def requirements(self, path: tuple[str, ...]) -> list[Requirement]:
        key_line = self.line(path)
        result = []
        for text in self.strings(path):
            req = self.requirement(text, path, key_line)
            if req is not None:
                result.append(req)
        return result


def read_pyproject(text: str, display_path: str) -> tuple[Pyproject | None, list[InputError]]:
    """Parse a pyproject.toml. Invalid TOML gives (None, [error]); wrong types give a model
    without the bad values plus one error each."""
    data, error = _load_toml(text, display_path)
    if data is None:
        return None, [error] if error else []
    r = _Reader(data, _Locator(text), display_path)
    p = Pyproject(path=display_path, dir=_directory_of(display_path), data=data)
    _read_project(r, p)
    _read_build_system(r, p)
    r.get(("tool",), (dict,), "a table")  # reports a non-table once; readers below skip it
    _read_tool_uv(r, p)
    _read_dependency_groups(r, p)
    uvray = r.get(("tool", "uvray"), (dict,), "a table")
    if uvray is not None:
        p.uvray_table = uvray
        p.uvray_line = r.line(("tool", "uvray"))
    p.packages_hint, p.src_layout_hint = _layout_hints(data, p)
    return p, r.errors


def _read_project(r: _Reader, p: Pyproject) -> None:
    if r.get(("project",), (dict,), "a table") is None:
        return
    p.has_project = True
    p.project_line = r.line(("project",))
    p.name = r.get(("project", "name"), (str,), "a string")
    if p.name is not None:
        p.name_line = r.line(("project", "name"))
    p.version = r.get(("project", "version"), (str,), "a string")
    p.requires_python = r.get(("project", "requires-python"), (str,), "a string")
    if p.requires_python is not None:
        p.requires_python_line = r.line(("project", "requires-python"))
    p.dependencies = r.requirements(("project", "dependencies"))
    if "dependencies" in r.data["project"]:
        p.dependencies_line = r.line(("project", "dependencies"))
    extras = r.get(("project", "optional-dependencies"), (dict,), "a table")
    for extra in extras or {}:
        reqs = r.requirements(("project", "optional-dependencies", extra))
        p.optional_dependencies.setdefault(normalize_name(extra), []).extend(reqs)


def _read_build_system(r: _Reader, p: Pyproject) -> None:
    if r.get(("build-system",), (dict,), "a table") is None:
        return
    p.build_system = True
    p.build_system_line = r.line(("build-system",))
    p.build_backend = r.get(("build-system", "build-backend"), (str,), "a string")
    p.build_requires = r.requirements(("build-system", "requires"))


def _read_tool_uv(r: _Reader, p: Pyproject) -> None:
    if r.get(("tool", "uv"), (dict,), "a table") is None:
        return
    p.uv_line = r.line(("tool", "uv"))
    p.uv_package = r.get(("tool", "uv", "package"), (bool,), "true or false")
    if p.uv_package is not None:
        p.uv_package_line = r.line(("tool", "uv", "package"))
    p.required_version = r.get(("tool", "uv", "required-version"), (str,), "a string")
    if p.required_version is not None:
        p.required_version_line = r.line(("tool", "uv", "required-version"))
    sources = r.get(("tool", "uv", "sources"), (dict,), "a table")
    for raw_name, value in (sources or {}).items():
        path = ("tool", "uv", "sources", raw_name)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                where = None if items is not value else index
                r.wrong(path, item, "a table or an array of tables", where)
                continue
            source = _uv_source(normalize_name(raw_name), item, r.line(path))
            p.uv_source_list.append(source)
            p.uv_sources.setdefault(source.name, source)
    workspace = r.get(("tool", "uv", "workspace"), (dict,), "a table")
    if workspace is not None:
        p.has_workspace = True
        p.workspace_line = r.line(("tool", "uv", "workspace"))
        p.workspace_members = r.strings(("tool", "uv", "workspace", "members"))
        p.workspace_exclude = r.strings(("tool", "uv", "workspace", "exclude"))


def _uv_source(name: str, item: dict, line: int | None) -> UvSource:
    marker = item.get("marker") if isinstance(item.get("marker"), str) else None

    def make(kind: str, value: object = None) -> UvSource:
        text = value if isinstance(value, str) else None
        return UvSource(name, kind, text, line, marker, item)

    if item.get("workspace") is True:
        return make("workspace")
    if "git" in item:
        return make("git", item["git"])
    if "url" in item:
        return make("url", item["url"])
    if "path" in item:
        return make("editable-path" if item.get("editable") is True else "path", item["path"])
    if "index" in item:
        return make("index", item["index"])
    return make("other")


def _read_dependency_groups(r: _Reader, p: Pyproject) -> None:
    # Gather each group's own items first (requirements and include-group references), then
    # resolve includes, because a group may include one defined further down the file.
    raw: dict[str, list[Requirement | tuple[str, int | None]]] = {}
    groups = r.get(("dependency-groups",), (dict,), "a table")
    for raw_name, items in (groups or {}).items():
        path = ("dependency-groups", raw_name)
        own = raw.setdefault(normalize_name(raw_name), [])
        if not isinstance(items, list):
            r.wrong(path, items, "an array")
            continue
        key_line = r.line(path)
        for index, item in enumerate(items):
            if isinstance(item, str):
                req = r.requirement(item, path, key_line)
                if req is not None:
                    own.append(req)
            elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
                own.append((normalize_name(item["include-group"]), key_line))
            else:
                expected = 'a requirement string or {include-group = "..."}'
                r.wrong(path, item, expected, index)
    # uv's legacy spelling; uv merges it into the "dev" group.
    uv = _table(r.data, "tool", "uv")
    if "dev-dependencies" in uv:
        raw.setdefault("dev", []).extend(r.requirements(("tool", "uv", "dev-dependencies")))
    p.dependency_groups = _resolve_groups(raw, r)


def _resolve_groups(
    raw: dict[str, list[Requirement | tuple[str, int | None]]], r: _Reader
) -> dict[str, list[Requirement]]:
    resolved: dict[str, list[Requirement]] = {}
    reported: set[tuple[str, str]] = set()

    def resolve(name: str, stack: tuple[str, ...]) -> list[Requirement]:
        if name in resolved:
            return resolved[name]
        result: list[Requirement] = []
        for item in raw[name]:
            if isinstance(item, Requirement):
                result.append(item)
                continue
            target, line = item
            problem = None
            if target not in raw:
                problem = f"dependency group {name!r} includes unknown group {target!r}"
            elif target in stack or target == name:
                problem = (
                    f"dependency group {name!r} includes {target!r}, "
                    f"which includes {name!r} again (a cycle)"
                )
            if problem is not None:
                if (name, target) not in reported:
                    reported.add((name, target))
                    r.errors.append(InputError(r.display, problem, line))
                continue
            result.extend(resolve(target, (*stack, name)))
        resolved[name] = result
        return result

    for name in raw:
        resolve(name, ())
    return {name: resolved[name] for name in raw}


# Layout hints -------------------------------------------------------------------------------


def _clean_rel(path: str) -> str:
    cleaned = posixpath.normpath(path.replace("\\", "/").strip()).strip("/")
    return "" if cleaned == "." else cleaned


def _root_is_subdir(root: str) -> bool:
    """A source root ("src", "", ".") puts the code in a subdirectory unless it is the root."""
    return _clean_rel(root) != ""


def _package_is_subdir(package_path: str) -> bool:
    """A package path ("src/pkg", "pkg") is in a subdirectory when it has a parent directory."""
    return "/" in _clean_rel(package_path)


def _table(data: object, *path: str) -> dict:
    node = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _layout_hints(data: dict, p: Pyproject) -> tuple[list[str], bool | None]:
    # Build-backend configuration is the backend's to validate; shapes not understood here are
    # simply not evidence, never an error.
    hints: list[str] = []
    votes: list[bool] = []

    def add(path: str, is_subdir: Callable[[str], bool]) -> None:
        hints.append(_clean_rel(path) or ".")
        votes.append(is_subdir(path))

    tool = _table(data, "tool")
    hatch_build = _table(tool, "hatch", "build")
    for config in (hatch_build, _table(hatch_build, "targets", "wheel")):
        packages = config.get("packages")
        for package in packages if isinstance(packages, list) else []:
            if isinstance(package, str):
                add(package, _package_is_subdir)
        sources = config.get("sources")
        if isinstance(sources, list):
            for source in sources:
                if isinstance(source, str):
                    add(source, _root_is_subdir)
        elif isinstance(sources, dict):
            for prefix in sources:
                add(prefix, _root_is_subdir)

    setuptools = _table(tool, "setuptools")
    package_dir = setuptools.get("package-dir")
    root_mapped = False
    for package, directory in (package_dir if isinstance(package_dir, dict) else {}).items():
        if not isinstance(directory, str):
            continue
        if package == "":
            root_mapped = True
            add(directory, _root_is_subdir)
        else:
            add(directory, _package_is_subdir)
    packages = setuptools.get("packages")
    if isinstance(packages, list):
        for package in packages:
            if isinstance(package, str):
                hints.append(package)
                if not root_mapped:
                    votes.append(False)
    where = _table(setuptools, "packages", "find").get("where")
    for root in where if isinstance(where, list) else []:
        if isinstance(root, str):
            add(root, _root_is_subdir)

    backend = _table(data, "build-system").get("build-backend")
    if isinstance(backend, str) and backend.split(".")[0] == "uv_build":
        config = _table(tool, "uv", "build-backend")
        module_root = config.get("module-root", "src")  # uv_build's documented default
        module_name = config.get("module-name")
        if not isinstance(module_name, str) and p.name:
            module_name = normalize_name(p.name).replace("-", "_")
        if isinstance(module_root, str):
            votes.append(_root_is_subdir(module_root))
            if isinstance(module_name, str):
                hints.append(posixpath.join(_clean_rel(module_root), module_name))
            else:
                hints.append(_clean_rel(module_root) or ".")

    poetry_packages = _table(tool, "poetry").get("packages")
    for entry in poetry_packages if isinstance(poetry_packages, list) else []:
        include = entry.get("include") if isinstance(entry, dict) else None
        if not isinstance(include, str):
            continue
        source = entry.get("from")
        if isinstance(source, str):
            add(posixpath.join(source, include), _package_is_subdir)
        else:
            add(include, _package_is_subdir)

    # flit finds <name>/ or src/<name>/ by itself, so its module name is a hint, not a vote.
    flit_name = _table(tool, "flit", "module").get("name")
    if isinstance(flit_name, str):
        hints.append(flit_name)

    pdm_dir = _table(tool, "pdm", "build").get("package-dir")
    if isinstance(pdm_dir, str):
        add(pdm_dir, _root_is_subdir)

    hints = list(dict.fromkeys(hints))  # several tables often name the same directory
    if any(votes):
        return hints, True
    return hints, (False if votes else None)


# ---------------------------------------------------------------------------------------------
# uv.lock
# ---------------------------------------------------------------------------------------------


@dataclass
class LockPackage:
    name: str  # PEP 503 normalised
    version: str | None
    source: dict[str, str]  # e.g. {"registry": "https://pypi.org/simple"}, {"editable": "."}
    line: int | None = None  # the line of this entry's [[package]] header

    @property
    def source_kind(self) -> str | None:
        """registry, editable, virtual, directory, path, git or url (the source's first key)."""
        return next(iter(self.source), None)


@dataclass
class UvLock:
    path: str
    dir: str
    lock_version: int | None
    requires_python: str | None
    packages: list[LockPackage] = field(default_factory=list)
    manifest_members: list[str] = field(default_factory=list)  # workspace members, normalised
    _index: dict[str, list[LockPackage]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def _by_name(self) -> dict[str, list[LockPackage]]:
        if self._index is None:
            index: dict[str, list[LockPackage]] = {}
            for package in self.packages:
                index.setdefault(package.name, []).append(package)
            self._index = index
        return self._index

    def versions_of(self, name: str) -> list[str]:
        """Every locked version of `name` (any spelling); several when markers split the lock."""
        found = self._by_name().get(normalize_name(name), [])
        return [p.version for p in found if p.version is not None]

    def package(self, name: str) -> LockPackage | None:
        found = self._by_name().get(normalize_name(name))
        return found[0] if found else None

    def project_entries(self) -> list[LockPackage]:
        """The entries for the project in the lock's own directory (source "." ), i.e. the
        project that `uv sync` installs from this directory."""
        return [
            p
            for p in self.packages
            if any(p.source.get(k) == "." for k in ("editable", "virtual", "directory"))
        ]

    def __len__(self) -> int:
        return len(self.packages)


_LOCK_HEADER_RE = re.compile(r"^[ \t]*\[\[[ \t]*package[ \t]*\]\][ \t]*(?:#.*)?\r?$", re.MULTILINE)
_LOCK_KEY_RE = re.compile(r"([A-Za-z0-9_-]+) = (.*)")
_LOCK_STRING_RE = re.compile(r'"([^"\\]*)"')
_LOCK_INLINE_RE = re.compile(r'\{ ((?:[A-Za-z0-9_-]+ = "[^"\\]*"(?:, )?)*) \}')
_LOCK_INLINE_ITEM_RE = re.compile(r'([A-Za-z0-9_-]+) = "([^"\\]*)"')
_LOCK_ARRAY_ITEM_RE = re.compile(r'[ \t]+"([^"\\]*)",?')
_COLUMN0_RE = re.compile(r"\n([^ \t\n][^\n]*)")
_LOCK_OTHER_HEADER_RE = re.compile(
    r"\[(?:package\.|manifest\.|options)[A-Za-z0-9_.-]*\]|\[\[(?:package|manifest)\.[A-Za-z0-9_.-]+\]\]"
)
# How each single-line value uv writes must end, keyed by how it starts. Cheap, and enough to
# send a hand-mangled line to tomllib for a proper error instead of reading past it.
_VALUE_ENDS = {'"': '"', "{": "}", "[": "]"}


class _NotCanonical(Exception):
    """The lock is not in the layout uv writes; parse it with the full TOML parser instead."""


def read_uv_lock(text: str, display_path: str) -> tuple[UvLock | None, list[InputError]]:
    """Parse a uv.lock. Invalid TOML gives (None, [error])."""
    # tomllib needs ~1 s for a large lock (thousands of wheel lines), far too slow for a hook.
    # uv writes locks in one fixed layout, so read that layout line by line and hand anything
    # else (hand edits, merge-conflict markers) to tomllib, which also reports the errors.
    try:
        return _read_canonical_lock(text, display_path), []
    except _NotCanonical:
        pass
    data, error = _load_toml(text, display_path)
    if data is None:
        return None, [error] if error else []
    return _lock_from_toml(data, text, display_path)


def _read_canonical_lock(text: str, display: str) -> UvLock:
    lock = UvLock(display, _directory_of(display), None, None)
    table: str | None = ""  # "" top level, "package", "manifest", None for tables we skip
    array_key: str | None = None  # key of the multi-line array we are inside
    seen: set[str] = set()
    package: dict[str, Any] = {}

    def finish() -> None:
        if package:
            if "name" not in package:
                raise _NotCanonical
            lock.packages.append(
                LockPackage(
                    normalize_name(package["name"]),
                    package.get("version"),
                    package.get("source", {}),
                    package["line"],
                )
            )

    # Visit only lines that start in column 0: most of a lock is indented wheel lines inside
    # arrays, and jumping over them (instead of splitting every line) halves the time.
    number, counted = 1, 0  # line number of offset `counted`
    prev_end = 0  # offset of the newline ending the previous column-0 line
    for start, line in _column0_lines(text):
        if start - prev_end > 1:  # something between the previous column-0 line and this one
            gap = text[prev_end:start] if array_key in (None, "manifest.members") else ""
            if array_key is None and not gap.isspace():
                raise _NotCanonical  # an indented key: valid TOML, but not uv's layout
            if array_key == "manifest.members":
                lock.manifest_members.extend(_canonical_members(gap))
        prev_end = start + len(line)
        if array_key is not None:
            if line != "]":
                raise _NotCanonical
            array_key = None
            continue
        first = line[0]
        if first == "#":
            continue
        if first == "[":
            finish()
            package = {}
            seen = set()
            if line == "[[package]]":
                number += text.count("\n", counted, start)
                counted = start
                table = "package"
                package = {"line": number}
            elif line == "[manifest]":
                table = "manifest"
            elif _LOCK_OTHER_HEADER_RE.fullmatch(line):
                table = None  # [package.metadata], [manifest.dependency-groups], [options]...
            else:
                raise _NotCanonical
            continue
        keyed = _LOCK_KEY_RE.fullmatch(line)
        if keyed is None:
            raise _NotCanonical
        key, value = keyed.groups()
        if key in seen:
            raise _NotCanonical  # duplicate key: invalid TOML, let tomllib say so
        seen.add(key)
        if value == "[":
            array_key = f"{table}.{key}"
            continue
        if not _plausible_value(value):
            raise _NotCanonical
        if table == "":
            if key in ("package", "manifest"):
                raise _NotCanonical  # a table written as a key: let tomllib check its shape
            if key == "version":
                if not value.isdigit():
                    raise _NotCanonical
                lock.lock_version = int(value)
            elif key == "requires-python":
                lock.requires_python = _canonical_string(value)
        elif table == "package" and key in ("name", "version"):
            package[key] = _canonical_string(value)
        elif table == "package" and key == "source":
            inline = _LOCK_INLINE_RE.fullmatch(value)
            if inline is None:
                raise _NotCanonical
            package["source"] = dict(_LOCK_INLINE_ITEM_RE.findall(inline.group(1)))
        elif table == "manifest" and key == "members":
            raise _NotCanonical  # uv writes members one per line; other forms are rare
    if array_key is not None or (len(text) - prev_end > 1 and not text[prev_end:].isspace()):
        raise _NotCanonical
    finish()
    return lock


def _column0_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each line that does not start with a blank."""
    if text[:1] not in ("", " ", "\t", "\n"):
        end = text.find("\n")
        yield 0, text if end < 0 else text[:end]
    for found in _COLUMN0_RE.finditer(text):
        yield found.start(1), found.group(1)


def _canonical_members(gap: str) -> list[str]:
    members = []
    for line in gap.split("\n"):
        if line:
            item = _LOCK_ARRAY_ITEM_RE.fullmatch(line)
            if item is None:
                raise _NotCanonical
            members.append(normalize_name(item.group(1)))
    return members


def _plausible_value(value: str) -> bool:
    if not value:
        return False
    end = _VALUE_ENDS.get(value[0])
    if end is not None:
        return len(value) > 1 and value.endswith(end)
    return value in ("true", "false") or value.isdigit()


def _canonical_string(value: str) -> str:
    found = _LOCK_STRING_RE.fullmatch(value)
    if found is None:
        raise _NotCanonical
    return found.group(1)


def _lock_from_toml(data: dict, text: str, display: str) -> tuple[UvLock, list[InputError]]:
    errors: list[InputError] = []

    def wrong(where: str, value: object, expected: str, line: int | None = None) -> None:
        message = f"{where} must be {expected}, not {_type_name(value)}"
        errors.append(InputError(display, message, line))

    version = data.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        wrong("version", version, "an integer")
        version = None
    requires_python = data.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        wrong("requires-python", requires_python, "a string")
        requires_python = None
    lock = UvLock(display, _directory_of(display), version, requires_python)

    members = _table(data, "manifest").get("members")
    if isinstance(members, list):
        lock.manifest_members = [normalize_name(m) for m in members if isinstance(m, str)]

    packages = data.get("package", [])
    if not isinstance(packages, list):
        wrong("package", packages, "an array of tables")
        return lock, errors
    # Counting [[package]] headers is cheap; trust the count only when it lines up one-to-one.
    header_lines = []
    last, line = 0, 1
    for found in _LOCK_HEADER_RE.finditer(text):
        line += text.count("\n", last, found.start())
        last = found.start()
        header_lines.append(line)
    if len(header_lines) != len(packages):
        header_lines = [None] * len(packages)
    for entry, line in zip(packages, header_lines):
        if not isinstance(entry, dict):
            wrong("package", entry, "an array of tables", line)
            continue
        name = entry.get("name")
        if not isinstance(name, str):
            errors.append(InputError(display, "[[package]] entry without a name", line))
            continue
        version_value = entry.get("version")
        source = entry.get("source", {})
        if not isinstance(source, dict):
            wrong(f"source of package {name!r}", source, "a table", line)
            source = {}
        lock.packages.append(
            LockPackage(
                normalize_name(name),
                version_value if isinstance(version_value, str) else None,
                {str(k): str(v) for k, v in source.items()},
                line,
            )
        )
    return lock, errors


# ---------------------------------------------------------------------------------------------
# .python-version
# ---------------------------------------------------------------------------------------------

_MAJOR_MINOR_RE = re.compile(r"(?<![\d.])(\d+)\.(\d+)")


@dataclass
class PythonVersionFile:
    path: str
    version: str  # the request as written, e.g. "3.11", "3.11.7", "cpython@3.11"
    line: int

    @property
    def major_minor(self) -> tuple[int, int] | None:
        found = _MAJOR_MINOR_RE.search(self.version)
        return None if found is None else (int(found.group(1)), int(found.group(2)))


def read_python_version(
    text: str, display_path: str
) -> tuple[PythonVersionFile | None, list[InputError]]:
    """The first request in a .python-version file (uv uses the first one)."""
    for number, line in enumerate(text.split("\n"), 1):
        request = line.strip().lstrip("\ufeff")
        if request and not request.startswith("#"):
            return PythonVersionFile(display_path, request, number), []
    return None, [InputError(display_path, "no Python version in file")]
