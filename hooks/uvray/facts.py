"""Derived answers the rules share, in one place: when Ray's uv integration is active, what env Ray's
workers get, which uv and Ray versions are in play, whether workers sync a fixed-path env.

The definitions follow ../shared/domain.md §4 as corrected by ../shared/reality.md (real Ray and uv
runs). When reality moves (a uv or Ray release), a function here changes, not every rule.
"""

from __future__ import annotations

import posixpath
import re
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from uvray.commands import (
    RaySubmit,
    Recognised,
    Site,
    UvCommand,
    UvPin,
    exact_version,
    parse_uv,
    pins_in_words,
    recognise_entrypoint,
    recognise_site,
    recognise_words,
    site_for_lines,
    uv_image_pin,
    version_from_tag,
)
from uvray.findings import Location
from uvray.model import Repo, dir_of

if TYPE_CHECKING:
    from uvray.config import Config
    from uvray.readers.dockerfile import Dockerfile, Stage, Step
    from uvray.readers.ignorefile import IgnoreFile
    from uvray.readers.pyproject import Pyproject, UvLock
    from uvray.readers.rayconfig import RuntimeEnv

UV_HOOK = "ray._private.runtime_env.uv_runtime_env_hook.hook"
# clap's BoolishValueParser, which uv uses for its boolean env vars.
_TRUTHY = {"1", "true", "t", "yes", "y", "on"}
_FALSY = {"0", "false", "f", "no", "n", "off"}
RAY_IMAGE = re.compile(r"(^|/)(rayproject|anyscale)/ray(-ml|-llm)?:(?P<tag>[^@\s]+)")
_RAY_DEFAULT_ON = (2, 47)
_UV_ENV_LOCK = (0, 7, 14)
_NOT_DRIVERS = {
    "ruff",
    "mypy",
    "black",
    "isort",
    "pre-commit",
    "pyright",
    "flake8",
    "pylint",
    "ty",
    "sphinx-build",
    "mkdocs",
    "twine",
    "coverage",
}


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUTHY


def falsy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _FALSY


def parse_version(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)", text)
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split("."))


def version_lt(text: str | None, bound: tuple[int, ...]) -> bool | None:
    v = parse_version(text)
    if v is None:
        return None
    width = max(len(v), len(bound))
    return v + (0,) * (width - len(v)) < bound + (0,) * (width - len(bound))


@dataclass
class Setting:
    """One environment variable as some process will see it, and where it was set."""

    name: str
    value: str | None
    location: Location
    origin: str  # e.g. "ENV on line 6", "workflow env", "runtime_env env_vars"
    # The text as written when value is unknown (`$HOME/venv`).
    raw: str | None = None

    @property
    def shown(self) -> str:
        return self.value if self.value is not None else (self.raw or "?")

    def looks_absolute(self) -> bool:
        """An absolute path, or one built on a variable (`$HOME/venv`, `${VENV_ROOT}/x`)."""
        text = self.value if self.value is not None else self.raw
        if not text:
            return False
        return _is_absolute(text) or bool(re.match(r"^\$(\{[A-Za-z_]\w*\}|[A-Za-z_]\w*)/", text))


@dataclass
class Version:
    value: str | None
    source: str
    location: Location | None = None
    # For a floating tag or range: every release it can be is below this version.
    below: tuple[int, ...] | None = None

    @property
    def known(self) -> bool:
        return parse_version(self.value) is not None

    def older_than(self, bound: tuple[int, ...]) -> bool | None:
        """True when every release this can be is older than bound (an exact version, or a
        floating tag/range wholly below it); False when it is not older; None when unknown."""
        if self.value is None and self.below is not None:
            width = max(len(self.below), len(bound))
            pad = (0,) * width
            return True if (self.below + pad)[:width] <= (bound + pad)[:width] else None
        return version_lt(self.value, bound)


@dataclass
class Driver:
    """A Ray driver start: the command, and the `uv run` whose flags Ray copies to every worker."""

    words: list[str]
    location: Location
    origin: str
    uv_run: UvCommand | None
    submit: RaySubmit | None = None
    # runtime_env env_vars that come with this submission (reach driver and workers).
    env_vars: dict[str, Setting] = field(default_factory=dict)
    # Env of the process that starts the driver locally (workflow step, CMD): for local Ray.
    runs_locally: bool = False
    # The job's working_dir when the submission names one (driver and workers then share a path).
    working_dir: str | None = None
    # runtime_env `py_executable: uv run …`: how workers start when the driver is not under uv run.
    py_executable: UvCommand | None = None
    runtime_env: object | None = None


@dataclass
class Integration:
    """Whether Ray starts workers with `uv run` (domain.md §4 "Ray-integration-active")."""

    active: bool
    reason: str
    location: Location | None
    # True when activation rests on an assumption (Ray version unknown).
    assumed: bool = False


@dataclass
class WorkerContext:
    """Where Ray workers run and what they get: an image (or a CI job running Ray locally)."""

    label: str
    env: Mapping[str, Setting]
    driver: Driver | None
    project: Pyproject | None
    project_dir: str
    lock: UvLock | None
    uv: Version
    uv_pin: UvPin | None
    ray: Version
    integration: Integration
    image: ImageFacts | None = None
    # For workflow contexts: the file the env came from.
    path: str = ""

    # --- what the workers' `uv run` will do -------------------------------------------------
    @property
    def worker_flags(self) -> dict[str, list[str | None]]:
        """The `uv run` options every worker gets: the driver's (Ray copies them, and the hook
        overwrites py_executable), else an explicit `py_executable: uv run …`."""
        if self.driver is None:
            return {}
        if self.driver.uv_run is not None:
            return dict(self.driver.uv_run.options)
        if self.driver.py_executable is not None:
            return dict(self.driver.py_executable.options)
        return {}

    def setting(self, name: str) -> Setting | None:
        return self.env.get(name)

    def no_sync(self) -> Setting | Location | None:
        """What stops the workers from syncing (UV_NO_SYNC or the driver's --no-sync), if anything."""
        s = self.env.get("UV_NO_SYNC")
        if s is not None and truthy(s.value):
            return s
        if "no-sync" in self.worker_flags and self.driver is not None:
            return self.driver.location
        return None

    @property
    def workers_sync(self) -> bool:
        return self.no_sync() is None

    def fixed_env(self) -> Setting | None:
        """The fixed-path env workers sync: absolute UV_PROJECT_ENVIRONMENT, or --active + VIRTUAL_ENV."""
        if "isolated" in self.worker_flags:
            return None  # a temporary env per process (PR #50160's doc example)
        s = self.env.get("UV_PROJECT_ENVIRONMENT")
        if s is not None and s.looks_absolute():
            return s
        if "active" in self.worker_flags:
            venv = self.env.get("VIRTUAL_ENV")
            if venv is not None and venv.looks_absolute():
                return venv
        return None

    def frozen(self) -> Setting | Location | None:
        s = self.env.get("UV_FROZEN")
        if s is not None and truthy(s.value):
            return s
        if "frozen" in self.worker_flags and self.driver is not None:
            return self.driver.location
        return None


@dataclass
class ImageFacts:
    dockerfile: Dockerfile
    stage: Stage
    context_dir: str
    project: Pyproject | None
    lock: UvLock | None
    # uv commands run while building the final image (its stage ancestry), with the env in force.
    build_commands: list[tuple[UvCommand, Step]]
    uv_pins: list[UvPin]
    ray_version: Version
    is_ray_image: bool
    drivers: list[Driver]


def _is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:[\\/]", path))


# ---------------------------------------------------------------------------------------------


class Facts:
    """Computed lazily, once per run, from the Repo and the Config."""

    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config
        self._images: list[ImageFacts] | None = None
        self._contexts: list[WorkerContext] | None = None
        self._cluster_drivers: list[Driver] | None = None
        self._step_commands: list | None = None
        # id(step) -> parsed RUN; steps live as long as the Repo, so ids are stable.
        self._run_cache: dict[int, tuple[list[Recognised], list[UvPin]]] = {}
        self._uv_commands: list[CommandUse] | None = None
        self._pins_cache: dict[int, list[tuple[int, UvPin]]] = {}
        self._contexts_dirs: dict[str, str] = {}
        self._memo: dict[tuple, object] = {}

    def memo(self, key: tuple, compute):
        """A rule's own per-run cache (keys may hold id()s of model objects: they live as long
        as this Facts)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # --- Dockerfiles ----------------------------------------------------------------------------
    @property
    def images(self) -> list[ImageFacts]:
        if self._images is None:
            self._images = []
            for df in self.repo.dockerfiles:
                # A --target another Dockerfile defines: this one is built to its last stage.
                stage = df.final_stage(self.config.target) or df.final_stage()
                if stage is not None:
                    self._images.append(self._image(df, stage))
        return self._images

    def _image(self, df: Dockerfile, stage: Stage) -> ImageFacts:
        context_dir = self.context_dir(df)
        project = self.repo.project_for(context_dir)
        lock = self.repo.lock_for(context_dir)
        build_commands = []
        for step in stage.all_steps():
            if step.instruction.keyword == "RUN":
                found, _ = self.run_commands(df, step)
                build_commands.extend((c, step) for c in found if isinstance(c, UvCommand))
        pins = [pin for _, pin in self.uv_pins(df, stage)]
        root = stage.ancestry()[-1]
        ray_tag = RAY_IMAGE.search(root.base) if root.base_known else None
        if ray_tag and not any(p.kind != "base-image" for p in pins):
            ray_base = version_from_tag(ray_tag.group("tag"))
            if ray_base is None or not version_lt(ray_base, (2, 45)):
                # rayproject images >= 2.45 install uv with an unpinned installer (PR #51675).
                location = _ins_location(df, root.from_instruction)
                pins.insert(0, UvPin("base-image", None, root.base, location))
        ray_version = self._ray_version(lock, df, stage)
        is_ray = bool(
            ray_tag
            or (project is not None and _depends_on(project, "ray"))
            or any(n.startswith("RAY_") for n in stage.env)
        )
        drivers = self._image_drivers(df, stage)
        return ImageFacts(
            df,
            stage,
            context_dir,
            project,
            lock,
            build_commands,
            pins,
            ray_version,
            is_ray,
            drivers,
        )

    def uv_pins(self, df: Dockerfile, stage: Stage) -> list[tuple[int, UvPin]]:
        """Every place uv enters this stage's image, in build order, with the index of the step
        (in stage.all_steps()) that brings it; -1 for a uv base image."""
        cached = self._pins_cache.get(id(stage))
        if cached is not None:
            return cached
        root = stage.ancestry()[-1]
        base = uv_image_pin(root.base, _ins_location(df, root.from_instruction), root.base_known)
        pins: list[tuple[int, UvPin]] = []
        self._pins_cache[id(stage)] = pins
        if base is not None:
            base.kind = "base-image"
            pins.append((-1, base))
        for index, step in enumerate(stage.all_steps()):
            keyword = step.instruction.keyword
            if keyword == "RUN":
                pins.extend((index, pin) for pin in self.run_commands(df, step)[1])
            elif keyword in ("COPY", "ADD"):
                pins.extend((index, pin) for pin in self._copy_pins(df, step))
        return pins

    def context_dir(self, df: Dockerfile) -> str:
        """The build context: the nearest directory at or above the Dockerfile with a pyproject.toml."""
        known = self._contexts_dirs.get(df.path)
        if known is None:
            directory = dir_of(df.path)
            project = self.repo.project_for(directory)
            known = project.dir if project is not None else directory
            self._contexts_dirs[df.path] = known
        return known

    def docker_ignore(self, df: Dockerfile) -> tuple[IgnoreFile | None, str]:
        """The ignore file BuildKit applies to this Dockerfile's build: `<Dockerfile>.dockerignore`
        next to the Dockerfile wins over the context's `.dockerignore`. Returns it (None when
        there is none) and the path it has, or the one a fix would create."""
        own = self.repo.ignore_file(dir_of(df.path), df.path.rsplit("/", 1)[-1] + ".dockerignore")
        if own is not None:
            return own, own.path
        context = self.context_dir(df)
        path = posixpath.join(context, ".dockerignore") if context else ".dockerignore"
        return self.repo.ignore_file(context, ".dockerignore"), path

    def run_commands(self, df: Dockerfile, step: Step) -> tuple[list[Recognised], list[UvPin]]:
        """uv/ray commands and uv pins of one RUN, with ARG/ENV values substituted."""
        key = id(step)
        cached = self._run_cache.get(key)
        if cached is None:
            cached = self._run_commands(df, step)
            self._run_cache[key] = cached
        return cached

    def _run_commands(self, df: Dockerfile, step: Step) -> tuple[list[Recognised], list[UvPin]]:
        ins = step.instruction
        env = step.shell_env()
        if not _may_hold_commands(ins.args + "".join(h.body for h in ins.heredocs), env):
            return [], []  # `apt-get install …`: nothing uvray recognises can be in it

        def lookup(name: str) -> str | None:
            var = env.get(name)
            return None if var is None else var.value

        exec_form = ins.exec_form()
        if exec_form is not None:
            return recognise_words(exec_form, {}, _ins_location(df, ins), lookup), []
        # Offsets in the arguments map back to the physical line they came from.
        site = Site(df.path, ins.args, lambda offset: ins.line_at(offset + ins.args_offset), lookup)
        reader = self.script_reader(self.context_dir(df), step.workdir)
        found, pins = recognise_site(site, reader)
        for heredoc in ins.heredocs:
            if _heredoc_is_shell(ins.args, heredoc.name):
                body = site_for_lines(df.path, heredoc.body, heredoc.first_line, lookup)
                more, more_pins = recognise_site(body)
                found.extend(more)
                pins.extend(more_pins)
        return found, pins

    def _copy_pins(self, df: Dockerfile, step: Step) -> list[UvPin]:
        """uv brought in by COPY/ADD: `COPY --from=ghcr.io/astral-sh/uv:<v> /uv /bin/`, or the
        versioned installer fetched with `ADD https://astral.sh/uv/<v>/install.sh`."""
        ins = step.instruction
        loc = _ins_location(df, ins)
        source = ins.flag("from")
        if not source:
            return pins_in_words(ins.args.split(), loc) if ins.keyword == "ADD" else []
        from uvray.readers.dockerfile import expand

        image, known = expand(source, step.args)
        stage = df.stage(image)
        if stage is not None:
            root = stage.ancestry()[-1]
            pin = uv_image_pin(root.base, loc, root.base_known)
        else:
            pin = uv_image_pin(image, loc, known)
        if pin is None or not _copies_uv_binary(ins.args):
            return []
        return [pin]

    def _ray_version(
        self, lock: UvLock | None, df: Dockerfile | None, stage: Stage | None
    ) -> Version:
        if lock is not None:
            locked = self.memo(("ray-in-lock", id(lock)), lambda: _locked_ray(lock))
            if locked is not None:
                return locked
        if df is not None and stage is not None:
            root = stage.ancestry()[-1]
            m = RAY_IMAGE.search(root.base) if root.base_known else None
            if m:
                v = version_from_tag(m.group("tag"))
                if v:
                    return Version(
                        v, f"base image {root.base}", _ins_location(df, root.from_instruction)
                    )
        if self.config.ray_version:
            return Version(self.config.ray_version, "[tool.uvray] ray-version")
        return Version(None, "unknown")

    def _image_drivers(self, df: Dockerfile, stage: Stage) -> list[Driver]:
        """The image's own start command (ENTRYPOINT + CMD, as Docker combines them), when it
        starts a Ray driver: under `uv run`, or a plain `python …` (a driver that is not)."""
        argv, ins = image_command(stage)
        if argv is None or ins is None:
            return []
        loc = _ins_location(df, ins)
        env = stage.env

        def lookup(name: str) -> str | None:
            var = env.get(name)
            return None if var is None else var.value

        drivers = _drivers_from(recognise_words(argv, {}, loc, lookup), loc, ins.keyword, self)
        if not drivers and _is_python(argv):
            drivers.append(Driver(argv, loc, ins.keyword, None, runs_locally=True))
        return drivers

    # --- cluster drivers: ray job submit / KubeRay RayJob, anywhere in the repo -----------------
    @property
    def cluster_drivers(self) -> list[Driver]:
        if self._cluster_drivers is None:
            drivers: list[Driver] = []
            for _wf, _job, step, found in self.workflow_commands:
                drivers.extend(
                    d
                    for d in _drivers_from(found, step.location, "workflow step", self)
                    if d.submit is not None
                )
            for res in self.repo.kuberay:
                if res.entrypoint is None:
                    continue
                loc = Location(res.path, res.entrypoint.first_line)
                found = recognise_entrypoint(res.entrypoint.text, loc)
                env_vars = {**_container_settings(res), **_runtime_env_settings(res.runtime_env)}
                origin = f"{res.kind} entrypoint"
                # A RayJob entrypoint is a driver by definition, under `uv run` or not.
                own = _drivers_from(found, loc, origin, self) or [
                    Driver(res.entrypoint.text.split(), loc, origin, None)
                ]
                for d in own:
                    d.env_vars = {**env_vars, **d.env_vars}
                    d.py_executable = d.py_executable or _py_executable(res.runtime_env)
                    d.runtime_env = d.runtime_env or res.runtime_env
                    if res.runtime_env is not None and not d.working_dir:
                        d.working_dir = res.runtime_env.working_dir
                    drivers.append(d)
            for path in self.repo.script_paths:
                # A submit script people run by hand (`./submit.sh`) is a driver too.
                text = self.repo.script(path)
                if text is None or "ray" not in text or "submit" not in text:
                    continue
                site = site_for_lines(path, text, 1)
                found, _pins = recognise_site(site, self.script_reader(dir_of(path)))
                known = {(d.location.path, d.location.line) for d in drivers}
                drivers.extend(
                    d
                    for d in _drivers_from(found, Location(path, 1), f"script {path}", self)
                    if d.submit is not None and (d.location.path, d.location.line) not in known
                )
            referenced = {id(d.runtime_env) for d in drivers if d.runtime_env is not None}
            for runtime_env in self.repo.runtime_envs:
                # A runtime_env file nothing submits but that starts workers with `uv run`.
                py_exe = _py_executable(runtime_env)
                if py_exe is None or id(runtime_env) in referenced:
                    continue
                loc = runtime_env.key_locations.get("py_executable", runtime_env.location)
                drivers.append(
                    Driver(
                        [],
                        loc,
                        f"runtime_env {runtime_env.path}",
                        None,
                        env_vars=_runtime_env_settings(runtime_env),
                        working_dir=runtime_env.working_dir,
                        py_executable=py_exe,
                    )
                )
            self._cluster_drivers = drivers
        return self._cluster_drivers

    @property
    def workflow_commands(self) -> list:
        """(workflow, job, step, recognised commands) for every `run:` step."""
        if self._step_commands is None:
            out = []
            for wf in self.repo.workflows:
                for job in wf.jobs:
                    for step in job.steps:
                        if step.run is None:
                            continue
                        env = wf.effective_env(job, step)

                        def lookup(name: str, env=env) -> str | None:
                            entry = env.get(name)
                            return None if entry is None else entry.value

                        site = site_for_lines(wf.path, step.run.text, step.run.first_line, lookup)
                        reader = self.script_reader(self.step_dir(wf, job, step))
                        found, _pins = recognise_site(site, reader)
                        out.append((wf, job, step, found))
            self._step_commands = out
        return self._step_commands

    # --- worker contexts ------------------------------------------------------------------------
    @property
    def contexts(self) -> list[WorkerContext]:
        if self._contexts is None:
            self._contexts = (
                self._image_contexts() + self._kuberay_contexts() + self._workflow_contexts()
            )
        return self._contexts

    def _image_contexts(self) -> list[WorkerContext]:
        out = []
        for image in self.images:
            if not image.is_ray_image:
                continue
            env = _settings_from_vars(image.stage.env)
            uv_pin = image.uv_pins[-1] if image.uv_pins else None
            uv = self._uv_version(uv_pin)
            drivers = image.drivers + [
                d
                for d in self.cluster_drivers
                if _under(image.context_dir, self.home_of(d.location.path))
            ]
            label = f"image {image.dockerfile.path}"
            for driver in drivers or [None]:
                # What the workers see: the image's ENV under the submission's env_vars.
                worker_env = ChainMap(driver.env_vars, env) if driver is not None else env
                out.append(
                    WorkerContext(
                        label=label,
                        env=worker_env,
                        driver=driver,
                        project=image.project,
                        project_dir=image.context_dir,
                        lock=image.lock,
                        uv=uv,
                        uv_pin=uv_pin,
                        ray=image.ray_version,
                        integration=integration(
                            worker_env, driver, bool(drivers), image.ray_version
                        ),
                        image=image,
                        path=image.dockerfile.path,
                    )
                )
        return out

    def _kuberay_contexts(self) -> list[WorkerContext]:
        """A KubeRay cluster on its own (its image may be built elsewhere): container env,
        runtimeEnvYAML, its RayJob entrypoint. Image contexts already cover it when the image is
        built here; findings at the same place are merged."""
        out = []
        for res in self.repo.kuberay:
            home = self.home_of(res.path)
            project = self.repo.project_for(home)
            lock = self.repo.lock_for(project.dir) if project is not None else None
            ray = self._ray_version(lock, None, None)
            if not ray.known and res.ray_version:
                ray = Version(res.ray_version, f"{res.kind} rayVersion", res.ray_version_location)
            env = {**_container_settings(res), **_runtime_env_settings(res.runtime_env)}
            own = [d for d in self.cluster_drivers if d.location.path == res.path]
            uv = self._uv_version(None)
            for driver in own or [None]:
                worker_env = {**env, **(driver.env_vars if driver else {})}
                out.append(
                    WorkerContext(
                        label=f"{res.kind} {res.name}",
                        env=worker_env,
                        driver=driver,
                        project=project,
                        project_dir=project.dir if project else home,
                        lock=lock,
                        uv=uv,
                        uv_pin=None,
                        ray=ray,
                        integration=integration(worker_env, driver, bool(own), ray),
                        path=res.path,
                    )
                )
        return out

    def home_of(self, path: str) -> str:
        """The directory a file speaks for: a workflow's repository (the folder holding
        `.github/`), else the project (nearest pyproject.toml) it sits in, else the root."""
        m = re.match(r"^(?:(.*)/)?\.github/workflows/", path)
        if m:
            return m.group(1) or ""
        project = self.repo.project_for(dir_of(path))
        return project.dir if project is not None else ""

    def _workflow_contexts(self) -> list[WorkerContext]:
        """CI jobs that run a Ray driver locally under `uv run` (ray.init starts workers there)."""
        out = []
        for wf, job, step, found in self.workflow_commands:
            project = self.repo.project_for(self.step_dir(wf, job, step))
            if project is None or not _depends_on(project, "ray"):
                continue
            for d in _drivers_from(found, step.location, "workflow step", self):
                if d.submit is not None or d.uv_run is None:
                    continue
                env = {
                    name: Setting(name, e.value, e.location, "workflow env")
                    for name, e in wf.effective_env(job, step).items()
                }
                for name, value in d.uv_run.assignments.items():
                    env[name] = Setting(name, value, d.location, "command prefix")
                lock = self.repo.lock_for(project.dir)
                ray = self._ray_version(lock, None, None)
                pin = self._setup_uv_pin(wf, job, step)
                out.append(
                    WorkerContext(
                        label=f"job {job.id} in {wf.path}",
                        env=env,
                        driver=d,
                        project=project,
                        project_dir=project.dir,
                        lock=lock,
                        uv=self._uv_version(pin),
                        uv_pin=pin,
                        ray=ray,
                        integration=integration(env, d, True, ray),
                        path=wf.path,
                    )
                )
        return out

    def script_reader(self, base: str, strip: str = ""):
        """Find a script a command runs, relative to base (a step's directory, a build
        context); `strip` is an image path prefix (the WORKDIR) that maps onto base."""

        def read(word: str):
            path = word
            if strip and (path == strip or path.startswith(strip.rstrip("/") + "/")):
                path = path[len(strip.rstrip("/")) + 1 :]
            if path.startswith("/"):
                return None
            rel = posixpath.normpath(posixpath.join(base, path))
            text = self.repo.script(rel)
            return (rel, text) if text is not None else None

        return read

    def step_dir(self, wf, job, step) -> str:
        """Where a workflow step runs, repo-relative (the checkout is the workflow's home)."""
        workdir = step.working_directory or job.defaults_working_directory or ""
        if "${{" in workdir or workdir.startswith("/"):
            workdir = ""
        joined = posixpath.normpath(posixpath.join(self.home_of(wf.path), workdir))
        return "" if joined in (".", "") else joined

    def _setup_uv_pin(self, wf, job, step) -> UvPin | None:
        pin = None
        for s in job.steps:
            if s is step:
                break
            if s.uses and s.uses.split("@")[0].lower() == "astral-sh/setup-uv":
                v = s.with_.get("version")
                if v is None:
                    pin = UvPin("setup-uv", None, "", s.location)
                else:
                    value = v.value
                    exact = exact_version(value)
                    pin = UvPin("setup-uv", exact, v.raw, v.location, known=value is not None)
        return pin

    def _uv_version(self, pin: UvPin | None) -> Version:
        if pin is not None and pin.version:
            return Version(pin.version, _pin_source(pin), pin.location)
        if self.config.uv_version:
            return Version(self.config.uv_version, "[tool.uvray] uv-version")
        return Version(
            None,
            _pin_source(pin) if pin else "no uv pin found",
            pin.location if pin else None,
            below=pin.below if pin else None,
        )


def _under(path: str, directory: str) -> bool:
    return directory == "" or path == directory or path.startswith(directory + "/")


def _locked_ray(lock: UvLock) -> Version | None:
    versions = lock.versions_of("ray")
    if not versions:
        return None
    pkg = lock.package("ray")
    line = pkg.line if pkg is not None else None
    return Version(versions[0], "uv.lock", Location(lock.path, line or 1))


def _pin_source(pin: UvPin) -> str:
    kinds = {
        "image": "COPY --from uv image",
        "base-image": "base image",
        "pip": "pip install uv",
        "installer": "uv installer",
        "setup-uv": "astral-sh/setup-uv",
        "required-version": "[tool.uv] required-version",
    }
    return f"{kinds.get(pin.kind, pin.kind)} {pin.spec}".strip()


_KEYWORDS = ("uv", "ray", ".sh")


def _may_hold_commands(text: str, env) -> bool:
    """Can this RUN hold a uv/ray command or a script call? Only if its text says uv/ray/.sh,
    or a variable it expands (known values only: unknown ones stay `$X`) brings one in."""
    if any(k in text for k in _KEYWORDS):
        return True
    if "$" not in text:
        return False
    return any(
        var.value is not None and any(k in var.value for k in _KEYWORDS) for var in env.values()
    )


def image_command(stage: Stage):
    """The argv a container of this stage runs, and the instruction that decides it.

    Docker: an exec-form ENTRYPOINT gets CMD appended (a shell-form CMD as `/bin/sh -c …`); a
    shell-form ENTRYPOINT ignores CMD; an ENTRYPOINT resets an inherited CMD."""
    entrypoint = cmd = None
    for step in stage.all_steps():
        if step.instruction.keyword == "ENTRYPOINT":
            entrypoint, cmd = step.instruction, None
        elif step.instruction.keyword == "CMD":
            cmd = step.instruction

    def argv(ins):
        words = ins.exec_form()
        return words if words is not None else ["/bin/sh", "-c", ins.args]

    if entrypoint is not None:
        ep = entrypoint.exec_form()
        if ep is None:
            return ["/bin/sh", "-c", entrypoint.args], entrypoint
        if not ep:  # `ENTRYPOINT []`: the CMD alone
            return (argv(cmd), cmd) if cmd is not None else (None, None)
        return ep + (argv(cmd) if cmd is not None else []), cmd or entrypoint
    if cmd is not None:
        return argv(cmd), cmd
    return None, None


def _is_python(argv: list[str]) -> bool:
    words = [w for w in argv if not w.startswith("-")]
    return bool(words) and bool(re.match(r"^python(\d(\.\d+)?)?$", words[0].rsplit("/", 1)[-1]))


def _copies_uv_binary(args: str) -> bool:
    return bool(re.search(r"(^|\s|/)uvx?(\s|$)", args))


def _heredoc_is_shell(args: str, name: str) -> bool:
    """A RUN heredoc is a shell script when no command precedes it, or the command is a shell."""
    before = args.split("<<", 1)[0].strip()
    if not before:
        return True
    prog = before.split()[0].rsplit("/", 1)[-1]
    return prog in ("sh", "bash", "dash", "ash", "zsh", "ksh")


def _ins_location(df: Dockerfile, ins) -> Location:
    return Location(df.path, ins.line, 1, ins.end_line if ins.end_line != ins.line else None)


def installs_packages(repo: Repo, project: Pyproject) -> bool:
    """Does syncing this project install packages built from its own tree? The project itself
    when packaged, and every packaged workspace member (a virtual root installs its members,
    editable: uv 0.13.9, verified with a moved copy and `uv sync --dry-run`)."""
    if project.packaged:
        return True
    if not project.workspace_members:
        return False
    import fnmatch

    base = project.dir
    for directory, member in repo.pyprojects.items():
        if member is project or not member.packaged:
            continue
        # relpath("") raises: the repository root is ".".
        rel = posixpath.relpath(directory or ".", base) if base else directory
        if rel.startswith(".."):
            continue
        if any(fnmatch.fnmatchcase(rel, g) for g in project.workspace_members) and not any(
            fnmatch.fnmatchcase(rel, g) for g in project.workspace_exclude
        ):
            return True
    return False


def _depends_on(project: Pyproject, name: str) -> bool:
    return any(r.name == name for r in project.dependencies)


def _runtime_env_settings(runtime_env) -> dict[str, Setting]:
    if runtime_env is None:
        return {}
    return {
        name: Setting(name, e.value, e.location, "runtime_env env_vars")
        for name, e in runtime_env.env_vars.items()
    }


def _drivers_from(
    found: list[Recognised], location: Location, origin: str, facts: Facts
) -> list[Driver]:
    drivers = []
    for item in found:
        if isinstance(item, UvCommand) and item.sub == "run" and _runs_a_driver(item):
            drivers.append(Driver(item.words, item.location, origin, item, runs_locally=True))
        elif isinstance(item, RaySubmit):
            uv_run = next(
                (
                    c
                    for c in item.entrypoint_commands
                    if isinstance(c, UvCommand) and c.sub == "run"
                ),
                None,
            )
            runtime_env = _submit_runtime_env(item, facts)
            drivers.append(
                Driver(
                    item.entrypoint,
                    item.location,
                    "ray job submit",
                    uv_run,
                    item,
                    _runtime_env_settings(runtime_env),
                    working_dir=item.working_dir
                    or (runtime_env.working_dir if runtime_env else None),
                    py_executable=_py_executable(runtime_env),
                    runtime_env=runtime_env,
                )
            )
    return drivers


def _py_executable(runtime_env) -> UvCommand | None:
    """runtime_env `py_executable: "uv run …"` as a uv command (RIA (c))."""
    if runtime_env is None or not runtime_env.py_executable:
        return None
    words = runtime_env.py_executable.split()
    loc = runtime_env.key_locations.get("py_executable", runtime_env.location)
    cmd = parse_uv(words, {}, loc)
    return cmd if cmd is not None and cmd.sub == "run" else None


def _container_settings(resource) -> dict[str, Setting]:
    """KubeRay container env: head first, then worker groups (the env the workers' pods get)."""
    out: dict[str, Setting] = {}
    for group in ("head", "worker"):
        for container in resource.containers:
            if container.group != group:
                continue
            for name, e in container.env.items():
                out[name] = Setting(
                    name, e.value, e.location, f"KubeRay {group} container env", e.raw
                )
    return out


def _runs_a_driver(cmd: UvCommand) -> bool:
    if not cmd.command:
        return False
    prog = cmd.command[0].rsplit("/", 1)[-1]
    if prog == "ray":
        return False  # `uv run ray start/submit`: not a driver (RUV213 territory)
    return prog not in _NOT_DRIVERS


def _submit_runtime_env(submit: RaySubmit, facts: Facts):
    """The runtime_env a `ray job submit` passes (--runtime-env-json, or a --runtime-env file)."""
    if submit.runtime_env_json:
        from uvray.readers.rayconfig import parse_runtime_env_json

        runtime_env, _errors = parse_runtime_env_json(submit.runtime_env_json, submit.location)
        return runtime_env
    if submit.runtime_env:
        wanted = posixpath.normpath(submit.runtime_env)
        for runtime_env in facts.repo.runtime_envs:
            if runtime_env.path == wanted or runtime_env.path.endswith("/" + wanted):
                return runtime_env
    return None


def integration(
    env: Mapping[str, Setting], driver: Driver | None, any_driver_seen: bool, ray: Version
) -> Integration:
    """domain.md §4 RIA: (a) the hook variable, (b) Ray >= 2.47 with a `uv run` driver."""
    hook = env.get("RAY_RUNTIME_ENV_HOOK")
    under_uv_run = driver is not None and driver.uv_run is not None
    if driver is not None and driver.py_executable is not None and not under_uv_run:
        return Integration(
            True,
            f"the runtime_env's py_executable starts every worker with `{' '.join(driver.py_executable.words)}`",
            driver.py_executable.location,
        )
    if hook is not None and hook.value == UV_HOOK:
        if under_uv_run or not any_driver_seen:
            return Integration(
                True, f"RAY_RUNTIME_ENV_HOOK names Ray's uv hook ({hook.origin})", hook.location
            )
        return Integration(
            False, "the uv hook is set but the driver does not run under `uv run`", hook.location
        )
    if not under_uv_run:
        return Integration(False, "no driver runs under `uv run`", None)
    assert driver is not None
    flag = env.get("RAY_ENABLE_UV_RUN_RUNTIME_ENV")
    if flag is not None and falsy(flag.value):
        return Integration(False, "RAY_ENABLE_UV_RUN_RUNTIME_ENV disables it", flag.location)
    older = version_lt(ray.value, _RAY_DEFAULT_ON)
    if older is True:
        return Integration(
            False, f"Ray {ray.value} ({ray.source}) predates the default integration", None
        )
    if older is None:
        return Integration(
            True,
            f"the driver runs under `uv run` ({driver.origin}); Ray's version is unknown, assumed "
            "≥ 2.47 where this is the default (set [tool.uvray] ray-version to say otherwise)",
            driver.location,
            assumed=True,
        )
    return Integration(
        True,
        f"the driver runs under `uv run` ({driver.origin}) and Ray {ray.value} ({ray.source}) "
        "starts every worker with it by default",
        driver.location,
    )


def uv_without_env_lock(version: Version) -> bool | None:
    """True when this uv has no environment lock in `uv run` (< 0.7.14, astral-sh/uv PR #14153);
    also for a floating tag or range whose every release is older (`uv:0.6`)."""
    return version.older_than(_UV_ENV_LOCK)


@dataclass
class CommandUse:
    """A uv command with the environment it runs in and the uv that runs it."""

    cmd: UvCommand
    env: Mapping[str, Setting]
    uv: Version
    where: str
    # For Dockerfile RUNs: the step (its workdir, mounts); None elsewhere.
    step: Step | None = None
    dockerfile: Dockerfile | None = None
    stage: Stage | None = None
    # For workflow steps: the step's working-directory (repo-relative), if any.
    workdir: str | None = None

    def setting(self, name: str) -> Setting | None:
        if name in self.cmd.assignments:
            origin = (
                "exported earlier in the script" if name in self.cmd.exported else "command prefix"
            )
            return Setting(name, self.cmd.assignments[name], self.cmd.location, origin)
        return self.env.get(name)


def _var_origin(var) -> str:
    if var.kind == "build-arg":
        return "a build argument"
    return f"{var.kind} on line {var.location.line}"


class _VarSettings(Mapping):
    """Dockerfile ARG/ENV values seen as Settings, made on access: a RUN's env has dozens of
    variables and the rules ask for two or three."""

    def __init__(self, variables) -> None:
        self._vars = variables

    def __getitem__(self, name: str) -> Setting:
        var = self._vars[name]
        return Setting(name, var.value, var.location, _var_origin(var), var.raw)

    def __iter__(self):
        return iter(self._vars)

    def __len__(self) -> int:
        return len(self._vars)

    def __contains__(self, name: object) -> bool:
        return name in self._vars


def _settings_from_vars(variables) -> Mapping[str, Setting]:
    return _VarSettings(variables)


def uv_commands(facts: Facts) -> list[CommandUse]:
    """Every uv command uvray can see, where it runs, with its env: RUN, CMD, workflow steps, and
    the driver's `uv run` as Ray's workers repeat it on a cluster."""
    if facts._uv_commands is not None:
        return facts._uv_commands
    uses: list[CommandUse] = []
    for df in facts.repo.dockerfiles:
        for stage in df.stages:
            pins = facts.uv_pins(df, stage)
            steps = stage.all_steps()
            first = len(steps) - len(stage.steps)  # this stage's own steps; parents' are theirs
            for index in range(first, len(steps)):
                step = steps[index]
                if step.instruction.keyword != "RUN":
                    continue
                commands = [c for c in facts.run_commands(df, step)[0] if isinstance(c, UvCommand)]
                if not commands:
                    continue
                # The uv on PATH when this RUN starts, or one it installs itself.
                before = [pin for i, pin in pins if i <= index]
                uv = facts._uv_version(before[-1] if before else None)
                env = _settings_from_vars(step.shell_env())
                uses.extend(CommandUse(cmd, env, uv, "RUN", step, df, stage) for cmd in commands)
    for image in facts.images:
        uv = facts._uv_version(image.uv_pins[-1] if image.uv_pins else None)
        env = _settings_from_vars(image.stage.env)
        for driver in image.drivers:
            if driver.uv_run is not None:
                uses.append(
                    CommandUse(
                        driver.uv_run, env, uv, "image command", None, image.dockerfile, image.stage
                    )
                )
    for wf, job, step, found in facts.workflow_commands:
        env = {
            name: Setting(name, e.value, e.location, "workflow env")
            for name, e in wf.effective_env(job, step).items()
        }
        uv = facts._uv_version(facts._setup_uv_pin(wf, job, step))
        for cmd in found:
            # A `ray job submit` entrypoint runs on the cluster, not in this step's env: the
            # worker contexts below carry it.
            if isinstance(cmd, UvCommand):
                workdir = facts.step_dir(wf, job, step)
                uses.append(CommandUse(cmd, env, uv, "workflow step", workdir=workdir))
    for ctx in facts.contexts:
        driver = ctx.driver
        if (
            ctx.image is not None
            and driver is not None
            and driver.submit is not None
            and driver.uv_run is not None
        ):
            uses.append(
                CommandUse(
                    ctx.driver.uv_run, ctx.env, ctx.uv, f"Ray driver and workers on {ctx.label}"
                )
            )
    facts._uv_commands = uses
    return uses


# --- runtime_envs ------------------------------------------------------------------------------


def all_runtime_envs(repo: Repo, facts: Facts) -> list[RuntimeEnv]:
    """Every runtime_env uvray reads, once each: files, KubeRay, `ray job submit` JSON."""
    from uvray.readers import rayconfig

    seen: set[int] = set()
    out: list[RuntimeEnv] = []

    def add(env: object) -> None:
        if isinstance(env, rayconfig.RuntimeEnv) and id(env) not in seen:
            seen.add(id(env))
            out.append(env)

    for env in repo.runtime_envs:
        add(env)
    for res in repo.kuberay:
        for env in res.all_runtime_envs:
            add(env)
    for driver in facts.cluster_drivers:
        add(driver.runtime_env)
    return out


def uv_run_runtime_envs(repo: Repo, facts: Facts) -> Iterator[tuple[WorkerContext, RuntimeEnv]]:
    """(context, runtime_env) for every driver under `uv run` with the integration active."""
    for ctx in facts.contexts:
        driver = ctx.driver
        if driver is None or driver.uv_run is None or not ctx.integration.active:
            continue
        runtime_env = driver.runtime_env
        if runtime_env is not None:
            yield ctx, runtime_env
