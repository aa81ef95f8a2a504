"""Seeds and mutations for the property tests: the repository's own fixtures, broken on purpose.

Random text mostly dies in a reader's first few lines; a real file with one byte flipped, a line
dropped or a heredoc opened mid-line reaches the deep branches (stages, continuations, lock
tables, runtime_env shapes). Every seed is a file of this repository, grouped by the kind uvray
reads it as, so a failure names a real starting point.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from uvray.discover import kind_of
from uvray.readers.rayconfig import looks_like_kuberay

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "rules" / "fixtures"
SEED_DIRS = (FIXTURES, ROOT / "examples", ROOT / "tests" / "readers" / "data")
# Kinds the property tests read; "kuberay" is a YAML file that looks like a KubeRay manifest.
KINDS = ("dockerfile", "workflow", "action", "pyproject", "uvlock", "python-version")
KINDS += ("runtime-env", "kuberay")
# uv.lock seeds above this size make every example slow and add no new shapes.
MAX_SEED_BYTES = 16 * 1024

# Text that opens or closes a construct somewhere in one of the formats: continuations,
# heredocs, quotes, expansions, YAML anchors/tags/flow, TOML tables and multi-line strings.
SNIPPETS = [
    "\\\n", "\\", "`\n", "<<EOF\n", "<<-'E'\n", "EOF\n", "\tE\n", '"', "'", "`", "$(", "${",
    "${A:-", "}", ")", "$((", "#", "# escape=`\n", "# syntax=x\n", "\r", "\r\n", "\t", " ",
    "\n", "\x00", "\ufeff", "\u2028", "&&", "||", ";", "|", "&", "[", "]", "{", "}", ",",
    '["uv"]', "--mount=type=cache,target=/root/.cache/uv ", "FROM x AS y\n", "RUN ", "ARG A\n",
    "ENV A=$B\n", "COPY --from=y . .\n", "uv sync --locked ", "uv run ", "ray job submit -- ",
    "--runtime-env-json '{\"pip\": [1]}' ", ": ", "- ", "---\n", "...\n", "&a ", "*a", "<<: *a\n",
    "!!str ", "!!binary ", "!!python/name:os.system ", "? ", "|-\n", ">\n", "{{", "}}",
    "${{ ", "${{ matrix.x }}", "= ", "[[", "]]", '"""', "'''", "[tool.uv]\n", "[[package]]\n",
    "name = \"ray\"\n", "version = \"2.9.0\"\n", "source = { editable = \".\" }\n", "0x", "inf",
    "nan", "1e999", "-0", "9" * 30, "\ud800",
]  # fmt: skip


@dataclass(frozen=True)
class Seed:
    kind: str
    path: str  # relative to the repository, for failure messages
    data: bytes

    def __repr__(self) -> str:  # hypothesis prints the seed in a falsifying example
        return f"Seed({self.path!r})"


def _kind(case_relpath: str, full: Path) -> str | None:
    kind = kind_of(case_relpath)
    if kind == "yaml":
        text = full.read_bytes().decode("utf-8", "replace")
        return "kuberay" if looks_like_kuberay(text) else None
    return kind


def _case_relpath(base: Path, full: Path) -> str:
    """The path as uvray sees it inside its mini repository (fixtures/<CODE>/<kind>/<case>/…)."""
    rel = full.relative_to(base).as_posix()
    if base == FIXTURES:
        parts = rel.split("/")
        rel = "/".join(parts[4:] if parts[3:4] == ["fixed"] else parts[3:])
    return rel


@cache
def seeds(kind: str) -> tuple[Seed, ...]:
    """Every distinct file of that kind under the seed directories, smallest first."""
    found: dict[bytes, Seed] = {}
    for base in SEED_DIRS:
        for directory, _dirs, files in os.walk(base):
            for name in files:
                full = Path(directory) / name
                if full.is_symlink() or full.stat().st_size > MAX_SEED_BYTES:
                    continue
                if _kind(_case_relpath(base, full), full) != kind:
                    continue
                data = full.read_bytes()
                found.setdefault(data, Seed(kind, full.relative_to(ROOT).as_posix(), data))
    return tuple(sorted(found.values(), key=lambda s: (len(s.data), s.path)))


def _at(data: bytes, where: int) -> int:
    return where % (len(data) + 1)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def _flip(data: bytes, where: int, bit: int) -> bytes:
    if not data:
        return bytes([1 << bit])
    i = where % len(data)
    return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


def _delete_line(data: bytes, where: int) -> bytes:
    lines = _lines(data)
    del lines[where % len(lines)]
    return b"".join(lines)


def _duplicate_line(data: bytes, where: int) -> bytes:
    lines = _lines(data)
    i = where % len(lines)
    lines.insert(i, lines[i])
    return b"".join(lines)


def _swap_lines(data: bytes, where: int, other: int) -> bytes:
    lines = _lines(data)
    i, j = where % len(lines), other % len(lines)
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def _insert(data: bytes, where: int, snippet: str) -> bytes:
    i = _at(data, where)
    return data[:i] + snippet.encode("utf-8", "surrogatepass") + data[i:]


def _truncate(data: bytes, where: int) -> bytes:
    return data[: _at(data, where)]


def _indent_line(data: bytes, where: int, spaces: int) -> bytes:
    lines = _lines(data)
    i = where % len(lines)
    lines[i] = b" " * spaces + lines[i].lstrip(b" ")
    return b"".join(lines)


_WHERE = st.integers(min_value=0, max_value=1 << 20)
MUTATION = st.one_of(
    st.tuples(st.just(_flip), _WHERE, st.integers(0, 7)),
    st.tuples(st.just(_delete_line), _WHERE),
    st.tuples(st.just(_duplicate_line), _WHERE),
    st.tuples(st.just(_swap_lines), _WHERE, _WHERE),
    st.tuples(st.just(_insert), _WHERE, st.sampled_from(SNIPPETS) | st.text(max_size=8)),
    st.tuples(st.just(_truncate), _WHERE),
    st.tuples(st.just(_indent_line), _WHERE, st.integers(0, 9)),
)


def apply_mutations(data: bytes, mutations: list[tuple]) -> bytes:
    for op, *args in mutations:
        data = op(data, *args)
    return data


@st.composite
def mutated(draw, kind: str, max_mutations: int = 6) -> tuple[Seed, bytes]:
    """A seed of that kind and its bytes after 1..max_mutations random mutations."""
    seed = draw(st.sampled_from(seeds(kind)))
    mutations = draw(st.lists(MUTATION, min_size=1, max_size=max_mutations))
    return seed, apply_mutations(seed.data, mutations)


def as_text(data: bytes) -> str:
    """What a reader gets: uvray decodes UTF-8 (a BOM dropped) and refuses NUL bytes before any
    reader runs; mutated bytes that would be refused still reach the reader, repaired, so every
    example exercises it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "replace").replace("\x00", "\ufffd")
