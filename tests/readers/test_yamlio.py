from __future__ import annotations

import datetime
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvray.findings import InputError, Location
from uvray.readers.yamlio import MAX_NODES, Span, YList, YMap, load_yaml, to_plain

HOOKS = Path(__file__).resolve().parents[2] / "hooks"
# What load_yaml uses; libyaml and the pure parser disagree on corner cases like a lone "!".
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.fixture(params=["libyaml", "pure"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml and again with PyYAML's pure-Python fallback."""
    if request.param == "pure":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML built without libyaml")
    return request.param


def load1(text: str, **kwargs: object) -> object:
    docs, errors = load_yaml(text, "f.yml", **kwargs)  # type: ignore[arg-type]
    assert errors == []
    assert len(docs) == 1
    return docs[0]


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


# --- scalars follow SafeLoader ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("on", True),
        ("yes", True),
        ("Off", False),
        ("true", True),
        ("1", 1),
        ("010", 8),
        ("0x1F", 31),
        ("1_000", 1000),
        ("1.5", 1.5),
        ("3.10", 3.1),
        ("null", None),
        ("~", None),
        ("", None),
        ("'1'", "1"),
        ('"on"', "on"),
        ("!!str 1", "1"),
        ("2024-01-02", datetime.date(2024, 1, 2)),
        ("!!binary aGk=", b"hi"),
        ("!Ref thing", "thing"),  # unknown tags are ignored, not fatal
        ("=", "="),
        ("plain text", "plain text"),
    ],
)
def test_scalars_use_safe_loader_semantics(loader: str, source: str, expected: object) -> None:
    value = load1(f"key: {source}\n")
    assert value == {"key": expected}
    assert type(value["key"]) is type(expected)  # type: ignore[index]


def test_scalars_match_safe_load_for_keys_too(loader: str) -> None:
    doc = load1("on: 1\nyes: 2\n3: three\nnull: 4\n")
    assert doc == {True: 2, 3: "three", None: 4}  # `on` and `yes` are the same key, last wins


def test_str_keys_keep_the_key_text(loader: str) -> None:
    doc = load1("on: 1\nyes: 2\n3: three\n'q': 4\nnull: 5\n<<: {m: 6}\n", str_keys=True)
    assert doc == {"on": 1, "yes": 2, "3": "three", "q": 4, "null": 5, "m": 6}
    assert doc.key_lines["yes"] == 2  # type: ignore[union-attr]


# --- positions --------------------------------------------------------------------------------


def test_ymap_and_ylist_carry_lines(loader: str) -> None:
    doc = load1(
        "# comment\n"
        "name: ci\n"
        "env:\n"
        "  A: 1\n"
        "  B: two\n"
        "items:\n"
        "  - x\n"
        "  - {y: 2}\n"
        "  -\n"
        "    - nested\n"
    )
    assert isinstance(doc, YMap)
    assert doc == {"name": "ci", "env": {"A": 1, "B": "two"}, "items": ["x", {"y": 2}, ["nested"]]}
    assert doc.line == 2
    assert doc.key_lines == {"name": 2, "env": 3, "items": 6}
    assert doc.value_lines == {"name": 2, "env": 4, "items": 7}
    env = doc["env"]
    assert isinstance(env, YMap)
    assert (env.line, env.column) == (4, 3)
    assert env.key_lines == {"A": 4, "B": 5}
    assert env.key_location("B", "f.yml") == Location("f.yml", 5, 3, 5, 4)
    assert env.value_location("B", "f.yml") == Location("f.yml", 5, 6, 5, 9)
    items = doc["items"]
    assert isinstance(items, YList)
    assert items.item_lines == [7, 8, 10]
    assert items.item_spans[1].column == 5
    assert isinstance(items[1], YMap) and items[1].key_lines == {"y": 8}
    assert items.item_location(0, "f.yml") == Location("f.yml", 7, 5, 7, 6)


@pytest.mark.parametrize(
    ("source", "style", "raw"),
    [
        ("plain", "", "plain"),
        ("'single'", "'", "single"),
        ('"dq\\tx"', '"', "dq\tx"),
        ("010", "", "010"),
        ("|\n  lit\n", "|", "lit\n"),
        (">\n  fold\n", ">", "fold\n"),
    ],
)
def test_spans_keep_style_and_raw_text(loader: str, source: str, style: str, raw: str) -> None:
    doc = load1(f"k: {source}\n")
    assert isinstance(doc, YMap)
    span = doc.value_spans["k"]
    assert (span.style, span.raw) == (style, raw)
    assert doc.key_spans["k"].style == ""


def test_collection_spans_have_no_style(loader: str) -> None:
    doc = load1("a: [1]\nb: {c: 1}\n")
    assert isinstance(doc, YMap)
    assert doc.value_spans["a"].style is None
    assert doc.value_spans["a"].raw is None


# Literal blocks: text line i is on file line span.text_line + i.
BLOCKS = [
    ("run: |\n  one\n  two\n", "one\ntwo\n"),
    ("run: |-\n  one\n  two\n", "one\ntwo"),
    ("run: |+\n  one\n  two\n\n", "one\ntwo\n\n"),
    ("run: |2\n    one\n  two\n", "  one\ntwo\n"),
    ("run: |  # why\n  one\n  two\n", "one\ntwo\n"),
    ("run: |\n\n  one\n\n  two\n", "\none\n\ntwo\n"),
    ("run: |-2\n   one\n  two\n", " one\ntwo"),
]


@pytest.mark.parametrize(("source", "text"), BLOCKS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_literal_block_lines_map_one_to_one(
    loader: str, source: str, text: str, newline: str
) -> None:
    prefix = "first: 1\n# a comment\n"
    full = (prefix + source).replace("\n", newline)
    doc = load1(full)
    assert isinstance(doc, YMap)
    assert doc["run"] == text  # CRLF is normalised inside the block
    span = doc.value_spans["run"]
    assert span.line == 3
    assert span.text_line == 4
    file_lines = full.split(newline)
    for i, line in enumerate(text.split("\n")):
        if line.strip():
            assert line.strip() == file_lines[span.text_line + i - 1].strip()


def test_block_header_on_its_own_line(loader: str) -> None:
    doc = load1("run:\n  |\n  echo\n")
    assert isinstance(doc, YMap)
    assert doc.value_spans["run"].line == 2
    assert doc.value_spans["run"].text_line == 3


def test_line_and_column_offsets(loader: str) -> None:
    doc = load1("a:\n  b: 1\n", line_offset=10, column_offset=4)
    assert isinstance(doc, YMap)
    assert doc.key_spans["a"] == Span(11, 5, 11, 6, "", "a")
    assert doc["a"].key_location("b", "x") == Location("x", 12, 7, 12, 8)  # type: ignore[union-attr]


# --- documents --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", []),
        ("# only a comment\n", []),
        ("---\n", [None]),
        ("a: 1\n---\nb: 2\n", [{"a": 1}, {"b": 2}]),
        ("---\na: 1\n...\n---\n- x\n", [{"a": 1}, ["x"]]),
        ("--- 5\n--- text\n", [5, "text"]),
    ],
)
def test_documents(loader: str, source: str, expected: list[object]) -> None:
    docs, errors = load_yaml(source, "m.yml")
    assert errors == []
    assert docs == expected


def test_second_document_lines_are_file_lines(loader: str) -> None:
    docs, _ = load_yaml("a: 1\n---\nkind: RayJob\nspec: {}\n", "m.yml")
    assert docs[1].key_lines == {"kind": 3, "spec": 4}


def test_error_in_a_later_document_keeps_the_earlier_ones(loader: str) -> None:
    docs, errors = load_yaml("a: 1\n---\nb: [1\nc: 2\n", "m.yml")
    assert docs == [{"a": 1}]
    assert len(errors) == 1 and errors[0].line == 4


# --- aliases and merge keys -------------------------------------------------------------------


def test_merge_keys(loader: str) -> None:
    doc = load1(
        "base: &base {image: ray, env: base}\n"
        "extra: &extra {env: extra, tag: x}\n"
        "one:\n"
        "  <<: *base\n"
        "  env: own\n"
        "two:\n"
        "  <<: [*extra, *base]\n"
        "inline:\n"
        "  <<: {a: 1}\n"
        "  b: 2\n"
    )
    assert isinstance(doc, YMap)
    assert doc["one"] == {"image": "ray", "env": "own"}
    assert doc["two"] == {"env": "extra", "tag": "x", "image": "ray"}  # earlier source wins
    assert doc["inline"] == {"a": 1, "b": 2}
    one = doc["one"]
    assert one.key_lines == {"image": 1, "env": 5}  # merged keys point at the anchor
    # The YAML merge spec: "keys in mapping nodes earlier in the sequence override keys specified
    # in later mapping nodes". (Some PyYAML releases let the later one win; we follow the spec.)


def test_quoted_merge_key_is_an_ordinary_key(loader: str) -> None:
    assert load1('"<<": 1\n') == {"<<": 1}


def test_merge_of_a_scalar_is_an_error(loader: str) -> None:
    docs, errors = load_yaml("a:\n  <<: 3\n  b: 1\n", "m.yml")
    assert docs == [{"a": {"b": 1}}]
    assert errors == [
        InputError("m.yml", "invalid YAML: merge key << expects a mapping or a list of mappings", 2)
    ]


def test_alias_shares_and_points_at_use_site(loader: str) -> None:
    doc = load1("a: &x {k: v}\nb: *x\nc: &s '3'\nd: *s\n")
    assert isinstance(doc, YMap)
    assert doc["b"] is doc["a"]
    assert doc.value_lines["b"] == 2
    assert doc["b"].key_lines == {"k": 1}
    assert doc.value_spans["d"].line == 4
    assert doc.value_spans["d"].style == "'"
    assert doc.value_spans["d"].raw == "3"


def test_anchor_redefinition_is_allowed(loader: str) -> None:
    assert load1("a: &x 1\nb: &x 2\nc: *x\n") == {"a": 1, "b": 2, "c": 2}


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "needle", "line"),
    [
        ("a: 1\nb: c: d\n", "invalid YAML: mapping values are not allowed", 2),
        ("a: [1\nb: 2\n", "invalid YAML: ", 2),
        ("a: 'unterminated\n", "invalid YAML: ", 2),
        ("a: 1\n\tb: 2\n", "invalid YAML: ", 2),
        ("x: *nope\n", "invalid YAML: found undefined alias *nope", 1),
        ("a: &a [1, *a]\n", "invalid YAML: recursive alias *a", 1),
        ("a: 1\nb: \x01\n", "invalid YAML: unacceptable character U+0001", 2),
        ("? [a]\n: 1\n", "invalid YAML: a mapping key must be a scalar, found a list", 1),
        ("a: !!int abc\n", "invalid YAML: cannot read 'abc' as int", 1),
        ("a:\n  b: " + "9" * 5000 + "\n", "invalid YAML: cannot read", 2),
        ("a: \ud800\n", "invalid YAML:", 1),
    ],
)
def test_errors_have_one_line_messages_and_lines(
    loader: str, source: str, needle: str, line: int
) -> None:
    _docs, errors = load_yaml(source, "bad.yml")
    assert errors, source
    error = errors[0]
    assert error.path == "bad.yml"
    assert error.message.startswith(needle), error.message
    assert "\n" not in error.message
    assert error.line == line


def test_errors_are_shifted_by_line_offset(loader: str) -> None:
    _docs, errors = load_yaml("a: 1\nb: c: d\n", "m.yml", line_offset=20)
    assert errors[0].line == 22


# --- hostile input ----------------------------------------------------------------------------


def test_billion_laughs_is_refused_quickly(loader: str) -> None:
    start = time.perf_counter()
    docs, errors = load_yaml(billion_laughs(), "bomb.yml")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert docs == []
    assert errors == [
        # a5 is the first anchor past the limit: 9**6 nodes.
        InputError("bomb.yml", f"YAML expands to more than {MAX_NODES} nodes (alias bomb?)", 6)
    ]


def test_many_aliases_to_a_large_anchor_are_refused(loader: str) -> None:
    big = "big: &big [" + ",".join(["x"] * 1000) + "]\n"
    uses = "".join(f"u{i}: *big\n" for i in range(300))
    _docs, errors = load_yaml(big + uses, "q.yml")
    assert errors and "alias bomb" in errors[0].message


def test_small_aliases_stay_under_the_limit(loader: str) -> None:
    docs, errors = load_yaml(billion_laughs(levels=3), "ok.yml")
    assert errors == []
    assert len(to_plain(docs[0])["a3"]) == 9


def test_node_limit_without_aliases_does_not_blame_aliases(loader: str) -> None:
    _docs, errors = load_yaml("[" + ",".join(["1"] * 50) + "]", "n.yml", max_nodes=10)
    assert errors == [InputError("n.yml", "YAML expands to more than 10 nodes", 1)]


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("[" * 10_000 + "]" * 10_000, 1),
        ("{a: " * 10_000 + "1" + "}" * 10_000, 1),
        ("- " * 10_000 + "x\n", 1),
        ("".join(" " * i + "k:\n" for i in range(1000)) + " " * 1000 + "v\n", 201),
    ],
    ids=["flow-seq", "flow-map", "block-seq", "block-map"],
)
def test_deep_nesting_is_an_error_not_a_crash(loader: str, source: str, line: int) -> None:
    # CPU time, not wall time: the bound is about the parser's work, not the machine's load.
    start = time.process_time()
    docs, errors = load_yaml(source, "deep.yml")
    assert time.process_time() - start < 2.0
    assert docs == []
    assert len(errors) == 1
    assert errors[0].line == line
    assert "nest" in errors[0].message


def test_nesting_just_under_the_limit_is_fine(loader: str) -> None:
    value = load1("[" * 199 + "]" * 199)
    depth = 0
    while isinstance(value, list) and value:
        value = value[0]
        depth += 1
    assert depth == 198


# --- helpers ----------------------------------------------------------------------------------


def test_to_plain_strips_the_subclasses(loader: str) -> None:
    doc = load1("a: [1, {b: 2}]\n")
    plain = to_plain(doc)
    assert plain == {"a": [1, {"b": 2}]}
    assert type(plain) is dict
    assert type(plain["a"]) is list
    assert type(plain["a"][1]) is dict


def test_importing_the_readers_does_not_import_yaml() -> None:
    code = (
        "import sys\n"
        "import uvray.readers.yamlio, uvray.readers.workflow, uvray.readers.rayconfig\n"
        "print('yaml' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(HOOKS)},
        check=True,
    )
    assert out.stdout.strip() == "False"


# --- properties -------------------------------------------------------------------------------

YAMLISH = st.text(alphabet=" \n\t\r:-[]{},&*!|>'\"#?%@~<=abcxyz019.\\", max_size=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), YAMLISH))
def test_load_yaml_never_raises_and_agrees_with_safe_load(text: str) -> None:
    docs, errors = load_yaml(text, "fuzz.yml")
    assert isinstance(docs, list)
    assert all(isinstance(e, InputError) and "\n" not in e.message for e in errors)
    try:
        expected = list(yaml.load_all(text, Loader=SAFE_LOADER))
    except Exception:
        return  # uvray may be more lenient than safe_load; it must just not crash
    if errors:
        # Only refusals safe_load does not make: recursion and our own limits.
        assert any(("recursive alias" in e.message or "nest" in e.message) for e in errors)
        return
    if _has_nan(expected) or "<<" in text:
        return  # NaN != NaN; merge order differs between PyYAML releases
    assert to_plain(docs) == expected


def _has_nan(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(k) or _has_nan(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(JSONISH, st.sampled_from([None, True, False]))
def test_dumped_values_round_trip(value: object, flow: bool | None) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    docs, errors = load_yaml(text, "rt.yml")
    assert errors == []
    # Not `== [value]`: PyYAML's emitter mangles a few characters (U+0085); agree with its loader.
    assert to_plain(docs) == [yaml.load(text, Loader=SAFE_LOADER)]
