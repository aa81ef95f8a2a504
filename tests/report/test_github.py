from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uvray.findings import Finding, InputError, Location, Severity
from uvray.report import github

from .conftest import finding, make_report

DOCS = "https://github.com/uvray/uvray/blob/main/docs/rules/"

GOLDEN = f"""\
::error file=docker/Dockerfile.gpu,line=2,title=uvray (input)::invalid UTF-8 (byte 0xff)
::error file=Dockerfile,line=3,endLine=3,col=5,endColumn=37,title=uvray (RUV101)::\
the project is installed into the env Ray syncs at runtime\
%0A  help: add --no-install-project to the final uv sync\
%0A  docs: {DOCS}RUV101.md\
%0A  note: uv sync runs here at Dockerfile:6
::error file=ray/runtime env%2Cv2%3Aprod.yaml,line=2,endLine=2,col=3,endColumn=18,\
title=uvray (RUV201)::pip is 100%25 ignored%0Aunder uv run%0D(Ray >= 2.45)\
%0A  docs: {DOCS}RUV201.md
::warning file=Dockerfile,line=5,endLine=7,title=uvray (RUV103)::\
uv is installed without a version pin\
%0A  help: pin it: pip install uv==0.9.5\
%0A  docs: {DOCS}RUV103.md
::notice file=ray/runtime env%2Cv2%3Aprod.yaml,line=4,endLine=4,col=3,endColumn=24,\
title=uvray (RUV107)::py_executable makes each worker resolve the env\
%0A  docs: {DOCS}RUV107.md
"""


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """Split a workflow command the way the runner does, and undo the toolkit's escaping."""
    assert line.startswith("::")
    head, _, data = line[2:].partition("::")
    name, _, props = head.partition(" ")
    pairs = (p.split("=", 1) for p in props.split(",")) if props else ()
    return name, {k: _unescape_property(v) for k, v in pairs}, _unescape_data(data)


def _unescape_data(s: str) -> str:
    return s.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def _unescape_property(s: str) -> str:
    return _unescape_data(s.replace("%3A", ":").replace("%2C", ","))


def test_golden(report):
    assert github.render(report) == GOLDEN


def test_every_line_is_one_command(report):
    for line in github.render(report).splitlines():
        assert line.startswith(("::error ", "::warning ", "::notice "))


def test_data_escaping():
    assert github.escape_data("100%\r\n:,") == "100%25%0D%0A:,"
    # Percent goes first, so an existing "%0A" in the text is not mistaken for an escape.
    assert github.escape_data("%0A") == "%250A"


def test_property_escaping():
    assert github.escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


def test_path_with_every_special_character_survives_as_one_property():
    path = "dir, with: 100%\r\nodd.yaml"
    cmd = github.finding_command(
        Finding("RUV101", "m:,%", Location(path, 2, 3, 2, 5), Severity.ERROR)
    )
    assert "\n" not in cmd and "\r" not in cmd
    assert cmd == (
        "::error file=dir%2C with%3A 100%25%0D%0Aodd.yaml,line=2,endLine=2,col=3,endColumn=5,"
        "title=uvray (RUV101)::m:,%25"
    )
    name, props, message = parse(cmd)
    assert name == "error"
    assert props == {
        "file": path,
        "line": "2",
        "endLine": "2",
        "col": "3",
        "endColumn": "5",
        "title": "uvray (RUV101)",
    }
    assert message == "m:,%"


@given(st.text())
def test_escaping_round_trips_and_leaves_no_delimiters(s):
    data = github.escape_data(s)
    prop = github.escape_property(s)
    assert "\n" not in data and "\r" not in data
    assert not set(prop) & set(":,\r\n")
    assert _unescape_data(data) == s
    assert _unescape_property(prop) == s


def test_columns_omitted_for_multi_line_span(report):
    line = next(ln for ln in github.render(report).splitlines() if "RUV103" in ln)
    _, props, _ = parse(line)
    assert props == {"file": "Dockerfile", "line": "5", "endLine": "7", "title": "uvray (RUV103)"}


def test_end_column_omitted_when_unknown():
    cmd = github.finding_command(finding(line=4, column=2))
    assert parse(cmd)[1] == {
        "file": "Dockerfile",
        "line": "4",
        "endLine": "4",
        "col": "2",
        "title": "uvray (RUV101)",
    }


def test_input_error_without_line():
    assert github.input_error_command(InputError("a,b", "no such file")) == (
        "::error file=a%2Cb,title=uvray (input)::no such file"
    )


def test_message_carries_help_docs_and_notes(report):
    line = next(ln for ln in github.render(report).splitlines() if "RUV101" in ln)
    assert parse(line)[2].splitlines() == [
        "the project is installed into the env Ray syncs at runtime",
        "  help: add --no-install-project to the final uv sync",
        f"  docs: {DOCS}RUV101.md",
        "  note: uv sync runs here at Dockerfile:6",
    ]


def test_empty_report_renders_nothing():
    empty = make_report(findings=[], errors=[])
    assert github.render(empty) == ""
    assert github.render_with_cap(empty) == ""


# --- caps -----------------------------------------------------------------------------------------


def _many(errors: int = 0, warnings: int = 0, infos: int = 0) -> list[Finding]:
    # Reverse line order inside each level, so the test also proves the reporter sorts.
    out = []
    for severity, n in (
        (Severity.INFO, infos),
        (Severity.WARNING, warnings),
        (Severity.ERROR, errors),
    ):
        out.extend(finding(severity, line=line) for line in range(n, 0, -1))
    return out


def _levels(out: str) -> list[str]:
    return [parse(line)[0] for line in out.splitlines()]


def test_cap_25_of_each_level():
    report = make_report(findings=_many(25, 25, 25), errors=[])
    lines = github.render_with_cap(report).splitlines()
    levels = _levels("\n".join(lines))
    assert levels == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 10
    assert len(lines) <= 50
    # Nine info findings plus the notice that says what was dropped (75 - 29 shown).
    assert lines[-1] == (
        "::notice title=uvray::46 more findings not shown as annotations;"
        " see the job summary or SARIF"
    )
    shown = [int(parse(line)[1]["line"]) for line in lines[:10]]
    assert shown == list(range(1, 11))  # the first ten by position, not the last ten


def test_cap_total_budget_keeps_most_severe():
    report = make_report(findings=_many(25, 25, 25), errors=[])
    levels = _levels(github.render_with_cap(report, per_level=10, total=15))
    assert levels == ["error"] * 10 + ["warning"] * 4 + ["notice"]
    assert (
        github.render_with_cap(report, total=15)
        .splitlines()[-1]
        .startswith("::notice title=uvray::61 more")
    )


def test_nothing_dropped_means_no_notice_and_same_as_render():
    report = make_report(findings=_many(10, 10, 10), errors=[])
    assert github.render_with_cap(report) == github.render(report)
    assert len(github.render_with_cap(report).splitlines()) == 30


def test_notice_slot_is_reserved_even_when_only_errors_overflow():
    # 11 errors and 10 infos: the "more" notice needs a notice slot, so one info gives way too.
    report = make_report(findings=_many(11, 0, 10), errors=[])
    lines = github.render_with_cap(report).splitlines()
    assert _levels("\n".join(lines)) == ["error"] * 10 + ["notice"] * 10
    assert lines[-1].startswith("::notice title=uvray::2 more findings")


def test_singular_notice():
    report = make_report(findings=_many(11), errors=[])
    assert (
        github.render_with_cap(report)
        .splitlines()[-1]
        .startswith("::notice title=uvray::1 more finding not shown")
    )


def test_input_errors_count_as_errors_and_come_first():
    errors = [InputError(f"bad{i}", "no such file") for i in range(3)]
    report = make_report(findings=_many(25), errors=errors)
    lines = github.render_with_cap(report).splitlines()
    assert [parse(ln)[1]["title"] for ln in lines[:4]] == ["uvray (input)"] * 3 + ["uvray (RUV101)"]
    assert _levels("\n".join(lines)) == ["error"] * 10 + ["notice"]
    assert "18 more findings" in lines[-1]


def test_no_room_at_all():
    report = make_report(findings=_many(3), errors=[])
    assert github.render_with_cap(report, per_level=0) == ""
    assert github.render_with_cap(report, total=0) == ""
    assert github.render_with_cap(report, total=1) == (
        "::notice title=uvray::3 more findings not shown as annotations;"
        " see the job summary or SARIF\n"
    )


def test_negative_caps_are_rejected():
    with pytest.raises(ValueError):
        github.render_with_cap(make_report(), per_level=-1)


@given(
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(1, 12),
    st.integers(1, 60),
)
def test_caps_hold_for_any_mix(errors, warnings, infos, per_level, total):
    report = make_report(findings=_many(errors, warnings, infos), errors=[])
    out = github.render_with_cap(report, per_level=per_level, total=total).splitlines()
    levels = _levels("\n".join(out))
    assert len(levels) <= total
    for level in github.LEVELS:
        assert levels.count(level) <= per_level
    assert levels == sorted(levels, key=github.LEVELS.index)  # most severe first
    everything = errors + warnings + infos
    if out and out[-1].startswith("::notice title=uvray::"):
        # The count in the notice is exactly what is missing.
        assert int(parse(out[-1])[2].split()[0]) == everything - (len(out) - 1)
    else:
        assert len(out) == everything
