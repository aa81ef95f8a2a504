"""Suppressions end to end: a used `# uvray: ignore[...]` removes the finding it covers (and only
that one), and the same fixture without the comment does report it. The RUV001/RUV002 fixtures
only look at RUV001/RUV002; these tests check the other half: what the comment suppressed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from uvray import suppressions
from uvray.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
_COMMENT = re.compile(r"^[ \t]*#[ \t]*uvray[ \t]*:.*\n", re.I | re.M)
_TRAILING = re.compile(r"[ \t]+#[ \t]*uvray[ \t]*:[^\n]*", re.I)


def _findings(repo: Path, capsys) -> list[dict]:
    rc = main(["check", str(repo), "--format", "json", "--exit-zero"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 0 and report["errors"] == [], report["errors"]
    return report["findings"]


def _copy(case: Path, tmp_path: Path, name: str) -> Path:
    repo = tmp_path / name
    shutil.copytree(case, repo, ignore=shutil.ignore_patterns("expected.txt", "xfail.txt"))
    return repo


def _strip_comments(repo: Path, relpath: str) -> None:
    f = repo / relpath
    text = _COMMENT.sub("", f.read_text())
    f.write_text(_TRAILING.sub("", text))


@pytest.mark.parametrize(
    ("case", "path", "code", "line_without"),
    [
        # The comment sits above the ENV that RUV101 reports (line 4 once the comment is gone).
        ("RUV001/good/ignore-above-firing-instruction", "Dockerfile", "RUV101", 4),
        # ignore-file anywhere in the file covers every line of it.
        ("RUV001/good/ignore-file-used", "Dockerfile", "RUV101", 4),
        # A YAML comment above `run:` covers the whole block scalar (the script's lines).
        ("RUV001/good/yaml-comment-above-run-key", ".github/workflows/ci.yml", "RUV301", 17),
        # A trailing comment covers its own line.
        ("RUV001/good/yaml-trailing-comment-on-run-line", ".github/workflows/ci.yml", "RUV301", 17),
    ],
)
def test_used_suppression_removes_the_finding(
    case: str, path: str, code: str, line_without: int, tmp_path: Path, capsys
) -> None:
    with_comment = _findings(_copy(FIXTURES / case, tmp_path, "with"), capsys)
    assert [f for f in with_comment if f["code"] in (code, "RUV001", "RUV002")] == []

    repo = _copy(FIXTURES / case, tmp_path, "without")
    _strip_comments(repo, path)
    without = _findings(repo, capsys)
    assert [(f["path"], f["line"]) for f in without if f["code"] == code] == [(path, line_without)]


def test_suppression_only_hides_its_own_codes(tmp_path: Path, capsys) -> None:
    """`ignore[RUV101]` above the seed ENV hides RUV101 there, not RUV102 on the uv pin."""
    repo = _copy(FIXTURES / "RUV001/good/ignore-above-firing-instruction", tmp_path, "repo")
    dockerfile = repo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("uv:0.7.14", "uv:0.7.13"))
    codes = {(f["code"], f["line"]) for f in _findings(repo, capsys)}
    assert ("RUV102", 2) in codes
    assert not any(code == "RUV101" for code, _ in codes)


def test_suppression_of_a_disabled_rule_is_not_unused(tmp_path: Path, capsys) -> None:
    repo = _copy(FIXTURES / "RUV001/good/suppressed-code-disabled-in-config", tmp_path, "repo")
    (repo / "uvray.toml").unlink()
    found = [(f["code"], f["line"]) for f in _findings(repo, capsys) if f["code"] == "RUV001"]
    assert found == [("RUV001", 4)]


# --- suppressions.parse, table-driven --------------------------------------------------------

KNOWN = {"RUV101", "RUV102", "RUV103", "RUV301", "RUV302"}


@pytest.mark.parametrize(
    ("comment", "codes", "file_wide", "reason"),
    [
        ("# uvray: ignore[RUV101] single-job cluster", ("RUV101",), False, "single-job cluster"),
        ("#uvray:ignore[RUV101]", ("RUV101",), False, ""),
        (
            "#   uvray :  ignore [ RUV101 ,RUV102 ]   why not",
            ("RUV101", "RUV102"),
            False,
            "why not",
        ),
        ("# uvray: IGNORE[ruv101]", ("RUV101",), False, ""),
        (
            "# uvray: ignore-file[RUV103] base image pins uv",
            ("RUV103",),
            True,
            "base image pins uv",
        ),
        ("# uvray: ignore[RUV101,] trailing comma", ("RUV101",), False, "trailing comma"),
    ],
)
def test_valid_directives(comment: str, codes, file_wide: bool, reason: str) -> None:
    text = f"FROM python:3.12-slim\n{comment}\nENV UV_PROJECT_ENVIRONMENT=/opt/venv\n"
    sups, bad = suppressions.parse("Dockerfile", text, [(1, 1), (3, 3)], False, KNOWN)
    assert bad == []
    assert [(s.codes, s.file_wide, s.reason) for s in sups] == [(codes, file_wide, reason)]
    s = sups[0]
    assert (s.first, s.last) == ((1, 3) if file_wide else (3, 3))


def test_upper_case_directive_alone_in_a_file() -> None:
    """Regression: parse() returned early when the file had no lower-case 'uvray'."""
    text = "FROM python:3.12-slim\n# UVRAY: IGNORE[RUV101]\nENV UV_PROJECT_ENVIRONMENT=/opt/venv\n"
    sups, _ = suppressions.parse("Dockerfile", text, [(1, 1), (3, 3)], False, KNOWN)
    assert [(s.codes, s.first, s.last) for s in sups] == [(("RUV101",), 3, 3)]


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("# uvray: ignore RUV101", "expected `# uvray: ignore[RUVnnn] reason`"),
        ("# uvray: ingore[RUV101]", "expected `# uvray: ignore[RUVnnn] reason`"),
        ("# uvray: ignore(RUV101)", "expected `# uvray: ignore[RUVnnn] reason`"),
        ("# uvray: ignore[RUV999]", "unknown rule code 'RUV999'"),
        ("# uvray: ignore[E501]", "unknown rule code 'E501'"),
        ("# uvray: ignore[RUV101, RUV1011]", "unknown rule code 'RUV1011'"),
        ("# uvray: ignore[]", "no rule code"),
        ("# uvray: ignore[ , ]", "no rule code"),
    ],
)
def test_malformed_directives(comment: str, message: str) -> None:
    text = f"FROM python:3.12-slim\n{comment}\nENV UV_PROJECT_ENVIRONMENT=/opt/venv\n"
    sups, bad = suppressions.parse("Dockerfile", text, [(1, 1), (3, 3)], False, KNOWN)
    assert sups == []
    assert [(b.line, message in b.message) for b in bad] == [(2, True)], bad


def test_dockerfile_comment_covers_every_line_of_the_next_instruction() -> None:
    text = (
        "FROM python:3.12-slim\n"
        "# uvray: ignore[RUV301] lock check on purpose\n"
        "\n"
        "# another comment\n"
        "RUN uv sync \\\n"
        "    --locked\n"
        "RUN uv sync --locked\n"
    )
    spans = [(1, 1), (5, 6), (7, 7)]
    (s,), _ = suppressions.parse("Dockerfile", text, spans, False, KNOWN)
    assert (s.first, s.last) == (5, 6)
    assert s.covers("RUV301", 5, 6) and s.covers("RUV301", 6, 6)
    assert not s.covers("RUV301", 7, 7) and not s.covers("RUV302", 5, 6)


def test_dockerfile_mention_after_an_instruction_is_not_a_comment() -> None:
    # `RUN echo "# uvray: …"` is shell text, not a Dockerfile comment: neither kind of finding.
    text = 'FROM python:3.12-slim\nRUN echo "# uvray: ignore[RUV999]"\n'
    assert suppressions.parse("Dockerfile", text, [(1, 1), (2, 2)], False, KNOWN) == ([], [])


def test_yaml_comment_covers_the_key_and_its_indented_block() -> None:
    text = (
        "jobs:\n"
        "  test:\n"
        "    steps:\n"
        "      - name: sync\n"
        "        # uvray: ignore[RUV301] on purpose\n"
        "        run: |\n"
        "          uv sync --locked\n"
        "          uv run pytest\n"
        "      - run: uv sync --locked\n"
    )
    (s,), bad = suppressions.parse("ci.yml", text, None, True, KNOWN)
    assert bad == []
    assert (s.first, s.last) == (6, 8)


def test_yaml_comment_above_a_list_item_covers_the_item() -> None:
    text = (
        "    steps:\n"
        "      # uvray: ignore[RUV301] on purpose\n"
        "      - name: sync\n"
        "        run: uv sync --locked\n"
        "      - run: uv sync --locked\n"
    )
    (s,), _ = suppressions.parse("ci.yml", text, None, True, KNOWN)
    assert (s.first, s.last) == (3, 4)


def test_yaml_mention_inside_a_quoted_string_is_not_a_comment() -> None:
    """A `run:` that greps for suppressions holds `# uvray:` in a string, not a comment."""
    text = "steps:\n  - run: 'git grep -n \"# uvray: ignore-file\" -- Dockerfile'\n"
    assert suppressions.parse("lint.yml", text, None, True, KNOWN) == ([], [])
