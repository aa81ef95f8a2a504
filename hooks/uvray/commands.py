"""Recognisers: shell words → uv invocations, `ray job submit`, `ray start`, and uv version pins.

One recogniser for every place a command can appear (Dockerfile RUN/CMD/ENTRYPOINT, workflow
`run:`, KubeRay entrypoints, `ray job submit -- <cmd>`), so a rule never matches text itself.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Callable, Union

from uvray.findings import Location
from uvray.readers.shell import Lookup, split_commands

# Options of uv (any subcommand) that take a value; everything else starting with '-' is a flag.
_UV_VALUE_OPTIONS = {
    "python", "p", "project", "directory", "extra", "group", "no-group", "only-group", "package",
    "with", "with-requirements", "with-editable", "index", "index-url", "i", "extra-index-url",
    "find-links", "f", "link-mode", "config-file", "cache-dir", "env-file", "no-binary-package",
    "no-build-package", "prerelease", "resolution", "exclude-newer", "exclude-newer-package",
    "index-strategy", "keyring-provider", "python-platform", "python-version", "refresh-package",
    "reinstall-package", "upgrade-package", "P", "color", "output-format", "no-install-package",
    "script", "config-setting", "C", "fork-strategy", "allow-insecure-host", "python-preference",
    "editable", "e", "requirements", "r", "constraints", "constraint", "c", "overrides",
    "override", "output-file", "o", "target", "prefix", "build-constraints", "b", "default-index",
    "torch-backend", "prompt", "emit-index-annotation", "format", "from", "only-binary",
    "no-binary", "build-constraint", "excludes", "exclude", "all-packages-except", "lock-timeout",
    "check-url", "directory-reference", "cache-key", "install-dir", "bin-dir", "env", "dependency",
    "no-emit-package", "seed-package", "extra-build-dependencies", "group-by", "bounds",
    "preview-features", "python-install-mirror", "pypy-install-mirror", "python-downloads-json-url",
}  # fmt: skip
_UV_GLOBAL_FLAGS_WITH_VALUE = {
    "directory",
    "project",
    "cache-dir",
    "config-file",
    "color",
    "python",
}
_RELEVANT_PROGRAMS = {"uv", "uvx", "ray", "source", ".", "pipx", "curl", "wget"}
_NESTED_SUBCOMMANDS = {"pip", "tool", "python", "self", "cache", "auth"}
_SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh"}
_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")
_PIP = re.compile(r"^pip\d(\.\d+)?$")
_NEWLINE = re.compile("\n")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_EXACT = re.compile(r"^v?(\d+\.\d+\.\d+(?:(?:a|b|rc|\.post|\.dev)\d+)?)$")
# `uv`, `uv==0.7.13`, `uv[extra]>=0.7`, `"uv === 0.8.0"`; not uv-dynamic-versioning, uvicorn, uvx.
_UV_REQUIREMENT = re.compile(
    r"^uv(?:\[[^\]]*\])?\s*(===|==|~=|>=|<=|<|>|!=)?\s*([^;\s]*)$", re.IGNORECASE
)
_VERSION = re.compile(r"^v?(\d+(?:\.\d+){1,3}(?:[a-z]+\d*)?)")
_INSTALLER_URL = re.compile(
    r"astral\.sh/uv/(?:(?P<v1>[0-9][\w.]*)/)?install\.(?:sh|ps1)"
    r"|github\.com/astral-sh/uv/releases/(?:download/(?P<v2>[0-9][\w.]*)|latest/download)/"
)


@dataclass
class UvCommand:
    # "sync", "run", "lock", "pip install", "pip sync", "venv", "tool run", "export", ...
    sub: str
    options: dict[str, list[str | None]]
    positionals: list[str]
    # For `uv run` / `uvx`: the command uv will execute.
    command: list[str]
    assignments: dict[str, str | None]
    location: Location
    words: list[str] = field(default_factory=list)
    # Names among `assignments` that came from an earlier `export` in the same script.
    exported: frozenset[str] = frozenset()

    def has(self, *names: str) -> bool:
        return any(name in self.options for name in names)

    def value(self, name: str) -> str | None:
        values = self.options.get(name)
        return values[-1] if values else None

    @property
    def is_project_command(self) -> bool:
        """Commands that use the project environment and uv.lock (not the pip interface)."""
        return self.sub in {"sync", "run", "lock", "export", "tree", "add", "remove", "version"}

    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class RaySubmit:
    runtime_env: str | None
    runtime_env_json: str | None
    working_dir: str | None
    entrypoint: list[str]
    location: Location
    # Commands found in the entrypoint (the driver), e.g. a `uv run`.
    entrypoint_commands: list[Recognised] = field(default_factory=list)


@dataclass
class RayStart:
    head: bool
    location: Location
    words: list[str]


@dataclass
class UvPin:
    """Where an environment gets its uv from, and which version that is."""

    kind: str  # "image", "pip", "installer", "setup-uv", "required-version", "base-image"
    # The exact version when pinned (e.g. "0.7.13"); None when unpinned or unknown.
    version: str | None
    # What was written: a tag, a requirement spec, "latest", or "" when nothing was.
    spec: str
    location: Location
    known: bool = True
    # Pinned by image digest: immutable even when no version number is visible.
    digest: bool = False

    @property
    def pinned(self) -> bool:
        return self.version is not None or self.digest

    @property
    def below(self) -> tuple[int, ...] | None:
        """A version every release this pin can resolve to is below: `0.6`, `0.6.x`, `==0.6.*`
        → (0, 7); `<0.7.14` → (0, 7, 14); None when unbounded or exact."""
        return upper_bound(self.spec)


def upper_bound(spec: str) -> tuple[int, ...] | None:
    text = spec.strip().lstrip("=").strip()
    m = re.match(r"^v?(\d+)\.(\d+)(?:\.(?:x|\*))?(?:-.*)?$", text)
    if m:  # a floating series
        return (int(m.group(1)), int(m.group(2)) + 1)
    m = re.match(r"^<\s*v?(\d+(?:\.\d+)*)$", text)
    if m:
        return tuple(int(p) for p in m.group(1).split("."))
    m = re.match(r"^<=\s*v?(\d+(?:\.\d+)*)$", text)
    if m:
        return (*tuple(int(p) for p in m.group(1).split(".")), 1)
    return None


Recognised = Union[UvCommand, RaySubmit, RayStart]


@dataclass
class Site:
    """A piece of shell text at a place in a file, to turn offsets into locations."""

    path: str
    text: str
    line_of: Callable[[int], int]
    lookup: Lookup | None = None


def site_for_lines(path: str, text: str, first_line: int, lookup: Lookup | None = None) -> Site:
    """Shell text whose line i (0-based) is file line first_line + i."""
    newlines = [m.start() for m in _NEWLINE.finditer(text)]

    def line_of(offset: int) -> int:
        return first_line + bisect.bisect_left(newlines, offset)

    return Site(path, text, line_of, lookup)


# Given a script word as written (`./scripts/submit.sh`), the script's repo path and text, or None.
ScriptReader = Callable[[str], "tuple[str, str] | None"]


def script_word(words: list[str]) -> str | None:
    """The shell script a command runs: `./x.sh`, `scripts/x.sh`, `bash -e x.sh`, `. x.sh`."""
    if not words:
        return None
    prog = words[0]
    if prog in ("source", ".") and len(words) > 1:
        return words[1] if words[1].endswith(".sh") else None
    if _basename(prog) in _SHELLS:
        rest = [w for w in words[1:] if not w.startswith("-")]
        if "-c" in words or any(
            w.startswith("-") and "c" in w[1:] and not w.startswith("--") for w in words[1:]
        ):
            return None
        return rest[0] if rest and rest[0].endswith(".sh") else None
    if prog.endswith(".sh") and ("/" in prog):
        return prog
    return None


def recognise_site(
    site: Site, read_script: ScriptReader | None = None, depth: int = 0
) -> tuple[list[Recognised], list[UvPin]]:
    """All uv/ray commands and uv pins in a piece of shell text (and in the repo's shell
    scripts it runs, when read_script can find them: locations then point into the script)."""
    found: list[Recognised] = []
    pins: list[UvPin] = []
    # `export UV_FROZEN=1 && uv sync --locked`: exported variables reach the later commands.
    exported: dict[str, str | None] = {}
    for cmd in split_commands(site.text, site.lookup):
        if cmd.words[:1] == ["export"]:
            for word, known in zip(cmd.words[1:], cmd.known[1:]):
                name, eq, value = word.partition("=")
                if eq and _NAME.match(name):
                    exported[name] = value if known else None
            continue
        if cmd.words[:1] == ["unset"]:
            for name in cmd.words[1:]:
                exported.pop(name, None)
            continue
        if not _may_matter(cmd.words):
            continue  # apt-get, rm, echo…: nothing uvray recognises, not even wrapped
        line = site.line_of(cmd.offset)
        end = site.line_of(max(cmd.offset, cmd.end_offset - 1))
        loc = Location(site.path, line, 1, end if end != line else None)
        env = {**exported, **cmd.assignments}
        recognised = recognise_words(cmd.words, env, loc, site.lookup)
        for item in recognised:
            if isinstance(item, UvCommand) and exported:
                item.exported = frozenset(n for n in exported if n not in cmd.assignments)
        found.extend(recognised)
        pins.extend(pins_in_words(cmd.words, loc))
        script = script_word(cmd.words) if read_script is not None and depth < 3 else None
        if script is not None:
            target = read_script(script)
            if target is not None:
                path, text = target
                inner = site_for_lines(path, text, 1, site.lookup)
                more, more_pins = recognise_site(inner, read_script, depth + 1)
                found.extend(more)
                pins.extend(more_pins)
    return found, pins


def _may_matter(words: list[str]) -> bool:
    """Could this command be, run, install or fetch uv or ray (directly or through a wrapper,
    a shell or a script)? A cheap test that lets most commands of a RUN go by."""
    if not words:
        return False
    prog = _basename(words[0])
    if prog in _RELEVANT_PROGRAMS or prog in _WRAPPERS or prog in _SHELLS or prog == "env":
        return True
    if prog.startswith(("python", "pip", "uv")) or prog.endswith(".sh"):
        return True
    return any("astral" in w or "uv" in w for w in words)


def recognise_words(
    words: list[str],
    assignments: dict[str, str | None],
    location: Location,
    lookup: Lookup | None = None,
    depth: int = 0,
) -> list[Recognised]:
    """Recognise one simple command, unwrapping exec/env/sudo/`sh -c` wrappers."""
    if depth > 5:
        return []
    words, assignments = unwrap(words, dict(assignments))
    if not words:
        return []
    prog = _basename(words[0])
    if prog in _SHELLS:
        script = _shell_c_script(words)
        if script is None:
            return []
        out: list[Recognised] = []
        for cmd in split_commands(script, lookup):
            merged = dict(assignments)
            merged.update(cmd.assignments)
            out.extend(recognise_words(cmd.words, merged, location, lookup, depth + 1))
        return out
    uv = parse_uv(words, assignments, location)
    if uv is not None:
        if uv.sub in ("run", "tool run") and uv.command:
            # `uvx --from ray ray job submit …`, `uv run bash -c "…"`: what uv runs counts too.
            return [uv, *recognise_words(uv.command, assignments, location, lookup, depth + 1)]
        return [uv]
    if prog == "ray" and len(words) > 1:
        return _parse_ray(words, location, lookup, depth)
    return []


# Wrappers that run the rest of the line: the options that take a value, and how many
# positional arguments come before the command (timeout's DURATION, gosu's USER).
_WRAPPERS = {
    "exec": ({"-a"}, 0),
    "nohup": (set(), 0),
    "time": ({"-f", "-o", "--format", "--output"}, 0),
    "command": (set(), 0),
    "builtin": (set(), 0),
    "stdbuf": ({"-i", "-o", "-e"}, 0),
    "setsid": (set(), 0),
    "tini": ({"-s", "-p", "-e", "-l"}, 0),
    "dumb-init": ({"-r", "--rewrite"}, 0),
    "chpst": ({"-u", "-U", "-e", "-n", "-m", "-d", "-o", "-p", "-f", "-c", "-r", "-t"}, 0),
    "gosu": (set(), 1),
    "su-exec": (set(), 1),
    "timeout": ({"-s", "--signal", "-k", "--kill-after"}, 1),
    "nice": ({"-n", "--adjustment"}, 0),
    "ionice": ({"-c", "--class", "-n", "--classdata", "-p", "--pid"}, 0),
    "chrt": (set(), 1),
    "taskset": (set(), 1),
    "sudo": ({"-u", "-g", "-h", "-p", "-C", "-D", "-R", "-T", "-U", "--user", "--group"}, 0),
}


def unwrap(words: list[str], assignments: dict[str, str | None]):
    """Strip exec/env/sudo/nohup/timeout/gosu… prefixes; env's and sudo's VAR=x become
    assignments. Returns the words of the command that really runs."""
    while words:
        prog = _basename(words[0])
        if prog == "command" and len(words) > 1 and words[1] in ("-v", "-V"):
            return [], assignments  # `command -v uv`: a lookup, not a run
        if prog == "env":
            words = words[1:]
            while words and (words[0].startswith("-") or "=" in words[0]):
                if "=" in words[0] and not words[0].startswith("-"):
                    name, _, value = words[0].partition("=")
                    assignments[name] = value
                elif words[0] in ("-u", "--unset", "-C", "--chdir") and len(words) > 1:
                    if words[0] in ("-u", "--unset"):
                        assignments.pop(words[1], None)
                    words = words[1:]
                words = words[1:]
            continue
        spec = _WRAPPERS.get(prog)
        if spec is None:
            break
        takes_value, positionals = spec
        words = words[1:]
        while words and words[0].startswith("-") and words[0] != "--":
            option = words[0].split("=", 1)[0]
            words = words[2:] if option in takes_value and "=" not in words[0] else words[1:]
        if words and words[0] == "--":
            words = words[1:]
        words = words[positionals:]
        if prog == "sudo":
            while words and _NAME_ASSIGNMENT.match(words[0]):
                name, _, value = words[0].partition("=")
                assignments[name] = value
                words = words[1:]
    return words, assignments


def _shell_c_script(words: list[str]) -> str | None:
    for i, w in enumerate(words[1:], start=1):
        if w.startswith("-") and not w.startswith("--") and "c" in w[1:]:
            return words[i + 1] if i + 1 < len(words) else None
        if not w.startswith("-"):
            return None
    return None


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def is_uv_program(words: list[str]) -> int:
    """How many words name uv: 1 for `uv`/`/uv`/`uvx`, 3 for `python -m uv`; 0 otherwise."""
    if not words:
        return 0
    prog = _basename(words[0])
    if prog in ("uv", "uvx", "uv.exe"):
        return 1
    if _PYTHON.match(prog) and len(words) >= 3 and words[1:3] == ["-m", "uv"]:
        return 3
    return 0


def parse_uv(
    words: list[str], assignments: dict[str, str | None], location: Location
) -> UvCommand | None:
    n = is_uv_program(words)
    if not n:
        return None
    rest = words[n:]
    options: dict[str, list[str | None]] = {}
    if _basename(words[0]) == "uvx":
        sub_words = ["tool", "run"]
    else:
        # Global options may precede the subcommand: `uv --no-cache sync`.
        while rest and rest[0].startswith("-"):
            rest = _take_option(rest, options, _UV_GLOBAL_FLAGS_WITH_VALUE)
        if not rest:
            return UvCommand("", options, [], [], assignments, location, words)
        sub_words = [rest[0]]
        rest = rest[1:]
        if sub_words[0] in _NESTED_SUBCOMMANDS and rest and not rest[0].startswith("-"):
            sub_words.append(rest[0])
            rest = rest[1:]
    sub = " ".join(sub_words)
    stops_at_command = sub in ("run", "tool run")
    positionals: list[str] = []
    command: list[str] = []
    while rest:
        word = rest[0]
        if word == "--":
            if stops_at_command:
                command = rest[1:]
            else:
                positionals.extend(rest[1:])
            break
        if word.startswith("-") and word != "-":
            rest = _take_option(rest, options, _UV_VALUE_OPTIONS)
            continue
        if stops_at_command:
            command = rest
            break
        positionals.append(word)
        rest = rest[1:]
    return UvCommand(sub, options, positionals, command, assignments, location, words)


def _take_option(rest: list[str], options: dict[str, list[str | None]], takes_value: set[str]):
    word = rest[0]
    if word.startswith("--"):
        name, eq, value = word[2:].partition("=")
        if eq:
            options.setdefault(name, []).append(value)
            return rest[1:]
        if name in takes_value and len(rest) > 1:
            options.setdefault(name, []).append(rest[1])
            return rest[2:]
        options.setdefault(name, []).append(None)
        return rest[1:]
    # Short options: -q, -qq, -p 3.11, -p3.11, -v
    letters = word[1:]
    if letters and letters[0] in takes_value:
        if len(letters) > 1:
            options.setdefault(letters[0], []).append(letters[1:])
            return rest[1:]
        if len(rest) > 1:
            options.setdefault(letters[0], []).append(rest[1])
            return rest[2:]
    for letter in letters:
        options.setdefault(letter, []).append(None)
    return rest[1:]


_RAY_SUBMIT_VALUE_OPTIONS = {
    "address", "runtime-env", "runtime-env-json", "working-dir", "submission-id", "job-id",
    "entrypoint-num-cpus", "entrypoint-num-gpus", "entrypoint-memory", "entrypoint-resources",
    "metadata-json", "headers", "verify", "log-style", "log-color", "entrypoint-label-selector",
}  # fmt: skip


def _parse_ray(words, location, lookup, depth) -> list[Recognised]:
    sub = words[1:3]
    if sub[:2] == ["job", "submit"]:
        rest = words[3:]
        opts: dict[str, list[str | None]] = {}
        entry: list[str] = []
        while rest:
            if rest[0] == "--":
                entry = rest[1:]
                break
            if rest[0].startswith("-"):
                rest = _take_option(rest, opts, _RAY_SUBMIT_VALUE_OPTIONS)
                continue
            entry = rest
            break
        submit = RaySubmit(
            runtime_env=(opts.get("runtime-env") or [None])[-1],
            runtime_env_json=(opts.get("runtime-env-json") or [None])[-1],
            working_dir=(opts.get("working-dir") or [None])[-1],
            entrypoint=entry,
            location=location,
        )
        if len(entry) == 1 and " " in entry[0]:
            # `ray job submit -- "uv run main.py"`: Ray runs the entrypoint through a shell.
            for cmd in split_commands(entry[0], lookup):
                submit.entrypoint_commands.extend(
                    recognise_words(cmd.words, cmd.assignments, location, lookup, depth + 1)
                )
        elif entry:
            submit.entrypoint_commands = recognise_words(entry, {}, location, lookup, depth + 1)
        return [submit]
    if sub[:1] == ["start"]:
        return [RayStart("--head" in words, location, words)]
    return []


def recognise_entrypoint(
    text: str, location: Location, lookup: Lookup | None = None
) -> list[Recognised]:
    """A job entrypoint string (KubeRay `entrypoint:`, runtime command): shell text at one place."""
    out: list[Recognised] = []
    for cmd in split_commands(text, lookup):
        out.extend(recognise_words(cmd.words, cmd.assignments, location, lookup))
    return out


# ---------------------------------------------------------------------------------------------
# uv version pins


def version_from_tag(tag: str) -> str | None:
    m = _VERSION.match(tag)
    return m.group(1) if m else None


def uv_image_pin(image: str, location: Location, known: bool = True) -> UvPin | None:
    """`ghcr.io/astral-sh/uv:0.7.13` (COPY --from or FROM) → a pin; None if not a uv image."""
    name, _, digest = image.partition("@")
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    if repo.rstrip("/").split("/")[-2:] not in (["astral-sh", "uv"], ["astral", "uv"]):
        return None  # ghcr.io/astral-sh/uv, or Docker Hub's astral/uv
    if not known:
        return UvPin("image", None, tag, location, known=False)
    # `uv:0.7` floats to the newest 0.7.x: not an exact version. `uv:0.8.3-python3.12-…` is.
    head = tag.split("-", 1)[0] if tag else ""
    version = exact_version(head)
    spec = tag or ("@" + digest if digest else "")
    return UvPin("image", version, spec, location, digest=bool(digest))


def exact_version(text: str | None) -> str | None:
    """`0.7.13` → itself; `0.7`, `0.8.*`, `0.7.x`, `latest`, ranges → None (not one release)."""
    if not text:
        return None
    m = _EXACT.match(text.strip())
    return m.group(1) if m else None


def pins_in_words(words: list[str], location: Location) -> list[UvPin]:
    """`pip install uv==X`, `pipx install uv==X`, `uv pip install uv==X`, installer URLs."""
    pins: list[UvPin] = []
    for word in words:
        m = _INSTALLER_URL.search(word) if "astral" in word or "github" in word else None
        if m:
            version = m.group("v1") or m.group("v2")
            pins.append(UvPin("installer", exact_version(version), version or "", location))
    words_wo, _ = unwrap(list(words), {})
    start = _pip_install_args(words_wo)
    if start is None:
        return pins
    for word in words_wo[start:]:
        m = _UV_REQUIREMENT.match(word)
        if not m:
            continue
        op, spec = m.group(1), m.group(2)
        if op is None:
            if spec:
                continue  # uvicorn, uvloop: another package
            pins.append(UvPin("pip", None, "", location))
        elif op in ("==", "==="):
            pins.append(UvPin("pip", exact_version(spec), op + spec, location))
        else:
            pins.append(UvPin("pip", None, op + spec, location))
    return pins


def _pip_install_args(words: list[str]) -> int | None:
    """Index of the first argument after `… install`, or None if this is not a pip install."""
    if not words:
        return None
    prog = _basename(words[0])
    if prog in ("pip", "pip3", "pipx") or _PIP.match(prog):
        return 2 if words[1:2] == ["install"] else None
    if _PYTHON.match(prog):
        return 4 if words[1:4] == ["-m", "pip", "install"] else None
    if prog == "uv" and words[1:3] in (["pip", "install"], ["tool", "install"]):
        return 3
    return None
