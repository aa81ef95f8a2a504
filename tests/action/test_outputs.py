"""One uvray run, several reports: --sarif-file, --json-file, --summary-file, --annotations.

The summary Markdown is rendered with a real CommonMark + GFM-table parser (markdown-it-py) to
prove that what a repository file puts in a message stays inside its cell."""

from __future__ import annotations

import importlib.util
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from uvray import cli
from uvray.findings import Severity
from uvray.report import summary

from ..report.conftest import finding, make_report
from .conftest import EXAMPLE, REPO, checkout

SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "o/r",
    "GITHUB_SHA": "abc123",
}


class _Cells(HTMLParser):
    """Rows of a rendered table: each a list of (cell text, [hrefs], [code texts])."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, list[str], list[str]]]] = []
        self._cell: list | None = None
        self._in_code = False
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "br" and self._cell is not None:
            self._cell[0] += "\n"
        elif tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = ["", [], []]
        elif tag == "a" and self._cell is not None:
            self._cell[1].append(dict(attrs)["href"])
        elif tag == "code" and self._cell is not None:
            self._in_code = True
            self._cell[2].append("")

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "code":
            self._in_code = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data
            if self._in_code:
                self._cell[2][-1] += data


def _table(markdown: str) -> _Cells:
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    cells = _Cells()
    cells.feed(html)
    return cells


# (message, the text a reader sees in the cell)
HOSTILE = [
    ("a | b | c", "a | b | c"),
    ("two\nlines\r\nthree", "two\nlines\nthree"),
    (
        "<script>alert(1)</script> <img src=x onerror=alert(1)>",
        "<script>alert(1)</script> <img src=x onerror=alert(1)>",
    ),
    (
        "[click](https://evil.example) ![i](https://evil.example/i.png)",
        "[click](https://evil.example) ![i](https://evil.example/i.png)",
    ),
    (
        "`uv sync | tee log` then ``error: `--locked` ``",
        "uv sync | tee log then error: `--locked` ",
    ),
    (
        "an unbalanced ` backtick and *stars* and _underscores_ and &amp; and \\ and #1",
        "an unbalanced ` backtick and *stars* and _underscores_ and &amp; and \\ and #1",
    ),
]


@pytest.mark.parametrize(("message", "seen"), HOSTILE)
def test_a_message_stays_in_its_cell(message, seen):
    report = make_report(findings=[finding(message=message, line=3)], errors=[])
    cells = _table(summary.render(report, "uvray check", ENV))
    body = [row for row in cells.rows if row]  # the header row has th, not td
    assert len(body) == 1 and len(body[0]) == 4
    text, hrefs, _codes = body[0][3]
    assert hrefs == []  # no link, no image out of a message
    assert not cells.tags & {"script", "img", "em", "strong"}
    assert text == seen


def test_code_spans_survive_with_their_pipes():
    report = make_report(findings=[finding(message=HOSTILE[4][0])], errors=[])
    cells = _table(summary.render(report, "t", ENV))
    (row,) = [r for r in cells.rows if r]
    assert row[3][2] == ["uv sync | tee log", "error: `--locked` "]


def test_links_to_the_commit_only_for_files_in_the_repository(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\n", encoding="utf-8")
    findings = [
        finding(path="Dockerfile", line=1),
        finding(path="Dockerfile", line=2, end_line=4),
        finding(path="/opt/venv/lib/python3.11/site-packages", line=1),
    ]
    report = make_report(findings=findings, errors=[], root=str(tmp_path))
    rows = [r for r in _table(summary.render(report, "t", ENV)).rows if r]
    assert [r[2][1] for r in rows] == [
        [],  # "/opt/..." sorts first: same severity, reading order
        ["https://github.com/o/r/blob/abc123/Dockerfile#L1"],
        ["https://github.com/o/r/blob/abc123/Dockerfile#L2-L4"],
    ]
    # Without the runner's variables there is nothing to link to.
    rows = [r for r in _table(summary.render(report, "t", {})).rows if r]
    assert all(r[2][1] == [] for r in rows)
    # The rule code links to its documentation.
    assert rows[0][0][1] == [report.rules["RUV101"].url]


def test_most_severe_first_and_input_errors_listed():
    report = make_report()
    text = summary.render(report, "uvray check", ENV)
    assert text.startswith("## uvray check\n\n4 findings in 3 files: 2 errors, 1 warning, 1 info.")
    assert "1 input error: those files were not checked." in text
    rows = [r for r in _table(text).rows if r]
    assert rows[0] == [("docker/Dockerfile.gpu:2", [], []), ("invalid UTF-8 (byte 0xff)", [], [])]
    assert [r[1][0] for r in rows[1:]] == ["error", "error", "warning", "info"]


def test_clean_report_has_no_table():
    text = summary.render(make_report(findings=[], errors=[]), "uvray check", ENV)
    assert text == "## uvray check\n\nNo findings in 3 files.\n\n"


@pytest.mark.parametrize("budget", [summary.MAX_BYTES, 50_000, 3_000])
def test_stays_within_the_budget_and_says_what_it_left_out(budget):
    long = "é" * 700 + " | `x|y` <b>"
    findings = [finding(Severity(1 + i % 3), line=i + 1, message=long) for i in range(2_000)]
    text = summary.render(make_report(findings=findings, errors=[]), "uvray check", ENV, budget)
    assert len(text.encode("utf-8")) <= budget
    shown = text.count("\n| RUV") + text.count("\n| [RUV")
    assert 0 < shown < 2_000
    assert f"_{2_000 - shown} more findings left out" in text
    rows = [r for r in _table(text).rows if r]
    assert len(rows) == shown and all(len(r) == 4 for r in rows)
    # What is cut is the least severe.
    severities = [r[1][0] for r in rows]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_tiny_budget_keeps_only_the_heading():
    report = make_report(errors=[])
    head = summary.heading(report, "uvray check")
    assert summary.render(report, "uvray check", ENV, len(head.encode()) + 10) == head
    assert summary.render(report, "uvray check", ENV, 5) == ""


# --- the CLI: one pass ----------------------------------------------------------------------


@pytest.fixture
def ray_job(tmp_path: Path) -> Path:
    root = tmp_path / "ray-job"
    shutil.copytree(EXAMPLE, root)
    return checkout(root)


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_one_pass_writes_every_report(ray_job, tmp_path, capsys, monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    md = out_dir / "summary.md"
    md.write_text("# earlier step content\n", encoding="utf-8")
    code, out, err = _main(
        capsys,
        "check",
        str(ray_job),
        "--output",
        str(out_dir / "report.txt"),
        "--sarif-file",
        str(out_dir / "r.sarif"),
        "--json-file",
        str(out_dir / "r.json"),
        "--summary-file",
        str(md),
        "--annotations",
    )
    assert code == 1, err
    lines = out.splitlines()
    assert len(lines) == 3 and all(line.startswith("::error file=Dockerfile,") for line in lines)
    doc = json.loads((out_dir / "r.json").read_text(encoding="utf-8"))
    sarif = json.loads((out_dir / "r.sarif").read_text(encoding="utf-8"))
    assert len(doc["findings"]) == len(sarif["runs"][0]["results"]) == 3
    assert "Dockerfile:6:1: RUV101 [error]" in (out_dir / "report.txt").read_text(encoding="utf-8")
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# earlier step content\n## uvray check\n")
    assert text.count("\n| [RUV") == 3
    assert "(https://github.com/o/r/blob/abc123/Dockerfile#L4)" in text


def test_summary_appends_within_what_the_step_has_left(ray_job, tmp_path, capsys):
    md = tmp_path / "summary.md"
    md.write_text("x" * (summary.MAX_BYTES - 1_500), encoding="utf-8")
    code, _out, err = _main(capsys, "check", str(ray_job), "-q", "--summary-file", str(md))
    assert code == 1, err
    assert md.stat().st_size <= summary.MAX_BYTES
    assert "more findings left out" in md.read_text(encoding="utf-8")


def test_annotation_limits_share_a_step_budget(ray_job, capsys):
    code, out, _err = _main(
        capsys, "check", str(ray_job), "-q", "--annotation-limits", "error=2,total=5"
    )
    assert code == 1
    lines = out.splitlines()
    # The quiet text report prints nothing here (findings only); then the capped annotations.
    annotations = [line for line in lines if line.startswith("::")]
    assert [a.split(" ", 1)[0] for a in annotations] == ["::error", "::error", "::notice"]
    assert annotations[-1].endswith(
        "::1 more finding not shown as annotations; see the job summary or SARIF"
    )


@pytest.mark.parametrize("spec", ["error=x", "errors=3", "total", "error=-1"])
def test_bad_annotation_limits_exit_2(ray_job, capsys, spec):
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", str(ray_job), "--annotation-limits", spec])
    assert exc.value.code == 2
    assert "--annotation-limits" in capsys.readouterr().err


def test_annotations_refuse_to_share_stdout_with_a_document(ray_job, capsys):
    code, out, err = _main(capsys, "check", str(ray_job), "--format", "sarif", "--annotations")
    assert code == 2
    assert out == ""
    assert err == (
        "uvray: error: --annotations prints to stdout:"
        " give --output FILE for the --format sarif report\n"
    )


def test_unwritable_extra_output_is_one_line(ray_job, tmp_path, capsys):
    target = tmp_path / "missing-dir" / "r.sarif"
    code, _out, err = _main(capsys, "check", str(ray_job), "-q", "--sarif-file", str(target))
    assert code == 2
    assert err.startswith(f"uvray: error: cannot write {target}: ") and err.count("\n") == 1


def test_an_empty_directory_still_writes_the_requested_reports(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    code, _out, _err = _main(capsys, "check", "--sarif-file", str(tmp_path / "e.sarif"))
    assert code == 0
    assert (
        json.loads((tmp_path / "e.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []
    )


# --- the action's SARIF merge ---------------------------------------------------------------


def _action_module():
    spec = importlib.util.spec_from_file_location("uvray_action_run", REPO / "action" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_merged_sarif_is_one_valid_run(ray_job, tmp_path, capsys):
    crowded = tmp_path / "other"
    crowded.mkdir()
    (crowded / "Dockerfile").write_text(
        "FROM python:3.11-slim\n# uvray: ignore[RUV101]\nRUN true\n", encoding="utf-8"
    )
    docs = []
    for i, root in enumerate((ray_job, checkout(crowded))):
        target = tmp_path / f"{i}.sarif"
        _main(capsys, "check", str(root), "-q", "--sarif-file", str(target))
        docs.append(json.loads(target.read_text(encoding="utf-8")))
    merged = _action_module().merge_sarif(docs)
    assert len(merged["runs"]) == 1
    results = merged["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["RUV001", "RUV101", "RUV102", "RUV301"]
    rules = merged["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(merged)
