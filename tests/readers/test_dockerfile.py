"""Dockerfile reader: 1-based spans, directives, heredocs, continuations, flags, stages and ARG/ENV values.

Every expectation is BuildKit's behaviour (moby/buildkit frontend/dockerfile), including where
dockerfile-parse (which finds instruction starts for us) behaves differently.
"""

from __future__ import annotations

import pytest

from uvray.config import Config
from uvray.facts import Facts
from uvray.findings import InputError
from uvray.model import Repo, _add
from uvray.readers.dockerfile import (
    Dockerfile,
    Instruction,
    Stage,
    expand,
    read_dockerfile,
    split_words,
)

PATH = "docker/Dockerfile"


def read(text: str, build_args: dict[str, str] | None = None) -> Dockerfile:
    df, errors = read_dockerfile(text, PATH, build_args)
    assert errors == [], errors
    assert df is not None
    return df


def read_with_errors(text: str) -> tuple[Dockerfile | None, list[InputError]]:
    return read_dockerfile(text, PATH)


def spans(df: Dockerfile) -> list[tuple[str, int, int]]:
    return [(i.keyword, i.line, i.end_line) for i in df.instructions]


def only(df: Dockerfile, keyword: str) -> Instruction:
    found = [i for i in df.instructions if i.keyword == keyword]
    assert len(found) == 1, spans(df)
    return found[0]


def values(variables) -> dict[str, str | None]:
    return {name: var.value for name, var in variables.items()}


def stage_env(df: Dockerfile, label: str) -> dict[str, str | None]:
    stage = df.stage(label)
    assert stage is not None
    return values(stage.env)


def run_env(stage: Stage, n: int = -1) -> dict[str, str | None]:
    """The env the n-th RUN of the stage sees (ARGs in scope, overridden by ENV)."""
    runs = [s for s in stage.steps if s.instruction.keyword == "RUN"]
    return values(runs[n].shell_env())


# --- spans: 1-based lines, multi-line instructions --------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("FROM x\nRUN a\n", [("FROM", 1, 1), ("RUN", 2, 2)], id="single-lines"),
        pytest.param("FROM x\nRUN a", [("FROM", 1, 1), ("RUN", 2, 2)], id="no-final-newline"),
        pytest.param(
            "# c\n\nFROM x\n\n\nRUN a\n", [("FROM", 3, 3), ("RUN", 6, 6)], id="comments-and-blanks"
        ),
        pytest.param(
            "FROM x\nRUN a \\\n  b \\\n  c\nRUN d\n",
            [("FROM", 1, 1), ("RUN", 2, 4), ("RUN", 5, 5)],
            id="continuation",
        ),
        pytest.param(
            "FROM x\nENV A=1 \\\n    B=2\n", [("FROM", 1, 1), ("ENV", 2, 3)], id="env-continuation"
        ),
        pytest.param(
            "FROM x\nRUN a \\\n  # a comment inside\n  b\nRUN c\n",
            [("FROM", 1, 1), ("RUN", 2, 4), ("RUN", 5, 5)],
            id="comment-line-inside-continuation",
        ),
        pytest.param(
            # BuildKit skips an empty continuation line (with a warning); dockerfile-parse would
            # end the instruction there and see `b` as an instruction.
            "FROM x\nRUN a \\\n\n  b\nRUN c\n",
            [("FROM", 1, 1), ("RUN", 2, 4), ("RUN", 5, 5)],
            id="blank-line-inside-continuation",
        ),
        pytest.param(
            "FROM x\nRUN a \\\n\n   \n  # c\n\n  b\n",
            [("FROM", 1, 1), ("RUN", 2, 7)],
            id="blanks-and-comments-inside-continuation",
        ),
        pytest.param(
            "FROM x\nRUN a \\   \n  b\n", [("FROM", 1, 1), ("RUN", 2, 3)], id="spaces-after-escape"
        ),
        pytest.param(
            "FROM x\n   RUN   a\n\tENV A=1\n",
            [("FROM", 1, 1), ("RUN", 2, 2), ("ENV", 3, 3)],
            id="leading-whitespace",
        ),
        pytest.param(
            "from x\nrun a\nEnv A=1\n",
            [("FROM", 1, 1), ("RUN", 2, 2), ("ENV", 3, 3)],
            id="keywords-case-insensitive",
        ),
        pytest.param(
            "FROM x\n# comment \\\nRUN a\n",
            [("FROM", 1, 1), ("RUN", 3, 3)],
            id="comment-ending-in-escape-does-not-continue",
        ),
    ],
)
def test_spans(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert spans(read(text)) == expected


def test_continuation_text_joins_lines_and_drops_comment_lines() -> None:
    df = read("FROM x\nRUN apt-get update && \\\n# why\n    uv sync --locked\n")
    run = only(df, "RUN")
    assert run.text == "apt-get update &&     uv sync --locked"
    assert "#" not in run.text


def test_line_at_maps_offsets_back_to_physical_lines() -> None:
    df = read("FROM x\nRUN echo one && \\\n  # comment\n\n  echo two && \\\n  uv sync\n")
    run = only(df, "RUN")
    assert run.line_at(run.text.index("echo one")) == 2
    assert run.line_at(run.text.index("echo two")) == 5
    assert run.line_at(run.text.index("uv sync")) == 6


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FROM x\nRUN uv sync --locked \\", id="no-newline"),
        pytest.param("FROM x\nRUN uv sync --locked \\\n", id="newline"),
        pytest.param("FROM x\nRUN uv sync --locked \\\n# trailing comment\n", id="comment-after"),
    ],
)
def test_trailing_continuation_at_eof_keeps_the_instruction(text: str) -> None:
    df = read(text)
    run = only(df, "RUN")
    assert run.line == 2
    assert run.text.strip() == "uv sync --locked"


def test_end_line_never_past_the_last_line() -> None:
    text = "FROM x\nRUN uv sync \\\n\n"
    df, _ = read_with_errors(text)
    assert df is not None
    n_lines = len(text.splitlines())
    assert all(i.end_line <= n_lines for i in df.instructions), spans(df)


# --- parser directives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "directives", "escape"),
    [
        pytest.param("FROM x\n", {}, "\\", id="none"),
        pytest.param("# escape=`\nFROM x\n", {"escape": "`"}, "`", id="escape-backtick"),
        pytest.param("# escape=\\\nFROM x\n", {"escape": "\\"}, "\\", id="escape-backslash"),
        pytest.param("#escape=`\nFROM x\n", {"escape": "`"}, "`", id="no-space"),
        pytest.param("# escape = `\nFROM x\n", {"escape": "`"}, "`", id="spaces-around-equals"),
        pytest.param("# ESCAPE=`\nFROM x\n", {"escape": "`"}, "`", id="key-case-insensitive"),
        pytest.param(
            "# syntax=docker/dockerfile:1\nFROM x\n",
            {"syntax": "docker/dockerfile:1"},
            "\\",
            id="syntax",
        ),
        pytest.param(
            "# check=skip=JSONArgsRecommended\nFROM x\n",
            {"check": "skip=JSONArgsRecommended"},
            "\\",
            id="check-value-with-equals",
        ),
        pytest.param(
            "# syntax=docker/dockerfile:1.7\n# escape=`\n# check=skip=all\nFROM x\n",
            {"syntax": "docker/dockerfile:1.7", "escape": "`", "check": "skip=all"},
            "`",
            id="three-directives",
        ),
        pytest.param(
            "# a comment\n# escape=`\nFROM x\n", {}, "\\", id="after-a-comment-is-a-comment"
        ),
        pytest.param("FROM x\n# escape=`\n", {}, "\\", id="after-an-instruction-is-a-comment"),
        pytest.param("\n# escape=`\nFROM x\n", {}, "\\", id="after-a-blank-line-is-a-comment"),
        pytest.param("# escape=x\nFROM x\n", {"escape": "x"}, "\\", id="invalid-escape-ignored"),
    ],
)
def test_directives(text: str, directives: dict[str, str], escape: str) -> None:
    df = read(text)
    assert df.directives == directives
    assert df.escape == escape


def test_unknown_directive_ends_the_directive_block() -> None:
    df = read("# foo=bar\n# escape=`\nFROM x\nRUN a \\\n  b\n")
    assert df.escape == "\\"
    assert spans(df) == [("FROM", 3, 3), ("RUN", 4, 5)]


def test_directive_after_comment_does_not_change_continuations() -> None:
    df = read("# comment\n# escape=`\nFROM x\nRUN echo a \\\n  b\n")
    assert spans(df) == [("FROM", 3, 3), ("RUN", 4, 5)]


def test_backtick_escape_continuation() -> None:
    df = read("# escape=`\nFROM mcr.microsoft.com/windows\nRUN echo a `\n    b `\n    c\nRUN d\n")
    assert spans(df) == [("FROM", 2, 2), ("RUN", 3, 5), ("RUN", 6, 6)]
    assert only_first(df, "RUN").text.split() == ["echo", "a", "b", "c"]


def test_backtick_escape_makes_backslash_literal() -> None:
    # With escape=`, `C:\` does not continue the line (the Windows use case).
    df = read("# escape=`\nFROM x\nWORKDIR C:\\\nRUN dir\n")
    assert spans(df) == [("FROM", 2, 2), ("WORKDIR", 3, 3), ("RUN", 4, 4)]
    assert only(df, "WORKDIR").args == "C:\\"


def only_first(df: Dockerfile, keyword: str) -> Instruction:
    return next(i for i in df.instructions if i.keyword == keyword)


# --- heredocs -------------------------------------------------------------------------------------


def test_heredoc_body_is_not_turned_into_instructions() -> None:
    # dockerfile-parse turns `uv sync` into an instruction `UV` and `EOF` into another
    # (containerbuildsystem/dockerfile-parse#145).
    df = read("FROM x\nRUN <<EOF\nuv sync\nFROM evil\nENV UV_FROZEN=1\nEOF\nRUN echo next\n")
    assert spans(df) == [("FROM", 1, 1), ("RUN", 2, 6), ("RUN", 7, 7)]
    assert {i.keyword for i in df.instructions} == {"FROM", "RUN"}
    assert len(df.stages) == 1
    assert df.stages[0].env == {}
    heredoc = df.instructions[1].heredocs[0]
    assert heredoc.name == "EOF"
    assert heredoc.body == "uv sync\nFROM evil\nENV UV_FROZEN=1\n"
    assert heredoc.first_line == 3
    assert df.instructions[1].args == "<<EOF"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "FROM x\nRUN <<EOF\nuv sync\nEOF\n", [("EOF", "uv sync\n", 3, False, False)], id="plain"
        ),
        pytest.param(
            "FROM x\nRUN <<-EOF\n\tuv sync\n\t\tuv lock\n\tEOF\n",
            [("EOF", "uv sync\nuv lock\n", 3, True, False)],
            id="dash-strips-leading-tabs",
        ),
        pytest.param(
            "FROM x\nRUN <<EOF\n\tuv sync\nEOF\n",
            [("EOF", "\tuv sync\n", 3, False, False)],
            id="no-dash-keeps-tabs",
        ),
        pytest.param(
            'FROM x\nRUN <<"EOF"\necho $HOME\nEOF\n',
            [("EOF", "echo $HOME\n", 3, False, True)],
            id="double-quoted-delimiter",
        ),
        pytest.param(
            "FROM x\nRUN <<'EOF'\necho $HOME\nEOF\n",
            [("EOF", "echo $HOME\n", 3, False, True)],
            id="single-quoted-delimiter",
        ),
        pytest.param(
            "FROM x\nRUN <<A <<B\nfirst\nA\nsecond\nB\n",
            [("A", "first\n", 3, False, False), ("B", "second\n", 5, False, False)],
            id="two-heredocs-in-order",
        ),
        pytest.param(
            "FROM x\nRUN <<EOF bash\nuv sync\nEOF\n",
            [("EOF", "uv sync\n", 3, False, False)],
            id="program-after-marker",
        ),
        pytest.param(
            "FROM x\nRUN python3 <<EOF\nimport os\nEOF\n",
            [("EOF", "import os\n", 3, False, False)],
            id="python-body",
        ),
        pytest.param(
            "FROM x\nRUN <<END_OF.SCRIPT-1\nx\nEND_OF.SCRIPT-1\n",
            [("END_OF.SCRIPT-1", "x\n", 3, False, False)],
            id="delimiter-charset",
        ),
        pytest.param(
            "FROM x\nRUN <<EOF\n\nEOF\n", [("EOF", "\n", 3, False, False)], id="blank-body-line"
        ),
        pytest.param(
            # A body line ending in a backslash: dockerfile-parse merges it with the next line.
            "FROM x\nRUN <<EOF\napt-get install \\\n  curl\nEOF\n",
            [("EOF", "apt-get install \\\n  curl\n", 3, False, False)],
            id="backslash-inside-body",
        ),
        pytest.param(
            "FROM x\nRUN echo start && \\\n  cat <<EOF\nbody\nEOF\n",
            [("EOF", "body\n", 4, False, False)],
            id="marker-on-continuation-line",
        ),
    ],
)
def test_heredocs(text: str, expected: list[tuple]) -> None:
    df = read(text)
    run = only(df, "RUN")
    got = [(h.name, h.body, h.first_line, h.strip_tabs, h.quoted) for h in run.heredocs]
    assert got == expected
    assert run.end_line == len(text.splitlines())


def test_copy_heredoc() -> None:
    df = read("FROM x\nCOPY <<EOF /app/config.txt\nhello\nEOF\nRUN next\n")
    copy = only(df, "COPY")
    assert (copy.line, copy.end_line) == (2, 4)
    assert copy.args == "<<EOF /app/config.txt"
    assert [(h.name, h.body) for h in copy.heredocs] == [("EOF", "hello\n")]
    assert spans(df)[-1] == ("RUN", 5, 5)


def test_heredoc_marker_inside_quotes_or_herestring_is_not_a_heredoc() -> None:
    df = read("FROM x\nRUN echo '<<EOF' \"<<X\" && cat <<<here && uv sync\nRUN next\n")
    assert spans(df) == [("FROM", 1, 1), ("RUN", 2, 2), ("RUN", 3, 3)]
    assert df.instructions[1].heredocs == []


def test_heredoc_not_attached_to_env_or_label() -> None:
    df = read("FROM x\nLABEL a=<<EOF\nRUN next\n")
    assert spans(df) == [("FROM", 1, 1), ("LABEL", 2, 2), ("RUN", 3, 3)]


def test_arithmetic_shift_is_not_a_heredoc() -> None:
    df = read("FROM x\nRUN echo $((1<<4))\nENV UV_FROZEN=1\nRUN uv sync --locked\n")
    assert spans(df) == [("FROM", 1, 1), ("RUN", 2, 2), ("ENV", 3, 3), ("RUN", 4, 4)]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("FROM x\nRUN <<EOF\nuv sync\n", 2, id="missing-delimiter"),
        pytest.param("FROM x\nRUN <<EOF\nuv sync\n EOF\n", 2, id="indented-delimiter-no-dash"),
        pytest.param("FROM x\nRUN true\nRUN <<A <<B\na\nA\nb\n", 3, id="second-of-two"),
        pytest.param("FROM x\nCOPY <<EOF /dst\nhello", 2, id="copy"),
    ],
)
def test_unterminated_heredoc_is_an_input_error_with_the_line(text: str, line: int) -> None:
    df, errors = read_with_errors(text)
    assert [(e.path, e.line) for e in errors] == [(PATH, line)]
    assert "unterminated heredoc" in errors[0].message
    assert df is not None  # the rest is still usable


def test_heredoc_bodies_are_shell_only_for_shell_programs() -> None:
    """facts.run_commands reads a heredoc body as shell only when no program or a shell runs it."""
    text = (
        "FROM x\n"
        "RUN python3 <<EOF\nuv sync --locked\nEOF\n"  # 2-4: Python, not shell
        "RUN <<EOF\nuv sync --frozen\nEOF\n"  # 5-7
        "RUN bash <<EOF\nuv lock\nEOF\n"  # 8-10
        "RUN cat <<EOF > /x.sh\nuv venv\nEOF\n"  # 11-13: data
        "RUN <<A <<B\nuv sync\nA\nuv export\nB\n"  # 14-18
    )
    assert run_commands(text) == [
        [],
        [("sync", 6)],
        [("lock", 9)],
        [],
        [("sync", 15), ("export", 17)],
    ]


def run_commands(text: str, target: str | None = None) -> list[list[tuple[str, int]]]:
    repo = Repo(root="/nonexistent")
    _add(repo, "dockerfile", PATH, text)
    df = repo.dockerfiles[0]
    facts = Facts(repo, Config(target=target))
    out = []
    for stage in df.stages:
        for step in stage.steps:
            if step.instruction.keyword == "RUN":
                found, _pins = facts.run_commands(df, step)
                out.append([(c.sub, c.location.line) for c in found])
    return out


def test_run_command_lines_in_multi_line_run() -> None:
    text = (
        "FROM x\n"
        "RUN --mount=type=cache,target=/root/.cache/uv \\\n"
        "    apt-get update && \\\n"
        "    # install\n"
        "\n"
        "    uv sync --locked && \\\n"
        "    uv run python -m compileall\n"
    )
    assert run_commands(text) == [[("sync", 6), ("run", 7)]]


# --- flags and forms ------------------------------------------------------------------------------


def test_run_mount_flags_parsed_and_args_offset() -> None:
    df = read(
        "FROM x\n"
        "RUN --mount=type=cache,target=/root/.cache/uv "
        "--mount=type=bind,source=uv.lock,target=uv.lock uv sync --locked\n"
    )
    run = only(df, "RUN")
    assert run.flags == [
        ("mount", "type=cache,target=/root/.cache/uv"),
        ("mount", "type=bind,source=uv.lock,target=uv.lock"),
    ]
    assert run.args == "uv sync --locked"
    assert run.text[run.args_offset :] == "uv sync --locked"
    assert run.flag_values("mount")[1] == "type=bind,source=uv.lock,target=uv.lock"
    assert run.flag("network") is None


@pytest.mark.parametrize(
    ("line", "flags", "args"),
    [
        pytest.param(
            "COPY --from=ghcr.io/astral-sh/uv:0.7.13 /uv /uvx /bin/",
            [("from", "ghcr.io/astral-sh/uv:0.7.13")],
            "/uv /uvx /bin/",
            id="copy-from",
        ),
        pytest.param(
            "COPY --link --chown=ray:users . /app",
            [("link", None), ("chown", "ray:users")],
            ". /app",
            id="valueless-flag",
        ),
        pytest.param(
            "RUN --network=none --security=insecure uv sync",
            [("network", "none"), ("security", "insecure")],
            "uv sync",
            id="run-flags",
        ),
        pytest.param("RUN uv sync --frozen", [], "uv sync --frozen", id="flags-after-command"),
        pytest.param("RUN --mount=type=cache,target=/c \\", None, None, id="continued"),
    ],
)
def test_flags(line: str, flags, args) -> None:
    text = "FROM x\n" + line + ("\n  uv sync\n" if line.endswith("\\") else "\n")
    df = read(text)
    ins = df.instructions[1]
    if flags is None:
        assert ins.flags == [("mount", "type=cache,target=/c")]
        assert ins.args.strip() == "uv sync"
    else:
        assert ins.flags == flags
        assert ins.args == args


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param('RUN ["uv", "sync", "--locked"]', ["uv", "sync", "--locked"], id="run"),
        pytest.param('CMD ["uv", "run", "main.py"]', ["uv", "run", "main.py"], id="cmd"),
        pytest.param('ENTRYPOINT ["/bin/sh", "-c"]', ["/bin/sh", "-c"], id="entrypoint"),
        pytest.param('SHELL ["/bin/bash", "-lc"]', ["/bin/bash", "-lc"], id="shell"),
        pytest.param('CMD  [ "a" ]  ', ["a"], id="whitespace"),
        pytest.param('CMD ["a", ', None, id="invalid-json-is-shell-form"),
        pytest.param("CMD [not json", None, id="bracket-but-not-json"),
        pytest.param('CMD ["a", 1]', None, id="non-string-element"),
        pytest.param('CMD {"a": 1}', None, id="object"),
        pytest.param("CMD uv run main.py", None, id="shell-form"),
        pytest.param("CMD []", [], id="empty-array"),
    ],
)
def test_exec_form(line: str, expected) -> None:
    df = read("FROM x\n" + line + "\n")
    assert df.instructions[1].exec_form() == expected


def test_exec_form_run_is_recognised_by_facts() -> None:
    assert run_commands('FROM x\nRUN ["uv", "sync"]\nRUN ["sh", "-c", "uv lock"]\n') == [
        [("sync", 2)],
        [("lock", 3)],
    ]


# --- errors ------------------------------------------------------------------------------------


def test_unknown_instruction_is_an_input_error_with_file_and_line() -> None:
    df, errors = read_with_errors("FROM x\nFOO bar\nRUN a\n")
    assert len(errors) == 1
    assert (errors[0].path, errors[0].line) == (PATH, 2)
    assert "FOO" in errors[0].message
    assert errors[0].render().startswith(f"{PATH}:2: error:")
    assert df is not None


def test_one_error_for_several_unknown_instructions() -> None:
    _, errors = read_with_errors("FROM x\nFOO a\nBAR b\n")
    assert [(e.line, "FOO" in e.message) for e in errors] == [(2, True)]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # An empty file is nothing to check (a placeholder), not an error.
        pytest.param("", None, id="empty"),
        pytest.param("\n\n  \n", None, id="blank-lines"),
        # Text without a single instruction: BuildKit's "file with no instructions".
        pytest.param("# only\n# comments\n", "no instructions found", id="only-comments"),
        pytest.param(
            "# syntax=docker/dockerfile:1\n", "no instructions found", id="only-a-directive"
        ),
    ],
)
def test_empty_or_comment_only_file(text: str, error: str | None) -> None:
    df, errors = read_with_errors(text)
    assert [(e.message, e.line) for e in errors] == ([] if error is None else [(error, None)])
    assert df is not None
    assert df.instructions == []
    assert df.stages == []
    assert df.final_stage() is None


def test_instructions_without_from() -> None:
    df, errors = read_with_errors("RUN uv sync\n")
    assert [(e.line, e.message) for e in errors] == [(1, "no FROM instruction")]
    assert df is not None


def test_crlf_line_endings() -> None:
    text = (
        "# escape=\\\r\n"
        "ARG BASE=python:3.12\r\n"
        "FROM $BASE AS build\r\n"
        "ENV A=1 \\\r\n"
        "    B=two\r\n"
        "RUN <<EOF\r\nuv sync\r\nEOF\r\n"
        "RUN echo $A\r\n"
    )
    df = read(text)
    assert spans(df) == [("ARG", 2, 2), ("FROM", 3, 3), ("ENV", 4, 5), ("RUN", 6, 8), ("RUN", 9, 9)]
    assert df.directives == {"escape": "\\"}
    assert df.stages[0].base == "python:3.12"
    assert df.stages[0].name == "build"
    assert stage_env(df, "build") == {"A": "1", "B": "two"}
    assert all("\r" not in line for line in df.lines)
    assert all("\r" not in i.text for i in df.instructions)
    assert df.instructions[3].heredocs[0].body == "uv sync\n"


def test_crlf_and_lf_read_the_same() -> None:
    lf = (
        "FROM rayproject/ray:2.44.0 AS base\n"
        "ENV UV_PROJECT_ENVIRONMENT=/opt/venv \\\n"
        "    UV_FROZEN=1\n"
        "FROM base\n"
        "RUN uv sync --locked\n"
    )
    a, b = read(lf), read(lf.replace("\n", "\r\n"))
    assert spans(a) == spans(b)
    assert [i.text for i in a.instructions] == [i.text for i in b.instructions]
    assert values(a.stages[1].env) == values(b.stages[1].env)


# --- stages ---------------------------------------------------------------------------------------


def test_from_as_names_stages_and_final_stage() -> None:
    df = read("FROM python:3.12 AS build\nFROM build AS test\nFROM python:3.12-slim\n")
    assert [(s.index, s.name, s.base, s.label) for s in df.stages] == [
        (0, "build", "python:3.12", "build"),
        (1, "test", "build", "test"),
        (2, None, "python:3.12-slim", "#2"),
    ]
    assert df.final_stage().index == 2
    assert df.final_stage("build").index == 0
    assert df.final_stage("TEST").index == 1  # stage names are case-insensitive
    assert df.final_stage("1").index == 1
    assert df.final_stage("nope") is None
    assert df.final_stage("7") is None


def test_from_stage_inherits_env_workdir_user() -> None:
    # Docker: "A stage inherits any environment variables that were set using ENV by its parent
    # stage"; dockerfile-parse resets them at every FROM.
    df = read(
        "FROM python:3.12 AS base\n"
        "ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_FROZEN=1\n"
        "WORKDIR /app\n"
        "USER ray\n"
        "FROM base AS final\n"
        "ENV EXTRA=1\n"
        "WORKDIR src\n"
        "RUN uv sync\n"
        "FROM python:3.12 AS unrelated\n"
        "RUN true\n"
    )
    base, final, unrelated = df.stages
    assert final.parent is base
    assert final.ancestry() == [final, base]
    assert values(final.env) == {
        "UV_PROJECT_ENVIRONMENT": "/opt/venv",
        "UV_FROZEN": "1",
        "EXTRA": "1",
    }
    assert (final.workdir, final.user) == ("/app/src", "ray")
    assert run_env(final) == values(final.env)
    assert final.steps[-1].workdir == "/app/src"
    assert final.steps[-1].user == "ray"
    assert [s.instruction.keyword for s in final.all_steps()] == [
        "ENV", "WORKDIR", "USER", "ENV", "WORKDIR", "RUN",
    ]  # fmt: skip
    assert unrelated.parent is None
    assert unrelated.env == {}
    assert (unrelated.workdir, unrelated.user) == ("/", None)
    # The ENV location points at the instruction that set it, in the stage that set it.
    assert final.env["UV_FROZEN"].location.line == 2
    assert final.env["UV_FROZEN"].stage == "base"


def test_stage_without_instructions_is_its_parents_image() -> None:
    df = read("FROM x AS a\nENV A=1\nWORKDIR /app\nUSER ray\nFROM a AS final\n")
    final = df.final_stage()
    assert (values(final.env), final.workdir, final.user) == ({"A": "1"}, "/app", "ray")


def test_from_stage_chain_of_three() -> None:
    df = read("FROM x AS a\nENV A=1\nFROM a AS b\nENV B=2\nFROM b\nENV A=3\n")
    assert values(df.stages[2].env) == {"A": "3", "B": "2"}
    assert values(df.stages[0].env) == {"A": "1"}  # the parent is not changed by its child


def test_from_a_later_stage_name_is_an_image() -> None:
    df = read("FROM later AS first\nFROM x AS later\n")
    assert df.stages[0].parent is None


def test_from_platform_flag() -> None:
    df = read("FROM --platform=$BUILDPLATFORM python:3.12 AS y\nRUN true\n")
    stage = df.stages[0]
    assert (stage.name, stage.base, stage.base_known) == ("y", "python:3.12", True)
    assert stage.from_instruction.flag("platform") == "$BUILDPLATFORM"


# --- ARG / ENV resolution -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ENV A=1\nENV B=$A", {"A": "1", "B": "1"}, id="dollar"),
        pytest.param("ENV A=1\nENV B=${A}", {"A": "1", "B": "1"}, id="braces"),
        pytest.param("ENV A=1\nENV B=x${A}y", {"A": "1", "B": "x1y"}, id="embedded"),
        pytest.param("ENV A=1\nENV B=${A:-d}", {"A": "1", "B": "1"}, id="default-when-set"),
        pytest.param("ENV A=\nENV B=${A:-d}", {"A": "", "B": "d"}, id="default-when-empty"),
        pytest.param("ENV A=\nENV B=${A-d}", {"A": "", "B": ""}, id="dash-no-colon-empty-is-set"),
        pytest.param("ENV A=1\nENV B=${A:+alt}", {"A": "1", "B": "alt"}, id="alternate-when-set"),
        pytest.param("ENV A=\nENV B=${A:+alt}", {"A": "", "B": ""}, id="alternate-when-empty"),
        pytest.param(
            # The base image may set it: not guessed.
            "ENV B=$UNKNOWN",
            {"B": None},
            id="unknown-is-none",
        ),
        pytest.param("ENV B=${UNKNOWN:-d}", {"B": None}, id="unknown-with-default-is-none"),
        pytest.param("ENV B=${A:?err}", {"B": None}, id="unsupported-operator-unknown"),
        pytest.param("ENV A=\"x y\" B='$NOT'", {"A": "x y", "B": "$NOT"}, id="quotes"),
        pytest.param(
            'ENV A=1\nENV B="$A two"', {"A": "1", "B": "1 two"}, id="double-quotes-expand"
        ),
        pytest.param("ENV A=1\nENV B='$A'", {"A": "1", "B": "$A"}, id="single-quotes-literal"),
        pytest.param("ENV A=1\nENV B=\\$A", {"A": "1", "B": "$A"}, id="escaped-dollar"),
        pytest.param('ENV A=1\nENV B="\\$A"', {"A": "1", "B": "$A"}, id="escaped-dollar-in-quotes"),
        pytest.param("ENV A=a\\ b", {"A": "a b"}, id="escaped-space"),
        pytest.param("ENV K V with spaces", {"K": "V with spaces"}, id="legacy-form"),
        pytest.param("ENV K=V\nENV L $K more", {"K": "V", "L": "V more"}, id="legacy-expands"),
        pytest.param("ENV A=1 B=2 C=3", {"A": "1", "B": "2", "C": "3"}, id="several"),
        pytest.param("ENV A=", {"A": ""}, id="empty-value"),
        pytest.param(
            # Docker's documented example: def sees the value from before the instruction.
            "ENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc",
            {"abc": "bye", "def": "hello", "ghi": "bye"},
            id="same-instruction-sees-old-value",
        ),
        pytest.param("ENV A=1\nENV A=2", {"A": "2"}, id="override"),
        pytest.param("ENV PATH=/opt/venv/bin:$PATH", {"PATH": None}, id="path-from-base-unknown"),
    ],
)
def test_env_values(text: str, expected: dict[str, str | None]) -> None:
    df = read("FROM x\n" + text + "\n")
    assert stage_env(df, "0") == expected


@pytest.mark.parametrize(
    ("text", "build_args", "expected_base", "known"),
    [
        pytest.param("ARG BASE=python:3.12\nFROM $BASE", None, "python:3.12", True, id="dollar"),
        pytest.param(
            "ARG V=3.12\nFROM python:${V}-slim", None, "python:3.12-slim", True, id="braces"
        ),
        pytest.param(
            "ARG V\nFROM python:${V:-3.11}", None, "python:${V:-3.11}", False, id="no-default"
        ),
        pytest.param(
            "ARG V=3.12\nFROM python:${V:-3.11}", None, "python:3.12", True, id="default-op-set"
        ),
        pytest.param(
            "ARG BASE=python:3.12\nFROM $BASE",
            {"BASE": "python:3.13"},
            "python:3.13",
            True,
            id="build-arg-overrides",
        ),
        pytest.param(
            "ARG V\nFROM python:$V", {"V": "3.10"}, "python:3.10", True, id="build-arg-fills"
        ),
        pytest.param("FROM python:$NOPE", None, "python:$NOPE", False, id="undeclared"),
        pytest.param("ARG A=1 B=2\nFROM img:$A.$B", None, "img:1.2", True, id="several-args"),
    ],
)
def test_global_args_in_from(text: str, build_args, expected_base: str, known: bool) -> None:
    df = read(text + "\n", build_args)
    assert (df.stages[0].base, df.stages[0].base_known) == (expected_base, known)


def test_global_arg_needs_redeclaration_inside_a_stage() -> None:
    df = read(
        "ARG UV_VERSION=0.7.13\n"
        "ARG OTHER=x\n"
        "FROM python:3.12 AS a\n"
        "RUN echo $UV_VERSION\n"  # not in scope yet
        "ARG UV_VERSION\n"  # picks the global default
        "RUN echo $UV_VERSION\n"
        "FROM python:3.12 AS b\n"
        "RUN echo $UV_VERSION\n"  # scope ended with stage a
        "ARG UV_VERSION=0.8.0\n"  # a new default in this stage
        "RUN echo $UV_VERSION\n"
    )
    a, b = df.stages
    assert run_env(a, 0) == {}
    assert run_env(a, 1) == {"UV_VERSION": "0.7.13"}
    assert run_env(b, 0) == {}
    assert run_env(b, 1) == {"UV_VERSION": "0.8.0"}
    assert values(df.global_args) == {"UV_VERSION": "0.7.13", "OTHER": "x"}


def test_arg_scope_ends_with_the_stage_even_for_child_stages() -> None:
    df = read("FROM x AS a\nARG V=1\nENV E=$V\nFROM a\nRUN echo\n")
    child = df.stages[1]
    assert run_env(child) == {"E": "1"}  # ENV is inherited, the ARG is not


def test_env_overrides_arg_in_run_env() -> None:
    df = read("FROM x\nARG A=from-arg\nARG B=b\nENV A=from-env\nRUN echo\n")
    assert run_env(df.stages[0]) == {"A": "from-env", "B": "b"}


def test_arg_does_not_override_env() -> None:
    df = read("FROM x\nENV A=from-env\nARG A=from-arg\nRUN echo\n")
    assert run_env(df.stages[0]) == {"A": "from-env"}


def test_env_uses_arg_values() -> None:
    df = read("FROM x\nARG V=1\nENV UV_FROZEN=$V\n")
    assert stage_env(df, "0") == {"UV_FROZEN": "1"}
    assert df.stages[0].env["UV_FROZEN"].kind == "ENV"


@pytest.mark.parametrize(
    ("text", "build_args", "expected"),
    [
        pytest.param("ARG V=1", {"V": "9"}, {"V": "9"}, id="overrides-default"),
        pytest.param("ARG V", {"V": "9"}, {"V": "9"}, id="fills-no-default"),
        pytest.param("ARG V", None, {"V": None}, id="no-default-not-passed-unknown"),
        pytest.param("ARG V=1", {"W": "9"}, {"V": "1"}, id="undeclared-build-arg-ignored"),
        pytest.param("ARG V=1", {"V": ""}, {"V": ""}, id="empty-build-arg"),
        pytest.param("ARG A=1 B=$A", None, {"A": "1", "B": None}, id="same-instruction"),
    ],
)
def test_build_args(text: str, build_args, expected) -> None:
    df = read("FROM x\n" + text + "\nRUN echo\n", build_args)
    got = run_env(df.stages[0])
    for key, value in expected.items():
        assert got.get(key) == value, got
    if build_args and set(build_args) & set(expected):
        assert df.stages[0].steps[-1].args[next(iter(build_args))].kind == "build-arg"


def test_build_arg_overrides_global_default_through_redeclaration() -> None:
    df = read("ARG V=1\nFROM x\nARG V\nRUN echo\n", {"V": "9"})
    assert run_env(df.stages[0]) == {"V": "9"}
    assert values(df.global_args) == {"V": "9"}


def test_env_from_unknown_arg_is_unknown() -> None:
    df = read("FROM x\nARG FROZEN\nENV UV_FROZEN=$FROZEN\n")
    assert stage_env(df, "0") == {"UV_FROZEN": None}
    df = read("FROM x\nARG FROZEN\nENV UV_FROZEN=$FROZEN\n", {"FROZEN": "1"})
    assert stage_env(df, "0") == {"UV_FROZEN": "1"}


@pytest.mark.parametrize(
    ("lines", "workdir"),
    [
        pytest.param([], "/", id="default"),
        pytest.param(["WORKDIR /app"], "/app", id="absolute"),
        pytest.param(["WORKDIR /app", "WORKDIR src"], "/app/src", id="relative"),
        pytest.param(["WORKDIR /app/", "WORKDIR ./a/../b"], "/app/b", id="normalised"),
        pytest.param(["ENV D=/srv", "WORKDIR $D/x"], "/srv/x", id="variable"),
        pytest.param(['WORKDIR "/with space"'], "/with space", id="quoted"),
    ],
)
def test_workdir(lines: list[str], workdir: str) -> None:
    df = read("FROM x\n" + "\n".join(lines) + "\n")
    assert df.stages[0].workdir == workdir


@pytest.mark.parametrize(
    ("lines", "user"),
    [
        pytest.param([], None, id="default"),
        pytest.param(["USER ray"], "ray", id="name"),
        pytest.param(["USER 1000:1000"], "1000:1000", id="uid-gid"),
        pytest.param(["ARG U=ray", "USER $U"], "ray", id="from-arg"),
        pytest.param(["USER $NOPE"], "?", id="unknown"),
    ],
)
def test_user(lines: list[str], user) -> None:
    df = read("FROM x\n" + "\n".join(lines) + "\n")
    assert df.stages[0].user == user


def test_shell_instruction_changes_step_shell() -> None:
    df = read('FROM x\nRUN a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN b\nFROM x\nRUN c\n')
    shells = [s.shell for st in df.stages for s in st.steps if s.instruction.keyword == "RUN"]
    assert shells == [
        ["/bin/sh", "-c"],
        ["/bin/bash", "-o", "pipefail", "-c"],
        ["/bin/sh", "-c"],
    ]


def test_step_state_is_before_the_instruction() -> None:
    df = read("FROM x\nENV A=1\nENV A=2\n")
    first, second = df.stages[0].steps
    assert values(first.env) == {}
    assert values(second.env) == {"A": "1"}


# --- split_words / expand ---------------------------------------------------------------------


def lookup(table: dict[str, str]):
    return table.get


@pytest.mark.parametrize(
    ("text", "escape", "expected"),
    [
        pytest.param("a b\tc", "\\", [("a", True), ("b", True), ("c", True)], id="whitespace"),
        pytest.param("'a b' \"c d\"", "\\", [("a b", True), ("c d", True)], id="quotes"),
        pytest.param("a\\ b", "\\", [("a b", True)], id="escaped-space"),
        pytest.param("a` b", "`", [("a b", True)], id="backtick-escape"),
        pytest.param("$V ${V}x", "\\", [("1", True), ("1x", True)], id="expansion"),
        pytest.param("$NOPE", "\\", [("$NOPE", False)], id="unknown"),
        pytest.param("'$V'", "\\", [("$V", True)], id="single-quoted-literal"),
        pytest.param('"$V"', "\\", [("1", True)], id="double-quoted-expands"),
        pytest.param("${V", "\\", [("${V", False)], id="unclosed-brace"),
        pytest.param("a$", "\\", [("a$", True)], id="lone-dollar"),
        pytest.param("'unterminated", "\\", [("unterminated", True)], id="unterminated-quote"),
        pytest.param("", "\\", [], id="empty"),
    ],
)
def test_split_words(text: str, escape: str, expected) -> None:
    assert split_words(text, escape, lookup({"V": "1"})) == expected


def test_expand() -> None:
    df = read("FROM x\nARG UV=0.7.13\nCOPY --from=ghcr.io/astral-sh/uv:$UV /uv /bin/\n")
    step = df.stages[0].steps[-1]
    assert expand(step.instruction.flag("from"), step.args) == ("ghcr.io/astral-sh/uv:0.7.13", True)
    assert expand("img:$NOPE", step.args) == ("img:$NOPE", False)
    assert expand("", step.args) == ("", True)
