"""The atheris targets (fuzz/), each a short coverage-guided run from its committed seed corpus.

Each run is a real libFuzzer process: it replays every seed, then mutates up to RUNS inputs
with a fixed -seed (same inputs every CI run on one atheris version), and fails on any exception
or broken invariant. Longer runs and their results: fuzz/README.md. atheris is a test dependency;
where it does not install (no wheel for this Python) the tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "fuzz"
TARGETS = ("dockerfile", "shell")
# Inputs per target, the corpus replay included (~1,100 Dockerfile and ~600 shell inputs): ~3 s
# of CPU each; the whole file is bounded by TIMEOUT per process.
RUNS = 3000
TIMEOUT = 120
MIN_COVERAGE = {"dockerfile": 600, "shell": 380}

try:
    import atheris  # noqa: F401

    HAVE_ATHERIS = True
except ImportError:
    HAVE_ATHERIS = False

needs_atheris = pytest.mark.skipif(
    not HAVE_ATHERIS and not os.environ.get("CI"),
    reason="atheris is not installed (pip install atheris); required in CI",
)


def corpora(target: str) -> list[Path]:
    """The fixtures' seeds and what the long runs found (fuzz/README.md): read, never written."""
    return [FUZZ / "corpus" / target, FUZZ / "corpus" / f"{target}-found"]


def run_target(target: str, tmp_path: Path, *args: str, corpus: list[Path] | None = None, env=None):
    out = tmp_path / "new"  # libFuzzer adds what it finds to the first directory only
    out.mkdir(exist_ok=True)
    return subprocess.run(
        [
            sys.executable,
            str(FUZZ / f"fuzz_{target}.py"),
            "-seed=1",
            f"-artifact_prefix={tmp_path}/",
            *args,
            str(out),
            *map(str, corpus or corpora(target)),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
    )


@needs_atheris
@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_short_fuzz_run_finds_no_crash(target: str, tmp_path: Path) -> None:
    proc = run_target(target, tmp_path, f"-runs={RUNS}")
    crashes = sorted(p.name for p in tmp_path.glob("crash-*"))
    assert proc.returncode == 0 and not crashes, (crashes, proc.stderr[-4000:])
    replayed = sum(len(list(d.iterdir())) for d in corpora(target))
    # The run really replayed the corpus and mutated: "INITED cov: N" then "Done R runs".
    inited = re.search(r"INITED cov: (\d+)", proc.stderr)
    done = re.search(r"Done (\d+) runs", proc.stderr)
    assert inited and done, proc.stderr[-2000:]
    # Replaying the corpus alone reached 774 (Dockerfile) and 473 (shell) edges with atheris
    # 3.0.0 on Python 3.11; far fewer means the target stopped reaching the reader.
    assert int(inited.group(1)) > MIN_COVERAGE[target], proc.stderr[-2000:]
    assert int(done.group(1)) >= RUNS >= replayed + 1000, proc.stderr[-2000:]


@needs_atheris
@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_a_crash_fails_the_run_and_is_saved(target: str, tmp_path: Path) -> None:
    """The harness itself: an input that raises is reported, exits non-zero and is written as a
    crash artifact (UVRAY_FUZZ_SELFTEST makes one marker string raise)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "input").write_bytes(b"FROM x\nRUN echo UVRAY-SELFTEST-CRASH\n")
    selftest = {"UVRAY_FUZZ_SELFTEST": "1"}
    proc = run_target(target, tmp_path, "-runs=50", env=selftest)
    assert proc.returncode == 0, proc.stderr[-2000:]  # the marker is in no committed seed
    proc = run_target(target, tmp_path, "-runs=50", corpus=[seeds], env=selftest)
    assert proc.returncode != 0
    assert "RuntimeError: self-test crash" in proc.stdout + proc.stderr, proc.stderr[-2000:]
    (artifact,) = tmp_path.glob("crash-*")
    assert artifact.read_bytes() == (seeds / "input").read_bytes()


def test_corpus_seeds_come_from_make_corpus(tmp_path: Path) -> None:
    """The committed seeds are named by their content hash, as fuzz/make_corpus.py writes them,
    and most of them are still fixtures' Dockerfiles and shell bodies. (New fixtures do not fail
    this: regenerate with `python fuzz/make_corpus.py` now and then.)"""
    sys.path.insert(0, str(FUZZ))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(FUZZ))
    make_corpus.CORPUS = tmp_path
    make_corpus.main()
    for target in TARGETS:
        committed = {p.name: p.read_bytes() for p in (FUZZ / "corpus" / target).iterdir()}
        for name, data in committed.items():
            assert hashlib.sha1(data).hexdigest()[:16] == name, (target, name)
        # libFuzzer names what it keeps by the whole SHA-1.
        for found in (FUZZ / "corpus" / f"{target}-found").iterdir():
            assert hashlib.sha1(found.read_bytes()).hexdigest() == found.name, found
        fresh = {p.name for p in (tmp_path / target).iterdir()}
        assert len(set(committed) & fresh) >= 0.8 * len(committed), target
