from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uvray.findings import Finding, Location, Severity
from uvray.report import text

from .conftest import make_report

FULL = """\
Dockerfile:3:5: RUV101 [error] the project is installed into the env Ray syncs at runtime
  |
3 | ENV UV_PROJECT_ENVIRONMENT=/opt/venv
  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: add --no-install-project to the final uv sync
  = docs: https://github.com/uvray/uvray/blob/main/docs/rules/RUV101.md
  = note: uv sync runs here at Dockerfile:6

Dockerfile:5:5: RUV103 [warning] uv is installed without a version pin
  |
5 | RUN pip install uv \\
  |     ^^^^^^^^^^^^^^^^
6 |     && uv sync --frozen \\
7 |     && echo done
  |
  = help: pin it: pip install uv==0.9.5
  = docs: https://github.com/uvray/uvray/blob/main/docs/rules/RUV103.md

ray/runtime env,v2:prod.yaml:2:3: RUV201 [error] pip is 100% ignored\\nunder uv run\\r(Ray >= 2.45)
  |
2 |   pip: [requests]
  |   ^^^^^^^^^^^^^^^
  |
  = docs: https://github.com/uvray/uvray/blob/main/docs/rules/RUV201.md

ray/runtime env,v2:prod.yaml:4:3: RUV107 [info] py_executable makes each worker resolve the env
  |
4 |   py_executable: uv run
  |   ^^^^^^^^^^^^^^^^^^^^^
  |
  = docs: https://github.com/uvray/uvray/blob/main/docs/rules/RUV107.md

docker/Dockerfile.gpu:2: error: invalid UTF-8 (byte 0xff)

Found 4 problems (2 errors, 1 warning, 1 info) in 3 files; 1 input error.
"""

CONCISE = """\
Dockerfile:3:5: RUV101 [error] the project is installed into the env Ray syncs at runtime
Dockerfile:5:5: RUV103 [warning] uv is installed without a version pin
ray/runtime env,v2:prod.yaml:2:3: RUV201 [error] pip is 100% ignored\\nunder uv run\\r(Ray >= 2.45)
ray/runtime env,v2:prod.yaml:4:3: RUV107 [info] py_executable makes each worker resolve the env
docker/Dockerfile.gpu:2: error: invalid UTF-8 (byte 0xff)
Found 4 problems (2 errors, 1 warning, 1 info) in 3 files; 1 input error.
"""


def test_full_output(report):
    assert text.render(report) == FULL


def test_concise_output_is_one_line_per_finding(report):
    assert text.render(report, show_source=False) == CONCISE


def test_plain_output_is_ascii_without_escape_sequences(report):
    out = text.render(report)
    assert out.isascii()
    assert "\x1b" not in out


def test_color_paints_path_code_severity_and_carets(report):
    lines = text.render(report, color=True).splitlines()
    assert lines[0] == (
        "\x1b[1mDockerfile\x1b[0m:3:5: \x1b[31mRUV101\x1b[0m [\x1b[31merror\x1b[0m] "
        "the project is installed into the env Ray syncs at runtime"
    )
    assert lines[3] == "  | \x1b[31m    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\x1b[0m"
    warning = next(ln for ln in lines if "RUV103" in ln)
    info = next(ln for ln in lines if "RUV107" in ln)
    assert "\x1b[33mRUV103\x1b[0m [\x1b[33mwarning\x1b[0m]" in warning
    assert "\x1b[34mRUV107\x1b[0m [\x1b[34minfo\x1b[0m]" in info
    # Colour must not change the text itself.
    assert _strip_ansi("\n".join(lines)) + "\n" == FULL


def _strip_ansi(s: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", s)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"findings": [], "errors": []}, "All checks passed (3 files)."),
        ({"findings": [], "errors": [], "files_checked": 1}, "All checks passed (1 file)."),
        ({"findings": []}, "No problems found in 3 files; 1 input error."),
        (
            {"errors": [], "files_checked": 1, "findings": [make_report().findings[1]]},
            "Found 1 problem (0 errors, 1 warning, 0 infos) in 1 file.",
        ),
    ],
    ids=["clean", "clean-one-file", "only-input-errors", "singular"],
)
def test_summary_line(changes, expected):
    out = text.render(make_report(**changes), show_source=False)
    assert out.splitlines()[-1] == expected


def test_clean_report_is_just_the_summary():
    assert text.render(make_report(findings=[], errors=[])) == "All checks passed (3 files).\n"


def _one(loc: Location, source: str | None, **kwargs) -> str:
    finding = Finding("RUV101", "msg", loc, Severity.ERROR, **kwargs)
    sources = {loc.path: source} if source is not None else {}
    report = make_report(findings=[finding], errors=[], rules={}, sources=sources, files_checked=1)
    out = text.render(report)
    return out[: out.rindex("\n\nFound")]  # just the finding's block


def test_long_span_is_cut_after_five_lines_with_wide_gutter():
    source = "".join(f"line {n}\n" for n in range(1, 21))
    out = _one(Location("f", 8, 1, 14, 3), source)
    assert out == (
        "f:8:1: RUV101 [error] msg\n"
        "   |\n"
        " 8 | line 8\n"
        "   | ^^^^^^\n"
        " 9 | line 9\n"
        "10 | line 10\n"
        "11 | line 11\n"
        "12 | line 12\n"
        "   | ..."
    )


def test_span_of_exactly_five_lines_is_not_cut():
    source = "".join(f"l{n}\n" for n in range(1, 8))
    out = _one(Location("f", 1, 1, 5, 3), source)
    assert "..." not in out
    assert out.endswith("5 | l5")


def test_without_source_only_header_and_notes():
    out = _one(Location("f", 12, 2, 12, 4), None, fix="do it")
    assert out == "f:12:2: RUV101 [error] msg\n   = help: do it"


def test_line_past_end_of_file_shows_no_snippet():
    out = _one(Location("f", 9, 1), "only one line\n")
    assert out == "f:9:1: RUV101 [error] msg"


@pytest.mark.parametrize(
    ("source", "loc", "caret_line"),
    [
        # end_column is exclusive: [5, 8) is three characters.
        ("ENV A=1 B=2", Location("f", 1, 5, 1, 8), "  |     ^^^"),
        # no end column: to the end of the line
        ("ENV A=1 B=2", Location("f", 1, 9), "  |         ^^^"),
        # an empty span still points somewhere
        ("ENV A=1", Location("f", 1, 5, 1, 5), "  |     ^"),
        # a span starting past the end of the line: one caret just after it
        ("ENV", Location("f", 1, 10), "  |    ^"),
        # tabs before and inside the span are shown as four spaces each
        ("\tA=\tx", Location("f", 1, 2, 1, 5), "  |     ^^^^^^"),
    ],
    ids=["range", "to-end-of-line", "empty", "past-end", "tabs"],
)
def test_carets(source, loc, caret_line):
    lines = _one(loc, source).splitlines()
    assert lines[3] == caret_line


def test_tabs_in_source_become_spaces():
    lines = _one(Location("f", 1, 2, 1, 5), "\tA=\tx").splitlines()
    assert lines[2] == "1 |     A=    x"


def test_control_characters_are_escaped_and_carets_stay_aligned():
    # An ESC from a crafted file must not reach the terminal; the span after it keeps its carets.
    lines = _one(Location("f", 1, 3, 1, 5), "A\x1bBC").splitlines()
    assert lines[2] == "1 | A\\x1bBC"
    assert lines[3] == "  |      ^^"


def test_control_characters_in_path_message_help_and_labels_are_escaped():
    finding = Finding(
        "RUV101",
        "a\x1b[2Jb",
        Location("x\ny", 1),
        Severity.ERROR,
        fix="f\rg",
        related=(("l\nm", Location("p\tq", 2)),),
    )
    out = text.render(make_report(findings=[finding], errors=[], sources={}))
    assert "\x1b" not in out and "\r" not in out and "\t" not in out
    assert out.splitlines()[:4] == [
        "x\\ny:1:1: RUV101 [error] a\\x1b[2Jb",
        "  = help: f\\rg",
        "  = docs: https://github.com/uvray/uvray/blob/main/docs/rules/RUV101.md",
        "  = note: l\\nm at p\\tq:2",
    ]


def test_crlf_sources_do_not_leak_carriage_returns():
    lines = _one(Location("f", 2, 1, 2, 4), "one\r\ntwo\r\n").splitlines()
    assert lines[2] == "2 | two"
    assert lines[3] == "  | ^^^"


def test_empty_source_line_has_no_trailing_space():
    out = _one(Location("f", 1, 1, 2, 1), "\nx\n")
    assert "1 |\n" in out
    assert all(line == line.rstrip() for line in out.splitlines())


def test_findings_sorted_by_path_line_column_code():
    a = Finding("RUV200", "m", Location("b", 1, 1), Severity.INFO)
    b = Finding("RUV100", "m", Location("a", 2, 1), Severity.INFO)
    c = Finding("RUV300", "m", Location("a", 1, 5), Severity.INFO)
    d = Finding("RUV100", "m", Location("a", 1, 5), Severity.ERROR)
    out = text.render(make_report(findings=[a, b, c, d], errors=[]), show_source=False)
    assert [ln.split(" ")[0:2] for ln in out.splitlines()[:4]] == [
        ["a:1:5:", "RUV100"],
        ["a:1:5:", "RUV300"],
        ["a:2:1:", "RUV100"],
        ["b:1:1:", "RUV200"],
    ]


def test_unknown_code_has_no_docs_line():
    finding = Finding("RUV999", "m", Location("f", 1), Severity.WARNING)
    out = text.render(make_report(findings=[finding], errors=[], sources={}))
    assert "docs:" not in out


@given(
    paths=st.lists(st.text(max_size=10), min_size=1, max_size=3),
    messages=st.lists(st.text(max_size=30), min_size=1, max_size=3),
    source=st.text(max_size=60),
    line=st.integers(1, 5),
    column=st.integers(1, 30),
)
def test_any_finding_gives_one_header_line_and_no_raw_controls(
    paths, messages, source, line, column
):
    findings = [
        Finding("RUV101", message, Location(path, line, column, line + 1, column), Severity.ERROR)
        for path, message in zip(paths, messages)
    ]
    report = make_report(findings=findings, errors=[], sources={p: source for p in paths})
    concise = text.render(report, show_source=False)
    assert len(concise.splitlines()) == len(findings) + 1
    full = text.render(report)
    assert not any(ord(c) < 0x20 and c != "\n" for c in full)
