"""Recognisers: words → uv invocations (through wrappers and `sh -c`), `ray job submit`,
`ray start`, and where a uv version comes from (images, pip, installers)."""

from __future__ import annotations

import shlex

import pytest

from uvray.commands import (
    RayStart,
    RaySubmit,
    UvCommand,
    exact_version,
    is_uv_program,
    parse_uv,
    pins_in_words,
    recognise_entrypoint,
    recognise_site,
    recognise_words,
    site_for_lines,
    unwrap,
    uv_image_pin,
    version_from_tag,
)
from uvray.config import Config
from uvray.facts import Facts
from uvray.findings import Location
from uvray.model import Repo, _add

LOC = Location("Dockerfile", 3)


def uv(text: str) -> UvCommand | None:
    return parse_uv(shlex.split(text), {}, LOC)


def recognise(text: str, assignments: dict | None = None):
    return recognise_words(shlex.split(text), assignments or {}, LOC)


def summary(found) -> list[tuple]:
    out = []
    for item in found:
        if isinstance(item, UvCommand):
            out.append(("uv", item.sub, item.assignments))
        elif isinstance(item, RaySubmit):
            out.append(("submit",))
        elif isinstance(item, RayStart):
            out.append(("start", item.head))
    return out


# --- parse_uv -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sub", "options", "positionals", "command"),
    [
        pytest.param(
            "uv sync --locked --no-install-project",
            "sync",
            {"locked": [None], "no-install-project": [None]},
            [],
            [],
            id="sync-flags",
        ),
        pytest.param(
            "uv run --frozen --with x python main.py",
            "run",
            {"frozen": [None], "with": ["x"]},
            [],
            ["python", "main.py"],
            id="run-splits-command",
        ),
        pytest.param("uv run -- python x", "run", {}, [], ["python", "x"], id="run-double-dash"),
        pytest.param(
            "uv run script.py --frozen",
            "run",
            {},
            [],
            ["script.py", "--frozen"],
            id="flags-after-command-are-its",
        ),
        pytest.param(
            "uv run --with=ray --env-file .env python x",
            "run",
            {"with": ["ray"], "env-file": [".env"]},
            [],
            ["python", "x"],
            id="run-equals-and-value",
        ),
        pytest.param(
            "uv --no-cache sync", "sync", {"no-cache": [None]}, [], [], id="global-option-first"
        ),
        pytest.param(
            "uv --directory sub --project=/p sync",
            "sync",
            {"directory": ["sub"], "project": ["/p"]},
            [],
            [],
            id="global-options-with-values",
        ),
        pytest.param(
            "uv -qv sync", "sync", {"q": [None], "v": [None]}, [], [], id="combined-short-flags"
        ),
        pytest.param("python -m uv sync", "sync", {}, [], [], id="python-m-uv"),
        pytest.param(
            "python3.12 -m uv sync --frozen",
            "sync",
            {"frozen": [None]},
            [],
            [],
            id="python3.12-m-uv",
        ),
        pytest.param("/bin/uv sync", "sync", {}, [], [], id="absolute-path"),
        pytest.param(
            "/root/.local/bin/uv lock --check", "lock", {"check": [None]}, [], [], id="local-bin"
        ),
        pytest.param("uvx ruff check", "tool run", {}, [], ["ruff", "check"], id="uvx"),
        pytest.param(
            "uvx --from ruff==0.6 ruff",
            "tool run",
            {"from": ["ruff==0.6"]},
            [],
            ["ruff"],
            id="uvx-from",
        ),
        pytest.param("uv tool run ruff", "tool run", {}, [], ["ruff"], id="tool-run"),
        pytest.param(
            "uv pip install -e .", "pip install", {"e": ["."]}, [], [], id="pip-install-editable"
        ),
        pytest.param(
            "uv pip install -r req.txt ray",
            "pip install",
            {"r": ["req.txt"]},
            ["ray"],
            [],
            id="pip-install-requirements",
        ),
        pytest.param("uv pip sync req.txt", "pip sync", {}, ["req.txt"], [], id="pip-sync"),
        pytest.param("uv venv", "venv", {}, [], [], id="venv"),
        pytest.param("uv venv /opt/venv", "venv", {}, ["/opt/venv"], [], id="venv-path"),
        pytest.param("uv sync -p 3.11", "sync", {"p": ["3.11"]}, [], [], id="short-option-space"),
        pytest.param("uv sync -p3.11", "sync", {"p": ["3.11"]}, [], [], id="short-option-glued"),
        pytest.param(
            "uv sync --python=3.11", "sync", {"python": ["3.11"]}, [], [], id="long-equals"
        ),
        pytest.param(
            "uv sync --python 3.11", "sync", {"python": ["3.11"]}, [], [], id="long-space"
        ),
        pytest.param(
            "uv sync --extra a --extra b",
            "sync",
            {"extra": ["a", "b"]},
            [],
            [],
            id="repeated-option",
        ),
        pytest.param(
            "uv sync --no-group dev", "sync", {"no-group": ["dev"]}, [], [], id="no-group-value"
        ),
        pytest.param("uv sync -- extra", "sync", {}, ["extra"], [], id="double-dash-positional"),
        pytest.param("uv self update", "self update", {}, [], [], id="self-update"),
        pytest.param("uv cache clean", "cache clean", {}, [], [], id="cache-clean"),
        pytest.param(
            "uv python install 3.12", "python install", {}, ["3.12"], [], id="python-install"
        ),
        pytest.param("uv tool install ruff", "tool install", {}, ["ruff"], [], id="tool-install"),
        pytest.param(
            "uv export --no-hashes -o req.txt",
            "export",
            {"no-hashes": [None], "o": ["req.txt"]},
            [],
            [],
            id="export",
        ),
        pytest.param(
            "uv add 'ray[default]>=2.47'", "add", {}, ["ray[default]>=2.47"], [], id="add"
        ),
        pytest.param("uv", "", {}, [], [], id="bare"),
        pytest.param("uv --version", "", {"version": [None]}, [], [], id="version-only"),
    ],
)
def test_parse_uv(text: str, sub: str, options, positionals, command) -> None:
    cmd = uv(text)
    assert cmd is not None
    assert (cmd.sub, cmd.options, cmd.positionals, cmd.command) == (
        sub,
        options,
        positionals,
        command,
    )
    assert cmd.words == shlex.split(text)
    assert cmd.location == LOC


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("uvicorn app:main", id="uvicorn"),
        pytest.param("uv-dynamic-versioning", id="uv-dynamic-versioning"),
        pytest.param("python -m uvicorn x", id="python-m-uvicorn"),
        pytest.param("python -m pip install uv", id="python-m-pip"),
        pytest.param("echo uv sync", id="echo"),
        pytest.param("uvloop", id="uvloop"),
        pytest.param("", id="empty"),
    ],
)
def test_not_uv(text: str) -> None:
    assert uv(text) is None


def test_uv_command_helpers() -> None:
    cmd = uv("uv sync --python 3.10 --python 3.11 --frozen")
    assert cmd.has("frozen") and cmd.has("locked", "frozen") and not cmd.has("locked")
    assert cmd.value("python") == "3.11"
    assert cmd.value("frozen") is None
    assert cmd.is_project_command
    assert not uv("uv pip install ray").is_project_command
    assert cmd.text() == "uv sync --python 3.10 --python 3.11 --frozen"


@pytest.mark.parametrize(
    ("words", "n"),
    [
        (["uv"], 1),
        (["uvx", "ruff"], 1),
        (["/usr/local/bin/uv"], 1),
        (["uv.exe"], 1),
        (["python", "-m", "uv"], 3),
        (["python3", "-m", "uv", "sync"], 3),
        (["python", "-m", "pip"], 0),
        (["python"], 0),
        ([], 0),
    ],
)
def test_is_uv_program(words: list[str], n: int) -> None:
    assert is_uv_program(words) == n


# --- wrappers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("exec uv sync", [("uv", "sync", {})], id="exec"),
        pytest.param("exec -a name uv sync", [("uv", "sync", {})], id="exec-a-takes-a-value"),
        pytest.param("nohup uv run x", [("uv", "run", {})], id="nohup"),
        pytest.param("env A=1 uv sync", [("uv", "sync", {"A": "1"})], id="env-assignment"),
        pytest.param("env -i A=1 uv sync", [("uv", "sync", {"A": "1"})], id="env-i"),
        pytest.param("env -u A B=2 uv sync", [("uv", "sync", {"B": "2"})], id="env-u"),
        pytest.param("sudo -u ray uv sync", [("uv", "sync", {})], id="sudo-u"),
        pytest.param("sudo -E uv sync", [("uv", "sync", {})], id="sudo-E"),
        pytest.param("sudo -u ray A=1 uv sync", [("uv", "sync", {"A": "1"})], id="sudo-assignment"),
        pytest.param("timeout 60 uv sync", [("uv", "sync", {})], id="timeout"),
        pytest.param("timeout 5m uv sync", [("uv", "sync", {})], id="timeout-unit"),
        pytest.param(
            "timeout --signal=KILL 5m uv sync", [("uv", "sync", {})], id="timeout-long-option"
        ),
        pytest.param("tini -- uv run x", [("uv", "run", {})], id="tini"),
        pytest.param("dumb-init uv run x", [("uv", "run", {})], id="dumb-init"),
        pytest.param(
            "exec env A=1 sudo -u ray timeout 5 uv sync",
            [("uv", "sync", {"A": "1"})],
            id="stacked-wrappers",
        ),
        pytest.param(
            "bash -lc 'uv sync && uv run x'", [("uv", "sync", {}), ("uv", "run", {})], id="bash-lc"
        ),
        pytest.param("sh -c 'uv sync'", [("uv", "sync", {})], id="sh-c"),
        pytest.param("/bin/sh -c 'A=1 uv sync'", [("uv", "sync", {"A": "1"})], id="sh-c-prefix"),
        pytest.param("bash -e -c 'uv sync'", [("uv", "sync", {})], id="bash-e-c"),
        pytest.param("bash -ec 'uv sync'", [("uv", "sync", {})], id="bash-ec"),
        pytest.param("sh -c 'sh -c \"uv sync\"'", [("uv", "sync", {})], id="nested-sh-c"),
        pytest.param("bash script.sh", [], id="bash-script-file"),
        pytest.param("bash -c", [], id="bash-c-without-script"),
        pytest.param("env", [], id="bare-env"),
        pytest.param("sudo", [], id="bare-sudo"),
        pytest.param("ray start --head", [("start", True)], id="ray-start-head"),
        pytest.param("ray start --address=head:6379", [("start", False)], id="ray-start-worker"),
        pytest.param("ray status", [], id="ray-status"),
        # What `uv run` / `uvx` runs is recognised too.
        pytest.param(
            "uv run ray start --head", [("uv", "run", {}), ("start", True)], id="uv-run-ray"
        ),
        pytest.param(
            "uvx --from 'ray[default]' ray job submit -- uv run x",
            [("uv", "tool run", {}), ("submit",)],
            id="uvx-ray-job-submit",
        ),
        pytest.param(
            "env UV_FROZEN=1 uv run bash -c 'uv sync'",
            [("uv", "run", {"UV_FROZEN": "1"}), ("uv", "sync", {"UV_FROZEN": "1"})],
            id="uv-run-bash-c",
        ),
    ],
)
def test_recognise_words(text: str, expected) -> None:
    assert summary(recognise(text)) == expected


def test_outer_assignments_reach_sh_c_commands() -> None:
    found = recognise("sh -c 'B=2 uv sync'", {"A": "1"})
    assert summary(found) == [("uv", "sync", {"A": "1", "B": "2"})]


def test_unwrap_returns_remaining_words() -> None:
    assert unwrap(["env", "X=1", "sudo", "-u", "ray", "uv", "sync"], {}) == (
        ["uv", "sync"],
        {"X": "1"},
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("timeout -s KILL 5m uv sync", id="timeout-s"),
        pytest.param("timeout -k 5 60 uv sync", id="timeout-k"),
        pytest.param("nice -n 10 uv sync", id="nice-n"),
    ],
)
def test_wrapper_option_values(text: str) -> None:
    assert summary(recognise(text)) == [("uv", "sync", {})]


@pytest.mark.parametrize(
    "text", ["gosu ray uv run x", "exec gosu 1000:1000 uv run x", "su-exec ray uv run x"]
)
def test_gosu_user_argument(text: str) -> None:
    assert summary(recognise(text)) == [("uv", "run", {})]


def test_command_v_is_a_lookup() -> None:
    assert recognise("command -v uv") == []


def test_recognise_site_finds_commands_through_shell_text() -> None:
    text = "set -e\nif ! command -V uv; then pip install uv==0.7.13; fi\nUV_FROZEN=1 uv sync && \\\n  uv run main.py"
    found, pins = recognise_site(site_for_lines("ci.yml", text, 20))
    uvs = [
        (c.sub, c.location.line, c.assignments) for c in found if isinstance(c, UvCommand) and c.sub
    ]
    assert uvs == [("sync", 22, {"UV_FROZEN": "1"}), ("run", 23, {})]
    assert [(p.kind, p.version, p.location.line) for p in pins] == [("pip", "0.7.13", 21)]


def test_exported_variables_reach_later_commands() -> None:
    text = "export UV_FROZEN=1 PATH=$PATH:/x\nuv sync\nunset UV_FROZEN\nuv lock\nA=2 uv run x"
    found, _ = recognise_site(site_for_lines("ci.yml", text, 1))
    assert summary(found) == [
        ("uv", "sync", {"UV_FROZEN": "1", "PATH": None}),
        ("uv", "lock", {"PATH": None}),
        ("uv", "run", {"PATH": None, "A": "2"}),
    ]


def test_recognise_entrypoint() -> None:
    found = recognise_entrypoint("UV_NO_SYNC=1 uv run --frozen python -m job", LOC)
    [cmd] = found
    assert (cmd.sub, cmd.options, cmd.command, cmd.assignments) == (
        "run",
        {"frozen": [None]},
        ["python", "-m", "job"],
        {"UV_NO_SYNC": "1"},
    )


# --- ray job submit / ray start -----------------------------------------------------------------


def submit(text: str) -> RaySubmit:
    [item] = recognise(text)
    assert isinstance(item, RaySubmit)
    return item


def test_ray_job_submit_fields_and_entrypoint() -> None:
    s = submit(
        "ray job submit --working-dir . "
        '--runtime-env-json \'{"env_vars":{"UV_NO_SYNC":"1"}}\' -- uv run python main.py'
    )
    assert s.working_dir == "."
    assert s.runtime_env_json == '{"env_vars":{"UV_NO_SYNC":"1"}}'
    assert s.runtime_env is None
    assert s.entrypoint == ["uv", "run", "python", "main.py"]
    [cmd] = s.entrypoint_commands
    assert isinstance(cmd, UvCommand)
    assert (cmd.sub, cmd.command) == ("run", ["python", "main.py"])
    assert s.location == LOC


@pytest.mark.parametrize(
    ("text", "entrypoint", "commands"),
    [
        pytest.param(
            'ray job submit -- "uv run main.py"',
            ["uv run main.py"],
            [("uv", "run", {})],
            id="single-string-entrypoint",
        ),
        pytest.param(
            'ray job submit -- "UV_NO_SYNC=1 uv run main.py"',
            ["UV_NO_SYNC=1 uv run main.py"],
            [("uv", "run", {"UV_NO_SYNC": "1"})],
            id="single-string-with-prefix",
        ),
        pytest.param(
            'ray job submit -- bash -c "uv sync && uv run x"',
            ["bash", "-c", "uv sync && uv run x"],
            [("uv", "sync", {}), ("uv", "run", {})],
            id="bash-c-entrypoint",
        ),
        pytest.param(
            "ray job submit --address=http://head:8265 --no-wait -- python main.py",
            ["python", "main.py"],
            [],
            id="not-uv",
        ),
        pytest.param(
            "ray job submit --runtime-env env.yaml --working-dir=src uv run x.py",
            ["uv", "run", "x.py"],
            [("uv", "run", {})],
            id="no-double-dash",
        ),
        pytest.param("ray job submit", [], [], id="no-entrypoint"),
    ],
)
def test_ray_job_submit_entrypoints(text: str, entrypoint, commands) -> None:
    s = submit(text)
    assert s.entrypoint == entrypoint
    assert summary(s.entrypoint_commands) == commands


def test_ray_job_submit_runtime_env_file_and_working_dir() -> None:
    s = submit("ray job submit --runtime-env env.yaml --working-dir=src -- uv run x.py")
    assert (s.runtime_env, s.working_dir) == ("env.yaml", "src")


def test_ray_job_submit_inside_a_workflow_script() -> None:
    text = "pip install 'ray[default]'\nray job submit --no-wait -- uv run python -m job\n"
    found, _ = recognise_site(site_for_lines(".github/workflows/submit.yml", text, 14))
    [s] = [f for f in found if isinstance(f, RaySubmit)]
    assert s.location.line == 15
    assert s.entrypoint_commands[0].location.line == 15


def test_ray_start() -> None:
    [start] = recognise("ray start --head --port=6379 --dashboard-host=0.0.0.0")
    assert isinstance(start, RayStart)
    assert start.head is True
    assert start.words[:2] == ["ray", "start"]


# --- uv pins: images ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("ghcr.io/astral-sh/uv:0.7.13", ("0.7.13", "0.7.13"), id="tag"),
        pytest.param("ghcr.io/astral-sh/uv:latest", (None, "latest"), id="latest"),
        pytest.param("ghcr.io/astral-sh/uv", (None, ""), id="untagged"),
        pytest.param("ghcr.io/astral-sh/uv@sha256:abc123", (None, "@sha256:abc123"), id="digest"),
        pytest.param(
            "ghcr.io/astral-sh/uv:0.7.13@sha256:abc", ("0.7.13", "0.7.13"), id="tag-and-digest"
        ),
        pytest.param(
            "ghcr.io/astral-sh/uv:0.8.3-python3.12-bookworm-slim",
            ("0.8.3", "0.8.3-python3.12-bookworm-slim"),
            id="derived-tag",
        ),
        pytest.param(
            "ghcr.io/astral-sh/uv:python3.12-bookworm",
            (None, "python3.12-bookworm"),
            id="unversioned-derived",
        ),
        pytest.param("ghcr.io/astral-sh/uv:v0.7.2", ("0.7.2", "v0.7.2"), id="v-prefix"),
        # `uv:0.9` floats to the newest 0.9.x: not an exact version.
        pytest.param("ghcr.io/astral-sh/uv:0.9", (None, "0.9"), id="floating-minor"),
        pytest.param(
            "ghcr.io/astral-sh/uv:0.9-alpine", (None, "0.9-alpine"), id="floating-derived"
        ),
        pytest.param("astral/uv:0.8.4", ("0.8.4", "0.8.4"), id="docker-hub-astral-uv"),
        pytest.param("astral-sh/uv:0.7.1", ("0.7.1", "0.7.1"), id="no-registry"),
        pytest.param(
            "localhost:5000/astral-sh/uv:0.7.0", ("0.7.0", "0.7.0"), id="registry-with-port"
        ),
    ],
)
def test_uv_image_pin(image: str, expected) -> None:
    pin = uv_image_pin(image, LOC)
    assert pin is not None
    assert (pin.kind, pin.known) == ("image", True)
    assert (pin.version, pin.spec) == expected


@pytest.mark.parametrize(
    "image",
    [
        "python:3.12",
        "ghcr.io/astral-sh/uv-foo:1",
        "ghcr.io/astral-sh/ruff:0.6",
        "uv:0.7.1",
        "rayproject/ray:2.48.0",
    ],
)
def test_not_a_uv_image(image: str) -> None:
    assert uv_image_pin(image, LOC) is None


def test_digest_is_a_pin_without_a_version() -> None:
    pin = uv_image_pin("ghcr.io/astral-sh/uv@sha256:abc123", LOC)
    assert (pin.version, pin.digest, pin.pinned) == (None, True, True)
    latest = uv_image_pin("ghcr.io/astral-sh/uv:latest", LOC)
    assert (latest.digest, latest.pinned) == (False, False)
    assert uv_image_pin("ghcr.io/astral-sh/uv:0.7.13", LOC).pinned


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("0.7.13", "0.7.13"),
        ("v0.7.13", "0.7.13"),
        ("0.8.0rc1", "0.8.0rc1"),
        ("0.7", None),
        ("0.8.*", None),
        ("0.7.x", None),
        ("latest", None),
        (">=0.7", None),
        ("", None),
        (None, None),
    ],
)
def test_exact_version(text, version) -> None:
    assert exact_version(text) == version


def test_unknown_image_tag() -> None:
    pin = uv_image_pin("ghcr.io/astral-sh/uv:$UV_VERSION", LOC, known=False)
    assert (pin.version, pin.spec, pin.known) == (None, "$UV_VERSION", False)


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("0.7.13", "0.7.13"),
        ("v0.7.13", "0.7.13"),
        ("0.8.0rc1", "0.8.0rc1"),
        ("latest", None),
        ("", None),
        ("1", None),
    ],
)
def test_version_from_tag(tag: str, version) -> None:
    assert version_from_tag(tag) == version


# --- uv pins: pip / pipx / uv pip / installers ----------------------------------------------------


def pins_of(text: str) -> list[tuple]:
    _found, pins = recognise_site(site_for_lines("Dockerfile", text, 5))
    return [(p.kind, p.version, p.spec) for p in pins]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("pip install uv==0.7.13", [("pip", "0.7.13", "==0.7.13")], id="pip-exact"),
        pytest.param('pip install "uv>=0.7"', [("pip", None, ">=0.7")], id="pip-range"),
        pytest.param("pip install uv", [("pip", None, "")], id="pip-unpinned"),
        pytest.param("pip install -U uv", [("pip", None, "")], id="pip-upgrade-unpinned"),
        pytest.param("pip install uv~=0.7.0", [("pip", None, "~=0.7.0")], id="pip-compatible"),
        pytest.param("pip install 'uv == 0.7.5'", [("pip", "0.7.5", "==0.7.5")], id="pip-spaces"),
        pytest.param(
            "pip install 'uv[extra]==0.7.1'", [("pip", "0.7.1", "==0.7.1")], id="pip-extra"
        ),
        pytest.param(
            "pip install --upgrade pip uv==0.7.10 setuptools",
            [("pip", "0.7.10", "==0.7.10")],
            id="among-others",
        ),
        pytest.param(
            "pip3 install --no-cache-dir uv==0.7.3", [("pip", "0.7.3", "==0.7.3")], id="pip3"
        ),
        pytest.param("pip3.12 install uv==0.7.3", [("pip", "0.7.3", "==0.7.3")], id="pip3.12"),
        pytest.param(
            "python -m pip install uv==0.7.14", [("pip", "0.7.14", "==0.7.14")], id="python-m-pip"
        ),
        pytest.param(
            "python3.12 -m pip install uv==0.7.4",
            [("pip", "0.7.4", "==0.7.4")],
            id="python3.12-m-pip",
        ),
        pytest.param("pipx install uv==0.7.14", [("pip", "0.7.14", "==0.7.14")], id="pipx"),
        pytest.param("sudo pip install uv==0.7.9", [("pip", "0.7.9", "==0.7.9")], id="sudo-pip"),
        pytest.param("pip install uv-dynamic-versioning", [], id="not-uv-dynamic-versioning"),
        pytest.param("pip install uvicorn", [], id="not-uvicorn"),
        pytest.param("pip install uvloop", [], id="not-uvloop"),
        pytest.param("pip install uvx==1.0", [], id="not-uvx-package"),
        pytest.param("pip download uv==0.7.1", [], id="not-an-install"),
        pytest.param("pip uninstall uv", [], id="uninstall"),
        pytest.param(
            "curl -LsSf https://astral.sh/uv/0.7.12/install.sh | sh",
            [("installer", "0.7.12", "0.7.12")],
            id="installer-versioned",
        ),
        pytest.param(
            "curl -LsSf https://astral.sh/uv/install.sh | sh",
            [("installer", None, "")],
            id="installer-latest",
        ),
        pytest.param(
            "powershell -c 'irm https://astral.sh/uv/0.7.1/install.ps1 | iex'",
            [("installer", "0.7.1", "0.7.1")],
            id="installer-ps1",
        ),
        pytest.param(
            "curl -L -o uv.tgz https://github.com/astral-sh/uv/releases/download/0.7.11/uv-x86_64-unknown-linux-gnu.tar.gz",
            [("installer", "0.7.11", "0.7.11")],
            id="github-release-download",
        ),
        pytest.param(
            "wget https://github.com/astral-sh/uv/releases/latest/download/uv-installer.sh",
            [("installer", None, "")],
            id="github-release-latest",
        ),
    ],
)
def test_pins_in_shell(text: str, expected) -> None:
    assert pins_of(text) == expected


def test_pin_location() -> None:
    _found, pins = recognise_site(site_for_lines("Dockerfile", "echo\npip install uv==0.7.13", 5))
    assert [p.location.line for p in pins] == [6]


# Regression (found while writing these tests, fixed since): the program words of
# `uv pip install` were scanned too, so the `uv` itself counted as an unpinned requirement.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "uv pip install --system uv==0.8.0",
            [("pip", "0.8.0", "==0.8.0")],
            id="uv-pip-install-uv",
        ),
        pytest.param(
            "uv tool install uv==0.7.2", [("pip", "0.7.2", "==0.7.2")], id="uv-tool-install-uv"
        ),
        pytest.param("uv pip install --system ruff", [], id="uv-pip-install-other"),
    ],
)
def test_uv_pip_install_pins(text: str, expected) -> None:
    assert pins_of(text) == expected


def test_arbitrary_equality_pin() -> None:
    # Regression: `===` used to be matched as `==` + `=0.7.5`.
    assert pins_of("pip install uv===0.7.5") == [("pip", "0.7.5", "===0.7.5")]


def test_pins_in_words_direct() -> None:
    assert [(p.kind, p.version) for p in pins_in_words(["pip", "install", "uv==0.7.1"], LOC)] == [
        ("pip", "0.7.1")
    ]
    assert pins_in_words(["echo", "uv==0.7.1"], LOC) == []


# --- pins as the image sees them (facts) --------------------------------------------------------


def image_pins(text: str, build_args: dict[str, str] | None = None) -> list[tuple]:
    repo = Repo(root="/nonexistent", build_args=build_args or {})
    _add(repo, "dockerfile", "Dockerfile", text)
    facts = Facts(repo, Config())
    return [(p.kind, p.version, p.spec, p.known, p.location.line) for p in facts.images[0].uv_pins]


@pytest.mark.parametrize(
    ("text", "build_args", "expected"),
    [
        pytest.param(
            "FROM python\nCOPY --from=ghcr.io/astral-sh/uv:0.7.13 /uv /uvx /bin/\n",
            None,
            [("image", "0.7.13", "0.7.13", True, 2)],
            id="copy-from-image",
        ),
        pytest.param(
            "FROM ghcr.io/astral-sh/uv:0.7.13 AS uv\nFROM python\nCOPY --from=uv /uv /bin/\n",
            None,
            [("image", "0.7.13", "0.7.13", True, 3)],
            id="copy-from-stage",
        ),
        pytest.param(
            "FROM python\nARG UV=0.7.13\nCOPY --from=ghcr.io/astral-sh/uv:$UV /uv /bin/\n",
            None,
            [("image", "0.7.13", "0.7.13", True, 3)],
            id="arg-default",
        ),
        pytest.param(
            "FROM python\nARG UV\nCOPY --from=ghcr.io/astral-sh/uv:$UV /uv /bin/\n",
            None,
            [("image", None, "$UV", False, 3)],
            id="arg-unknown",
        ),
        pytest.param(
            "FROM python\nARG UV\nCOPY --from=ghcr.io/astral-sh/uv:$UV /uv /bin/\n",
            {"UV": "0.8.1"},
            [("image", "0.8.1", "0.8.1", True, 3)],
            id="arg-from-build-arg",
        ),
        pytest.param(
            "FROM python\nCOPY --from=ghcr.io/astral-sh/uv:0.7.13 /etc/os-release /x\n",
            None,
            [],
            id="copy-of-something-else",
        ),
        pytest.param(
            "FROM ghcr.io/astral-sh/uv:0.8.3-python3.12-bookworm-slim\n",
            None,
            [("base-image", "0.8.3", "0.8.3-python3.12-bookworm-slim", True, 1)],
            id="base-image",
        ),
        pytest.param(
            "FROM python\nRUN <<EOF\npip install uv==0.7.2\nEOF\n",
            None,
            [("pip", "0.7.2", "==0.7.2", True, 3)],
            id="heredoc-pip",
        ),
    ],
)
def test_image_pins(text: str, build_args, expected) -> None:
    assert image_pins(text, build_args) == expected


def test_uv_pip_install_does_not_hide_the_image_pin() -> None:
    # Regression: a spurious unpinned pin from `uv pip install` became the last pin and hid
    # uv 0.7.13 (RUV102 missed, a false RUV103).
    text = (
        "FROM python\n"
        "COPY --from=ghcr.io/astral-sh/uv:0.7.13 /uv /bin/\n"
        "RUN uv pip install --system ruff\n"
    )
    assert image_pins(text) == [("image", "0.7.13", "0.7.13", True, 2)]
