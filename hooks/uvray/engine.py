"""One run: find → read → model → facts → rules → findings → filter → Report."""

from __future__ import annotations

import os
from dataclasses import dataclass

from uvray import discover
from uvray.config import Config
from uvray.findings import Finding, InputError, Location, Severity, UsageError
from uvray.report import Report


@dataclass
class Scope:
    """What the user asked about: everything, or some files and directories (repo-relative)."""

    files: set[str]
    dirs: list[str]
    everything: bool

    def covers(self, path: str) -> bool:
        if self.everything or path in self.files:
            return True
        return any(d == "" or path == d or path.startswith(d + "/") for d in self.dirs)


def resolve_targets(root: str, targets: list[str]) -> tuple[Scope, list[InputError]]:
    if not targets:
        return Scope(set(), [], True), []
    files: set[str] = set()
    dirs: list[str] = []
    errors: list[InputError] = []
    for target in targets:
        full = os.path.abspath(target)
        rel = os.path.relpath(full, root).replace(os.sep, "/")
        if rel.startswith("../"):
            errors.append(InputError(target, "is outside the repository being checked"))
        elif os.path.isdir(full):
            dirs.append("" if rel == "." else rel)
        else:
            try:
                os.lstat(full)
            except FileNotFoundError:
                errors.append(InputError(target, "no such file or directory"))
            except OSError as exc:  # a directory on the way that may not be searched
                errors.append(InputError(target, f"cannot read: {exc.strerror or exc}"))
            else:
                files.add(rel)
    return Scope(files, dirs, False), errors


def files_to_read(files: list[str], scope: Scope) -> list[str]:
    """What a run reads: the repository's files for context, plus any file passed explicitly
    (even one discovery would not list: the user asked). When only Dockerfiles are passed (a
    pre-commit run on staged Dockerfiles), the other Dockerfiles are left unread: a Dockerfile's
    findings depend on its own content and the repository's context files, never on another
    Dockerfile, and in a monorepo reading them all would be most of the hook's time."""
    listed = set(files)
    files = files + [f for f in sorted(scope.files) if f not in listed]
    if scope.everything or scope.dirs:
        return files
    if not all(discover.kind_of(f) == "dockerfile" for f in scope.files):
        return files
    return [f for f in files if f in scope.files or discover.kind_of(f) != "dockerfile"]


def run(
    root: str,
    files: list[str],
    scope: Scope,
    config: Config,
    rules: dict,
    modules,
    overlay: dict[str, str] | None = None,
) -> Report:
    from uvray.facts import Facts
    from uvray.model import build_repo

    files = files_to_read([f for f in files if not config.excluded(f)], scope)
    repo = build_repo(root, files, config.build_args, overlay)
    if (
        config.target
        and repo.dockerfiles
        and not any(df.stage(config.target) for df in repo.dockerfiles)
    ):
        raise UsageError(f"--target {config.target}: no Dockerfile has a stage of that name")
    facts = Facts(repo, config)
    findings: list[Finding] = []
    internal: list[InputError] = []
    for module in modules:
        meta = module.META
        if not config.enabled(meta.code):
            continue
        try:
            findings.extend(module.check(repo, facts))
        except Exception as exc:
            # A bug in one rule must not take the others' findings with it, nor print a
            # traceback at a user: one line, exit 2, and UVRAY_DEBUG=1 to see the traceback.
            if os.environ.get("UVRAY_DEBUG"):
                raise
            internal.append(
                InputError(
                    "uvray",
                    f"internal error in rule {meta.code} ({type(exc).__name__}: {exc}); the "
                    "other rules ran. Please report it (UVRAY_DEBUG=1 shows the traceback)",
                )
            )
    findings = _dedupe(findings)
    for finding in findings:
        override = config.severity.get(finding.code)
        if override is not None:
            finding.severity = override
    findings = [
        f
        for f in findings
        if scope.covers(f.location.path) and not config.ignored_for_path(f.code, f.location.path)
    ]
    findings = _apply_suppressions(findings, repo, scope, config, rules)
    findings.sort(key=lambda f: f.sort_key)
    errors = internal + [e for e in repo.errors if scope.covers(e.path) or e.path in scope.files]
    checked = sum(1 for f in files if scope.covers(f))
    sources = {
        f.location.path: repo.texts[f.location.path]
        for f in findings
        if f.location.path in repo.texts
    }
    return Report(findings, errors, rules, root, checked, sources, texts=repo.texts)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per code and place: several images or drivers can lead to the same line;
    the most severe reading wins (e.g. RUV101 is a warning for a --working-dir submission and
    an error for another driver of the same image)."""
    best: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.code, f.location.path, f.location.line)
        if key not in best or f.severity > best[key].severity:
            best[key] = f
    return list(best.values())


def _apply_suppressions(findings, repo, scope: Scope, config: Config, rules: dict) -> list[Finding]:
    from uvray import suppressions

    known = set(rules)
    dockerfiles = {df.path: df for df in repo.dockerfiles}
    kept: list[Finding] = []
    by_path: dict[str, list] = {}
    extra: list[Finding] = []
    for path, text in repo.texts.items():
        if not scope.covers(path):
            continue
        if not suppressions.mentions(text):
            continue  # the usual file: no suppression comment to parse
        df = dockerfiles.get(path)
        spans = [(i.line, i.end_line) for i in df.instructions] if df is not None else None
        sups, malformed = suppressions.parse(path, text, spans, df is None, known)
        by_path[path] = sups
        for bad in malformed:
            extra.append(_meta_finding("RUV002", bad.message, Location(path, bad.line), rules))
    for finding in findings:
        loc = finding.location
        hit = next(
            (
                s
                for s in by_path.get(loc.path, ())
                if s.covers(finding.code, loc.line, loc.last_line)
            ),
            None,
        )
        if hit is None:
            kept.append(finding)
        else:
            hit.used.add(finding.code)
    for sups in by_path.values():
        for s in sups:
            unused = [c for c in s.codes if c not in s.used and config.enabled(c)]
            if unused:
                extra.append(
                    _meta_finding(
                        "RUV001",
                        f"unused suppression: {', '.join(unused)} reported nothing on the lines it covers",
                        Location(s.path, s.line),
                        rules,
                    )
                )
    for f in extra:
        if config.enabled(f.code) and not config.ignored_for_path(f.code, f.location.path):
            override = config.severity.get(f.code)
            if override is not None:
                f.severity = override
            kept.append(f)
    return kept


def _meta_finding(code: str, message: str, location: Location, rules: dict) -> Finding:
    meta = rules[code]
    return Finding(code, message, location, meta.severity)


def failing(findings: list[Finding], fail_on: str) -> bool:
    if fail_on == "never":
        return False
    threshold = Severity.parse(fail_on)
    return any(f.severity >= threshold for f in findings)
