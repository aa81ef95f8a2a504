"""`check --fix`, `--unsafe-fixes` and `--diff`: apply the edits rules attach to findings.

Fixing happens in memory first: each round applies every fixable finding's edits that do not
overlap another's, checks that each edited file still reads without new errors, and re-runs the
whole check on the edited texts (an overlay over the disk), until nothing fixable is left. Only
then, and only with `--fix`, are the changed files written: each atomically (a temporary file in
the same directory, renamed over the original with its mode), and only if the file on disk is
still exactly what uvray read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from uvray.edits import Edit, apply_edits
from uvray.findings import Finding, InputError
from uvray.report import Report

MAX_ROUNDS = 10
_BOM = b"\xef\xbb\xbf"


@dataclass
class Applied:
    finding: Finding
    paths: tuple[str, ...]  # the files its edits changed


@dataclass
class FixResult:
    report: Report  # the check of the fixed texts: what is left
    applied: list[Applied] = field(default_factory=list)
    # Text before the first fix (None: the file did not exist) and after the last, by path.
    originals: dict[str, str | None] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    # Fixable findings left unfixed, and why (overlap with another fix is not listed: the next
    # round takes it).
    skipped: list[tuple[Finding, str]] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return sorted(p for p, text in self.texts.items() if text != self.originals.get(p))


def applicability(finding: Finding, rules: dict) -> str | None:
    if not finding.edits:
        return None
    if finding.applicability is not None:
        return finding.applicability
    meta = rules.get(finding.code)
    return meta.fix if meta is not None else None


def is_fixable(finding: Finding, rules: dict, unsafe: bool) -> bool:
    level = applicability(finding, rules)
    return level == "safe" or (unsafe and level == "guarded")


def fix(
    check: Callable[[dict[str, str]], Report],
    root: str,
    rules: dict,
    unsafe: bool,
    build_args: dict[str, str] | None = None,
) -> FixResult:
    """Fix in memory. `check(overlay)` runs the whole check with `overlay` texts over the disk."""
    from uvray.model import parse_errors

    overlay: dict[str, str] = {}
    originals: dict[str, str | None] = {}
    result = FixResult(report=check(overlay))
    refused: set[tuple] = set()
    seen_states: set[tuple] = set()
    for _ in range(MAX_ROUNDS):
        report = result.report
        candidates = [
            f for f in report.findings if is_fixable(f, rules, unsafe) and _key(f) not in refused
        ]
        if not candidates:
            break
        chosen = _non_overlapping(candidates)
        bases: dict[str, str | None] = {}
        for finding in list(chosen):
            for edit in finding.edits:
                if edit.path in bases:
                    continue
                base = _base_text(root, edit.path, report.texts, overlay)
                if base is _NOT_READ:
                    chosen.remove(finding)
                    refused.add(_key(finding))
                    result.skipped.append(
                        (finding, f"{edit.path} was not read by the check (or appeared since)")
                    )
                    break
                bases[edit.path] = base
        # Drop the fixes whose file would read worse than before (a fix never breaks a file).
        errors_before = {p: len(parse_errors(p, b or "", build_args)) for p, b in bases.items()}
        while True:
            new_texts = _apply(chosen, bases)
            broken = {
                path
                for path, text in new_texts.items()
                if len(parse_errors(path, text, build_args)) > errors_before[path]
            }
            if not broken:
                break
            for finding in [f for f in chosen if any(e.path in broken for e in f.edits)]:
                chosen.remove(finding)
                refused.add(_key(finding))
                where = ", ".join(sorted({e.path for e in finding.edits} & broken))
                result.skipped.append((finding, f"the fixed {where} would not parse"))
        if not chosen:
            continue
        for path, text in new_texts.items():
            if path not in originals:
                originals[path] = bases[path]
            overlay[path] = text
        state = tuple(sorted(overlay.items()))
        if state in seen_states:
            break  # two fixes undoing each other: stop rather than loop
        seen_states.add(state)
        for finding in chosen:
            paths = tuple(sorted({e.path for e in finding.edits}))
            result.applied.append(Applied(finding, paths))
        result.report = check(overlay)
    result.originals = originals
    result.texts = dict(overlay)
    return result


def _key(finding: Finding) -> tuple:
    loc = finding.location
    return (finding.code, loc.path, loc.line, finding.message)


_NOT_READ = object()


def _base_text(root: str, path: str, texts: dict[str, str], overlay: dict[str, str]):
    """The text an edit's offsets refer to: the file as this round's check read it, or None
    for a file the check did not see, which the edit creates. If such a file exists by now
    (another process made it), its text is not what the edit was computed on: refused."""
    if path in overlay:
        return overlay[path]
    if path in texts:
        return texts[path]
    if os.path.lexists(os.path.join(root, path)):
        return _NOT_READ
    return None


def _non_overlapping(findings: list[Finding]) -> list[Finding]:
    """Findings in report order whose edits touch no span another chosen finding touches.
    Two insertions at the same offset count as overlapping: their order would be a guess. An
    edit identical to a chosen one is no conflict (two findings with one repair, e.g. one
    `ENV` line for two RUNs): it is applied once."""
    taken: dict[str, list[Edit]] = {}
    chosen: list[Finding] = []
    for finding in findings:
        if any(
            e != other and _overlaps(e, other)
            for e in finding.edits
            for other in taken.get(e.path, ())
        ):
            continue
        if _self_overlapping(finding.edits):
            continue
        chosen.append(finding)
        for e in finding.edits:
            taken.setdefault(e.path, []).append(e)
    return chosen


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.path != b.path:
        return False
    if a.start == b.start:
        return True
    return a.start < b.end and b.start < a.end


def _self_overlapping(edits) -> bool:
    ordered = sorted(edits, key=lambda e: (e.path, e.start, e.end))
    return any(
        x.path == y.path and (y.start < x.end or (x.start == y.start))
        for x, y in zip(ordered, ordered[1:])
    )


def _apply(chosen: list[Finding], bases: dict[str, str | None]) -> dict[str, str]:
    by_path: dict[str, list[Edit]] = {}
    for finding in chosen:
        for e in finding.edits:
            if e not in by_path.setdefault(e.path, []):
                by_path[e.path].append(e)
    return {path: apply_edits(bases[path] or "", edits) for path, edits in by_path.items()}


# --- writing ---------------------------------------------------------------------------------


def write(root: str, result: FixResult) -> list[InputError]:
    """Write every changed file; a file changed on disk since it was read is left alone."""
    errors: list[InputError] = []
    # A symlink and its target can both be in the repository: one file, written once.
    by_target: dict[str, list[str]] = {}
    for path in result.changed:
        by_target.setdefault(os.path.realpath(os.path.join(root, path)), []).append(path)
    for paths in by_target.values():
        path = paths[0]
        if len({result.texts[p] for p in paths}) > 1:
            for p in paths:
                errors.append(InputError(p, "not written: fixes disagree for one file (a link)"))
            continue
        error = _write_one(root, path, result.originals.get(path), result.texts[path])
        if error is not None:
            errors.extend(InputError(p, error) for p in paths)
    return errors


def _write_one(root: str, path: str, original: str | None, text: str) -> str | None:
    full = os.path.join(root, path)
    real_root = os.path.realpath(root)
    target = os.path.realpath(full)
    if target != real_root and not target.startswith(real_root + os.sep):
        return "not written: it links outside the repository"
    try:
        if original is None:
            tmp = _temp_copy(target, text.encode("utf-8"), 0o666 & ~_umask())
            try:
                # link() never replaces: if the file appeared meanwhile, ours is not written.
                os.link(tmp, target)
            except FileExistsError:
                current = _read_bytes(target)
                if current is not None and _decode(current) == text:
                    return None  # another uvray created exactly this
                return "not written: the file was created by someone else since uvray looked"
            finally:
                os.unlink(tmp)
            return None
        mode = os.stat(target).st_mode
        if not mode & 0o222:
            # Like editors and other fixers: a read-only file is someone's decision.
            return "not written: the file is read-only"
        with _locked(target):
            current = _read_bytes(target)
            now = _decode(current) if current is not None else None
            if now == text:
                return None  # someone (another uvray) already wrote exactly this
            if now != original:
                return "not written: the file changed on disk since uvray read it"
            bom = _BOM if current is not None and current.startswith(_BOM) else b""
            tmp = _temp_copy(target, bom + text.encode("utf-8"), mode & 0o7777)
            try:
                # Writing the copy takes time (fsync): look again right before the rename, so
                # an editor's save in between is kept, not replaced.
                latest = _read_bytes(target)
                if latest != current:
                    os.unlink(tmp)
                    return "not written: the file changed on disk since uvray read it"
                os.replace(tmp, target)
            except OSError:
                if os.path.lexists(tmp):
                    os.unlink(tmp)
                raise
        return None
    except OSError as exc:
        return f"not written: {exc.strerror or exc}"


def _temp_copy(target: str, data: bytes, mode: int) -> str:
    """A new file next to target holding data, with mode; its path."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".uvray-fix-", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _decode(data: bytes) -> str | None:
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class _locked:
    """An exclusive advisory lock on the file being replaced, so two `uvray --fix` runs write
    one after the other; the second then re-reads the path, sees the first one's text and
    refuses. (Where fcntl is missing, the re-read alone guards.)"""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> _locked:
        try:
            import fcntl
        except ImportError:
            return self
        try:
            self.fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return self
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock


# --- showing -----------------------------------------------------------------------------------


def unified_diff(result: FixResult) -> str:
    import difflib

    out: list[str] = []
    for path in result.changed:
        old = result.originals.get(path)
        new = result.texts[path]
        old_lines = _lines(old or "")
        new_lines = _lines(new)
        diff = list(
            difflib.unified_diff(
                old_lines,
                new_lines,
                fromfile="/dev/null" if old is None else f"a/{path}",
                tofile=f"b/{path}",
            )
        )
        for line in diff:
            if line.endswith("\n"):
                out.append(line)
            else:
                out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    # Split on "\n" only (str.splitlines also splits on form feeds and U+2028).
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def fixed_lines(result: FixResult) -> list[str]:
    out = []
    for applied in result.applied:
        loc = applied.finding.location
        line = f"Fixed {applied.finding.code} in {loc.path}:{loc.line}"
        others = [p for p in applied.paths if p != loc.path]
        if others:
            line += f" (edited {', '.join(others)})"
        out.append(line)
    return out
