"""Whole-process timings of `uvray check` (what a pre-commit user waits for).

    python bench/bench_check.py [--runs 15] [--sizes 1,10,100,1000] [--python PATH]

Times, as separate processes: `python -c pass` (the floor), `uvray check` on an empty repository,
on the bundled example, and on N generated Dockerfiles (multi-stage, heredocs, long RUN chains,
a shared pyproject.toml/uv.lock). Prints median and min per case and the per-file cost.
Targets (issue 2): a no-op run under 60 ms; per-file cost under 1 ms at 1000 files.
`CPU=1 python bench/bench_check.py` reports CPU time instead of wall time.
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


def time_runs(cmd: list[str], cwd: Path, runs: int, env: dict[str, str]) -> list[float]:
    """Wall-clock seconds of each run, or with CPU=1 in the environment the child's user+system
    CPU seconds (steadier on a shared VM whose wall clock drifts)."""
    subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)  # warm caches, .pyc
    out = []
    cpu = os.environ.get("CPU") == "1"
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out.append(used if cpu else wall)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--python", default=sys.executable)
    ns = parser.parse_args(argv)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what an installed package does
    env["PYTHONPATH"] = str(ROOT / "hooks")
    # What the `uvray` console script (and so the pre-commit hook) runs; `-m uvray` would add runpy.
    entry = "import sys; from uvray.cli import main; sys.exit(main())"
    uvray = [ns.python, "-c", entry, "check", "-q", "--exit-zero"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        empty = base / "empty"
        empty.mkdir()
        (empty / "README.md").write_text("nothing to see\n")
        rows.append(
            ("python -c pass", None, time_runs([ns.python, "-c", "pass"], empty, ns.runs, env))
        )
        rows.append(("uvray check: empty repository", None, time_runs(uvray, empty, ns.runs, env)))
        example = base / "example"
        shutil.copytree(ROOT / "examples" / "ray-job", example)
        rows.append(
            ("uvray check: examples/ray-job", None, time_runs(uvray, example, ns.runs, env))
        )
        for n in (int(s) for s in ns.sizes.split(",")):
            repo = make_repo(base, n)
            runs = max(3, ns.runs // (1 + n // 100))
            rows.append((f"uvray check: {n} Dockerfiles", n, time_runs(uvray, repo, runs, env)))
    floor = statistics.median(rows[0][2])
    empty_median = statistics.median(rows[1][2])
    # Per-file cost is the marginal cost over the one-file repository (same imports, same
    # pyproject/uv.lock), by median and by minimum: this machine's timings are noisy.
    one = next((times for _name, n, times in rows if n == 1), None)
    print(f"{'case':<36} {'median':>9} {'min':>9} {'per file (median/min)':>22}")
    for name, n, times in rows:
        med, low = statistics.median(times), min(times)
        per = ""
        if n and n > 1 and one is not None:
            per_med = (med - statistics.median(one)) / (n - 1) * 1000
            per_min = (low - min(one)) / (n - 1) * 1000
            per = f"{per_med:.2f} / {per_min:.2f} ms"
        print(f"{name:<36} {med * 1000:7.1f} ms {low * 1000:7.1f} ms {per:>22}")
    print(
        f"\nno-op run: {empty_median * 1000:.1f} ms ({(empty_median - floor) * 1000:.1f} ms over bare interpreter start)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
