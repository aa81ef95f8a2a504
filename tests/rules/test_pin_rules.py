"""Table tests for what the fixtures can't pin down one by one: the uv pin recognisers
(`commands.pins_in_words`, `commands.uv_image_pin`), the uv command parser (`commands.parse_uv`,
`commands.recognise_words`), and RUV301's verdict at each uv version boundary."""

from __future__ import annotations

import pytest

from uvray.commands import (
    UvCommand,
    parse_uv,
    pins_in_words,
    recognise_words,
    uv_image_pin,
    version_from_tag,
)
from uvray.facts import CommandUse, Setting, Version, falsy, truthy
from uvray.findings import Location, Severity
from uvray.rules import ruv301_frozen_locked_conflict as ruv301

LOC = Location("Dockerfile", 3)


def _pins(words: list[str]) -> list[tuple[str, str | None, str]]:
    return [(p.kind, p.version, p.spec) for p in pins_in_words(words, LOC)]


# --- pins_in_words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["pip", "install", "uv==0.7.13"], [("pip", "0.7.13", "==0.7.13")]),
        (["pip", "install", "--no-cache-dir", "uv==0.7.13"], [("pip", "0.7.13", "==0.7.13")]),
        (["pip3.11", "install", "uv==0.8.0"], [("pip", "0.8.0", "==0.8.0")]),
        (["python", "-m", "pip", "install", "uv==0.8.0"], [("pip", "0.8.0", "==0.8.0")]),
        (["python3.11", "-m", "pip", "install", "uv==0.8.0"], [("pip", "0.8.0", "==0.8.0")]),
        (["pipx", "install", "uv==0.8.0"], [("pip", "0.8.0", "==0.8.0")]),
        (["sudo", "pip", "install", "uv==0.7.13"], [("pip", "0.7.13", "==0.7.13")]),
        (["pip", "install", "-U", "pip", "uv==0.8.0", "wheel"], [("pip", "0.8.0", "==0.8.0")]),
        # Not exact: a pin with no version (RUV103 territory).
        (["pip", "install", "uv"], [("pip", None, "")]),
        (["pip", "install", "uv>=0.7.14"], [("pip", None, ">=0.7.14")]),
        (["pip", "install", "uv~=0.8.0"], [("pip", None, "~=0.8.0")]),
        (["pip", "install", "uv<0.9"], [("pip", None, "<0.9")]),
        # Not uv.
        (["pip", "install", "uvicorn"], []),
        (["pip", "install", "uvloop==0.21.0"], []),
        (["pip", "install", "uv-build==0.8.0"], []),
        (["pip", "install", "-r", "requirements.txt"], []),
        (["pip", "download", "uv==0.7.13"], []),
        (["pip", "uninstall", "-y", "uv"], []),
        # Installers.
        (
            ["curl", "-LsSf", "https://astral.sh/uv/0.7.12/install.sh"],
            [("installer", "0.7.12", "0.7.12")],
        ),
        (["curl", "-LsSf", "https://astral.sh/uv/install.sh"], [("installer", None, "")]),
        (
            ["powershell", "-c", "irm https://astral.sh/uv/0.7.12/install.ps1 | iex"],
            [("installer", "0.7.12", "0.7.12")],
        ),
        (
            [
                "wget",
                "-qO-",
                "https://github.com/astral-sh/uv/releases/download/0.7.12/uv-installer.sh",
            ],
            [("installer", "0.7.12", "0.7.12")],
        ),
        (
            [
                "curl",
                "-L",
                "https://github.com/astral-sh/uv/releases/latest/download/uv-installer.sh",
            ],
            [("installer", None, "")],
        ),
        (["curl", "-L", "https://example.com/install.sh"], []),
    ],
)
def test_pins_in_words(words: list[str], expected) -> None:
    assert _pins(words) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["uv", "pip", "install", "--system", "-r", "requirements.txt"], []),
        (["uv", "pip", "install", "--system", "ray[default]==2.47.1"], []),
        (["uv", "tool", "install", "ruff"], []),
        (["uv", "pip", "install", "--system", "uv==0.8.0"], [("pip", "0.8.0", "==0.8.0")]),
    ],
)
def test_uv_pip_install_is_not_a_pip_install_of_uv(words: list[str], expected) -> None:
    """Regression: the program word `uv` itself was read as an unpinned `pip install uv`."""
    assert _pins(words) == expected


def test_triple_equals_pin() -> None:
    """Regression: `===` was read as `==` followed by '=0.8.0', losing the version."""
    assert _pins(["pip3", "install", "uv===0.8.0"]) == [("pip", "0.8.0", "===0.8.0")]


def test_pip_wildcard_is_not_an_exact_pin() -> None:
    """Regression: `uv==0.7.*` was taken as exact version 0.7 (< 0.7.14)."""
    assert _pins(["pip", "install", "uv==0.7.*"]) == [("pip", None, "==0.7.*")]


# --- uv_image_pin ----------------------------------------------------------------------------

DIGEST = "sha256:2381d6aa60c326b71fd40023f921a0a3b8f91b14d5db6b90402e65a635053709"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("ghcr.io/astral-sh/uv:0.7.13", ("0.7.13", "0.7.13")),
        ("ghcr.io/astral-sh/uv:0.7.13@" + DIGEST, ("0.7.13", "0.7.13")),
        (
            "ghcr.io/astral-sh/uv:0.7.13-python3.11-bookworm-slim",
            ("0.7.13", "0.7.13-python3.11-bookworm-slim"),
        ),
        ("ghcr.io/astral-sh/uv:0.8.0-alpine", ("0.8.0", "0.8.0-alpine")),
        ("localhost:5000/astral-sh/uv:0.8.0", ("0.8.0", "0.8.0")),
        ("ghcr.io/astral-sh/uv:latest", (None, "latest")),
        ("ghcr.io/astral-sh/uv", (None, "")),
        ("ghcr.io/astral-sh/uv:python3.12-bookworm-slim", (None, "python3.12-bookworm-slim")),
        ("ghcr.io/astral-sh/uv:debian-slim", (None, "debian-slim")),
        ("python:3.12-slim", None),
        ("rayproject/ray:2.47.1-py311", None),
        ("ghcr.io/astral-sh/ruff:0.6.0", None),
        ("ghcr.io/example/uv:0.7.13", None),
    ],
)
def test_uv_image_pin(image: str, expected) -> None:
    pin = uv_image_pin(image, LOC)
    assert (None if pin is None else (pin.version, pin.spec)) == expected


def test_uv_image_pin_unknown_image_text() -> None:
    """`COPY --from=ghcr.io/astral-sh/uv:${UV}` with UV unknown: a uv image of unknown version."""
    pin = uv_image_pin("ghcr.io/astral-sh/uv:$UV", LOC, known=False)
    assert pin is not None and pin.version is None and pin.known is False


def test_uv_minor_tag_is_not_an_exact_version() -> None:
    """`uv:0.7` is uv's floating minor tag (the newest 0.7.x patch), not version 0.7."""
    pin = uv_image_pin("ghcr.io/astral-sh/uv:0.7", LOC)
    assert pin is not None and pin.version is None


@pytest.mark.parametrize("image", ["docker.io/astral/uv:0.6.11", "astral/uv:0.6.11"])
def test_docker_hub_uv_image(image: str) -> None:
    """uv's images are also published on Docker Hub as astral/uv."""
    pin = uv_image_pin(image, LOC)
    assert pin is not None and pin.version == "0.6.11"


@pytest.mark.parametrize(
    ("tag", "version"),
    [("0.7.13", "0.7.13"), ("v0.7.13", "0.7.13"), ("0.7.13-alpine", "0.7.13"), ("latest", None)],
)
def test_version_from_tag(tag: str, version: str | None) -> None:
    assert version_from_tag(tag) == version


# --- parse_uv / recognise_words ---------------------------------------------------------------


def _uv(text: str, assignments: dict | None = None) -> UvCommand:
    cmd = parse_uv(text.split(), assignments or {}, LOC)
    assert cmd is not None, text
    return cmd


@pytest.mark.parametrize(
    ("text", "sub", "flags", "command"),
    [
        ("uv sync --locked --no-install-project", "sync", {"locked", "no-install-project"}, []),
        ("uv --no-cache sync --frozen", "sync", {"no-cache", "frozen"}, []),
        ("uv --directory /app sync --locked", "sync", {"directory", "locked"}, []),
        ("uv sync -p 3.11 --locked", "sync", {"p", "locked"}, []),
        ("uv sync --python=3.11 --frozen", "sync", {"python", "frozen"}, []),
        ("/usr/local/bin/uv sync --frozen", "sync", {"frozen"}, []),
        ("python -m uv sync --locked", "sync", {"locked"}, []),
        ("uv run --with pytest --frozen pytest -q", "run", {"with", "frozen"}, ["pytest", "-q"]),
        # Flags after the command belong to the command, not to uv.
        (
            "uv run python -m tools.release --locked",
            "run",
            set(),
            ["python", "-m", "tools.release", "--locked"],
        ),
        (
            "uv run --frozen -- python -m app --locked",
            "run",
            {"frozen"},
            ["python", "-m", "app", "--locked"],
        ),
        ("uvx ruff check", "tool run", set(), ["ruff", "check"]),
        ("uv pip install --system -r requirements.txt", "pip install", {"system", "r"}, []),
        ("uv lock --check", "lock", {"check"}, []),
    ],
)
def test_parse_uv(text: str, sub: str, flags: set[str], command: list[str]) -> None:
    cmd = _uv(text)
    assert (cmd.sub, set(cmd.options), cmd.command) == (sub, flags, command)


def test_parse_uv_option_values() -> None:
    cmd = _uv("uv --directory /app sync -p 3.11 --extra gpu --extra dev --locked")
    assert cmd.value("directory") == "/app"
    assert cmd.value("p") == "3.11"
    assert cmd.options["extra"] == ["gpu", "dev"]
    assert cmd.is_project_command


def test_pip_interface_is_not_a_project_command() -> None:
    assert not _uv("uv pip install --system uv==0.8.0").is_project_command
    assert not _uv("uv pip sync requirements.txt").is_project_command


@pytest.mark.parametrize(
    ("words", "assignments"),
    [
        (["env", "UV_FROZEN=1", "uv", "sync", "--locked"], {"UV_FROZEN": "1"}),
        (["sudo", "-u", "ray", "UV_FROZEN=1", "uv", "sync", "--locked"], {"UV_FROZEN": "1"}),
        (["exec", "uv", "sync", "--locked"], {}),
        (["timeout", "300", "uv", "sync", "--locked"], {}),
        (["bash", "-c", "cd /app && UV_FROZEN=1 uv sync --locked"], {"UV_FROZEN": "1"}),
        (["sh", "-lc", "uv sync --locked"], {}),
    ],
)
def test_recognise_words_unwraps(words: list[str], assignments: dict) -> None:
    found = [c for c in recognise_words(words, {}, LOC) if isinstance(c, UvCommand)]
    assert [(c.sub, c.has("locked"), c.assignments) for c in found] == [("sync", True, assignments)]


def test_env_unset_removes_an_assignment() -> None:
    (cmd,) = recognise_words(
        ["env", "-u", "UV_FROZEN", "uv", "sync", "--locked"], {"UV_FROZEN": "1"}, LOC
    )
    assert isinstance(cmd, UvCommand) and "UV_FROZEN" not in cmd.assignments


# --- RUV301 at each uv version boundary ------------------------------------------------------


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)


def _before(version: tuple[int, ...]) -> str:
    major, minor, patch = version
    # The newest release before the boundary: x.y.(z-1), or "x.(y-1).999" below an x.y.0.
    return _dotted((major, minor, patch - 1) if patch else (major, minor - 1, 999))


def _verdict(uv: str | None, env: dict[str, str], text: str = "uv sync --locked"):
    cmd = _uv(text)
    settings = {
        name: Setting(name, value, Location("Dockerfile", 2), "ENV") for name, value in env.items()
    }
    use = CommandUse(cmd, settings, Version(uv, "test"), "RUN")
    finding = ruv301._check_use(use)
    return None if finding is None else finding.severity


AWARE = _dotted(ruv301.ENV_VALUE_AWARE)
FLAG_WINS = _dotted(ruv301.FLAG_WINS)


@pytest.mark.parametrize(
    ("uv", "env", "severity"),
    [
        # UV_FROZEN=1 with --locked: an error until the flag wins, then a warning.
        ("0.6.11", {"UV_FROZEN": "1"}, Severity.ERROR),
        (_before(ruv301.ENV_VALUE_AWARE), {"UV_FROZEN": "1"}, Severity.ERROR),
        (AWARE, {"UV_FROZEN": "1"}, Severity.ERROR),
        (_before(ruv301.FLAG_WINS), {"UV_FROZEN": "1"}, Severity.ERROR),
        (FLAG_WINS, {"UV_FROZEN": "1"}, Severity.WARNING),
        ("0.13.9", {"UV_FROZEN": "true"}, Severity.WARNING),
        (None, {"UV_FROZEN": "1"}, Severity.ERROR),
        # UV_FROZEN=0: still --frozen before 0.9.23, harmless from then on.
        (_before(ruv301.ENV_VALUE_AWARE), {"UV_FROZEN": "0"}, Severity.ERROR),
        (_before(ruv301.ENV_VALUE_AWARE), {"UV_FROZEN": "false"}, Severity.ERROR),
        (AWARE, {"UV_FROZEN": "0"}, None),
        ("0.13.9", {"UV_FROZEN": "off"}, None),
        # Both env vars truthy: an error in every version, with or without a flag.
        ("0.6.11", {"UV_FROZEN": "1", "UV_LOCKED": "1"}, Severity.ERROR),
        ("0.13.9", {"UV_FROZEN": "1", "UV_LOCKED": "yes"}, Severity.ERROR),
        # Nothing to conflict with.
        ("0.9.23", {"UV_LOCKED": "1"}, None),
        ("0.9.23", {"UV_FROZEN": "1", "UV_LOCKED": "0"}, Severity.ERROR),
    ],
)
def test_ruv301_frozen_env_with_locked_flag(uv, env, severity) -> None:
    assert _verdict(uv, env) == severity


@pytest.mark.parametrize(
    ("uv", "severity"),
    [("0.9.22", Severity.ERROR), ("0.9.23", Severity.ERROR), ("0.13.9", Severity.WARNING)],
)
def test_ruv301_locked_env_with_frozen_flag(uv: str, severity: Severity) -> None:
    assert _verdict(uv, {"UV_LOCKED": "1"}, "uv run --frozen python train.py") == severity


def test_ruv301_command_prefix_overrides_env() -> None:
    cmd = _uv("uv sync --locked", {"UV_FROZEN": "0"})
    settings = {"UV_FROZEN": Setting("UV_FROZEN", "1", Location("Dockerfile", 2), "ENV")}
    assert ruv301._check_use(CommandUse(cmd, settings, Version("0.9.23", "test"), "RUN")) is None


def test_ruv301_flag_of_the_command_is_not_uvs() -> None:
    assert _verdict("0.9.23", {"UV_FROZEN": "1"}, "uv run python -m tools.release --locked") is None


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "t", "yes", "y", "on", " 1 "])
def test_truthy(value: str) -> None:
    assert truthy(value) and not falsy(value)


@pytest.mark.parametrize("value", ["0", "false", "False", "f", "no", "n", "off"])
def test_falsy(value: str) -> None:
    assert falsy(value) and not truthy(value)
