"""The Dockerfile reader against dockerfile-parse, its former engine and now its oracle.

dockerfile-parse finds where instructions start. Where it disagrees with BuildKit it finds
*extra* starts (heredoc body lines, lines after a blank line inside a continuation) or drops an
instruction still continued at the end of the file; it never misses a real start. So for every
Dockerfile: each start we find is one of its starts (or its dropped last one), and each start it
finds that we don't lies inside one of our instructions.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uvray.readers.dockerfile import read_dockerfile

ROOT = Path(__file__).resolve().parents[2]


def oracle_starts(text: str) -> set[int]:
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(fileobj=io.StringIO(text), env_replace=False)
    return {e["startline"] + 1 for e in parser.structure if e["instruction"] != "COMMENT"}


def check_against_oracle(text: str) -> None:
    model, _errors = read_dockerfile(text, "Dockerfile")
    assert model is not None
    ours = {ins.line for ins in model.instructions}
    spans = [(ins.line, ins.end_line) for ins in model.instructions]
    theirs = oracle_starts(text)
    last = max(spans, key=lambda s: s[0]) if spans else None
    for line in ours - theirs:
        # dockerfile-parse drops an instruction still continued at the end of the file.
        assert last is not None and line == last[0], (line, text)
    for line in theirs - ours:
        assert any(a < line <= b for a, b in spans), (line, text)


def _repository_dockerfiles() -> list[Path]:
    found = [
        p
        for pattern in ("tests/**/Dockerfile*", "examples/**/Dockerfile*")
        for p in ROOT.glob(pattern)
        if p.is_file() and not p.name.endswith(".dockerignore")
    ]
    return sorted(set(found))


def test_every_dockerfile_of_the_repository_agrees_with_the_oracle() -> None:
    files = _repository_dockerfiles()
    assert len(files) > 300
    for path in files:
        check_against_oracle(path.read_text(encoding="utf-8"))


# Lines as real Dockerfiles have them, including the shapes where the two disagree.
_LINES = st.sampled_from(
    [
        "FROM python:3.12-slim AS build",
        "RUN uv sync --locked \\",
        "    --no-install-project",
        "  && rm -rf /tmp/x \\",
        "",
        "# a comment",
        "RUN <<EOF",
        "uv sync --frozen",
        "EOF",
        "COPY <<-CFG /etc/app.cfg",
        "\tkey = value",
        "CFG",
        "ENV A=1 \\",
        "    B=2",
        "ARG V=3",
        "WORKDIR /app",
        'CMD ["uv", "run", "main.py"]',
        "run echo lower \\",
        "RUN a \\",
        "\\",
    ]
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(_LINES, min_size=1, max_size=25))
def test_generated_dockerfiles_agree_with_the_oracle(lines: list[str]) -> None:
    check_against_oracle("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "text",
    [
        "FROM x\nRUN <<EOF\nuv sync\nEOF\n",  # oracle: `uv sync` and `EOF` are instructions
        "FROM x\nRUN a \\\n\n  b\n",  # oracle: `b` starts a new one after the blank line
        "FROM x\nRUN uv sync --locked \\\n",  # oracle: drops it
    ],
)
def test_known_disagreements_are_the_oracles(text: str) -> None:
    check_against_oracle(text)
