"""`# uvray: ignore[CODE] reason` / `# uvray: ignore-file[CODE]`: what each comment covers, what is
malformed, and what the engine does with them (suppressed, RUV001 unused, RUV002 malformed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uvray import cli
from uvray.readers.dockerfile import read_dockerfile
from uvray.registry import all_rules
from uvray.suppressions import parse

KNOWN = set(all_rules())


def docker(text: str):
    df, _ = read_dockerfile(text, "Dockerfile")
    spans = [(i.line, i.end_line) for i in df.instructions]
    return parse("Dockerfile", text, spans, False, KNOWN)


def yaml(text: str):
    return parse("ci.yml", text, None, True, KNOWN)


def covered(sups) -> list[tuple]:
    return [(s.line, s.codes, s.file_wide, s.first, s.last, s.reason) for s in sups]


# --- Dockerfiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "FROM x\n# uvray: ignore[RUV301]\nRUN uv sync --locked\n",
            [(2, ("RUV301",), False, 3, 3, "")],
            id="above-one-line",
        ),
        pytest.param(
            "FROM x\n# uvray: ignore[RUV301] UV_FROZEN is set on purpose\nRUN uv sync \\\n  --locked \\\n  --no-dev\nRUN b\n",
            [(2, ("RUV301",), False, 3, 5, "UV_FROZEN is set on purpose")],
            id="covers-all-lines-of-a-multi-line-instruction",
        ),
        pytest.param(
            "FROM x\n# uvray: ignore[RUV301]\n\n# another comment\n\nRUN a\n",
            [(2, ("RUV301",), False, 6, 6, "")],
            id="skips-blank-and-comment-lines",
        ),
        pytest.param(
            "FROM x\n# uvray: ignore[RUV301]\nRUN <<EOF\nuv sync --locked\nEOF\nRUN b\n",
            [(2, ("RUV301",), False, 3, 5, "")],
            id="covers-a-heredoc-body",
        ),
        pytest.param(
            "FROM x\n   # uvray: ignore[RUV301]\nRUN a\n",
            [(2, ("RUV301",), False, 3, 3, "")],
            id="indented-comment",
        ),
        pytest.param(
            "# uvray: ignore[RUV101]\nFROM x\n",
            [(1, ("RUV101",), False, 2, 2, "")],
            id="first-line",
        ),
        pytest.param(
            "FROM x\n# uvray: ignore[RUV301]\n",
            [(2, ("RUV301",), False, 0, -1, "")],
            id="at-eof-covers-nothing",
        ),
        pytest.param(
            "FROM x\nRUN a\n# uvray: ignore-file[RUV301, RUV302] legacy image\nRUN b\n",
            [(3, ("RUV301", "RUV302"), True, 1, 4, "legacy image")],
            id="ignore-file-anywhere",
        ),
    ],
)
def test_dockerfile_spans(text: str, expected) -> None:
    sups, malformed = docker(text)
    assert malformed == []
    assert covered(sups) == expected


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("RUN uv sync --locked # uvray: ignore[RUV301]", id="run"),
        pytest.param("ENV UV_FROZEN=1 # uvray: ignore[RUV301]", id="env"),
        pytest.param("RUN echo '# uvray: nonsense'", id="malformed-text-in-a-run"),
    ],
)
def test_trailing_text_in_a_dockerfile_instruction_is_not_a_comment(line: str) -> None:
    assert docker("FROM x\n" + line + "\n") == ([], [])


@pytest.mark.parametrize(
    ("comment", "codes", "reason", "file_wide"),
    [
        pytest.param("# uvray: ignore[RUV301]", ("RUV301",), "", False, id="canonical"),
        pytest.param("#uvray:ignore[RUV301]", ("RUV301",), "", False, id="no-spaces"),
        pytest.param(
            "#   uvray  :   ignore  [ RUV301 ]   why  ",
            ("RUV301",),
            "why",
            False,
            id="lots-of-spaces",
        ),
        pytest.param("# uvray: ignore[ruv301]", ("RUV301",), "", False, id="lowercase-code"),
        pytest.param("# UVRAY: IGNORE[RUV301]", ("RUV301",), "", False, id="uppercase"),
        pytest.param(
            "# uvray: ignore[RUV301,RUV302]", ("RUV301", "RUV302"), "", False, id="two-codes"
        ),
        pytest.param(
            "# uvray: ignore[RUV301, RUV302, ]",
            ("RUV301", "RUV302"),
            "",
            False,
            id="trailing-comma",
        ),
        pytest.param(
            "# uvray: ignore[RUV301] reason: see #123 (uvray: fine)",
            ("RUV301",),
            "reason: see #123 (uvray: fine)",
            False,
            id="reason-with-punctuation",
        ),
        pytest.param(
            "# uvray: ignore[RUV301] — déjà vu",
            ("RUV301",),
            "— déjà vu",
            False,
            id="unicode-reason",
        ),
        pytest.param("# uvray: ignore-file[RUV301]", ("RUV301",), "", True, id="ignore-file"),
        pytest.param(
            "# uvray: IGNORE-FILE[RUV301]", ("RUV301",), "", True, id="ignore-file-uppercase"
        ),
        pytest.param("# uvray: ignore[RUV001]", ("RUV001",), "", False, id="meta-code"),
    ],
)
def test_variants(comment: str, codes, reason: str, file_wide: bool) -> None:
    sups, malformed = docker(comment + "\nFROM x\nRUN a\n")
    assert malformed == []
    [sup] = sups
    assert (sup.codes, sup.reason, sup.file_wide) == (codes, reason, file_wide)


@pytest.mark.parametrize(
    ("comment", "fragment"),
    [
        pytest.param("# uvray: ignore RUV301", "expected", id="no-brackets"),
        pytest.param("# uvray: ignore[RUV301", "expected", id="unclosed-bracket"),
        pytest.param("# uvray: ignore(RUV301)", "expected", id="parentheses"),
        pytest.param("# uvray: disable[RUV301]", "expected", id="wrong-verb"),
        pytest.param("# uvray: noqa", "expected", id="noqa"),
        pytest.param("# uvray:", "expected", id="nothing"),
        pytest.param("# uvray: ignore[]", "no rule code", id="empty-brackets"),
        pytest.param("# uvray: ignore[ , ]", "no rule code", id="only-commas"),
        pytest.param("# uvray: ignore[RUV999]", "'RUV999'", id="unknown-code"),
        pytest.param("# uvray: ignore[RUV301,RUV999]", "'RUV999'", id="one-unknown-of-two"),
        pytest.param("# uvray: ignore[RUV1]", "'RUV1'", id="prefix-not-allowed"),
        pytest.param("# uvray: ignore[E501]", "'E501'", id="foreign-code"),
        pytest.param("# uvray: ignore[RUV104]", "'RUV104'", id="retired-code"),
        pytest.param("# uvray: ignore[RUV301;RUV302]", "RUV301;RUV302", id="semicolon"),
    ],
)
def test_malformed(comment: str, fragment: str) -> None:
    sups, malformed = docker("FROM x\n" + comment + "\nRUN a\n")
    assert sups == []
    [bad] = malformed
    assert (bad.path, bad.line) == ("Dockerfile", 2)
    assert bad.message.startswith("malformed uvray comment")
    assert fragment in bad.message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FROM x\n# uvray ignore[RUV301]\nRUN a\n", id="no-colon-is-not-a-mention"),
        pytest.param("FROM x\n# see uvray docs\nRUN a\n", id="prose"),
        pytest.param("FROM x\nRUN pip install uvray\n", id="package-name"),
        pytest.param("", id="empty"),
    ],
)
def test_not_a_suppression(text: str) -> None:
    assert docker(text) == ([], [])


def test_covers() -> None:
    [sup], _ = docker("FROM x\n# uvray: ignore[RUV301,RUV302]\nRUN a \\\n  b\nRUN c\n")
    assert sup.covers("RUV301", 3, 3)
    assert sup.covers("RUV302", 4, 4)
    assert sup.covers("RUV301", 1, 3)  # a finding spanning into the covered lines
    assert not sup.covers("RUV301", 5, 5)
    assert not sup.covers("RUV101", 3, 3)
    [whole], _ = docker("FROM x\n# uvray: ignore-file[RUV301]\nRUN a\n")
    assert whole.covers("RUV301", 99, 99)


# --- YAML / TOML --------------------------------------------------------------------------------

WORKFLOW = """\
env:
  # uvray: ignore[RUV301] scalar key
  UV_FROZEN: "1"
  OTHER: x
jobs:
  test:
    # uvray: ignore[RUV101] a mapping block
    env:
      A: 1

      B: 2
    steps:
      # uvray: ignore[RUV302] a list item
      - name: sync
        run: |
          uv sync --locked
        env:
          X: 1
      - run: other
      - run: uv sync --locked  # uvray: ignore[RUV301] trailing
      - run: echo "# uvray: ignore[RUV301]"
      - run: echo a#uvray: ignore[RUV301]
  lint: {}  # uvray: ignore[RUV102]
"""


def test_yaml_spans() -> None:
    sups, malformed = yaml(WORKFLOW)
    assert malformed == []
    assert covered(sups) == [
        (2, ("RUV301",), False, 3, 3, "scalar key"),
        (7, ("RUV101",), False, 8, 11, "a mapping block"),
        (13, ("RUV302",), False, 14, 18, "a list item"),
        (20, ("RUV301",), False, 20, 20, "trailing"),
        (23, ("RUV102",), False, 23, 23, ""),
    ]


def test_yaml_trailing_comment_on_a_key_covers_its_block() -> None:
    [sup], _ = yaml("env:  # uvray: ignore[RUV301]\n  UV_FROZEN: 1\n  B: 2\njobs: {}\n")
    assert (sup.first, sup.last) == (1, 3)


def test_yaml_ignore_file() -> None:
    [sup], _ = yaml("# uvray: ignore-file[RUV103]\non: push\njobs: {}\n")
    assert (sup.file_wide, sup.first, sup.last) == (True, 1, 3)


def test_yaml_malformed_trailing_comment() -> None:
    sups, malformed = yaml("env:\n  A: 1  # uvray: ignore[nope]\n")
    assert sups == []
    assert [(m.line, "'NOPE'" in m.message) for m in malformed] == [(2, True)]


def test_yaml_apostrophe_in_plain_scalar() -> None:
    sups, _ = yaml("steps:\n  - name: don't sync  # uvray: ignore[RUV301]\n")
    assert [s.line for s in sups] == [2]


def test_toml_comment_above_a_key() -> None:
    text = '[project]\nname = "x"\n# uvray: ignore[RUV109]\ndependencies = [\n  "ray",\n]\n'
    [sup], _ = parse("pyproject.toml", text, None, True, KNOWN)
    assert (sup.first, sup.last) == (4, 5)  # the closing bracket is not indented deeper


def test_crlf() -> None:
    [sup], _ = docker("FROM x\r\n# uvray: ignore[RUV301] why\r\nRUN a \\\r\n  b\r\n")
    assert (sup.first, sup.last, sup.reason) == (3, 4, "why")


# --- through the engine -------------------------------------------------------------------------

CONFLICT_RUN = "RUN uv sync --locked"


def check(tmp_path: Path, monkeypatch, capsys, files: dict[str, str]) -> list[tuple]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cli.main(["check", "--format", "json", "--no-config"])
    out, _ = capsys.readouterr()
    return sorted((f["path"], f["line"], f["code"]) for f in json.loads(out)["findings"])


def test_engine_suppresses_and_reports_nothing_unused(tmp_path, monkeypatch, capsys) -> None:
    dockerfile = (
        "FROM python:3.12\n"
        "ENV UV_FROZEN=1\n"
        "# uvray: ignore[RUV301] accepted\n"
        "RUN uv sync \\\n"
        "    --locked\n"
    )
    assert check(tmp_path, monkeypatch, capsys, {"Dockerfile": dockerfile}) == [
        ("Dockerfile", 4, "RUV302")
    ]


def test_engine_trailing_dockerfile_comment_suppresses_nothing(
    tmp_path, monkeypatch, capsys
) -> None:
    dockerfile = "FROM python:3.12\nENV UV_FROZEN=1\nRUN uv sync --locked # uvray: ignore[RUV301]\n"
    assert check(tmp_path, monkeypatch, capsys, {"Dockerfile": dockerfile}) == [
        ("Dockerfile", 3, "RUV301"),
        ("Dockerfile", 3, "RUV302"),
    ]


def test_engine_unused_and_malformed(tmp_path, monkeypatch, capsys) -> None:
    dockerfile = (
        "FROM python:3.12\n"
        "# uvray: ignore[RUV101] nothing fires here\n"
        "RUN echo hi\n"
        "# uvray: ignore[RUV9999]\n"
        "RUN echo there\n"
        "# uvray: ignore[RUV301,RUV302] one used, one not\n"
        "RUN UV_FROZEN=1 uv sync\n"
    )
    got = check(tmp_path, monkeypatch, capsys, {"Dockerfile": dockerfile})
    assert got == [
        ("Dockerfile", 2, "RUV001"),
        ("Dockerfile", 4, "RUV002"),
        ("Dockerfile", 6, "RUV001"),
    ]


def test_engine_ignore_file(tmp_path, monkeypatch, capsys) -> None:
    dockerfile = (
        "# uvray: ignore-file[RUV302]\nFROM python:3.12\nENV UV_FROZEN=1\nRUN uv sync --locked\n"
    )
    assert check(tmp_path, monkeypatch, capsys, {"Dockerfile": dockerfile}) == [
        ("Dockerfile", 4, "RUV301")
    ]


def test_engine_workflow_suppressions(tmp_path, monkeypatch, capsys) -> None:
    workflow = (
        "on: push\n"
        "env:\n"
        '  UV_FROZEN: "1"\n'
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      # uvray: ignore[RUV301] the block under the list item\n"
        "      - name: sync\n"
        "        run: |\n"
        "          uv sync --locked\n"
        "      - run: uv sync --locked  # uvray: ignore[RUV302]\n"
        "      - run: uv sync --locked\n"
    )
    got = check(tmp_path, monkeypatch, capsys, {".github/workflows/ci.yml": workflow})
    path = ".github/workflows/ci.yml"
    assert (path, 11, "RUV301") not in got
    assert (path, 12, "RUV302") not in got
    assert (path, 12, "RUV301") in got
    assert (path, 13, "RUV301") in got and (path, 13, "RUV302") in got
    assert not any(code == "RUV001" for _, _, code in got)
