from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvray.findings import InputError
from uvray.readers.ignorefile import (
    IgnoreFile,
    IgnorePattern,
    ignore_kind,
    read_ignore_file,
)


def ignore_file(text: str, kind: str, path: str = "ctx/.ignore") -> IgnoreFile:
    parsed, errors = read_ignore_file(text, path, kind)
    assert errors == []
    return parsed


# Each case: the ignore file, then (path, expected) pairs; a path ending in "/" is a directory.
# Docker cases follow docs.docker.com "dockerignore" and moby/patternmatcher.
DOCKER_CASES = [
    pytest.param(
        "# comment\n*/temp*\n",
        [
            ("somedir/temporary.txt", True),
            ("somedir/temp", True),
            ("somedir/temp/inner.txt", True),
            ("temp", False),
            ("a/b/temp", False),
            ("# comment", False),
        ],
        id="docs-one-level",
    ),
    pytest.param(
        "*/*/temp*\n",
        [("somedir/subdir/temporary.txt", True), ("somedir/temporary.txt", False)],
        id="docs-two-levels",
    ),
    pytest.param(
        "temp?\n",
        [
            ("tempa", True),
            ("tempb/x", True),
            ("temp", False),
            ("tempab", False),
            ("a/tempa", False),
        ],
        id="docs-question-mark",
    ),
    pytest.param(
        "**/*.go\n",
        [("main.go", True), ("a/b/c.go", True), ("a/b.go/x", True), ("go", False)],
        id="docs-double-star",
    ),
    pytest.param(
        "**/*.pyc\n",
        [("x.pyc", True), ("pkg/sub/x.pyc", True), ("x.py", False), ("pyc", False)],
        id="pyc",
    ),
    pytest.param(
        "*.md\n!README.md\n",
        [
            ("CHANGES.md", True),
            ("README.md", False),
            ("docs/guide.md", False),  # "*" does not cross "/" and patterns start at the root
        ],
        id="docs-exception",
    ),
    pytest.param(
        "*.md\n!README*.md\nREADME-secret.md\n",
        [("README-secret.md", True), ("README-public.md", False), ("other.md", True)],
        id="docs-exception-order",
    ),
    pytest.param(
        ".venv\n",
        [
            (".venv/", True),
            (".venv", True),
            (".venv/bin/python", True),
            ("a/.venv/bin/python", False),  # unlike gitignore, no match at other depths
            (".venvrc", False),
        ],
        id="venv",
    ),
    pytest.param(
        ".venv/\n",
        [(".venv/", True), (".venv/bin/python", True), (".venv", True), ("a/.venv/x", False)],
        id="venv-trailing-slash-stripped",
    ),
    pytest.param(
        "/build\n./dist/\nsrc/../out\n",
        [
            ("build/lib/x.py", True),
            ("dist/x.whl", True),
            ("out/x", True),
            ("src/build", False),
            ("src/out", False),
        ],
        id="cleaned",
    ),
    pytest.param(
        "**/node_modules\n",
        [
            ("node_modules/x", True),
            ("a/b/node_modules/x", True),
            ("a/xnode_modules", False),
        ],
        id="leading-double-star",
    ),
    pytest.param(
        "**.log\n",
        [("a.log", True), ("a/b/c.log", True), ("log", False)],
        id="double-star-suffix",
    ),
    pytest.param(
        "foo/**\n",
        [("foo/x", True), ("foo/x/y", True), ("foo", False), ("foobar/x", False)],
        id="trailing-double-star",
    ),
    pytest.param(
        "foo**\n",
        [("foo", True), ("foobar/x", True), ("afoo", False)],
        id="prefix-double-star",
    ),
    pytest.param(
        "a/**/b\n",
        [("a/b", True), ("a/x/b", True), ("a/x/y/b/c", True), ("a/xb", False)],
        id="middle-double-star",
    ),
    pytest.param("**\n!keep\n", [("x", True), ("a/b/c", True), ("keep", False)], id="all"),
    pytest.param(
        "*\n!keep.txt\n",
        [("keep.txt", False), ("other.txt", True), ("dir/keep.txt", True)],
        id="keep-only-root",
    ),
    pytest.param(
        "data\n!data/keep\n",
        [
            ("data/keep", False),
            ("data/keep/inner.csv", False),  # "!" also applies below a matching directory
            ("data/other.csv", True),
        ],
        id="reinclude-inside-excluded-dir",
    ),
    pytest.param(
        "[a-c]*.txt\n[^x]y\n",
        [("b1.txt", True), ("d.txt", False), ("zy", True), ("xy", False)],
        id="classes",
    ),
    pytest.param(
        "  spaced.txt  \n #notacomment\n",
        [("spaced.txt", True), ("#notacomment", True)],
        id="trimmed-and-hash-after-space",
    ),
    pytest.param("a.txt\r\n!b\r\n", [("a.txt", True)], id="crlf"),
    pytest.param("\ufeffbom.txt\n", [("bom.txt", True)], id="bom"),
    pytest.param(
        "a.b\n(x)+|{y}$\n",
        [("a.b", True), ("axb", False), ("(x)+|{y}$", True)],
        id="regex-characters-are-literal",
    ),
    pytest.param(
        "Dockerfile\n.dockerignore\n",
        # docker still sends both to the builder, but COPY never sees them, which is what matters
        [("Dockerfile", True), (".dockerignore", True)],
        id="dockerfile-itself",
    ),
]


def check_cases(parsed: IgnoreFile, cases: list[tuple[str, bool]]) -> None:
    got = [(path, parsed.ignores(path.rstrip("/"), path.endswith("/"))) for path, _ in cases]
    assert got == cases


@pytest.mark.parametrize(("text", "cases"), DOCKER_CASES)
def test_dockerignore(text: str, cases: list[tuple[str, bool]]) -> None:
    check_cases(ignore_file(text, "docker"), cases)


# Git cases follow gitignore(5); test_gitignore_agrees_with_git checks them against real git.
GIT_CASES = [
    pytest.param(
        ".venv\n",
        [
            (".venv/", True),
            (".venv", True),
            (".venv/bin/python", True),
            ("a/.venv/", True),
            ("a/.venv/bin/python", True),
            (".venvrc", False),
        ],
        id="venv-any-depth",
    ),
    pytest.param(
        ".venv/\n",
        [(".venv/", True), (".venv", False), (".venv/bin/python", True), ("a/.venv/x", True)],
        id="venv-dir-only",
    ),
    pytest.param(
        "/build\n",
        [("build", True), ("build/x", True), ("a/build", False), ("a/build/x", False)],
        id="anchored",
    ),
    pytest.param(
        "doc/frotz/\n",
        [
            ("doc/frotz/", True),
            ("doc/frotz/x", True),
            ("a/doc/frotz/", False),
            ("doc/frotz", False),
        ],
        id="middle-slash-anchors",
    ),
    pytest.param(
        "frotz/\n",
        [("frotz/", True), ("a/frotz/", True), ("a/frotz/x", True), ("a/frotz", False)],
        id="dir-only-any-depth",
    ),
    pytest.param(
        "**/foo\n**/bar/baz\n",
        [("foo", True), ("a/b/foo", True), ("bar/baz", True), ("x/bar/baz", True), ("xfoo", False)],
        id="leading-double-star",
    ),
    pytest.param(
        "abc/**\n",
        [("abc/x", True), ("abc/x/y", True), ("abc/", False), ("x/abc/y", False)],
        id="trailing-double-star",
    ),
    pytest.param(
        "a/**/b\n",
        [("a/b", True), ("a/x/b", True), ("a/x/y/b", True), ("a/xb", False), ("x/a/b", False)],
        id="middle-double-star",
    ),
    pytest.param(
        "foo**bar\n",
        [("fooxbar", True), ("foobar", True), ("foo/bar", False)],
        id="other-double-star-is-star",
    ),
    pytest.param(
        "*.md\n!README.md\n",
        [
            ("CHANGES.md", True),
            ("README.md", False),
            ("docs/README.md", False),
            ("docs/x.md", True),
        ],
        id="exception",
    ),
    pytest.param(
        "**/*.pyc\n*.log\n",
        [("x.pyc", True), ("a/b/x.pyc", True), ("a/b/x.log", True), ("x.py", False)],
        id="extensions",
    ),
    pytest.param(
        "build/\n!build/keep\n",
        [("build/keep", True), ("build/other", True)],  # cannot re-include below an ignored dir
        id="no-reinclude-below-ignored-dir",
    ),
    pytest.param(
        "build/*\n!build/keep\n",
        [("build/keep", False), ("build/other", True), ("build/", False)],
        id="reinclude-when-dir-not-ignored",
    ),
    pytest.param(
        "*\n!*/\n!*.py\n",
        [("a/b.py", False), ("a/b.txt", True), ("a/", False), ("top.txt", True)],
        id="allow-list",
    ),
    pytest.param(
        "\\#file\n#comment\n\\!important\n",
        [("#file", True), ("#comment", False), ("!important", True)],
        id="escapes",
    ),
    pytest.param(
        "foo\\ \nbar   \n",
        [("foo ", True), ("foo", False), ("bar", True), ("bar   ", False)],
        id="trailing-spaces",
    ),
    pytest.param(
        "[!a]bc\n[a-c]x\n[[:digit:]]y\n?z\n",
        [
            ("xbc", True),
            ("abc", False),
            ("bx", True),
            ("dx", False),
            ("1y", True),
            ("ay", False),
            ("qz", True),
            ("z", False),
        ],
        id="classes",
    ),
    pytest.param(
        "x/[!a]/y\n",
        [("x/b/y", True), ("x/a/y", False)],
        id="negated-class-in-path",
    ),
    pytest.param("**\n", [("a", True), ("a/b/", True), ("a/b/c", True)], id="everything"),
    pytest.param("  lead\n", [("  lead", True), ("lead", False)], id="leading-space-kept"),
    pytest.param(
        "a.b\n(x)+\n",
        [("a.b", True), ("axb", False), ("(x)+", True), ("xx", False)],
        id="regex-characters-are-literal",
    ),
]


@pytest.mark.parametrize(("text", "cases"), GIT_CASES)
def test_gitignore(text: str, cases: list[tuple[str, bool]]) -> None:
    check_cases(ignore_file(text, "git"), cases)


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_gitignore_agrees_with_git(tmp_path: Path) -> None:
    """The GIT_CASES table is what `git check-ignore` says, not just what we believe."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    queries = []
    for i, param in enumerate(GIT_CASES):
        text, cases = param.values
        for j, (path, expected) in enumerate(cases):
            # One directory per path: a case may use "x" as a file and "x/y" below it. Each
            # entry really exists, so git itself sees which ones are directories.
            root = tmp_path / f"c{i}_{j}"
            root.mkdir()
            (root / ".gitignore").write_text(text, encoding="utf-8")
            target = root / path.rstrip("/")
            if path.endswith("/"):
                target.mkdir(parents=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("", encoding="utf-8")
            queries.append((param.id, path, expected, f"c{i}_{j}/{path.rstrip('/')}"))
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"],
        cwd=tmp_path,
        input="".join(q[3] + "\0" for q in queries),
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split("\0")
    # -z -v -n: source, line, pattern and path for every queried path
    assert len(out) == 4 * len(queries) + 1
    disagreements = []
    for k, (case, path, expected, _) in enumerate(queries):
        pattern = out[4 * k + 2]
        if (bool(pattern) and not pattern.startswith("!")) != expected:
            disagreements.append((case, path, pattern))
    assert disagreements == [], disagreements


def test_rayignore_uses_git_rules() -> None:
    parsed = ignore_file(".venv\n*.parquet\n", "ray", "jobs/.rayignore")
    assert parsed.kind == "git"
    assert parsed.dir == "jobs"
    assert parsed.ignores("data/big.parquet")
    assert parsed.ignores("sub/.venv/lib/site.py")


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown ignore-file kind"):
        read_ignore_file("", ".x", "hg")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (".dockerignore", "docker"),
        ("svc/Dockerfile.dockerignore", "docker"),
        (".gitignore", "git"),
        ("jobs/.rayignore", "git"),
    ],
)
def test_ignore_kind(path: str, kind: str) -> None:
    assert ignore_kind(path) == kind


def test_patterns_are_recorded() -> None:
    parsed, errors = read_ignore_file("# c\n\n.venv/\n!keep\n", "svc/.dockerignore", "docker")
    assert errors == []
    assert (parsed.path, parsed.dir, parsed.kind) == ("svc/.dockerignore", "svc", "docker")
    assert [(p.text, p.pattern, p.negated, p.line) for p in parsed.patterns] == [
        (".venv/", ".venv", False, 3),
        ("!keep", "keep", True, 4),
    ]
    git = ignore_file("build/\n!x\n", "git", ".gitignore")
    assert git.dir == ""
    assert [(p.pattern, p.dir_only, p.negated, p.basename_only) for p in git.patterns] == [
        ("build", True, False, True),
        ("x", False, True, True),
    ]
    anchored = ignore_file("/a\nb/c\n**/d\n", "git").patterns
    assert [p.basename_only for p in anchored] == [False, False, False]


def test_deciding_pattern_names_the_line() -> None:
    docker = ignore_file("*.md\n!README.md\n.venv\n", "docker")
    decided = docker.deciding_pattern(".venv/bin/python")
    assert decided is not None and decided.line == 3
    readme = docker.deciding_pattern("README.md")
    assert readme is not None and readme.negated and readme.line == 2
    assert docker.deciding_pattern("src/app.py") is None
    git = ignore_file("build/\n!build/keep\n", "git")
    decided = git.deciding_pattern("build/keep")
    assert decided is not None and decided.line == 1  # the ignored parent decides


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("./.venv/bin/python", True),
        (".venv//bin", True),
        ("/.venv", True),
        ("src/../.venv/x", True),
        ("", False),
        (".", False),
        ("src", False),
    ],
)
@pytest.mark.parametrize("kind", ["docker", "git"])
def test_paths_are_normalised(kind: str, relpath: str, expected: bool) -> None:
    assert ignore_file(".venv\n", kind).ignores(relpath) is expected


def test_empty_file_ignores_nothing() -> None:
    for kind in ("docker", "git"):
        parsed = ignore_file("\n# only a comment\n", kind)
        assert parsed.patterns == []
        assert not parsed.ignores("anything")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("!", 'invalid pattern "!": an exclusion needs a pattern after "!"', id="bang"),
        pytest.param(
            "  !  ", 'invalid pattern "!": an exclusion needs a pattern after "!"', id="bang-ws"
        ),
        pytest.param("[abc", "invalid pattern '[abc': malformed [...] character class", id="open"),
        pytest.param("a[]b", "invalid pattern 'a[]b': malformed [...] character class", id="empty"),
        pytest.param("[a-]", "invalid pattern '[a-]': malformed [...] character class", id="range"),
        pytest.param(
            "foo\\", "invalid pattern 'foo\\\\': ends with a lone backslash", id="backslash"
        ),
    ],
)
def test_dockerignore_bad_patterns(line: str, message: str) -> None:
    parsed, errors = read_ignore_file(f"ok\n{line}\nafter\n", ".dockerignore", "docker")
    assert errors == [InputError(".dockerignore", message, 2)]
    # the bad line is left out, the others still work
    assert [p.pattern for p in parsed.patterns] == ["ok", "after"]
    assert parsed.ignores("after")


def test_dockerignore_bad_range_is_an_error() -> None:
    _, errors = read_ignore_file("[z-a]\n", ".dockerignore", "docker")
    assert len(errors) == 1
    assert errors[0].line == 1
    assert errors[0].message.startswith("invalid pattern '[z-a]': ")


@pytest.mark.parametrize("line", ["[abc", "foo\\", "[z-a]x", "[[:nope:]]x"])
def test_gitignore_bad_patterns_never_match_silently(line: str) -> None:
    parsed = ignore_file(f"{line}\nafter\n", "git")
    assert len(parsed.patterns) == 2
    assert parsed.ignores("after")
    assert not parsed.ignores("foo\\")
    assert not parsed.ignores("zx")


def test_gitignore_unclosed_bracket_is_literal() -> None:
    assert ignore_file("[abc\n", "git").ignores("[abc")


def test_matching_is_fast() -> None:
    patterns = [f"dir{i}/**/*.tmp" if i % 3 else f"*.ext{i}" for i in range(45)]
    patterns += [".venv", "**/__pycache__", "!keep.ext3", "/build", "node_modules/"]
    paths = [f"pkg{i % 17}/sub{i % 5}/file{i}.ext{i % 50}" for i in range(1000)]
    for kind in ("docker", "git"):
        parsed = ignore_file("\n".join(patterns), kind)
        best = float("inf")
        for _ in range(3):
            fresh = ignore_file("\n".join(patterns), kind)
            start = time.perf_counter()
            for path in paths:
                fresh.ignores(path)
            best = min(best, time.perf_counter() - start)
        assert parsed.ignores("a.ext0") is True
        # A few ms on a CI runner; generous for loaded machines.
        assert best < 0.05, kind


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_PATH_TEXT = st.text(alphabet=st.sampled_from("ab./*?[]!\\ #-^"), max_size=12)


@FUZZ
@given(st.text(), st.sampled_from(["docker", "git", "ray"]), _PATH_TEXT, st.booleans())
def test_never_raises_on_random_text(text: str, kind: str, path: str, is_dir: bool) -> None:
    parsed, errors = read_ignore_file(text, "x/.ignore", kind)
    assert all(isinstance(e, InputError) for e in errors)
    assert isinstance(parsed.ignores(path, is_dir), bool)


@FUZZ
@given(
    st.lists(_PATH_TEXT, max_size=8).map("\n".join),
    st.sampled_from(["docker", "git"]),
    st.lists(_PATH_TEXT, max_size=5),
)
def test_never_raises_on_glob_like_text(text: str, kind: str, paths: list[str]) -> None:
    parsed, _ = read_ignore_file(text, ".ignore", kind)
    for path in paths:
        parsed.ignores(path)
        parsed.ignores(path, is_dir=True)


@FUZZ
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4).map("/".join))
def test_negating_the_only_pattern_includes_everything(path: str) -> None:
    for kind in ("docker", "git"):
        parsed = ignore_file("**\n!**\n", kind)
        assert not parsed.ignores(path)
        assert isinstance(parsed.patterns[1], IgnorePattern)
