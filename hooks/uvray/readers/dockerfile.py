"""Dockerfile text → instructions with 1-based spans, heredocs, flags, and stages with resolved ARG/ENV.

Instructions are read the way BuildKit reads them: continuations with the file's escape character,
blank and comment lines inside a continuation skipped, heredoc bodies attached to their
instruction, `FROM <stage>` inheriting the parent stage's ENV. Values of ARG and ENV are resolved
the way BuildKit does: global ARGs before the first FROM, ARG scope per stage, ENV overriding ARG,
`--build-arg` overriding defaults.

This reader was first built on dockerfile-parse, which found where instructions start; its traps
(0-based lines, heredoc bodies turned into instructions — containerbuildsystem/dockerfile-parse#145
—, a blank line ending a continuation, quadratic concatenation of long continuations) were
repaired here until the repairs did all the work. It is now the differential oracle of the tests
(tests/readers/test_dockerfile_oracle.py): on every Dockerfile of the repository and on generated
ones, both find the same instructions wherever dockerfile-parse agrees with BuildKit. Dropping it
from the hot path saved ~30 % of reading a Dockerfile.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field

from uvray.findings import InputError, Location
from uvray.readers.shell import expand_braced

KNOWN_INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}  # fmt: skip
_HEREDOC_INSTRUCTIONS = {"RUN", "COPY", "ADD"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DIRECTIVE_NAMES = {"syntax", "escape", "check"}
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$")
_HEREDOC_MARK = re.compile(r"<<(-?)(?:\"([^\"\n]+)\"|'([^'\n]+)'|([A-Za-z0-9_.\-]+))")
_SPECIAL = re.compile(r"[\\`'\"$]")
_PLAIN_RUN = re.compile(r"[^\s\\`'\"$]+")
_NON_BLANK = re.compile(r"\S+")
_FIRST_WORD = re.compile(r"(\S+)")
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY_EQUALS = re.compile(r"^[^\s=]+=")
# A flag is a whole word: `--mount=type=cache,target=/x`, `--link`; not `--foo` glued to text.
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?:=(\S*))?(?=[ \t]|$)")
_LEADING_BLANKS = re.compile(r"[ \t]*")


@dataclass
class Heredoc:
    name: str
    body: str
    # 1-based line of the body's first line.
    first_line: int
    strip_tabs: bool
    quoted: bool


@dataclass
class Instruction:
    keyword: str
    line: int
    end_line: int
    # Text after the keyword with continuations joined (escape+newline removed, comment lines
    # dropped); heredoc bodies are not part of it.
    text: str
    # (offset into text, 1-based file line) at each physical line's start, to map offsets back.
    line_map: list[tuple[int, int]]
    flags: list[tuple[str, str | None]] = field(default_factory=list)
    # Offset in text where the arguments start (after the flags).
    args_offset: int = 0
    heredocs: list[Heredoc] = field(default_factory=list)

    @property
    def args(self) -> str:
        return self.text[self.args_offset :]

    def flag(self, name: str) -> str | None:
        return next((v for k, v in self.flags if k == name), None)

    def flag_values(self, name: str) -> list[str]:
        return [v for k, v in self.flags if k == name and v is not None]

    def line_at(self, offset: int) -> int:
        """The file line of an offset into text (line_map is sorted by offset)."""
        if len(self.line_map) == 1:
            return self.line
        index = bisect.bisect_right(self.line_map, (offset, float("inf"))) - 1
        return self.line_map[index][1] if index >= 0 else self.line

    def exec_form(self) -> list[str] | None:
        """The JSON array form of RUN/CMD/ENTRYPOINT/SHELL, or None for shell form."""
        args = self.args.strip()
        if not args.startswith("["):
            return None
        try:
            value = json.loads(args)
        except (ValueError, RecursionError):
            return None  # not JSON (or nested past Python's limit): Docker runs it as shell form
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None


@dataclass
class Var:
    """An ARG or ENV value as the build would see it; value None when not statically known."""

    name: str
    value: str | None
    location: Location
    kind: str  # "ENV", "ARG", "build-arg"
    stage: str
    # The value with unknown references left as written (`$HOME/venv`), for rules that only
    # need its shape (is it an absolute path?).
    raw: str | None = None


@dataclass
class Step:
    """An instruction with the state in force when it runs."""

    instruction: Instruction
    env: dict[str, Var]
    args: dict[str, Var]
    workdir: str
    user: str | None
    shell: list[str]

    def shell_env(self) -> Mapping[str, Var]:
        """What a RUN's processes see: ARGs in scope, overridden by ENV (a view, not a copy)."""
        return ChainMap(self.env, self.args) if self.args else self.env

    def words(self, escape: str = "\\") -> list[tuple[str, bool]]:
        """The instruction's arguments (after its --flags) as BuildKit splits them for COPY,
        ADD, WORKDIR…: JSON array form, or words with ARG/ENV values substituted."""
        exec_form = self.instruction.exec_form()
        if exec_form is not None:
            return [(w, True) for w in exec_form]
        env = self.shell_env()
        return split_words(self.instruction.args, escape, _lookup(env))


@dataclass(eq=False)  # a stage is itself: == and `in` by identity, never field by field
class Stage:
    index: int
    name: str | None
    base: str
    base_known: bool
    from_instruction: Instruction
    parent: Stage | None
    steps: list[Step] = field(default_factory=list)
    env: dict[str, Var] = field(default_factory=dict)
    workdir: str = "/"
    user: str | None = None
    _all_steps: list[Step] | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.name if self.name else f"#{self.index}"

    def ancestry(self) -> list[Stage]:
        """This stage and the stages it is built FROM, nearest first."""
        chain: list[Stage] = []
        stage: Stage | None = self
        # By identity: a dataclass's == compares every field, parents recursively, which made
        # 1,000 chained stages take minutes.
        seen: set[int] = set()
        while stage is not None and id(stage) not in seen:
            seen.add(id(stage))
            chain.append(stage)
            stage = stage.parent
        return chain

    def all_steps(self) -> list[Step]:
        """Steps of the ancestry and this stage, in build order (what the image's layers did).
        Built once: the reader is done with the stage when anyone asks."""
        if self._all_steps is None:
            steps: list[Step] = []
            for stage in reversed(self.ancestry()):
                steps.extend(stage.steps)
            self._all_steps = steps
        return self._all_steps


@dataclass
class Dockerfile:
    path: str
    lines: list[str]
    directives: dict[str, str]
    escape: str
    instructions: list[Instruction]
    stages: list[Stage]
    global_args: dict[str, Var]

    def stage(self, name_or_index: str) -> Stage | None:
        for stage in self.stages:
            if stage.name and stage.name.lower() == name_or_index.lower():
                return stage
        if name_or_index.isdigit() and int(name_or_index) < len(self.stages):
            return self.stages[int(name_or_index)]
        return None

    def copy_source(self, step: Step) -> Stage | None:
        """The stage a `COPY/ADD --from=…` copies from (its name expanded with the ARGs in
        force, as BuildKit does); None for an image, a context or an unknown name."""
        source = step.instruction.flag("from")
        if not source:
            return None
        name, known = expand(source, step.args)
        return self.stage(name) if known else None

    def final_stage(self, target: str | None = None) -> Stage | None:
        if target:
            return self.stage(target)
        return self.stages[-1] if self.stages else None


# ---------------------------------------------------------------------------------------------
# Reading


def read_dockerfile(
    text: str, display_path: str, build_args: dict[str, str] | None = None
) -> tuple[Dockerfile | None, list[InputError]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    # Lines end at LF, CRLF or a lone CR, as editors count them; str.splitlines() also breaks at
    # form feeds, NEL and U+2028, which BuildKit keeps inside a line (a RUN cut in two, every
    # later line number off by one).
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    errors: list[InputError] = []
    directives, escape = _directives(lines)
    instructions: list[Instruction] = []
    consumed = 0  # 0-based index of the first line not yet part of an instruction
    while True:
        start = _next_instruction_line(lines, consumed)
        if start is None:
            break
        instruction, consumed, error = _read_instruction(lines, start, escape, display_path)
        if error:
            errors.append(error)
        if instruction is not None:
            instructions.append(instruction)
    unknown = next((i for i in instructions if i.keyword not in KNOWN_INSTRUCTIONS), None)
    if unknown is not None:
        # One line per file: the first unknown instruction is what Docker would stop at.
        errors.append(
            InputError(display_path, f"unknown instruction {unknown.keyword[:40]}", unknown.line)
        )
    if not any(i.keyword == "FROM" for i in instructions):
        if instructions:
            first = instructions[0]
            errors.append(InputError(display_path, "no FROM instruction", first.line))
        elif text.strip():
            errors.append(InputError(display_path, "no instructions found"))
    dockerfile = Dockerfile(display_path, lines, directives, escape, instructions, [], {})
    _build_stages(dockerfile, build_args or {})
    return dockerfile, errors


def _next_instruction_line(lines: list[str], i: int) -> int | None:
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i
        i += 1
    return None


def _directives(lines: list[str]) -> tuple[dict[str, str], str]:
    """Parser directives: `# key=value` comments before anything else (BuildKit's rule: an
    unknown or repeated directive ends the block, like any other comment)."""
    directives: dict[str, str] = {}
    for line in lines:
        m = _DIRECTIVE.match(line.strip())
        if not m or m.group(1).lower() in directives or m.group(1).lower() not in _DIRECTIVE_NAMES:
            break
        directives[m.group(1).lower()] = m.group(2)
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        escape = "\\"
    return directives, escape


def _continues(line: str, escape: str) -> bool:
    return line.rstrip().endswith(escape)


def _read_instruction(
    lines: list[str], start: int, escape: str, path: str
) -> tuple[Instruction | None, int, InputError | None]:
    first = lines[start].lstrip()
    if first.rstrip() == escape:
        # An empty line continued: the instruction is on the next line, but starts here.
        following = _next_instruction_line(lines, start + 1)
        if following is None:
            return None, len(lines), None
        ins, consumed, error = _read_instruction(lines, following, escape, path)
        if ins is not None:
            ins.line = start + 1
        return ins, consumed, error
    m = _FIRST_WORD.match(first)
    if not m:
        return None, start + 1, None
    keyword_raw = m.group(1)
    keyword = keyword_raw.upper()
    # A keyword glued to the escape char (RUN\) still starts an instruction.
    if keyword.endswith(escape) and len(keyword) > 1:
        keyword = keyword[:-1]
        keyword_raw = keyword_raw[:-1]
    rest = first[len(keyword_raw) :]
    if rest[:1] in (" ", "\t"):
        rest = rest[1:]
    if not rest.rstrip().endswith(escape):
        # One line, the usual case.
        ins = Instruction(keyword, start + 1, start + 1, rest, [(0, start + 1)])
        _parse_flags(ins)
        if keyword in _HEREDOC_INSTRUCTIONS and "<<" in rest:
            consumed, error = _attach_heredocs(ins, lines, start + 1, path)
            return ins, consumed, error
        return ins, start + 1, None
    parts: list[str] = []
    line_map: list[tuple[int, int]] = []
    offset = 0
    i = start
    end = start  # the last line that belongs to the instruction
    current = rest
    while True:
        line_map.append((offset, i + 1))
        end = i
        if _continues(current, escape):
            stripped = current.rstrip()
            piece = stripped[: -len(escape)]
            parts.append(piece)
            offset += len(piece)
            i += 1
            # Comment lines and blank lines inside a continuation are dropped by BuildKit.
            while i < len(lines) and (lines[i].strip() == "" or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= len(lines):
                consumed_to = i
                break
            current = lines[i]
            continue
        parts.append(current)
        offset += len(current)
        consumed_to = i + 1
        break
    text = "".join(parts)
    ins = Instruction(keyword, start + 1, end + 1, text, line_map)
    _parse_flags(ins)
    error = None
    consumed = consumed_to
    if keyword in _HEREDOC_INSTRUCTIONS and "<<" in text:
        consumed, error = _attach_heredocs(ins, lines, consumed, path)
    return ins, consumed, error


def _parse_flags(ins: Instruction) -> None:
    """Leading `--name[=value]` flags (RUN --mount, COPY --from, FROM --platform)."""
    text = ins.text
    m = _LEADING_BLANKS.match(text)
    i = m.end()
    while text.startswith("--", i):
        flag = _FLAG.match(text, i)
        if flag is None:
            break
        ins.flags.append((flag.group(1), flag.group(2)))
        i = _LEADING_BLANKS.match(text, flag.end()).end()
    ins.args_offset = i


def _heredoc_marks(text: str) -> list[tuple[str, bool, bool]]:
    """(name, strip_tabs, quoted) for each `<<EOF` word outside quotes, in order.

    BuildKit only treats a whole word matching `^(\\d*)<<(-?)([^<]*)$` as a heredoc, so
    `$((1<<4))` and `a<<b` are not heredocs."""
    marks = []
    quote = None
    depth = 0  # inside $( … ) or $(( … ))
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            i += 1
            continue
        if c in "'\"":
            quote = c
        elif text.startswith("$(", i):
            depth += 1
            i += 2
            continue
        elif c == ")" and depth:
            depth -= 1
        elif c == "<" and not depth and text.startswith("<<", i) and not text.startswith("<<<", i):
            j = i
            while j > 0 and text[j - 1].isdigit():
                j -= 1
            if j == 0 or text[j - 1] in " \t":
                m = _HEREDOC_MARK.match(text, i)
                if m:
                    name = m.group(2) or m.group(3) or m.group(4)
                    marks.append((name, m.group(1) == "-", m.group(4) is None))
                    i = m.end()
                    continue
        i += 1
    return marks


def _attach_heredocs(
    ins: Instruction, lines: list[str], i: int, path: str
) -> tuple[int, InputError | None]:
    for name, strip_tabs, quoted in _heredoc_marks(ins.args):
        first = i
        body: list[str] = []
        while i < len(lines):
            line = lines[i]
            i += 1
            if (line.lstrip("\t") if strip_tabs else line) == name:
                break
            body.append(line.lstrip("\t") if strip_tabs else line)
        else:
            ins.end_line = len(lines)
            ins.heredocs.append(Heredoc(name, "\n".join(body), first + 1, strip_tabs, quoted))
            return i, InputError(path, f"unterminated heredoc <<{name}", ins.line)
        ins.heredocs.append(Heredoc(name, "\n".join(body) + "\n", first + 1, strip_tabs, quoted))
        ins.end_line = i
    return i, None


# ---------------------------------------------------------------------------------------------
# Words and variables (BuildKit's shell-lexer rules for ENV/ARG/FROM/COPY/WORKDIR/USER)


def split_words(text: str, escape: str, lookup) -> list[tuple[str, bool]]:
    """Split on unquoted whitespace, dequote, expand variables. Returns (word, known) pairs."""
    if not _SPECIAL.search(text):
        return [(w, True) for w in text.split()]  # the common case: nothing to dequote or expand
    words: list[tuple[str, bool]] = []
    buf: list[str] = []
    known = True
    in_word = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            if in_word:
                words.append(("".join(buf), known))
                buf, known, in_word = [], True, False
            i += 1
            continue
        in_word = True
        if c == escape and i + 1 < n:
            buf.append(text[i + 1])
            i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            buf.append(text[i + 1 : end])
            i = end + 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == escape and i + 1 < n and text[i + 1] in ('"', escape, "$"):
                    buf.append(text[i + 1])
                    i += 2
                elif text[i] == "$":
                    value, ok, i = _expand_at(text, i, lookup)
                    buf.append(value)
                    known = known and ok
                else:
                    buf.append(text[i])
                    i += 1
            i += 1
        elif c == "$":
            value, ok, i = _expand_at(text, i, lookup)
            buf.append(value)
            known = known and ok
        else:
            m = _PLAIN_RUN.match(text, i)
            buf.append(m.group() if m else c)
            i = m.end() if m else i + 1
    if in_word:
        words.append(("".join(buf), known))
    return words


def _expand_at(text: str, i: int, lookup) -> tuple[str, bool, int]:
    if i + 1 < len(text) and text[i + 1] == "{":
        end = text.find("}", i + 2)
        if end < 0:
            return text[i:], False, len(text)
        value, ok = expand_braced(text[i + 2 : end], lookup, text[i : end + 1])
        return value, ok, end + 1
    m = _VAR_NAME.match(text, i + 1)
    if not m:
        return "$", True, i + 1
    name = m.group(0)
    value = lookup(name)
    end = i + 1 + len(name)
    return (("$" + name), False, end) if value is None else (value, True, end)


def expand(text: str, variables: dict[str, Var]) -> tuple[str, bool]:
    """Expand $VAR references in one already-dequoted string (used for image names)."""
    if "$" not in text:
        return text, True
    words = split_words(text.replace(" ", "\\ "), "\\", _lookup(variables))
    if not words:
        return "", True
    return " ".join(w for w, _ in words), all(k for _, k in words)


def _scope_lookup(env: dict[str, Var], args: dict[str, Var]):
    """What `$NAME` means at a step: ENV first, then ARGs in scope (no merged copy)."""

    def lookup(name: str) -> str | None:
        var = env.get(name) or args.get(name)
        return None if var is None else var.value

    return lookup


def _lookup(variables: dict[str, Var]):
    def lookup(name: str) -> str | None:
        var = variables.get(name)
        return None if var is None else var.value

    return lookup


def _key_values(ins: Instruction, escape: str, lookup) -> list[tuple[str, str | None, bool, int]]:
    """ENV/ARG arguments → (key, value or None if absent, known, offset of the key in ins.text)."""
    args = ins.args
    lead = ins.args_offset + len(args) - len(args.lstrip())
    args = args.strip()
    if ins.keyword == "ENV" and not _KEY_EQUALS.match(args):
        # Legacy `ENV KEY value with spaces`.
        key, _, rest = args.partition(" ")
        words = split_words(rest.strip(), escape, lookup)
        value = " ".join(w for w, _ in words)
        return [(key, value, all(k for _, k in words), lead)]
    out = []
    for word_raw, offset in _raw_words(args, escape):
        if "=" in word_raw:
            key, _, raw_value = word_raw.partition("=")
            if not _SPECIAL.search(raw_value):
                out.append((key, raw_value, True, lead + offset))  # K=plain: nothing to resolve
                continue
            words = split_words(raw_value, escape, lookup)
            value = "".join(w for w, _ in words) if words else ""
            out.append((key, value, all(k for _, k in words), lead + offset))
        else:
            out.append((word_raw, None, True, lead + offset))
    return out


def _raw_words(text: str, escape: str) -> list[tuple[str, int]]:
    """Split on unquoted whitespace without dequoting (so `K="a b"` stays one word), with offsets."""
    if escape not in text and "'" not in text and '"' not in text:
        return [(m.group(), m.start()) for m in _NON_BLANK.finditer(text)]
    return [(m.group(), m.start()) for m in _raw_word_pattern(escape).finditer(text)]


_RAW_WORD_PATTERNS: dict[str, re.Pattern[str]] = {}


def _raw_word_pattern(escape: str) -> re.Pattern[str]:
    """A word: escaped characters, "double" or 'single' quoted runs (an unclosed quote runs to
    the end), and anything else but blanks."""
    pattern = _RAW_WORD_PATTERNS.get(escape)
    if pattern is None:
        e = re.escape(escape)
        pattern = re.compile(
            rf"""(?:{e}[\s\S]|"(?:{e}[\s\S]|[^"{e}])*"?|'[^']*'?|[^\s"'{e}]|{e}$)+"""
        )
        _RAW_WORD_PATTERNS[escape] = pattern
    return pattern


# ---------------------------------------------------------------------------------------------
# Stages


def _location(path: str, ins: Instruction) -> Location:
    return Location(path, ins.line, 1, ins.end_line, None)


def _build_stages(df: Dockerfile, build_args: dict[str, str]) -> None:
    """Walk the instructions once, keeping BuildKit's state: the ENV, ARG scope, WORKDIR, USER
    and SHELL in force at each step. ENV and ARG maps are replaced, never changed in place, so
    steps share them until the next ENV/ARG (no copy per instruction)."""
    escape = df.escape
    global_args: dict[str, Var] = {}
    stage: Stage | None = None
    env: dict[str, Var] = {}
    args: dict[str, Var] = {}
    workdir = "/"
    user: str | None = None
    shell = ["/bin/sh", "-c"]

    for ins in df.instructions:
        keyword = ins.keyword
        if keyword == "FROM":
            if stage is not None:
                stage.env, stage.workdir, stage.user = env, workdir, user
            words = split_words(ins.args, escape, _lookup(global_args))
            base, base_known = words[0] if words else ("", False)
            name = None
            if len(words) >= 3 and words[1][0].lower() == "as":
                name = words[2][0]
            parent = df.stage(base) if base_known and base else None
            stage = Stage(len(df.stages), name, base, base_known, ins, parent)
            df.stages.append(stage)
            if parent is not None:
                env, workdir, user = parent.env, parent.workdir, parent.user
            else:
                env, workdir, user = {}, "/", None
            args = {}
            shell = ["/bin/sh", "-c"]
            continue
        if stage is None:
            if keyword == "ARG":
                global_args = dict(global_args)
                for key, value, known, _ in _key_values(ins, escape, _lookup(global_args)):
                    var = _arg_var(df.path, ins, key, value, known, build_args, "(global)")
                    global_args[key] = var
            continue
        stage.steps.append(Step(ins, env, args, workdir, user, shell))
        if keyword == "ENV":
            # Every substitution in one ENV sees the values from before it (Docker's rule).
            lookup = _scope_lookup(env, args)
            env = dict(env)
            for key, value, known, offset in _key_values(ins, escape, lookup):
                where = Location(df.path, ins.line_at(offset))
                env[key] = Var(key, value if known else None, where, "ENV", stage.label, value)
        elif keyword == "ARG":
            lookup = _scope_lookup(env, args)
            args = dict(args)
            for key, value, known, _ in _key_values(ins, escape, lookup):
                if value is None and key in global_args and key not in build_args:
                    var = Var(
                        key, global_args[key].value, _location(df.path, ins), "ARG", stage.label
                    )
                else:
                    var = _arg_var(df.path, ins, key, value, known, build_args, stage.label)
                args[key] = var
        elif keyword in ("WORKDIR", "USER"):
            words = split_words(ins.args, escape, _scope_lookup(env, args))
            if keyword == "WORKDIR" and words:
                workdir = _join_path(workdir, words[0][0] if words[0][1] else "?")
            elif keyword == "USER":
                user = words[0][0] if words and words[0][1] else (None if not words else "?")
        elif keyword == "SHELL":
            shell = ins.exec_form() or shell
    if stage is not None:
        stage.env, stage.workdir, stage.user = env, workdir, user
    df.global_args = global_args


def _arg_var(path, ins, key, value, known, build_args, stage_label) -> Var:
    if key in build_args:
        return Var(key, build_args[key], _location(path, ins), "build-arg", stage_label)
    if value is None:
        # Declared without a default and not passed: the build would see "", but CI usually
        # passes it; treat as unknown rather than guess.
        return Var(key, None, _location(path, ins), "ARG", stage_label)
    return Var(key, value if known else None, _location(path, ins), "ARG", stage_label)


def _join_path(base: str, target: str) -> str:
    path = target if target.startswith("/") else base.rstrip("/") + "/" + target
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)
