"""Line-aware, hostile-input-safe YAML loading.

Design (what callers rely on):

* ``load_yaml(text, display)`` returns ``(docs, errors)``: one Python value per YAML document and
  a list of ``InputError``. It never raises. Documents completed before an error are kept, so a
  broken third document in a KubeRay manifest does not hide the first two.
* Values are plain Python values with SafeLoader semantics (YAML 1.1: ``on``/``yes`` -> True,
  ``010`` -> 8, timestamps -> ``datetime``), except that mappings are ``YMap`` (a ``dict``
  subclass) and sequences are ``YList`` (a ``list`` subclass). They compare equal to plain
  dicts/lists and carry where each part was written:

  - ``ymap.span`` / ``ymap.line``: where the mapping starts (its first key for block mappings);
  - ``ymap.key_spans[key]`` / ``ymap.value_spans[key]`` (``Span``), and the shortcuts
    ``ymap.key_lines`` / ``ymap.value_lines`` (``dict[key, int]``);
  - ``ylist.span``, ``ylist.item_spans[i]``, ``ylist.item_lines``.

  With SafeLoader keys, ``on``/``yes``/``true``/``1`` are the same key (True == 1) and the last
  one wins, as with ``safe_load``; ``str_keys=True`` keeps every key as the text written.

  A ``Span`` also keeps the scalar's ``style`` ("" plain, ``'``, ``"``, ``|``, ``>``) and ``raw``
  text (after unescaping, before type resolution), so readers that follow other YAML rules than
  PyYAML (GitHub reads ``on:`` as the string "on", ``3.10`` as 3.1) can redo the resolution.
  ``span.text_line`` is the line where a scalar's text starts: the line after the ``|``/``>``
  header for block scalars. For literal blocks, line ``i`` of the text is ``text_line + i``.

* Lines and columns are 1-based and already shifted by ``line_offset``/``column_offset``, which
  lets a YAML string embedded in another file (KubeRay ``runtimeEnvYAML: |``) report positions
  in the outer file.
* Aliases share the anchored object instead of copying it (spans inside point at the anchor),
  while the alias's own span (in the parent's ``value_spans``/``item_spans``) is where ``*name``
  was written. Merge keys ``<<`` follow the YAML merge spec: explicit keys win, then earlier
  merge sources (some PyYAML releases let later sources win; configs rarely depend on it).
* Hostile input: the expanded node count is capped (billion-laughs alias bombs), nesting depth is
  capped (no RecursionError, no deep C recursion in libyaml's composer because the tree is built
  here, iteratively, from parser events), recursive aliases are refused.
* Lenient where PyYAML's ``safe_load`` is strict but the intent is clear: unknown tags (``!Ref``)
  are ignored, a re-defined anchor replaces the earlier one, ``=``/``<<`` as values are strings.
  A scalar that cannot be constructed (``!!int abc``, a 5,000-digit int) is an ``InputError`` and
  is kept as its text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from uvray.findings import InputError, Location

MAX_NODES = 200_000
MAX_DEPTH = 200

_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG + "merge"
# Scalar tags whose SafeConstructor is safe and meaningful; anything else is kept as a string.
_SCALAR_TAGS = frozenset(
    _TAG + name for name in ("null", "bool", "int", "float", "binary", "timestamp", "str")
)


class Span(NamedTuple):
    """Where a YAML node was written. 1-based; end is exclusive (the character after the node)."""

    line: int
    column: int
    end_line: int
    end_column: int
    # Scalars only: "" plain, "'" / '"' quoted, "|" literal, ">" folded. None for collections.
    style: str | None = None
    # Scalars only: the text as written (escapes resolved), before int/bool/null resolution.
    raw: str | None = None

    @property
    def is_block(self) -> bool:
        return self.style in ("|", ">")

    @property
    def text_line(self) -> int:
        """Line of the scalar's first text line: block scalars start after their header line."""
        return self.line + 1 if self.is_block else self.line

    def location(self, path: str) -> Location:
        # A multi-line end would point at "column 1 of the next line" for block scalars, which
        # renders badly; only single-line spans keep their end.
        if self.end_line == self.line and self.end_column > self.column:
            return Location(path, self.line, self.column, self.end_line, self.end_column)
        return Location(path, self.line, self.column)


class YMap(dict):
    """A mapping that remembers where it, its keys and its values were written."""

    __slots__ = ("key_spans", "node_count", "span", "value_spans")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.span = Span(1, 1, 1, 1)
        self.key_spans: dict[Any, Span] = {}
        self.value_spans: dict[Any, Span] = {}
        # Nodes in the expanded subtree; what the alias-bomb limit counts.
        self.node_count = 1

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def key_lines(self) -> dict[Any, int]:
        return {k: s.line for k, s in self.key_spans.items()}

    @property
    def value_lines(self) -> dict[Any, int]:
        return {k: s.line for k, s in self.value_spans.items()}

    def key_location(self, key: Any, path: str) -> Location:
        span = self.key_spans.get(key, self.span)
        return span.location(path)

    def value_location(self, key: Any, path: str) -> Location:
        span = self.value_spans.get(key, self.span)
        return span.location(path)


class YList(list):
    """A sequence that remembers where it and each item were written."""

    __slots__ = ("item_spans", "node_count", "span")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.span = Span(1, 1, 1, 1)
        self.item_spans: list[Span] = []
        self.node_count = 1

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def item_lines(self) -> list[int]:
        return [s.line for s in self.item_spans]

    def item_location(self, index: int, path: str) -> Location:
        if 0 <= index < len(self.item_spans):
            return self.item_spans[index].location(path)
        return self.span.location(path)


def load_yaml(
    text: str,
    display: str,
    *,
    line_offset: int = 0,
    column_offset: int = 0,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
    str_keys: bool = False,
) -> tuple[list[Any], list[InputError]]:
    """Parse every document in ``text``. Returns (documents, errors); never raises.

    An empty stream gives ``[]``; an empty document (``---`` alone) gives ``None``.
    ``str_keys``: scalar mapping keys are kept as the text written (``on`` stays "on", ``1``
    stays "1"), for formats whose keys are always strings (GitHub workflows).
    """
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a hard dependency
        return [], [InputError(display, "cannot read YAML: PyYAML is not installed")]

    builder = _Builder(yaml, display, line_offset, column_offset, max_nodes, max_depth, str_keys)
    loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    try:
        builder.run(yaml.parse(text, Loader=loader))
    except _Abort as stop:
        builder.errors.append(InputError(display, stop.message, stop.line))
    except yaml.MarkedYAMLError as exc:
        builder.errors.append(_marked_error(exc, display, line_offset))
    except yaml.reader.ReaderError as exc:
        line = _line_of_char(text, exc.character, line_offset)
        builder.errors.append(InputError(display, f"invalid YAML: {_reader_problem(exc)}", line))
    except UnicodeError as exc:
        # libyaml encodes to UTF-8 first; a lone surrogate cannot be encoded.
        bad = getattr(exc, "object", "")[getattr(exc, "start", 0) : getattr(exc, "start", 0) + 1]
        line = _line_of_char(text, ord(bad) if bad else None, line_offset)
        builder.errors.append(InputError(display, "invalid YAML: text is not valid Unicode", line))
    except Exception as exc:  # the parsers are C code fed hostile text: never let them crash us
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        builder.errors.append(InputError(display, f"cannot parse YAML: {message}"))
    return builder.docs, builder.errors


def to_plain(value: Any) -> Any:
    """Copy YMap/YList trees into plain dicts/lists (for data handed to code outside uvray)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def describe(value: Any) -> str:
    """A short noun for error messages: 'a mapping', 'a list', 'a string', 'null'..."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


# --- internals ---------------------------------------------------------------------------------


class _Abort(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_NO_KEY = _Marker("NO_KEY")  # the mapping waits for a key
_SKIP = _Marker("SKIP")  # the key was unusable; drop the value that follows
_MERGE = _Marker("MERGE")  # the key was "<<"


class _Frame:
    __slots__ = ("anchor", "container", "count", "key", "key_span", "merges", "start")

    def __init__(self, container: YMap | YList, anchor: str | None, start: Any) -> None:
        self.container = container
        self.anchor = anchor
        self.start = start
        self.count = 1
        self.key: Any = _NO_KEY
        self.key_span: Span | None = None
        self.merges: list[YMap] = []


class _Builder:
    """Turns a parser event stream into YMap/YList trees, iteratively."""

    def __init__(
        self,
        yaml: Any,
        display: str,
        line_offset: int,
        column_offset: int,
        max_nodes: int,
        max_depth: int,
        str_keys: bool,
    ) -> None:
        self.yaml = yaml
        self.str_keys = str_keys
        self.display = display
        self.line_offset = line_offset
        self.column_offset = column_offset
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.docs: list[Any] = []
        self.errors: list[InputError] = []
        self.total = 0
        self.aliased = False
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, Span, int]] = {}
        self.open_anchors: set[str] = set()
        self.root: Any = None
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()

    def run(self, events: Iterable[Any]) -> None:
        ev = self.yaml.events
        for event in events:
            if isinstance(event, ev.ScalarEvent):
                self.scalar(event)
            elif isinstance(event, ev.MappingStartEvent):
                self.open(event, YMap())
            elif isinstance(event, ev.SequenceStartEvent):
                self.open(event, YList())
            elif isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                self.close(event)
            elif isinstance(event, ev.AliasEvent):
                self.alias(event)
            elif isinstance(event, ev.DocumentStartEvent):
                # Anchors are scoped to one document.
                self.anchors = {}
                self.open_anchors = set()
                self.root = None
            elif isinstance(event, ev.DocumentEndEvent):
                self.docs.append(self.root)

    # positions

    def span(self, start: Any, end: Any, style: str | None = None, raw: str | None = None) -> Span:
        return Span(
            start.line + 1 + self.line_offset,
            start.column + 1 + self.column_offset,
            end.line + 1 + self.line_offset,
            end.column + 1 + self.column_offset,
            style,
            raw,
        )

    def line(self, mark: Any) -> int:
        return mark.line + 1 + self.line_offset

    # limits

    def count(self, n: int, mark: Any) -> None:
        self.total += n
        if self.total > self.max_nodes:
            why = " (alias bomb?)" if self.aliased else ""
            raise _Abort(f"YAML expands to more than {self.max_nodes} nodes{why}", self.line(mark))

    # events

    def scalar(self, event: Any) -> None:
        style = event.style or ""
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(self.yaml.ScalarNode, event.value, event.implicit)
        span = self.span(event.start_mark, event.end_mark, style, event.value)
        value = self.construct(tag, event)
        self.count(1, event.start_mark)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, span, 1)
        self.add(value, span, 1, is_merge=tag == _MERGE_TAG and style == "")

    def construct(self, tag: str, event: Any) -> Any:
        if tag not in _SCALAR_TAGS:
            return event.value
        if tag == _TAG + "str":
            return event.value
        node = self.yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.yaml_constructors[tag](self.constructor, node)
        except Exception as exc:
            # e.g. "!!int abc", a 10,000-digit integer, bad base64 in "!!binary".
            detail = getattr(exc, "problem", None) or (str(exc).splitlines() or ["?"])[0]
            short = tag[len(_TAG) :]
            self.errors.append(
                InputError(
                    self.display,
                    f"invalid YAML: cannot read {event.value[:40]!r} as {short}: {detail}",
                    self.line(event.start_mark),
                )
            )
            return event.value

    def open(self, event: Any, container: YMap | YList) -> None:
        if len(self.stack) >= self.max_depth:
            raise _Abort(
                f"YAML nests more than {self.max_depth} levels deep", self.line(event.start_mark)
            )
        self.count(1, event.start_mark)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(container, event.anchor, event.start_mark))

    def close(self, event: Any) -> None:
        frame = self.stack.pop()
        container = frame.container
        container.span = self.span(frame.start, event.end_mark)
        if isinstance(container, YMap) and frame.merges:
            container = _apply_merges(container, frame.merges)
        container.node_count = frame.count
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (container, container.span, frame.count)
        self.add(container, container.span, frame.count, is_merge=False)

    def alias(self, event: Any) -> None:
        name = event.anchor
        line = self.line(event.start_mark)
        if name in self.open_anchors:
            raise _Abort(f"invalid YAML: recursive alias *{name}", line)
        if name not in self.anchors:
            raise _Abort(f"invalid YAML: found undefined alias *{name}", line)
        value, target, size = self.anchors[name]
        self.aliased = True
        self.count(size, event.start_mark)
        here = self.span(event.start_mark, event.end_mark)
        # Where the alias is written, with the anchored scalar's style/raw text.
        span = here._replace(style=target.style, raw=target.raw)
        self.add(value, span, size, is_merge=False)

    def add(self, value: Any, span: Span, size: int, is_merge: bool) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        frame.count += size
        container = frame.container
        if isinstance(container, YList):
            container.append(value)
            container.item_spans.append(span)
            return
        assert isinstance(container, YMap)
        if frame.key is _NO_KEY:
            frame.key_span = span
            if is_merge:
                frame.key = _MERGE
            elif isinstance(value, (dict, list)):
                self.errors.append(
                    InputError(
                        self.display,
                        f"invalid YAML: a mapping key must be a scalar, found {describe(value)}",
                        span.line,
                    )
                )
                frame.key = _SKIP
            elif self.str_keys and span.raw is not None:
                frame.key = span.raw
            else:
                frame.key = value
            return
        key, frame.key = frame.key, _NO_KEY
        if key is _SKIP:
            return
        if key is _MERGE:
            self.merge(frame, value, span)
            return
        container[key] = value
        assert frame.key_span is not None
        container.key_spans[key] = frame.key_span
        container.value_spans[key] = span

    def merge(self, frame: _Frame, value: Any, span: Span) -> None:
        sources = value if isinstance(value, YList) else [value]
        if all(isinstance(s, YMap) for s in sources):
            frame.merges.extend(sources)
            return
        self.errors.append(
            InputError(
                self.display,
                "invalid YAML: merge key << expects a mapping or a list of mappings",
                span.line,
            )
        )


def _apply_merges(own: YMap, sources: list[YMap]) -> YMap:
    merged = YMap()
    merged.span = own.span
    for source in sources:
        for key, value in source.items():
            if key not in merged:
                merged[key] = value
                merged.key_spans[key] = source.key_spans.get(key, source.span)
                merged.value_spans[key] = source.value_spans.get(key, source.span)
    for key, value in own.items():
        merged[key] = value
        merged.key_spans[key] = own.key_spans[key]
        merged.value_spans[key] = own.value_spans[key]
    return merged


def _marked_error(exc: Any, display: str, line_offset: int) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 + line_offset if mark is not None else None
    problem = (exc.problem or exc.context or "syntax error").strip()
    message = f"invalid YAML: {problem}"
    context_mark = exc.context_mark
    if exc.context and exc.problem and context_mark is not None:
        started = context_mark.line + 1 + line_offset
        if started != line:
            message += f" ({exc.context.strip()} that started on line {started})"
        else:
            message += f" ({exc.context.strip()})"
    return InputError(display, message, line)


def _reader_problem(exc: Any) -> str:
    char = exc.character
    if isinstance(char, int):
        return f"unacceptable character U+{char:04X} (control characters are not allowed)"
    return str(exc.reason or "unreadable text")


def _line_of_char(text: str, code: Any, line_offset: int) -> int | None:
    if not isinstance(code, int):
        return None
    try:
        at = text.find(chr(code))
    except (ValueError, OverflowError):
        return None
    if at < 0:
        return None
    return text.count("\n", 0, at) + 1 + line_offset
