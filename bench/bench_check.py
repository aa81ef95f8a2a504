"""Whole-process timings of `uvray check` (what a pre-commit user waits for).

    python bench/bench_check.py [--rounds 11] [--sizes 1,10,100,1000] [--cpu] [--python PATH]

Times, as separate processes: `python -c pass` (the floor), `uvray check` on an empty repository,
on the bundled example, and on N generated Dockerfiles (multi-stage, heredocs, long RUN chains,
a shared pyproject.toml/uv.lock). Prints median and min per case and the per-file cost.
Targets (issue 2): a no-op run under 60 ms; per-file cost under 1 ms at 1000 files.
`--cpu` reports CPU time instead of wall time. Cases run round-robin (`--rounds`), so a drift in
the machine's speed hits them alike; per-file cost is the median over rounds of
(time of N files − time of 1 file) / (N − 1).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DOCKERFILE = """\
# syntax=docker/dockerfile:1.7
ARG PYTHON=3.11
FROM python:${{PYTHON}}-slim AS builder{n}
COPY --from=ghcr.io/astral-sh/uv:0.8.{m} /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    --mount=type=bind,source=uv.lock,target=uv.lock \\
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\
    uv sync --locked --no-install-project --no-dev
COPY . /app
RUN <<EOF
set -eux
apt-get update && apt-get install -y --no-install-recommends git curl ca-certificates
uv sync --locked --no-dev
rm -rf /var/lib/apt/lists/*
EOF
RUN for i in 1 2 3; do echo "$i"; done && \\
    python -m compileall -q /app/src && \\
    useradd -m app{n} || true

FROM python:${{PYTHON}}-slim AS final
COPY --from=builder{n} --chown=app:app /app /app
ENV PATH="/app/.venv/bin:$PATH" RAY_ENABLE_UV_RUN_RUNTIME_ENV=0
USER 1000
CMD ["python", "-m", "app"]
"""

PYPROJECT = """\
[project]
name = "bench"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["ray==2.47.1"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""


def make_repo(base: Path, n: int) -> Path:
    repo = base / f"repo-{n}"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(PYPROJECT)
    lock = ['version = 1\nrequires-python = ">=3.11"\n']
    for i in range(60):
        lock.append(
            f'\n[[package]]\nname = "pkg{i}"\nversion = "1.{i}.0"\n'
            'source = { registry = "https://pypi.org/simple" }\n'
        )
    lock.append(
        '\n[[package]]\nname = "ray"\nversion = "2.47.1"\nsource = { registry = "https://pypi.org/simple" }\n'
    )
    (repo / "uv.lock").write_text("".join(lock))
    for i in range(n):
        d = repo / "images" / f"svc{i:04d}"
        d.mkdir(parents=True)
        (d / "Dockerfile").write_text(DOCKERFILE.format(n=i, m=i % 10))
    return repo


def time_once(cmd: list[str], cwd: Path, env: dict[str, str], cpu: bool) -> float:
    """One whole process: wall-clock seconds, or its user+system CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) if cpu else wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds of every case")
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--cpu", action="store_true", help="report CPU time, not wall time")
    ns = parser.parse_args(argv)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what an installed package does
    env["PYTHONPATH"] = str(ROOT / "hooks")
    # What the `uvray` console script (and so the pre-commit hook) runs; `-m uvray` would add runpy.
    entry = "import sys; from uvray.cli import main; sys.exit(main())"
    uvray = [ns.python, "-c", entry, "check", "-q", "--exit-zero"]
    sizes = [int(x) for x in ns.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        empty = base / "empty"
        empty.mkdir()
        (empty / "README.md").write_text("nothing to see\n")
        example = base / "example"
        shutil.copytree(ROOT / "examples" / "ray-job", example)
        cases = [
            ("python -c pass", None, [ns.python, "-c", "pass"], empty),
            ("uvray check: empty repository", None, uvray, empty),
            ("uvray check: examples/ray-job", None, uvray, example),
        ] + [(f"uvray check: {n} Dockerfiles", n, uvray, make_repo(base, n)) for n in sizes]
        # What pre-commit does when one Dockerfile is staged in the biggest repository.
        biggest = max(sizes)
        cases.append(
            (
                f"uvray check: 1 staged of {biggest}",
                None,
                [*uvray, "images/svc0000/Dockerfile"],
                base / f"repo-{biggest}",
            )
        )
        for _name, _n, cmd, cwd in cases:  # warm the page cache and the .pyc files
            time_once(cmd, cwd, env, ns.cpu)
        # Round-robin: every round runs every case once, so a drift in the machine's speed hits
        # all cases alike, and per-file costs come from differences within one round.
        times: dict[str, list[float]] = {name: [] for name, *_ in cases}
        for _ in range(ns.rounds):
            for name, _n, cmd, cwd in cases:
                times[name].append(time_once(cmd, cwd, env, ns.cpu))
    one = times.get("uvray check: 1 Dockerfiles")
    unit = "CPU" if ns.cpu else "wall"
    print(
        f"{'case (' + unit + ' time)':<36} {'median':>9} {'min':>9} {'per extra file, median':>24}"
    )
    for name, n, *_ in cases:
        t = times[name]
        per = ""
        if n and n > 1 and one is not None:
            diffs = [(big - small) / (n - 1) * 1000 for big, small in zip(t, one)]
            per = f"{statistics.median(diffs):.2f} ms"
        print(f"{name:<36} {statistics.median(t) * 1000:7.1f} ms {min(t) * 1000:7.1f} ms {per:>24}")
    floor = statistics.median(times["python -c pass"])
    noop = statistics.median(times["uvray check: empty repository"])
    print(
        f"\nno-op run: {noop * 1000:.1f} ms ({(noop - floor) * 1000:.1f} ms over bare interpreter start)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
