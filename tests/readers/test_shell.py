"""Shell splitter: simple commands out of RUN / `run:` / entrypoint text, without being fooled by
quotes, comments, continuations, here-documents, redirections or control-flow keywords."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uvray.commands import UvCommand, recognise_site, site_for_lines
from uvray.readers.shell import SimpleCommand, expand_braced, split_commands


def words(text: str, lookup=None) -> list[list[str]]:
    return [c.words for c in split_commands(text, lookup)]


def table(values: dict[str, str]):
    return values.get


# --- separators, comments, keywords ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("uv sync", [["uv", "sync"]], id="one"),
        pytest.param("", [], id="empty"),
        pytest.param("   \n\t\n", [], id="blank"),
        pytest.param("uv sync # --no-install-project", [["uv", "sync"]], id="trailing-comment"),
        pytest.param("# uv sync --frozen\nuv lock", [["uv", "lock"]], id="comment-line"),
        pytest.param(
            "uv sync;# c\nuv lock", [["uv", "sync"], ["uv", "lock"]], id="comment-after-semicolon"
        ),
        pytest.param("echo a#b", [["echo", "a#b"]], id="hash-inside-word"),
        pytest.param("echo \\# x", [["echo", "#", "x"]], id="escaped-hash"),
        pytest.param("echo '#' \"#\"", [["echo", "#", "#"]], id="quoted-hash"),
        pytest.param(
            "a && b || c; d | e & f",
            [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]],
            id="operators",
        ),
        pytest.param("a&&b||c;d|e", [["a"], ["b"], ["c"], ["d"], ["e"]], id="operators-unspaced"),
        pytest.param("a\nb\n\nc\n", [["a"], ["b"], ["c"]], id="newlines"),
        pytest.param("uv sync &", [["uv", "sync"]], id="background"),
        pytest.param("(uv sync)", [["uv", "sync"]], id="subshell"),
        pytest.param("{ uv sync; }", [["uv", "sync"]], id="group"),
        pytest.param("! uv sync", [["uv", "sync"]], id="negation"),
        pytest.param("time uv sync", [["uv", "sync"]], id="time"),
        pytest.param(
            "if [ -f uv.lock ]; then uv sync --frozen; else uv lock; fi",
            [["[", "-f", "uv.lock", "]"], ["uv", "sync", "--frozen"], ["uv", "lock"]],
            id="if-then-else",
        ),
        pytest.param(
            "if uv sync\nthen\n  uv run x\nelif false; then :\nfi",
            [["uv", "sync"], ["uv", "run", "x"], ["false"], [":"]],
            id="if-multiline",
        ),
        pytest.param(
            "for p in a b; do uv pip install $p; done",
            [["uv", "pip", "install", "$p"]],
            id="for-header-skipped-body-kept",
        ),
        pytest.param("case $X in a) uv sync;; esac", [["uv", "sync"]], id="case-header-skipped"),
        pytest.param("while true; do uv run x; done", [["true"], ["uv", "run", "x"]], id="while"),
        pytest.param("until false; do :; done", [["false"], [":"]], id="until"),
        pytest.param(
            "uv sync \\\n  --frozen \\\n  --no-dev",
            [["uv", "sync", "--frozen", "--no-dev"]],
            id="continuation",
        ),
        pytest.param("uv \\\nsync", [["uv", "sync"]], id="continuation-between-words"),
        pytest.param(
            "uv sync && \\\n  uv run x",
            [["uv", "sync"], ["uv", "run", "x"]],
            id="continuation-after-and",
        ),
    ],
)
def test_commands(text: str, expected: list[list[str]]) -> None:
    assert words(text) == expected


def test_comment_does_not_pass_flags() -> None:
    [cmd] = split_commands("uv sync # --no-install-project")
    assert "--no-install-project" not in cmd.words


def test_later_case_patterns_are_not_commands() -> None:
    text = 'case "$1" in sync) uv sync;; uv) uv lock;; *) uv venv;; esac'
    assert words(text) == [["uv", "sync"], ["uv", "lock"], ["uv", "venv"]]


# --- quotes and expansions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_words", "expected_known"),
    [
        pytest.param("echo 'a b'", ["echo", "a b"], [True, True], id="single-quotes"),
        pytest.param('echo "a b"', ["echo", "a b"], [True, True], id="double-quotes"),
        pytest.param('echo "c \\" d"', ["echo", 'c " d'], [True, True], id="escaped-double-quote"),
        pytest.param("echo 'a\\'", ["echo", "a\\"], [True, True], id="backslash-literal-in-single"),
        pytest.param(
            'echo "a\\nb"', ["echo", "a\\nb"], [True, True], id="backslash-n-kept-in-double"
        ),
        pytest.param("echo a\\ b", ["echo", "a b"], [True, True], id="escaped-space"),
        pytest.param("echo 'a'\"b\"c", ["echo", "abc"], [True, True], id="concatenated"),
        pytest.param("echo ''", ["echo", ""], [True, True], id="empty-quotes"),
        pytest.param(
            "echo 'a\nuv sync\nb'", ["echo", "a\nuv sync\nb"], [True, True], id="newline-in-quotes"
        ),
        pytest.param(
            "echo 'a;b&&c|d'", ["echo", "a;b&&c|d"], [True, True], id="operators-in-quotes"
        ),
        pytest.param(
            "echo 'unterminated", ["echo", "unterminated"], [True, True], id="unterminated-single"
        ),
        pytest.param(
            'echo "unterminated', ["echo", "unterminated"], [True, True], id="unterminated-double"
        ),
        # Documented behaviour: $'…' (ANSI-C quoting) is not decoded; the `$` stays and the body
        # is read as a single-quoted string.
        pytest.param(
            "echo $'a\\nb'", ["echo", "$a\\nb"], [True, True], id="ansi-c-quote-not-decoded"
        ),
        pytest.param(
            "echo $(uv sync)",
            ["echo", "$(uv sync)"],
            [True, False],
            id="command-substitution-opaque",
        ),
        pytest.param("echo `uv lock`", ["echo", "`uv lock`"], [True, False], id="backticks-opaque"),
        pytest.param(
            "echo $(echo a)b", ["echo", "$(echo a)b"], [True, False], id="substitution-in-word"
        ),
        pytest.param(
            "echo $(a $(b) 'c)' d)",
            ["echo", "$(a $(b) 'c)' d)"],
            [True, False],
            id="nested-substitution",
        ),
        pytest.param(
            'echo "$(uv sync)"', ["echo", "$(uv sync)"], [True, False], id="substitution-in-quotes"
        ),
        pytest.param(
            "echo $((1 << 4))", ["echo", "$((1 << 4))"], [True, False], id="arithmetic-opaque"
        ),
        pytest.param("echo $V", ["echo", "val"], [True, True], id="known-var"),
        pytest.param("echo $NOPE", ["echo", "$NOPE"], [True, False], id="unknown-var"),
        pytest.param("echo '$V'", ["echo", "$V"], [True, True], id="single-quotes-no-expansion"),
        pytest.param('echo "$V"', ["echo", "val"], [True, True], id="double-quotes-expand"),
        pytest.param('echo "\\$V"', ["echo", "$V"], [True, True], id="escaped-dollar"),
        pytest.param("echo ${V}x", ["echo", "valx"], [True, True], id="braces"),
        pytest.param("echo ${V:-d}", ["echo", "val"], [True, True], id="default-set"),
        pytest.param("echo ${E:-d}", ["echo", "d"], [True, True], id="default-empty"),
        pytest.param("echo ${E-d}", ["echo", ""], [True, True], id="default-no-colon-empty-is-set"),
        pytest.param("echo ${V:+alt}", ["echo", "alt"], [True, True], id="alternate-set"),
        pytest.param("echo ${E:+alt}", ["echo", ""], [True, True], id="alternate-empty"),
        pytest.param(
            "echo ${NOPE:-d}", ["echo", "${NOPE:-d}"], [True, False], id="default-unknown-var"
        ),
        pytest.param("echo ${#V}", ["echo", "${#V}"], [True, False], id="length-unsupported"),
        pytest.param(
            "echo ${V/a/b}", ["echo", "${V/a/b}"], [True, False], id="substitution-unsupported"
        ),
        pytest.param(
            "echo $1 $@ $?",
            ["echo", "$1", "$@", "$?"],
            [True, False, False, False],
            id="special-params",
        ),
        pytest.param("echo a$", ["echo", "a$"], [True, True], id="lone-dollar"),
    ],
)
def test_words_and_known(text: str, expected_words: list[str], expected_known: list[bool]) -> None:
    [cmd] = split_commands(text, table({"V": "val", "E": ""}))
    assert cmd.words == expected_words
    assert cmd.known == expected_known


def test_no_lookup_means_every_variable_is_unknown() -> None:
    [cmd] = split_commands("uv sync --python $PY ${PY:-3.11}")
    assert cmd.words == ["uv", "sync", "--python", "$PY", "${PY:-3.11}"]
    assert cmd.known == [True, True, True, False, False]


@pytest.mark.parametrize(
    ("inner", "values", "expected"),
    [
        pytest.param("V", {"V": "1"}, ("1", True), id="plain"),
        pytest.param("V", {}, ("${V}", False), id="plain-unknown"),
        pytest.param("V:-d", {"V": ""}, ("d", True), id="colon-dash-empty"),
        pytest.param("V-d", {"V": ""}, ("", True), id="dash-empty"),
        pytest.param("V:=d", {"V": ""}, ("d", True), id="colon-equals"),
        pytest.param("V:+a", {"V": "x"}, ("a", True), id="colon-plus"),
        pytest.param("V+a", {"V": ""}, ("a", True), id="plus-empty-is-set"),
        pytest.param("V:?e", {"V": "x"}, ("x", True), id="colon-question-set"),
        pytest.param("V:?e", {"V": ""}, ("${V:?e}", False), id="colon-question-empty"),
        pytest.param("V:-a b", {"V": ""}, ("a b", True), id="word-with-space"),
        pytest.param("1V", {}, ("${1V}", False), id="bad-name"),
    ],
)
def test_expand_braced(inner: str, values: dict[str, str], expected) -> None:
    raw = "${" + inner + "}"
    assert expand_braced(inner, table(values), raw) == expected


# --- assignments ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_words", "assignments"),
    [
        pytest.param("VAR=x uv sync", ["uv", "sync"], {"VAR": "x"}, id="one"),
        pytest.param(
            "UV_FROZEN=1 UV_NO_SYNC=0 uv run x",
            ["uv", "run", "x"],
            {"UV_FROZEN": "1", "UV_NO_SYNC": "0"},
            id="two",
        ),
        pytest.param("A='a b' uv sync", ["uv", "sync"], {"A": "a b"}, id="quoted-value"),
        pytest.param("A= uv sync", ["uv", "sync"], {"A": ""}, id="empty-value"),
        pytest.param("A=$V uv sync", ["uv", "sync"], {"A": "val"}, id="known-value"),
        pytest.param("A=$NOPE uv sync", ["uv", "sync"], {"A": None}, id="unknown-value"),
        pytest.param("A=$(date) uv sync", ["uv", "sync"], {"A": None}, id="substitution-value"),
        pytest.param("A=1", [], {"A": "1"}, id="assignment-only"),
        pytest.param("uv sync A=1", ["uv", "sync", "A=1"], {}, id="after-command-is-an-argument"),
        pytest.param("1A=x uv", ["1A=x", "uv"], {}, id="not-a-name"),
    ],
)
def test_assignment_prefixes(text: str, expected_words: list[str], assignments) -> None:
    [cmd] = split_commands(text, table({"V": "val"}))
    assert cmd.words == expected_words
    assert cmd.assignments == assignments


def test_assignments_do_not_leak_to_the_next_command() -> None:
    first, second = split_commands("A=1 uv sync; uv lock")
    assert first.assignments == {"A": "1"}
    assert second.assignments == {}


# --- redirections -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("uv sync > /dev/null 2>&1", [["uv", "sync"]], id="devnull-and-dup"),
        pytest.param("uv sync >/dev/null", [["uv", "sync"]], id="glued-target"),
        pytest.param("uv sync 1>/dev/null 2>/dev/null", [["uv", "sync"]], id="numbered"),
        pytest.param("uv sync >> log", [["uv", "sync"]], id="append"),
        pytest.param("uv sync < /dev/null", [["uv", "sync"]], id="input"),
        pytest.param(
            "uv sync 2> err.txt --frozen", [["uv", "sync", "--frozen"]], id="in-the-middle"
        ),
        pytest.param(
            "uv sync &> log; uv lock", [["uv", "sync"], ["uv", "lock"]], id="ampersand-gt"
        ),
        pytest.param("uv sync &>log", [["uv", "sync"]], id="ampersand-gt-glued"),
        pytest.param(
            "uv sync 2>&1 | tee log", [["uv", "sync"], ["tee", "log"]], id="dup-then-pipe"
        ),
        pytest.param("uv sync >&2", [["uv", "sync"]], id="to-stderr"),
        pytest.param("uv sync 2>&1>/dev/null", [["uv", "sync"]], id="chained"),
        pytest.param("> log uv sync", [["uv", "sync"]], id="before-the-command"),
    ],
)
def test_redirections(text: str, expected: list[list[str]]) -> None:
    assert words(text) == expected


def test_clobber_redirection() -> None:
    assert words("echo x >| uv.txt") == [["echo", "x"]]


# --- here-documents in shell text ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("cat <<EOF > f\nuv sync\nEOF\nuv lock", [["cat"], ["uv", "lock"]], id="plain"),
        pytest.param(
            "cat > f <<'EOF'\nuv sync\nEOF\nuv lock",
            [["cat"], ["uv", "lock"]],
            id="quoted-after-redirect",
        ),
        pytest.param(
            'cat <<"EOF"\nuv sync\nEOF\nuv lock', [["cat"], ["uv", "lock"]], id="double-quoted"
        ),
        pytest.param(
            "cat <<-EOF\n\tuv sync\n\tEOF\nuv lock", [["cat"], ["uv", "lock"]], id="dash-tabs"
        ),
        pytest.param(
            "cat << EOF\nuv sync\nEOF\nuv lock",
            [["cat"], ["uv", "lock"]],
            id="space-before-delimiter",
        ),
        pytest.param(
            "cat <<EOF | uv pip install -r -\nuv==0.7\nEOF\nuv lock",
            [["cat"], ["uv", "pip", "install", "-r", "-"], ["uv", "lock"]],
            id="pipe-on-the-same-line",
        ),
        pytest.param(
            "cat <<EOF;uv sync\nbody\nEOF\nuv lock",
            [["cat"], ["uv", "sync"], ["uv", "lock"]],
            id="command-after-semicolon",
        ),
        pytest.param(
            "cat <<A <<B\nuv sync\nA\nuv lock\nB\nuv venv",
            [["cat"], ["uv", "venv"]],
            id="two-bodies",
        ),
        pytest.param(
            "cat <<EOF\r\nuv sync\r\nEOF\r\nuv lock\r\n", [["cat"], ["uv", "lock"]], id="crlf"
        ),
        pytest.param("cat <<EOF\nuv sync\n", [["cat"]], id="unterminated-body-skipped"),
        # A here-string is stdin data, like a redirection: not a command, not an argument.
        pytest.param("cat <<<'uv sync'\nuv lock", [["cat"], ["uv", "lock"]], id="here-string"),
        pytest.param(
            "x=$(cat <<EOF\nuv sync\nEOF\n)\nuv lock",
            [[], ["uv", "lock"]],
            id="inside-substitution-opaque",
        ),
    ],
)
def test_shell_heredocs(text: str, expected: list[list[str]]) -> None:
    assert words(text) == expected


# --- offsets → lines ----------------------------------------------------------------------------


def test_offsets_point_at_the_command() -> None:
    text = "echo a && \\\n  uv sync --frozen\nuv lock"
    cmds = split_commands(text)
    assert [text[c.offset : c.offset + 2] for c in cmds] == ["ec", "uv", "uv"]
    assert cmds[1].offset == text.index("uv sync")
    assert isinstance(cmds[0], SimpleCommand)


def uv_lines(text: str, first_line: int = 10, lookup=None) -> list[tuple[str, int, int | None]]:
    found, _pins = recognise_site(site_for_lines("ci.yml", text, first_line, lookup))
    return [
        (c.sub, c.location.line, c.location.end_line) for c in found if isinstance(c, UvCommand)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("uv sync", [("sync", 10, None)], id="first-line"),
        pytest.param("echo\n\nuv sync\n", [("sync", 12, None)], id="third-line"),
        pytest.param(
            "uv sync \\\n  --frozen \\\n  --no-dev\nuv lock",
            [("sync", 10, 12), ("lock", 13, None)],
            id="continued-command-spans-lines",
        ),
        pytest.param(
            "cat <<EOF\nuv venv\nEOF\nuv sync", [("sync", 13, None)], id="after-a-heredoc-body"
        ),
        pytest.param(
            "if true; then\n  uv sync\nfi\n# uv lock\nuv run x",
            [("sync", 11, None), ("run", 14, None)],
            id="control-flow-and-comment",
        ),
        pytest.param("echo 'a\nb' && uv sync", [("sync", 11, None)], id="after-multi-line-quote"),
        pytest.param("uv sync # c\n", [("sync", 10, None)], id="trailing-comment-same-line"),
    ],
)
def test_lines_through_site_for_lines(text: str, expected) -> None:
    assert uv_lines(text) == expected


@pytest.mark.parametrize(
    ("text", "lookup", "expected"),
    [
        pytest.param(
            "uv sync --python $PY\necho next\nline\nline",
            {"PY": "3.11-a-value-long-enough-to-cross-lines"},
            [("sync", 10, None)],
            id="long-expansion",
        ),
        pytest.param(
            'uv run python -c "\nimport ray\nray.init()\n"\necho after',
            {},
            [("run", 10, 13)],
            id="multi-line-quoted-argument",
        ),
    ],
)
def test_end_line_uses_raw_offsets(text: str, lookup, expected) -> None:
    assert uv_lines(text, lookup=table(lookup)) == expected


@given(st.text(alphabet="ab uv-=.&|;\n\t/", max_size=80))
def test_fast_path_agrees_with_the_lexer(text: str) -> None:
    """Plain scripts are tokenised with one regex; the result must be what the lexer gives."""
    from uvray.readers.shell import _Lexer, commands_from_tokens

    def shape(commands):
        return [(c.words, c.assignments, c.offset, c.end_offset) for c in commands]

    by_lexer = commands_from_tokens(_Lexer(text, None).tokens(), text)
    assert shape(split_commands(text)) == shape(by_lexer)
