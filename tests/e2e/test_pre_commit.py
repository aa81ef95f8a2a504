"""The hook under real pre-commit, in throwaway git repos.

The hook repo is a one-commit snapshot of this working tree as it is (tracked + untracked files,
minus .gitignore'd ones), made once per session. Not this repo itself: for a dirty tree
`pre-commit try-repo` makes a shadow commit of *tracked* files only (`git add -u` in
pre_commit/commands/try_repo.py), so an untracked `.pre-commit-hooks.yaml` or new module would be
missing ("InvalidManifestError: ... .pre-commit-hooks.yaml is not a file").

Case A runs `pre-commit try-repo <snapshot> uvray`, the documented way to try a hook repo. try-repo
always installs into a throwaway store (it ignores PRE_COMMIT_HOME), so cases B and C run
`pre-commit run` with a config pinning the snapshot (repo + rev), as a consumer does: their hook
venv is built once in the session's PRE_COMMIT_HOME. Building it needs an index with
dockerfile-parse and PyYAML (PyPI, or pip's configured find-links).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from uvray.cli import main as uvray_main

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "ray-job"

# examples/ray-job with ray-project/ray#51881 really fixed: uv with `uv run`'s environment lock
# (>= 0.7.14), no fixed-path project env for the workers to re-sync (each working_dir gets its own
# .venv), and UV_FROZEN alone (no --locked to contradict it, and it keeps every worker's `uv run`
# from re-resolving).
FIXED_DOCKERFILE = """\
FROM rayproject/ray:2.44.0-py311
COPY --from=ghcr.io/astral-sh/uv:0.8.0 /uv /uvx /bin/

ENV UV_FROZEN=1 \\
    RAY_RUNTIME_ENV_HOOK=ray._private.runtime_env.uv_runtime_env_hook.hook

WORKDIR /home/ray/default
COPY pyproject.toml uv.lock ./
RUN uv sync --no-install-project
COPY . .
"""

# A pyproject.toml change that would silence RUV101 (`[tool.uv] package = false`).
UNPACKAGED = "\n[tool.uv]\npackage = false\n"

# uvray's text report: `<path>:<line>:<col>: <CODE> [severity] message`.
RUV101_ON_DOCKERFILE = re.compile(r"^Dockerfile:\d+:\d+: RUV101 ", re.M)


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    # Drop GIT_DIR/GIT_INDEX_FILE/... in case the suite itself runs from a git hook.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(NO_COLOR="1", TERM="dumb", **extra)
    return env


def _init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q")
    _git(path, "config", "user.name", "uvray tests")
    _git(path, "config", "user.email", "tests@uvray.invalid")
    _git(path, "config", "commit.gpgsign", "false")
    return path


def _copy_seed(repo: Path) -> None:
    shutil.copytree(
        SEED, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".venv")
    )


def _fixed_repo(repo: Path) -> Path:
    _copy_seed(_init_repo(repo))
    (repo / "Dockerfile").write_text(FIXED_DOCKERFILE, encoding="utf-8")
    return repo


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-commit git repo holding this working tree as it is now."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        env=_clean_env(),
        check=True,
        timeout=60,
    ).stdout.decode("utf-8", "surrogateescape")
    snapshot = _init_repo(tmp_path_factory.mktemp("hook-repo"))
    for name in filter(None, listed.split("\0")):
        src = ROOT / name
        if not src.is_file():  # deleted but still in the index
            continue
        dst = snapshot / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(src, dst)
        except FileNotFoundError:  # removed while we copied
            continue
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "-m", "snapshot of the uvray working tree")
    return snapshot


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="session")
def hook_config(hook_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A consumer's .pre-commit-config.yaml for the snapshot (kept outside the test repos)."""
    rev = _git(hook_repo, "rev-parse", "HEAD").strip()
    config = tmp_path_factory.mktemp("config") / ".pre-commit-config.yaml"
    config.write_text(
        f"repos:\n- repo: {json.dumps(str(hook_repo))}\n  rev: {rev}\n  hooks:\n  - id: uvray\n",
        encoding="utf-8",
    )
    return config


class PreCommit:
    """Runs real pre-commit in a test repo → (exit code, its output, seconds)."""

    def __init__(self, hook_repo: Path, hook_config: Path, home: Path) -> None:
        self.hook_repo, self.hook_config, self.home = hook_repo, hook_config, home

    def try_repo(self, repo: Path, *args: str) -> tuple[int, str, float]:
        """`pre-commit try-repo`: note it installs into a throwaway store every time (it does
        `Store(tempdir)`, ignoring PRE_COMMIT_HOME), so each call rebuilds the hook's venv."""
        return self._run(repo, "try-repo", str(self.hook_repo), "uvray", *args)

    def run(self, repo: Path, *args: str) -> tuple[int, str, float]:
        """`pre-commit run` with a config that pins the snapshot, as a consumer would; the hook's
        venv is built once in the session's PRE_COMMIT_HOME and reused."""
        return self._run(repo, "run", "--config", str(self.hook_config), "uvray", *args)

    def _run(self, repo: Path, *args: str) -> tuple[int, str, float]:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", *args, "--verbose", "--color=never"],
            cwd=repo,
            env=_clean_env(PRE_COMMIT_HOME=str(self.home)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=900,
        )
        elapsed = time.monotonic() - started
        output = proc.stdout + proc.stderr
        log = self.home / "pre-commit.log"
        if proc.returncode not in (0, 1) and log.exists():
            output += "\n--- pre-commit.log ---\n" + log.read_text(errors="replace")
        # Shown by pytest when the test fails (and with -rP).
        print(f"$ pre-commit {' '.join(args[:1])} ...: exit {proc.returncode} in {elapsed:.1f}s")
        print(output)
        return proc.returncode, output, elapsed


@pytest.fixture
def pre_commit(hook_repo: Path, hook_config: Path, pre_commit_home: Path) -> PreCommit:
    return PreCommit(hook_repo, hook_config, pre_commit_home)


def _findings(repo: Path, capsys: pytest.CaptureFixture[str], *paths: str) -> list[dict]:
    """uvray's own findings (every severity) for the repo, or for these paths in it."""
    targets = [str(repo / p) for p in paths] or [str(repo)]
    uvray_main(["check", *targets, "--format", "json", "--exit-zero"])
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == []
    return report["findings"]


def _codes(findings: list[dict]) -> set[str]:
    return {f["code"] for f in findings}


# --- the premises of the pre-commit cases, checked with uvray in-process (fast) ---


def test_premise_seed_has_ruv101_on_the_dockerfile(tmp_path: Path, capsys) -> None:
    repo = _init_repo(tmp_path / "seed")
    _copy_seed(repo)
    findings = _findings(repo, capsys)
    assert any(f["code"] == "RUV101" and f["path"] == "Dockerfile" for f in findings)


def test_premise_fixed_repo_has_no_findings_at_all(tmp_path: Path, capsys) -> None:
    assert _findings(_fixed_repo(tmp_path / "fixed"), capsys) == []


def test_premise_ruv101_needs_context_from_other_files(tmp_path: Path, capsys) -> None:
    """Alone, the seed Dockerfile gives no RUV101 (it needs pyproject.toml) and a RUV302 (no
    uv.lock): so in case C, RUV101 without RUV302 shows both files were read."""
    alone = _init_repo(tmp_path / "alone")
    shutil.copy2(SEED / "Dockerfile", alone / "Dockerfile")
    codes = _codes(_findings(alone, capsys))
    assert "RUV101" not in codes and "RUV302" in codes

    unpackaged = _fixed_repo(tmp_path / "unpackaged")
    shutil.copy2(SEED / "Dockerfile", unpackaged / "Dockerfile")
    with open(unpackaged / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write(UNPACKAGED)
    assert "RUV101" not in _codes(_findings(unpackaged, capsys, "Dockerfile"))


# --- real pre-commit ---


@pytest.mark.slow
def test_seed_repo_fails_with_ruv101(tmp_path: Path, pre_commit: PreCommit) -> None:
    """Case A: examples/ray-job (ray-project/ray#51881) under `try-repo --all-files`."""
    repo = _init_repo(tmp_path / "seed")
    _copy_seed(repo)
    _git(repo, "add", "-A")
    rc, out, _ = pre_commit.try_repo(repo, "--all-files")
    assert rc == 1, out
    assert "uvray" in out and "Failed" in out, out
    assert RUV101_ON_DOCKERFILE.search(out), out


@pytest.mark.slow
def test_fixed_repo_passes(tmp_path: Path, pre_commit: PreCommit) -> None:
    """Case B: the same repo really fixed, `run --all-files`: nothing to report."""
    repo = _fixed_repo(tmp_path / "fixed")
    _git(repo, "add", "-A")
    rc, out, _ = pre_commit.run(repo, "--all-files")
    assert rc == 0, out
    assert "Passed" in out, out
    assert "RUV" not in out, out


@pytest.mark.slow
def test_fixed_repo_passes_under_try_repo(tmp_path: Path, pre_commit: PreCommit) -> None:
    """Case B as the issue words it: `try-repo --all-files` on the fixed repo passes too."""
    repo = _fixed_repo(tmp_path / "fixed")
    _git(repo, "add", "-A")
    rc, out, _ = pre_commit.try_repo(repo, "--all-files")
    assert rc == 0, out
    assert "Passed" in out, out
    assert "RUV" not in out, out


@pytest.mark.slow
def test_staged_dockerfile_alone_is_checked_with_the_repo_as_context(
    tmp_path: Path, pre_commit: PreCommit
) -> None:
    """Case C: only the Dockerfile is staged, so pre-commit passes only the Dockerfile; uvray
    still reads the committed pyproject.toml (RUV101 needs it) and uv.lock (else RUV302), and
    sees the commit's content: an unstaged pyproject.toml edit that would silence RUV101 is
    stashed by pre-commit while the hook runs."""
    repo = _fixed_repo(tmp_path / "repo")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "fixed")
    shutil.copy2(SEED / "Dockerfile", repo / "Dockerfile")
    _git(repo, "add", "Dockerfile")
    pyproject = repo / "pyproject.toml"
    edited = pyproject.read_text(encoding="utf-8") + UNPACKAGED
    pyproject.write_text(edited, encoding="utf-8")
    assert _git(repo, "diff", "--cached", "--name-only").split() == ["Dockerfile"]

    rc, out, _ = pre_commit.run(repo)
    assert rc == 1, out
    assert RUV101_ON_DOCKERFILE.search(out), out
    assert "RUV302" not in out, out
    assert re.search(r"\bin 1 file\b", out), out  # only the staged Dockerfile was passed
    assert pyproject.read_text(encoding="utf-8") == edited  # pre-commit restored the edit


@pytest.mark.slow
def test_fix_hook_rewrites_the_file_and_pre_commit_says_so(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """`args: [--fix]`: the hook fixes the staged Dockerfile, exits 1 so the commit stops
    ("files were modified by this hook"), and the next run passes."""
    rev = _git(hook_repo, "rev-parse", "HEAD").strip()
    config = tmp_path / "fix-config.yaml"
    config.write_text(
        f"repos:\n- repo: {json.dumps(str(hook_repo))}\n  rev: {rev}\n  hooks:\n  - id: uvray\n"
        "    args: [--fix, --select, RUV402]\n",
        encoding="utf-8",
    )
    repo = _init_repo(tmp_path / "fixme")
    dockerfile = repo / "Dockerfile"
    dockerfile.write_text(
        "FROM python:3.12-slim\n"
        "COPY --from=ghcr.io/astral-sh/uv:0.8.15 /uv /uvx /bin/\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system six\n",
        encoding="utf-8",
    )
    _git(repo, "add", "-A")
    pre_commit = PreCommit(hook_repo, config, pre_commit_home)
    rc, out, _ = pre_commit.run(repo, "--all-files")
    assert rc == 1, out
    assert "files were modified by this hook" in out, out
    assert "Fixed RUV402 in Dockerfile:3" in out, out
    assert "ENV UV_LINK_MODE=copy\nRUN --mount" in dockerfile.read_text(encoding="utf-8")
    _git(repo, "add", "-A")
    rc, out, _ = pre_commit.run(repo, "--all-files")
    assert rc == 0, out
