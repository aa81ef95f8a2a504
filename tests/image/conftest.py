"""A real container engine for the image tests, and the test images, each built once.

The tests talk to whatever engine `docker info` reaches. None: skip with the reason, except under
CI=true, where a missing engine (or base image) fails the session — CI brings one up itself
(.ci/engine.sh). Builds use BuildKit (the Dockerfiles use cache mounts): `UVRAY_TEST_DOCKER`
names a client that has it (.ci/run sets Debian's /usr/bin/docker; the default is `docker`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

IMAGES = Path(__file__).resolve().parents[1] / "images"
REPO = "uvray-test"
# What .ci/engine.sh builds (no registry on CI machines): the base and the uv images.
BASE = "local/debian-python:bookworm"
UV_IMAGES = ("local/uv:0.13.9", "local/uv:0.7.13")
# Build time of each image, for the session summary (the issue asks for them).
BUILD_TIMES: dict[str, float] = {}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason} (.ci/run brings the engine up with .ci/engine.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker() -> str:
    """The engine CLI, after `docker info` answered and the local base images exist."""
    client = os.environ.get("UVRAY_TEST_DOCKER", "docker")
    path = shutil.which(client)
    if path is None:
        _unavailable(f"no container engine CLI ({client!r} is not on PATH)")
    assert path is not None
    info = subprocess.run([path, "info"], capture_output=True, text=True, timeout=30, check=False)
    if info.returncode != 0:
        last = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        _unavailable(f"`{client} info` failed: {last}")
    missing = [
        image
        for image in (BASE, *UV_IMAGES)
        if subprocess.run(
            [path, "image", "inspect", image], capture_output=True, timeout=30, check=False
        ).returncode
        != 0
    ]
    if missing:
        _unavailable(f"base images missing: {', '.join(missing)} (run .ci/engine.sh as root)")
    return path


@pytest.fixture(scope="session")
def image(docker: str) -> Callable[[str, str], str]:
    """`image("small", "duplicate")` builds tests/images/small's stage `duplicate` once per
    session and returns its tag."""
    built: dict[tuple[str, str], str] = {}

    def build(context: str, target: str) -> str:
        key = (context, target)
        if key not in built:
            tag = f"{REPO}/{context}:{target}"
            env = {**os.environ, "DOCKER_BUILDKIT": "1"}
            start = time.perf_counter()
            done = subprocess.run(
                [docker, "build", "-q", "--target", target, "-t", tag, str(IMAGES / context)],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
                check=False,
            )
            BUILD_TIMES[tag] = time.perf_counter() - start
            assert done.returncode == 0, f"building {tag} failed:\n{done.stderr[-3000:]}"
            built[key] = tag
        return built[key]

    return build


def pytest_terminal_summary(terminalreporter) -> None:
    if BUILD_TIMES:
        terminalreporter.write_line(
            "image builds: "
            + ", ".join(f"{tag} {secs:.1f}s" for tag, secs in sorted(BUILD_TIMES.items()))
        )
