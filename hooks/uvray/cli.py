"""Command line: `uvray check|rules|explain`. Exit 0 clean, 1 failing findings, 2 usage or input error."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from uvray import __version__
from uvray.errors import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without `shutil`: argparse imports it (and with it bz2 and
    lzma, ~6 ms) to size every formatter, including the ones built for sub-commands on every
    run; os.get_terminal_size answers the same for a terminal."""

    def __init__(self, prog: str, **kwargs) -> None:
        if kwargs.get("width") is None:
            kwargs["width"] = _columns() - 2  # what argparse does with shutil's answer
        super().__init__(prog, **kwargs)


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        formatter_class=_Formatter,
        prog="uvray",
        description="Find the uv/Ray settings that make Ray workers reinstall your project and die.",
    )
    parser.add_argument("--version", action="version", version=f"uvray {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check", help="check a repository (default: the current one)", formatter_class=_Formatter
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or directories to report on (default: the whole repository)",
    )
    add_report_arguments(check)
    check.add_argument(
        "--fix",
        action="store_true",
        help="apply safe fixes, then report what is left (exit 1 when something was fixed)",
    )
    check.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="also apply guarded fixes (those that need a look); implies --fix unless --diff",
    )
    check.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff and write nothing (exit 1 when there is one)",
    )
    check.add_argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Dockerfile build argument, as `docker build --build-arg`",
    )
    check.add_argument("--target", metavar="STAGE", help="the Dockerfile stage that is the image")

    image = sub.add_parser(
        "image",
        help="check a built image: its final env, and the probe run inside it",
        formatter_class=_Formatter,
    )
    add_report_arguments(image)
    from uvray import image_cmd

    image_cmd.add_arguments(image)

    env = sub.add_parser(
        "env",
        help="run the in-image probe against a local interpreter or virtual environment",
        formatter_class=_Formatter,
    )
    add_report_arguments(env)
    from uvray import env_cmd

    env_cmd.add_arguments(env)

    sub.add_parser("rules", help="list every rule", formatter_class=_Formatter)
    explain = sub.add_parser(
        "explain", help="print a rule's documentation", formatter_class=_Formatter
    )
    explain.add_argument("code", metavar="CODE")
    return parser


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every checking command shares: formats and outputs, rule selection,
    exit-code policy, config."""
    parser.add_argument("--format", choices=("text", "github", "json", "sarif"), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="only these rule codes or prefixes (comma-separated, repeatable)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="skip these rule codes or prefixes (comma-separated, repeatable)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "never"),
        default="warning",
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings fail (input errors still exit 2)",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="config file (uvray.toml or pyproject.toml)"
    )
    parser.add_argument("--no-config", action="store_true", help="ignore any config file")
    parser.add_argument("--show-source", dest="show_source", action="store_true", default=None)
    parser.add_argument("--no-show-source", dest="show_source", action="store_false")
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print findings only: no source, no summary"
    )
    # One check, several reports: a CI step runs uvray once and gets all of them.
    more = parser.add_argument_group("more outputs of the same run")
    more.add_argument("--sarif-file", metavar="FILE", help="also write the SARIF report to FILE")
    more.add_argument("--json-file", metavar="FILE", help="also write the JSON report to FILE")
    more.add_argument(
        "--summary-file",
        metavar="FILE",
        help="also append a Markdown summary to FILE (a GitHub job summary: $GITHUB_STEP_SUMMARY)",
    )
    more.add_argument(
        "--annotations",
        action="store_true",
        help="also print GitHub annotations on stdout, most severe first, within GitHub's caps"
        " (10 per level, 50 in all)",
    )
    more.add_argument(
        "--annotation-limits",
        type=_annotation_limits,
        metavar="SPEC",
        help="caps for --annotations (implies it), e.g. error=4,warning=10,notice=10,total=40:"
        " what an earlier run in the same step left",
    )


_DEFAULT_LIMITS = {"error": 10, "warning": 10, "notice": 10, "total": 50}


def _annotation_limits(spec: str) -> dict[str, int]:
    """`error=N,warning=N,notice=N,total=N`; keys left out keep GitHub's caps."""
    limits = dict(_DEFAULT_LIMITS)
    for part in spec.split(","):
        key, eq, value = part.strip().partition("=")
        if key not in limits or not eq or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(
                f"{part.strip()!r}: expected error=N, warning=N, notice=N or total=N"
            )
        limits[key] = int(value)
    return limits


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # pre-commit and plain use: `uvray Dockerfile` means `uvray check Dockerfile`.
    if not args or (
        args[0] not in ("check", "image", "env", "rules", "explain")
        and args[0] not in ("-h", "--help", "--version")
    ):
        args = ["check", *args]
    parser = _parser()
    ns = parser.parse_args(args)
    try:
        if ns.command == "rules":
            return _rules()
        if ns.command == "explain":
            return _explain(ns.code)
        if ns.command == "image":
            from uvray import image_cmd

            return image_cmd.run(ns)
        if ns.command == "env":
            from uvray import env_cmd

            return env_cmd.run(ns)
        return _check(ns)
    except UsageError as exc:
        print(f"uvray: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `uvray ... | head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _rules() -> int:
    from uvray.registry import all_rules, retired

    rules = all_rules()
    width = max(len(m.name) for m in rules.values())
    for code in sorted(rules):
        meta = rules[code]
        fix = f"fix:{meta.fix}" if meta.fix else ""
        print(f"{code}  {meta.name:<{width}}  {meta.severity.label:<7}  {fix:<11}  {meta.summary}")
    for code, old in sorted(retired().items()):
        print(f"{code}  {old.name:<{width}}  {'retired':<7}  {'':<11}  {old.reason}")
    return EXIT_OK


def _explain(code: str) -> int:
    from uvray.registry import all_rules, retired

    code = code.strip().upper()
    rules = all_rules()
    if code in rules:
        meta = rules[code]
        print(render_doc(meta), end="")
        return EXIT_OK
    gone = retired().get(code)
    if gone is not None:
        print(f"# {gone.code} {gone.name}\n\nThis code is {gone.reason}. It will not be reused.")
        return EXIT_OK
    raise UsageError(f"unknown rule code {code!r} (see `uvray rules`)")


def render_doc(meta) -> str:
    """The rule's page, as committed under docs/rules/ and printed by `uvray explain`."""
    fix = {"safe": "safe", "guarded": "guarded (with --unsafe-fixes)"}.get(meta.fix or "", "none")
    header = (
        f"# {meta.code} {meta.name}\n\n"
        f"- **Severity:** {meta.severity.label}\n"
        f"- **Summary:** {meta.summary}\n"
        f"- **Autofix:** {fix}\n\n"
    )
    return header + meta.doc.rstrip() + "\n"


def _codes_option(values: list[str], option: str, known: set[str]) -> list[str]:
    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    if not codes:
        return []
    from uvray.config import codes_list

    return codes_list(codes, option, known)


def _check(ns: argparse.Namespace) -> int:
    import gc

    # A check builds many small acyclic objects and exits: the cyclic collector only rescans
    # them (about a fifth of the time at 1,000 Dockerfiles, bench/bench_check.py).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(ns)
    finally:
        if was_enabled:
            gc.enable()


def _run_check(ns: argparse.Namespace) -> int:
    from uvray import discover
    from uvray.registry import known_codes

    known = known_codes()
    # Options are checked before anything else, so a typo fails even where nothing is checked.
    selected = _codes_option(ns.select, "--select", known)
    ignored = _codes_option(ns.ignore, "--ignore", known)
    build_args = {}
    for item in ns.build_arg:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--build-arg {item!r}: expected KEY=VALUE")
        build_args[key] = value
    if ns.config and ns.no_config:
        raise UsageError("--config and --no-config exclude each other")

    start = ns.paths[0] if ns.paths else os.getcwd()
    root = discover.find_root(start if os.path.exists(start) else os.getcwd())
    listing_errors: list = []
    files = discover.list_files(root, errors=listing_errors)
    if (
        not files
        and not listing_errors
        and not ns.paths
        and ns.format == "text"
        and not ns.config
        and not ns.target
        and not _more_outputs(ns)
    ):
        # Nothing uvray reads here: answer without importing the rules (a no-op must be instant).
        if not ns.quiet:
            _emit("All checks passed (0 files).\n", ns.output)
        return EXIT_OK

    from uvray import config as config_mod
    from uvray import engine
    from uvray.registry import all_rules, rule_modules

    if ns.config:
        source, table = config_mod.from_file(ns.config)
    elif ns.no_config:
        source, table = None, {}
    else:
        found = config_mod.find_config(root)
        source, table = found if found else (None, {})
    config = config_mod.build(table, source, known)
    if selected:
        config.select = selected
    config.ignore = config.ignore + ignored
    config.build_args.update(build_args)
    if ns.target:
        config.target = ns.target

    scope, target_errors = engine.resolve_targets(root, ns.paths)
    # A directory that cannot be listed matters where the run looks (the whole repository or a
    # directory given), not to a pre-commit run on some staged files elsewhere.
    target_errors += [e for e in listing_errors if scope.covers(e.path) and not scope.files]
    rules = all_rules()

    def check(overlay: dict[str, str] | None = None):
        return engine.run(root, files, scope, config, rules, rule_modules(), overlay)

    if ns.fix or ns.unsafe_fixes or ns.diff:
        return _fix(ns, root, rules, config, check, target_errors)
    report = check()
    report.errors = target_errors + report.errors
    return finish(report, ns)


def finish(report, ns: argparse.Namespace) -> int:
    """Write the report as the options ask, and give the exit code: 2 on input errors, else 1
    when a finding fails (`--fail-on`), unless `--exit-zero`. Shared by check, image and env."""
    from uvray import engine

    _check_stdout_users(ns)
    _write_more_outputs(report, ns)
    _emit(_render(report, ns), ns.output)
    _emit_annotations(report, ns)
    if report.errors:
        return EXIT_ERROR
    if ns.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if engine.failing(report.findings, ns.fail_on) else EXIT_OK


def _more_outputs(ns: argparse.Namespace) -> bool:
    """Whether any report besides --format/--output was asked for (then even an empty run writes)."""
    return bool(
        getattr(ns, "sarif_file", None)
        or getattr(ns, "json_file", None)
        or getattr(ns, "summary_file", None)
        or _wants_annotations(ns)
    )


def _wants_annotations(ns: argparse.Namespace) -> bool:
    return bool(getattr(ns, "annotations", False) or getattr(ns, "annotation_limits", None))


def _check_stdout_users(ns: argparse.Namespace) -> None:
    # Annotations go to stdout; a JSON, SARIF or github report there too would corrupt it.
    if _wants_annotations(ns) and ns.output is None and ns.format != "text":
        raise UsageError(
            f"--annotations prints to stdout: give --output FILE for the --format {ns.format} report"
        )


def _write_more_outputs(report, ns: argparse.Namespace) -> None:
    """--sarif-file, --json-file, --summary-file: the same report in other forms."""
    if getattr(ns, "sarif_file", None):
        from uvray.report import sarif

        _emit(sarif.render(report), ns.sarif_file)
    if getattr(ns, "json_file", None):
        from uvray.report import json_

        _emit(json_.render(report), ns.json_file)
    if getattr(ns, "summary_file", None):
        _append_summary(report, ns)


def _summary_title(ns: argparse.Namespace) -> str:
    command = getattr(ns, "command", None) or "check"
    image = getattr(ns, "image", None) if command == "image" else None
    return f"uvray {command} {image}" if isinstance(image, str) else f"uvray {command}"


def _append_summary(report, ns: argparse.Namespace) -> None:
    from uvray.report import summary

    path = ns.summary_file
    try:
        used = os.path.getsize(path)
    except OSError:
        used = 0
    # GitHub's 1 MiB is per step summary file: what earlier runs in this step wrote counts too.
    text = summary.render(report, _summary_title(ns), os.environ, summary.MAX_BYTES - used)
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _emit_annotations(report, ns: argparse.Namespace) -> None:
    if not _wants_annotations(ns):
        return
    from uvray.report import github

    limits = dict(ns.annotation_limits or _DEFAULT_LIMITS)
    total = limits.pop("total")
    sys.stdout.write(github.render_with_cap(report, limits, total))
    sys.stdout.flush()


def _fix(ns: argparse.Namespace, root: str, rules: dict, config, check, target_errors) -> int:
    """--fix / --unsafe-fixes / --diff. Fixed lines go to stdout before a text report (to stderr
    for machine formats, whose stdout must stay one document); a diff replaces the report."""
    from uvray import engine, fixer
    from uvray.report import plural

    _check_stdout_users(ns)
    result = fixer.fix(check, root, rules, ns.unsafe_fixes, config.build_args)
    report = result.report
    report.errors = target_errors + report.errors
    if ns.diff:
        sys.stdout.write(fixer.unified_diff(result))
        sys.stdout.flush()
        n = len(result.applied)
        what = f"Would fix {plural(n, 'finding')}" if n else "No fixes available"
        for error in report.errors:
            print(error.render(), file=sys.stderr)
        print(f"{what}.", file=sys.stderr)
        if report.errors:
            return EXIT_ERROR
        return EXIT_FINDINGS if result.changed and not ns.exit_zero else EXIT_OK
    write_errors = fixer.write(root, result)
    if write_errors:
        # Nothing of a refused file was written; its findings stand as the disk has them.
        written = set(result.changed) - {e.path for e in write_errors}
        result.applied = [a for a in result.applied if set(a.paths) <= written]
        report = check()
        report.errors = target_errors + write_errors + report.errors
    lines = fixer.fixed_lines(result)
    for finding, why in result.skipped:
        loc = finding.location
        lines.append(f"Not fixed {finding.code} in {loc.path}:{loc.line}: {why}")
    notice = "".join(line + "\n" for line in lines)
    if ns.format == "text" and ns.output is None:
        _emit(notice + _render(report, ns), None)
    else:
        sys.stderr.write(notice)
        _emit(_render(report, ns), ns.output)
    _write_more_outputs(report, ns)
    _emit_annotations(report, ns)
    if report.errors:
        return EXIT_ERROR
    if ns.exit_zero:
        return EXIT_OK
    if result.applied or engine.failing(report.findings, ns.fail_on):
        return EXIT_FINDINGS
    return EXIT_OK


def _render(report, ns: argparse.Namespace) -> str:
    if ns.format == "json":
        from uvray.report import json_

        return json_.render(report)
    if ns.format == "sarif":
        from uvray.report import sarif

        return sarif.render(report)
    if ns.format == "github":
        from uvray.report import github

        return github.render(report)
    from uvray.report import text

    to_tty = ns.output is None and sys.stdout.isatty()
    color = to_tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    show_source = ns.show_source if ns.show_source is not None else not ns.quiet
    return text.render(report, show_source=show_source, color=color, quiet=ns.quiet)


def _emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(output))
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=".uvray-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, output)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


if __name__ == "__main__":
    raise SystemExit(main())
