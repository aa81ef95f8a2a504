"""`uvray image IMAGE`: check a built image — its final config, and the probe run inside it.

Two halves, one report:
1. The image's resolved config (`docker image inspect`: Env, User, WorkingDir, Entrypoint, Cmd)
   is written out as a one-stage Dockerfile and checked by the repository rules together with the
   repository's pyproject/uv.lock/workflows (the repository's own Dockerfiles are left out: `uvray
   check` reports those). This reuses every env-level rule unchanged on the env the image really
   has (ENV does not cross stages; ARG/ENV substitution is done). Findings are then moved to the
   `--dockerfile` line that set the variable, or to the image itself.
2. The probe (uvray/probe.py) runs inside the image, piped into the interpreter Ray would use,
   with no network, no host mounts, a read-only root and bounded memory, pids and time.

Only `argparse` is imported at module level: this module is imported on every uvray start.
"""

from __future__ import annotations

import argparse

# `typing` costs ~5 ms of start-up, and this module is imported on every uvray run (its
# options are part of the parser).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from uvray.config import Config
    from uvray.findings import Finding, Location
    from uvray.readers.dockerfile import Dockerfile, Stage

DEFAULT_TIMEOUT = 120.0
# Name of the Dockerfile the image config is written out as (an overlay; never on disk).
SYNTHETIC_NAME = "Dockerfile.uvray-image"
# Exit codes of `docker run` when the entrypoint cannot be started (not the probe's own).
_CANNOT_EXEC = (126, 127)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", metavar="IMAGE", help="image name, tag or ID (already built)")
    parser.add_argument(
        "--engine",
        choices=("docker", "podman"),
        default="docker",
        help="container engine CLI to inspect and run the image with (default: docker)",
    )
    parser.add_argument(
        "--dockerfile",
        metavar="PATH",
        help="the Dockerfile the image was built from: findings point at its lines",
    )
    parser.add_argument(
        "--target", metavar="STAGE", help="the --dockerfile stage that is the image"
    )
    parser.add_argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a build argument the image was built with (resolves the --dockerfile's ENV lines)",
    )
    parser.add_argument(
        "--deep", action="store_true", help="hash every RECORD entry (default: existence and size)"
    )
    parser.add_argument(
        "--worker-sync",
        dest="worker_sync",
        action="store_true",
        default=None,
        help="simulate a Ray worker's `uv run` from a copy of the project "
        "(default: when Ray's uv integration is active in the image)",
    )
    parser.add_argument("--no-worker-sync", dest="worker_sync", action="store_false")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start a one-node Ray inside the container and run tasks under `uv run` (slow)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds the probe may run in the container (default: {DEFAULT_TIMEOUT:g})",
    )


def run(ns: argparse.Namespace) -> int:
    import os

    from uvray import cli, discover, probe_host
    from uvray.errors import UsageError
    from uvray.findings import InputError
    from uvray.registry import all_rules, known_codes
    from uvray.report import Report

    known = known_codes()
    selected = cli._codes_option(ns.select, "--select", known)
    ignored = cli._codes_option(ns.ignore, "--ignore", known)
    build_args = parse_build_args(ns.build_arg)
    if ns.config and ns.no_config:
        raise UsageError("--config and --no-config exclude each other")
    if ns.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if ns.target and not ns.dockerfile:
        raise UsageError("--target needs --dockerfile (the stage of that Dockerfile)")

    engine_cli = find_engine(ns.engine)
    image = inspect_image(engine_cli, ns.image, min(ns.timeout, 60.0))

    root = discover.find_root(os.getcwd())
    config = _load_config(ns, root, known)
    if selected:
        config.select = selected
    config.ignore = config.ignore + ignored
    config.build_args.update(build_args)

    dockerfile = stage = None
    dockerfile_rel = None
    if ns.dockerfile:
        dockerfile_rel, dockerfile, stage = read_dockerfile_arg(
            ns.dockerfile, root, ns.target or config.target, config.build_args
        )
    pseudo = f"image:{ns.image}"
    where = AnchorMap(image, dockerfile, stage, pseudo)
    synthetic = synthetic_path(dockerfile_rel)
    text, lines = synthetic_dockerfile(image)

    hints = env_hints(root, config, synthetic, text, image)
    payload = run_probe(engine_cli, image, ns, hints)
    # What the probe saw in the image is better than an unknown: the rules' version questions
    # ("is this uv older than 0.7.14?") are answered by the uv and Ray actually in the image.
    uv_seen = (payload.get("uv") or {}).get("version")
    ray_seen = (payload.get("ray") or {}).get("version")
    seen: dict[str, str] = {}
    if not config.uv_version and uv_seen:
        config.uv_version = uv_seen
        seen["([tool.uvray] uv-version)"] = "(the image's uv)"
    if not config.ray_version and ray_seen:
        config.ray_version = ray_seen
        seen["([tool.uvray] ray-version)"] = "(the image's Ray)"

    env_report = check_image_env(root, config, synthetic, text)
    findings = [where.remap(f, lines, synthetic) for f in env_report.findings]
    for f in findings:
        for assumed, found in seen.items():
            f.message = f.message.replace(assumed, found)
    findings += probe_findings(payload, where)
    findings = _filter(findings, config, dockerfile_rel, dockerfile)
    findings.sort(key=lambda f: f.sort_key)

    sources = {}
    if (
        dockerfile is not None
        and dockerfile_rel is not None
        and any(f.location.path == dockerfile_rel for f in findings)
    ):
        sources[dockerfile_rel] = "\n".join(dockerfile.lines) + "\n"
    # Checks that crashed inside the probe: the image was not fully checked (exit 2), as with
    # `uvray env` (docs/probe.md).
    probe_failures = [
        InputError(where.default().path, f"probe check failed: {e}")
        for e in probe_host.probe_errors(payload)
    ]
    report = Report(
        findings,
        list(env_report.errors) + probe_failures,
        all_rules(),
        root,
        files_checked=1 + (1 if dockerfile is not None else 0),
        sources=sources,
    )
    return cli.finish(report, ns)


# --- options ----------------------------------------------------------------------------------


def parse_build_args(items: list[str]) -> dict[str, str]:
    from uvray.errors import UsageError

    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--build-arg {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def _load_config(ns: argparse.Namespace, root: str, known: set[str]) -> Config:
    from uvray import config as config_mod

    if ns.config:
        source, table = config_mod.from_file(ns.config)
    elif ns.no_config:
        source, table = None, {}
    else:
        found = config_mod.find_config(root)
        source, table = found if found else (None, {})
    return config_mod.build(table, source, known)


def find_engine(name: str) -> str:
    import shutil

    from uvray.errors import UsageError

    path = shutil.which(name)
    if path is None:
        raise UsageError(f"{name}: not found on PATH (uvray image needs a container engine CLI)")
    return path


def read_dockerfile_arg(
    path: str, root: str, target: str | None, build_args: dict[str, str]
) -> tuple[str, Dockerfile, Stage]:
    """The --dockerfile as a repo-relative path, parsed, and its final (or --target) stage."""
    import os

    from uvray.errors import UsageError
    from uvray.model import read_text
    from uvray.readers.dockerfile import read_dockerfile

    full = os.path.abspath(path)
    rel = os.path.relpath(full, root).replace(os.sep, "/")
    if rel.startswith("../"):
        rel = os.path.basename(full)  # outside the repository: report against its name
    text, error = read_text(full, rel, 10 * 1024 * 1024)
    if error is not None or text is None:
        raise UsageError(f"{path}: {error.message if error else 'cannot read'}")
    df, errors = read_dockerfile(text, rel, build_args)
    if df is None or errors:
        first = errors[0] if errors else None
        raise UsageError(first.render() if first else f"{path}: not a Dockerfile")
    stage = df.final_stage(target)
    if stage is None:
        raise UsageError(f"{path}: no stage named {target!r}" if target else f"{path}: no stage")
    return rel, df, stage


# --- the image's config -----------------------------------------------------------------------


class ImageConfig:
    """What `docker image inspect` says the image runs with."""

    def __init__(
        self,
        ref: str,
        image_id: str,
        env: dict[str, str],
        user: str,
        workdir: str,
        entrypoint: list[str] | None,
        cmd: list[str] | None,
        labels: dict[str, str],
    ) -> None:
        self.ref = ref
        self.id = image_id
        self.env = env
        self.user = user
        self.workdir = workdir
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.labels = labels


def inspect_image(engine_cli: str, ref: str, timeout: float) -> ImageConfig:
    import subprocess

    from uvray.errors import UsageError

    try:
        done = subprocess.run(
            [engine_cli, "image", "inspect", ref],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"{ref}: `image inspect` did not answer in {timeout:g} s") from None
    except OSError as exc:
        raise UsageError(f"{engine_cli}: cannot run it ({exc.strerror or exc})") from None
    if done.returncode != 0:
        raise UsageError(f"{ref}: {_last_line(done.stderr) or 'image inspect failed'}")
    return parse_inspect(ref, done.stdout)


def parse_inspect(ref: str, stdout: bytes | str) -> ImageConfig:
    """The JSON of `docker|podman image inspect` → ImageConfig (one-line UsageError on garbage)."""
    import json

    from uvray.errors import UsageError

    try:
        data = json.loads(stdout)
    except ValueError:
        raise UsageError(f"{ref}: image inspect printed no JSON") from None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise UsageError(f"{ref}: image inspect printed no image")
    item = data[0]
    config = item.get("Config") or {}
    env: dict[str, str] = {}
    for entry in config.get("Env") or []:
        key, _, value = str(entry).partition("=")
        if key:
            env[key] = value
    return ImageConfig(
        ref=ref,
        image_id=str(item.get("Id") or ""),
        env=env,
        user=str(config.get("User") or ""),
        workdir=str(config.get("WorkingDir") or ""),
        entrypoint=_argv(config.get("Entrypoint")),
        cmd=_argv(config.get("Cmd")),
        labels={str(k): str(v) for k, v in (config.get("Labels") or {}).items()},
    )


def _argv(value: object) -> list[str] | None:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):  # podman can give a string
        return ["/bin/sh", "-c", value]
    return None


def _last_line(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


# --- the image config as a Dockerfile -----------------------------------------------------------


def synthetic_path(dockerfile_rel: str | None) -> str:
    """Next to the --dockerfile (same build context, so the same project), else at the root."""
    if dockerfile_rel and "/" in dockerfile_rel:
        return dockerfile_rel.rsplit("/", 1)[0] + "/" + SYNTHETIC_NAME
    return SYNTHETIC_NAME


def synthetic_dockerfile(image: ImageConfig) -> tuple[str, dict[int, tuple[str, str | None]]]:
    """The image's final config as a one-stage Dockerfile, and what each line stands for
    (("ENV", name), ("USER", None), …). FROM scratch: the base is already in the env."""
    import json

    out = ["FROM scratch"]
    lines: dict[int, tuple[str, str | None]] = {1: ("FROM", None)}
    for key, value in image.env.items():
        out.append(f'ENV {key}="{_dq(value)}"')
        lines[len(out)] = ("ENV", key)
    if image.workdir:
        out.append(f"WORKDIR {image.workdir}")
        lines[len(out)] = ("WORKDIR", None)
    if image.user:
        out.append(f"USER {image.user}")
        lines[len(out)] = ("USER", None)
    # ENTRYPOINT first: in a Dockerfile an ENTRYPOINT after CMD resets it.
    if image.entrypoint is not None:
        out.append(f"ENTRYPOINT {json.dumps(image.entrypoint)}")
        lines[len(out)] = ("ENTRYPOINT", None)
    if image.cmd is not None:
        out.append(f"CMD {json.dumps(image.cmd)}")
        lines[len(out)] = ("CMD", None)
    return "\n".join(out) + "\n", lines


def _dq(value: str) -> str:
    """A double-quoted Dockerfile word whose value is exactly `value` (no $ expansion)."""
    value = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return value.replace("\n", "\\n")


class AnchorMap:
    """Where an image finding is reported: the --dockerfile line that made it so, else the image."""

    def __init__(
        self,
        image: ImageConfig,
        dockerfile: Dockerfile | None,
        stage: Stage | None,
        pseudo: str,
    ) -> None:
        self.image = image
        self.dockerfile = dockerfile
        self.stage = stage
        self.pseudo = pseudo

    def default(self) -> Location:
        from uvray.findings import Location

        if self.dockerfile is None or self.stage is None:
            return Location(self.pseudo, 1)
        ins = self.stage.from_instruction
        return Location(self.dockerfile.path, ins.line, 1, ins.end_line)

    def for_env(self, name: str) -> Location:
        from uvray.findings import Location

        if self.stage is not None and name in self.stage.env:
            var = self.stage.env[name]
            if var.kind == "ENV":
                return var.location
        if self.dockerfile is None:
            return Location(self.pseudo, 1)
        return self.default()

    def for_instruction(self, keyword: str) -> Location:
        """The last such instruction of the stage's ancestry (the one in force)."""
        from uvray.findings import Location

        if self.stage is not None and self.dockerfile is not None:
            found = [
                s.instruction for s in self.stage.all_steps() if s.instruction.keyword == keyword
            ]
            if found:
                ins = found[-1]
                return Location(self.dockerfile.path, ins.line, 1, ins.end_line)
        return self.default()

    def anchor(self, kind: str, name: str | None) -> Location:
        if kind == "ENV" and name is not None:
            return self.for_env(name)
        if kind == "FROM":
            return self.default()
        return self.for_instruction(kind)

    def describe(self, kind: str, name: str | None) -> str:
        """How a message names the place: `ENV on line 7` of the Dockerfile, or the image's env."""
        loc = self.anchor(kind, name)
        if loc.path == self.pseudo:
            return "in the image's config" if kind == "ENV" else f"the image's {kind}"
        return f"{kind} on line {loc.line}"

    def remap(self, finding: Finding, lines: dict[int, tuple[str, str | None]], path: str):
        """A finding on the synthetic Dockerfile, moved to the place it stands for."""
        import re

        def place(loc: Location) -> Location:
            if loc.path != path:
                return loc
            kind, name = lines.get(loc.line, ("FROM", None))
            return self.anchor(kind, name)

        def words(match: re.Match) -> str:
            kind, name = lines.get(int(match.group(2)), (match.group(1), None))
            return self.describe(kind, name)

        finding.message = re.sub(
            r"\b(ENV|USER|WORKDIR|CMD|ENTRYPOINT|FROM) on line (\d+)", words, finding.message
        )
        finding.related = tuple((label, place(loc)) for label, loc in finding.related)
        finding.location = place(finding.location)
        finding.edits = ()  # the edits were for the synthetic file: nothing to apply
        return finding


# --- the repository rules on the image's env ----------------------------------------------------


def _repo_files(root: str, config: Config) -> list[str]:
    """The repository's files minus its Dockerfiles (`uvray check` reports on those)."""
    from uvray import discover

    return [
        f
        for f in discover.list_files(root)
        if discover.kind_of(f) not in ("dockerfile", "dockerignore") and not config.excluded(f)
    ]


def env_hints(
    root: str, config: Config, synthetic: str, text: str, image: ImageConfig
) -> dict[str, object]:
    """What the probe is told from the repository's side: is Ray's uv integration active for
    this env, will workers sync it, and which Ray/Python versions uv.lock and .python-version
    expect."""
    import copy

    from uvray.facts import UV_HOOK, Facts, truthy
    from uvray.model import build_repo

    plain = copy.copy(config)
    plain.target = None
    repo = build_repo(root, _repo_files(root, plain), plain.build_args, {synthetic: text})
    facts = Facts(repo, plain)
    contexts = [c for c in facts.contexts if c.path == synthetic]
    active = any(c.integration.active for c in contexts)
    syncing = any(c.integration.active and c.workers_sync for c in contexts)
    if not contexts and image.env.get("RAY_RUNTIME_ENV_HOOK") == UV_HOOK:
        # No project here to say more (an image checked outside its repository): the hook
        # alone turns the integration on.
        active = True
        syncing = not truthy(image.env.get("UV_NO_SYNC"))
    ray = next((c.ray.value for c in contexts if c.ray.known), None)
    python = None
    for directory in [c.project_dir for c in contexts] + [""]:
        pv = repo.python_versions.get(directory)
        if pv is not None:
            python = pv.version
            break
    return {"integration": active, "runtime_sync": syncing, "ray": ray, "python": python}


def check_image_env(root: str, config: Config, synthetic: str, text: str):
    """Every repository rule on the image's env; only findings on the image are kept."""
    import copy

    from uvray import engine
    from uvray.registry import all_rules, rule_modules

    plain = copy.copy(config)
    plain.target = None  # --target names a stage of the --dockerfile, not of the synthetic one
    scope = engine.Scope({synthetic}, [], False)
    return engine.run(
        root, _repo_files(root, plain), scope, plain, all_rules(), rule_modules(), {synthetic: text}
    )


def _filter(
    findings: list[Finding], config: Config, dockerfile_rel: str | None, dockerfile
) -> list[Finding]:
    """Config (select/ignore/severity/per-file-ignores) and the --dockerfile's own
    `# uvray: ignore[...]` comments, as `uvray check` applies them."""
    from uvray import suppressions
    from uvray.registry import known_codes

    out = []
    sups = []
    if dockerfile is not None and dockerfile_rel is not None:
        text = "\n".join(dockerfile.lines) + "\n"
        spans = [(i.line, i.end_line) for i in dockerfile.instructions]
        sups, _ = suppressions.parse(dockerfile_rel, text, spans, False, known_codes())
    for f in findings:
        if not config.enabled(f.code) or config.ignored_for_path(f.code, f.location.path):
            continue
        override = config.severity.get(f.code)
        if override is not None:
            f.severity = override
        loc = f.location
        if any(s.covers(f.code, loc.line, loc.last_line) for s in sups if loc.path == s.path):
            continue
        out.append(f)
    return out


# --- the probe in the container -----------------------------------------------------------------


def interpreters(image: ImageConfig) -> list[tuple[str, str | None]]:
    """The interpreters to try, in order: the project venv Ray would use (with the env to name
    if it cannot start: the probe then reports the broken venv from another interpreter),
    then python3/python as the image's PATH resolves them (the engine does that)."""
    import posixpath

    out: list[tuple[str, str | None]] = []
    for var in ("UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV"):
        value = image.env.get(var, "")
        if not value or "$" in value:
            continue
        if not value.startswith("/"):
            value = posixpath.join(image.workdir or "/", value)
        venv = posixpath.normpath(value)
        out.append((posixpath.join(venv, "bin", "python"), venv))
        break
    env = out[0][1] if out else None
    out += [("python3", env), ("python", env)]
    return out


def probe_options(ns: argparse.Namespace, hints: dict[str, object]) -> list[str]:
    options: list[str] = []
    if ns.deep:
        options.append("--deep")
    worker_sync = ns.worker_sync if ns.worker_sync is not None else bool(hints.get("integration"))
    if worker_sync:
        options.append("--worker-sync")
    if hints.get("integration"):
        options.append("--integration")
    if hints.get("runtime_sync"):
        options.append("--runtime-sync")
    if hints.get("ray"):
        options += ["--expect-ray-version", str(hints["ray"])]
    if hints.get("python"):
        options += ["--expect-python-version", str(hints["python"])]
    if ns.smoke:
        options += ["--smoke", "--smoke-timeout", f"{smoke_timeout(ns.timeout):g}"]
    return options


def smoke_timeout(total: float) -> float:
    # The container needs a few seconds of its own around the smoke (start, report, teardown).
    return max(5.0, total - 10.0)


def docker_run_argv(
    engine_cli: str,
    image: ImageConfig,
    python: str,
    options: list[str],
    name: str,
    smoke: bool,
    read_only: bool = True,
) -> list[str]:
    """No network, no host mounts, no new privileges, a read-only root with a /tmp tmpfs, bounded
    memory and pids. The smoke test runs a Ray head (GCS, raylet, workers): it gets more memory,
    pids and shared memory, and Ray's session goes to the /tmp tmpfs."""
    argv = [engine_cli, "run", "--rm", "-i", "--name", name, "--network", "none"]
    if image.user:
        argv += ["--user", image.user]
    argv += ["--security-opt", "no-new-privileges"]
    if read_only:
        argv.append("--read-only")
    if smoke:
        argv += ["--tmpfs", "/tmp:rw,exec,size=1g", "--memory", "3g", "--pids-limit", "4096"]
        argv += ["--shm-size", "512m"]
    else:
        argv += ["--tmpfs", "/tmp:rw,size=256m", "--memory", "1g", "--pids-limit", "512"]
    argv += ["--entrypoint", python, image.id or image.ref, "-", *options]
    return argv


def run_probe(
    engine_cli: str, image: ImageConfig, ns: argparse.Namespace, hints: dict[str, object]
) -> dict:
    """The probe's JSON, from the first interpreter in the image that starts."""
    from uvray import probe_host
    from uvray.errors import UsageError

    source = probe_host.probe_source()
    base_options = probe_options(ns, hints)
    tried = []
    for python, venv in interpreters(image):
        options = list(base_options)
        if venv is not None and python != f"{venv}/bin/python":
            options = ["--env", venv, *options]
        # The smoke test's `uv run` takes uv's cache lock under $HOME (measured: `Could not
        # acquire lock` on a read-only root), and Ray writes its session: a writable root,
        # thrown away with the container (--rm), for that one.
        read_only = not ns.smoke
        code, out, err = _run_container(engine_cli, image, python, options, source, ns, read_only)
        if code in _CANNOT_EXEC and not out.strip():
            tried.append(python)
            continue
        if not out.strip():
            raise UsageError(
                f"{ns.image}: the probe failed with {python} (exit {code}): "
                f"{_last_line(err) or 'no output'}"
            )
        where = f"{ns.image} ({python})"
        payload = probe_host.parse_output(out, where)
        if read_only and _needed_a_writable_root(payload):
            # uv <= 0.7.x writes a temporary file into the env even for `sync --dry-run`
            # (measured with 0.7.13: `Read-only file system (os error 30)`). The container is
            # thrown away with --rm, so a writable root changes nothing in the image.
            code, out, err = _run_container(engine_cli, image, python, options, source, ns, False)
            payload = probe_host.parse_output(out, where)
        return payload
    raise UsageError(
        f"{ns.image}: no Python interpreter starts in the image (tried {', '.join(tried)})"
    )


def _needed_a_writable_root(payload: dict) -> bool:
    import json

    sync = payload.get("worker_sync")
    return isinstance(sync, dict) and "(os error 30)" in json.dumps(sync)


def _run_container(
    engine_cli: str,
    image: ImageConfig,
    python: str,
    options: list[str],
    source: bytes,
    ns: argparse.Namespace,
    read_only: bool,
) -> tuple[int, bytes, bytes]:
    import os
    import subprocess
    import uuid

    from uvray.errors import UsageError

    name = f"uvray-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    argv = docker_run_argv(engine_cli, image, python, options, name, ns.smoke, read_only)
    try:
        done = subprocess.run(
            argv, input=source, capture_output=True, timeout=ns.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        # Killing the client does not stop the container: remove it by the name we gave it.
        subprocess.run([engine_cli, "rm", "-f", name], capture_output=True, timeout=30, check=False)
        raise UsageError(
            f"{ns.image}: the probe did not finish in {ns.timeout:g} s (--timeout)"
        ) from None
    except OSError as exc:
        raise UsageError(f"{engine_cli}: cannot run it ({exc.strerror or exc})") from None
    return done.returncode, done.stdout, done.stderr


def probe_findings(payload: dict, where: AnchorMap) -> list[Finding]:
    """The probe's findings, each against the place that explains it best: the env's own
    variable for the reinstall (UV_PROJECT_ENVIRONMENT), else the image."""
    from uvray import probe_host

    env_var = next(
        (v for v in ("UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV") if v in where.image.env), None
    )
    by_anchor = {"RUV606": where.for_env(env_var) if env_var else where.default()}
    out: list[Finding] = []
    groups: dict[Location, list[dict]] = {}
    for item in payload.get("findings") or []:
        loc = by_anchor.get(str(item.get("code")), where.default())
        groups.setdefault(loc, []).append(item)
    for loc, items in groups.items():
        out += probe_host.findings_from_probe({**payload, "findings": items}, loc)
    return out
