"""Fix builders that know the file formats: remove a variable where a Setting says it is set,
add one to a GitHub Actions job's env. Each returns the edits, or () when the shape is one
uvray cannot edit without guessing (then the finding is reported, just not fixed)."""

from __future__ import annotations

import re

from uvray import discover
from uvray.edits import Edit, delete_lines, line_bounds, newline_of
from uvray.facts import Setting
from uvray.model import Repo

# One `KEY=value` word of an ENV/ARG line: value unquoted, or quoted without escapes inside.
_PAIR = r"""{name}=(?:"[^"\\\n]*"|'[^'\n]*'|[^\s"'\\]*)"""


def remove_setting(repo: Repo, setting: Setting) -> tuple[Edit, ...]:
    """Delete the assignment of `setting` where the repository writes it."""
    loc = setting.location
    text = repo.texts.get(loc.path)
    if text is None:
        return ()
    kind = discover.kind_of(loc.path)
    if kind == "dockerfile":
        return _remove_from_dockerfile(repo, loc.path, text, setting.name, loc.line)
    if kind in ("workflow", "action", "yaml", "runtime-env") and not loc.path.endswith(".json"):
        return _remove_from_yaml(loc.path, text, setting.name, loc.line)
    return ()


def _remove_from_dockerfile(repo: Repo, path: str, text: str, name: str, line: int):
    df = next((d for d in repo.dockerfiles if d.path == path), None)
    if df is None:
        return ()
    ins = next((i for i in df.instructions if i.line <= line <= i.end_line), None)
    if ins is None or ins.keyword not in ("ENV", "ARG"):
        return ()
    args = ins.args.strip()
    if args.startswith(name + "=") and re.fullmatch(_PAIR.format(name=re.escape(name)), args):
        return (delete_lines(path, text, ins.line, ins.end_line),)  # the only pair
    if ins.keyword == "ENV" and re.fullmatch(rf"{re.escape(name)}\s+\S.*", args):
        return (delete_lines(path, text, ins.line, ins.end_line),)  # legacy `ENV KEY value`
    # One pair among others: drop it and the separator next to it, keeping every other byte
    # (continuations and their indentation included).
    start, _ = line_bounds(text, ins.line)
    _, end = line_bounds(text, ins.end_line)
    pattern = re.compile(r"(?<=[ \t])" + _PAIR.format(name=re.escape(name)) + r"(?=[ \t\r\n]|$)")
    found = list(pattern.finditer(text, start, end))
    if len(found) != 1:
        return ()
    return _drop_pair(path, text, found[0].start(), found[0].end(), ins.keyword, df.escape)


def _drop_pair(path: str, text: str, at: int, stop: int, keyword: str, escape: str):
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", stop)
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start:at].strip()
    after = text[stop:line_end].rstrip("\r")
    tail = after.strip()
    if before and before.upper() != keyword:
        # After another pair on its line: take the blanks before it.
        gap = len(text[line_start:at]) - len(text[line_start:at].rstrip(" \t"))
        return (Edit(path, at - gap, stop, ""),)
    if tail and tail != escape:
        # Another pair follows on the line: take the blanks after it.
        gap = len(after) - len(after.lstrip(" \t"))
        return (Edit(path, at, stop + gap, ""),)
    if tail == escape:
        if not before:
            return (Edit(path, line_start, line_end + 1, ""),)  # alone on a continued line
        # First after the keyword, continued: the next line's first word moves up.
        nxt = line_end + 1
        rest = text[nxt:]
        content = nxt + len(rest) - len(rest.lstrip(" \t"))
        if text[content : content + 1] in ("#", "\r", "\n", ""):
            return ()
        return (Edit(path, at, content, ""),)
    if before:
        return ()  # the only pair: the caller deletes the instruction
    # Alone on the instruction's last line: drop the line and the continuation before it.
    prev_end = line_start - 1
    prev = text[:prev_end].rstrip("\r")
    if not prev.endswith(escape):
        return ()
    cut = len(prev[: -len(escape)].rstrip(" \t"))
    return (Edit(path, cut, stop, ""),)


def _remove_from_yaml(path: str, text: str, name: str, line: int):
    """A block mapping entry `NAME: value` on one line, or a KubeRay `- name: NAME` list item
    with its `value:` line. If it is the mapping's only entry, its `env:` key goes too."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return ()
    body = lines[line - 1].rstrip("\r")
    stripped = body.strip()
    entry = re.match(
        rf"""^(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')\s*:(.*)$""", stripped
    )
    if entry is not None and not body.lstrip().startswith("-"):
        value = entry.group(1).strip()
        if value[:1] in ("|", ">", "&", "*", "{", "[") or value == "":
            return ()
        first, last = line, line
    else:
        item = re.match(rf"""^-\s+name:\s*["']?{re.escape(name)}["']?\s*$""", stripped)
        if item is None or line >= len(lines):
            return ()
        nxt = lines[line].rstrip("\r")
        pad = len(body) - len(body.lstrip()) + 2
        if not re.match(r"^\s*value:\s*\S", nxt) or len(nxt) - len(nxt.lstrip()) != pad:
            return ()
        first, last = line, line + 1
    indent = len(body) - len(body.lstrip())
    siblings = _block_siblings(lines, first, last, indent)
    parent = _parent_line(lines, first, indent)
    if siblings == 0:
        # The mapping's only entry: its key goes too, if something else stays in the block
        # above (never leave an empty document or runtime_env behind).
        if parent is None or parent != first - 1:
            return ()
        parent_body = lines[parent - 1].rstrip("\r")
        parent_indent = len(parent_body) - len(parent_body.lstrip())
        if not re.fullmatch(r"[\w.-]+:\s*(#.*)?", parent_body.strip()):
            return ()
        if _block_siblings(lines, parent, last, parent_indent) == 0:
            return ()
        return (delete_lines(path, text, parent, last),)
    return (delete_lines(path, text, first, last),)


def _block_siblings(lines: list[str], first: int, last: int, indent: int) -> int:
    """Entries at the same indentation in the same block, other than lines first..last."""
    count = 0
    for step in (-1, 1):
        i = (first - 1 if step < 0 else last + 1) - 1
        while 0 <= i < len(lines):
            body = lines[i].rstrip("\r")
            if not body.strip() or body.strip().startswith("#"):
                i += step
                continue
            ind = len(body) - len(body.lstrip())
            if ind < indent:
                break
            if ind == indent:
                count += 1
            i += step
    return count


def _parent_line(lines: list[str], first: int, indent: int) -> int | None:
    i = first - 2
    while i >= 0:
        body = lines[i].rstrip("\r")
        stripped = body.strip()
        if stripped and not stripped.startswith("#") and len(body) - len(body.lstrip()) < indent:
            return i + 1
        i -= 1
    return None


def add_job_env(text: str, path: str, job_line: int, name: str, value: str) -> tuple[Edit, ...]:
    """`name: value` in the env of the GitHub Actions job whose key is on `job_line`: appended
    to its block `env:` mapping, or a new `env:` block as the job's first key."""
    lines = text.split("\n")
    if not 1 <= job_line <= len(lines):
        return ()
    job_indent = len(lines[job_line - 1]) - len(lines[job_line - 1].lstrip())
    key_indent = None
    env_line = None
    i = job_line
    while i < len(lines):
        body = lines[i].rstrip("\r")
        if body.strip() and not body.strip().startswith("#"):
            ind = len(body) - len(body.lstrip())
            if ind <= job_indent:
                break
            if key_indent is None:
                key_indent = ind
            if ind == key_indent and re.match(r"env\s*:", body.strip()):
                env_line = i + 1
        i += 1
    if key_indent is None:
        return ()
    entry = f"{name}: {value}"
    if env_line is None:
        pad = " " * key_indent
        step = " " * (key_indent - job_indent)
        nl = newline_of(text)
        _, end = line_bounds(text, job_line)
        return (Edit(path, end, end, f"{pad}env:{nl}{pad}{step}{entry}{nl}"),)
    rest = lines[env_line - 1].rstrip("\r").split(":", 1)[1].strip()
    if rest and not rest.startswith("#"):
        return ()  # flow style or a value on the line: not a block to add to
    # The env block's last entry, and its indentation.
    entry_indent = None
    last_entry = None
    j = env_line
    while j < len(lines):
        body = lines[j].rstrip("\r")
        if body.strip() and not body.strip().startswith("#"):
            ind = len(body) - len(body.lstrip())
            if ind <= key_indent:
                break
            entry_indent = ind if entry_indent is None else entry_indent
            last_entry = j + 1
        j += 1
    if last_entry is None or entry_indent is None:
        return ()
    pad = " " * entry_indent
    nl = newline_of(text)
    _, end = line_bounds(text, last_entry)
    if end == len(text) and not text.endswith("\n"):
        return (Edit(path, end, end, f"{nl}{pad}{entry}"),)
    return (Edit(path, end, end, f"{pad}{entry}{nl}"),)


def remove_option(repo: Repo, location, option: str) -> tuple[Edit, ...]:
    """Delete one `option` word (e.g. `--frozen`) and the blanks before it from the command at
    `location`; () when it is not there exactly once."""
    text = repo.texts.get(location.path)
    if text is None:
        return ()
    start, _ = line_bounds(text, location.line)
    _, end = line_bounds(text, location.last_line)
    pattern = re.compile(r"[ \t]+" + re.escape(option) + r"(?=[ \t\r\n;&|)]|$)")
    found = list(pattern.finditer(text, start, end))
    if len(found) != 1:
        return ()
    return (Edit(location.path, found[0].start(), found[0].end(), ""),)
