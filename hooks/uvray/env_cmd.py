"""`uvray env --python PATH`: the in-image probe against a local interpreter or virtual environment.

Findings are reported against one pseudo location: the interpreter (or venv directory) as given,
relative to the repository root when it is inside it, else absolute; line 1. The message starts
with the path inside the environment that the finding is about (a dist-info, a symlink, ...).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python",
        metavar="PATH",
        required=True,
        help="the interpreter Ray's workers use (a venv's bin/python) or the venv directory",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        help="the project directory (default: the current directory when it has a pyproject.toml)",
    )
    parser.add_argument(
        "--deep", action="store_true", help="hash every file RECORD lists (default: size only)"
    )
    parser.add_argument(
        "--worker-sync",
        action="store_true",
        help="ask uv what a Ray worker's `uv run` from a copy of the project would change",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="start a single-node Ray and run a few tasks (slow)"
    )
    parser.add_argument("--smoke-timeout", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument(
        "--integration",
        action="store_true",
        help="Ray's uv integration is active (workers start with `uv run`)",
    )
    parser.add_argument(
        "--runtime-sync",
        action="store_true",
        help="workers will sync the environment at run time (check it is writable)",
    )
    parser.add_argument(
        "--expect-ray-version",
        metavar="V",
        help="default: the ray version in the project's uv.lock",
    )
    parser.add_argument(
        "--expect-python-version", metavar="V", help="default: the project's .python-version"
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, metavar="SECONDS", help="for the whole probe"
    )


def run(ns: argparse.Namespace) -> int:
    import os
    import sys

    from uvray import cli, discover, probe_host
    from uvray import config as config_mod
    from uvray.errors import UsageError
    from uvray.findings import InputError, Location
    from uvray.registry import known_codes
    from uvray.report import Report

    known = known_codes()
    selected = cli._codes_option(ns.select, "--select", known)
    ignored = cli._codes_option(ns.ignore, "--ignore", known)
    if ns.config and ns.no_config:
        raise UsageError("--config and --no-config exclude each other")
    root = discover.find_root(os.getcwd())
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

    interpreter, env_dir, runnable = resolve_python(ns.python)
    project = resolve_project(ns.project)
    options = probe_options(ns, project, env_dir, config)
    # A venv whose interpreter is gone cannot run anything: the host's Python probes it instead.
    runner = interpreter if runnable else sys.executable
    timeout = ns.timeout + (ns.smoke_timeout if ns.smoke else 0)
    payload = probe_host.run_local(runner, options, timeout)

    location = Location(report_path(ns.python, root))
    findings = [
        f
        for f in probe_host.findings_from_probe(payload, location, config.severity)
        if config.enabled(f.code) and not config.ignored_for_path(f.code, location.path)
    ]
    errors = [
        InputError(location.path, f"probe check failed: {e}")
        for e in probe_host.probe_errors(payload)
    ]
    report = Report(findings, errors, _rules(ns), root, files_checked=1)
    return cli.finish(report, ns)


def resolve_python(given: str) -> tuple[str, str | None, bool]:
    """(interpreter to name, its venv directory or None, whether it can run)."""
    import os

    from uvray.errors import UsageError

    path = os.path.abspath(given)
    env: str | None = None
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "pyvenv.cfg")) and not os.path.lexists(
            os.path.join(path, "bin", "python")
        ):
            raise UsageError(f"{given}: neither a Python interpreter nor a virtual environment")
        env, interpreter = path, os.path.join(path, "bin", "python")
    elif os.path.lexists(path):
        interpreter = path
        parent = os.path.dirname(os.path.dirname(path))
        if os.path.isfile(os.path.join(parent, "pyvenv.cfg")):
            env = parent
    else:
        raise UsageError(f"{given}: no such file or directory")
    # Not realpath: a venv's bin/python is a symlink, and only through it is sys.prefix the venv.
    runnable = os.path.isfile(interpreter) and os.access(interpreter, os.X_OK)
    if not runnable and env is None:
        raise UsageError(f"{given}: not an executable Python interpreter")
    return interpreter, env, runnable


def resolve_project(given: str | None) -> str | None:
    import os

    from uvray.errors import UsageError

    if given is None:
        here = os.getcwd()
        return here if os.path.isfile(os.path.join(here, "pyproject.toml")) else None
    path = os.path.abspath(given)
    if not os.path.isfile(os.path.join(path, "pyproject.toml")):
        raise UsageError(f"{given}: no pyproject.toml in the project directory")
    return path


def probe_options(ns: argparse.Namespace, project: str | None, env: str | None, config) -> list:
    options: list[str] = []
    if project:
        options += ["--project", project]
    if env:
        options += ["--env", env]
    for flag in ("deep", "worker_sync", "smoke", "integration", "runtime_sync"):
        if getattr(ns, flag):
            options.append("--" + flag.replace("_", "-"))
    if ns.smoke:
        options += ["--smoke-timeout", f"{ns.smoke_timeout:g}"]
    ray = ns.expect_ray_version or (project and lock_version(project, "ray"))
    ray = ray or getattr(config, "ray_version", None)
    python = ns.expect_python_version or (project and python_version_file(project))
    if ray:
        options += ["--expect-ray-version", ray]
    if python:
        options += ["--expect-python-version", python]
    return options


def lock_version(project: str, name: str) -> str | None:
    """The one version of `name` that the project's uv.lock pins (None when absent or forked)."""
    import os

    path = os.path.join(project, "uv.lock")
    if not os.path.isfile(path):
        return None
    from uvray.config import load_toml

    try:
        packages = load_toml(path).get("package", [])
    except Exception:  # a broken uv.lock is for `uvray check` to report, not a reason to stop
        return None
    versions = {
        p.get("version")
        for p in packages
        if isinstance(p, dict) and str(p.get("name", "")).lower() == name
    }
    versions.discard(None)
    return versions.pop() if len(versions) == 1 else None


def python_version_file(project: str) -> str | None:
    import os

    try:
        with open(os.path.join(project, ".python-version"), encoding="utf-8") as f:
            lines = [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError:
        return None
    return lines[0] if lines else None


def report_path(given: str, root: str) -> str:
    """The pseudo location: repo-relative POSIX when inside the repository, else absolute."""
    import os

    path = os.path.abspath(given)
    rel = os.path.relpath(path, root)
    if rel == os.curdir or rel.startswith(os.pardir):
        return path.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _rules(ns: argparse.Namespace) -> dict:
    """The rule metadata the report needs: the image rules, unless SARIF is written, which
    lists every rule. Importing the 40-odd repository rules costs ~0.2 s, as much as the probe
    itself on a small environment."""
    from uvray.registry import all_rules, image_rule_modules

    if ns.format == "sarif" or getattr(ns, "sarif_file", None):
        return all_rules()
    return {m.META.code: m.META for m in image_rule_modules()}
