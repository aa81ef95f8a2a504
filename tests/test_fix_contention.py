"""`uvray check --fix` under contention, for real: uvray processes on real files, the timing
controlled from outside (a sitecustomize on PYTHONPATH that pauses the real fixer at a chosen
point until the test says go), never a mock of what is written.

tests/test_fix.py has the in-process refusal and short races; this file adds many rounds of two
fixers over several files (edits and a created file), deterministic interleavings of an editor
and uvray, and read-only files and directories.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / "hooks"

CACHE_RUN = (
    "FROM python:3.12-slim\n"
    "COPY --from=ghcr.io/astral-sh/uv:0.8.15 /uv /uvx /bin/\n"
    "WORKDIR /app\n"
    "RUN --mount=type=cache,target=/root/.cache/uv \\\n"
    "    uv pip install --system six\n"
)
FIXED_CACHE_RUN = CACHE_RUN.replace("RUN --mount", "ENV UV_LINK_MODE=copy\nRUN --mount", 1)
EDITED = CACHE_RUN + "# an editor's change\n"

# Several fixable files: three RUV402 edits (one with CRLF and a BOM, one mode 0640) and a
# context whose RUV403 fix creates .dockerignore.
REPO_FILES: dict[str, bytes] = {
    "Dockerfile": CACHE_RUN.encode(),
    "a/Dockerfile": b"\xef\xbb\xbf" + CACHE_RUN.replace("\n", "\r\n").encode(),
    "b/c/Dockerfile": CACHE_RUN.encode(),
    "ctx/Dockerfile": b"FROM python:3.12-slim\nCOPY . /app\n",
    "ctx/pyproject.toml": b'[project]\nname = "x"\nversion = "1"\n',
}
MODES = {"b/c/Dockerfile": 0o640}

# The pause: wraps one function of the real fixer; when it is called, touches READY and waits
# for GO (both in UVRAY_TEST_PAUSE_DIR), then calls the real one. Nothing else changes.
SITECUSTOMIZE = """
import os, time
_dir = os.environ.get("UVRAY_TEST_PAUSE_DIR")
_where = os.environ.get("UVRAY_TEST_PAUSE_AT")
if _dir and _where:
    from uvray import fixer

    _real = getattr(fixer, _where)

    def _paused(*args, **kwargs):
        open(os.path.join(_dir, "ready"), "w").close()
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(_dir, "go")):
            if time.monotonic() > deadline:
                raise SystemExit("pause: no go within 60 s")
            time.sleep(0.01)
        return _real(*args, **kwargs)

    setattr(fixer, _where, _paused)
"""


def _env(extra: dict[str, str] | None = None, site: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*([str(site)] if site else []), str(HOOKS)])
    for name in ("UVRAY_DEBUG", "NO_COLOR", "UVRAY_TEST_PAUSE_DIR", "UVRAY_TEST_PAUSE_AT"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def _argv(repo: Path) -> list[str]:
    return [sys.executable, "-m", "uvray", "check", str(repo), "--fix", "--no-show-source"]


def _write_repo(repo: Path, names: tuple[str, ...] | None = None) -> None:
    for name, data in REPO_FILES.items():
        if names is not None and name not in names:
            continue
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(MODES.get(name, 0o644))


def _tree(repo: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and permission bits (what a fix may and may not change)."""
    out = {}
    for path in sorted(repo.rglob("*")):
        if path.is_file():
            out[path.relative_to(repo).as_posix()] = (
                path.read_bytes(),
                stat.S_IMODE(path.stat().st_mode),
            )
    return out


def _leftovers(repo: Path) -> list[str]:
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob(".uvray-fix-*"))


def _wait(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"uvray --fix did not finish in {timeout:.0f} s")
    return proc.returncode, out, err


def _start(repo: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        _argv(repo),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


# --- (a) two fixers at once, many rounds --------------------------------------------------


ROUNDS = 20  # ~0.6 s a round (two processes in parallel): ~12 s
# The many-rounds repository: the edits only. The races of a created file (two bugs, fixed) are
# tested deterministically below, where the timing is controlled; this test must never be flaky.
EDIT_FILES = ("Dockerfile", "a/Dockerfile", "b/c/Dockerfile")


@pytest.mark.slow
def test_two_fixers_at_once_many_rounds(tmp_path: Path) -> None:
    """Two `uvray check --fix` started together on the same repository, 20 times: the files
    end exactly as one run leaves them (bytes, BOM, CRLF, mode), never a mix or a half-written
    file, no temporary file left; each process exits 0 or 1 (a text another uvray already
    wrote is no conflict)."""
    reference = tmp_path / "reference"
    _write_repo(reference, EDIT_FILES)
    code, out, err = _wait(_start(reference, _env()))
    assert code == 1, out + err
    expected = _tree(reference)
    assert expected["Dockerfile"][0] == FIXED_CACHE_RUN.encode()
    assert expected["a/Dockerfile"][0].startswith(b"\xef\xbb\xbf")
    assert expected["b/c/Dockerfile"][1] == 0o640

    codes: list[tuple[int, ...]] = []
    for n in range(ROUNDS):
        repo = tmp_path / f"round{n}"
        _write_repo(repo, EDIT_FILES)
        procs = [_start(repo, _env()) for _ in range(2)]
        results = [_wait(p) for p in procs]
        codes.append(tuple(r[0] for r in results))
        for code, out, err in results:
            assert "Traceback" not in out + err, out + err
            assert code in (0, 1), f"round {n}: {out}{err}"
        assert _tree(repo) == expected, f"round {n}"
        assert _leftovers(repo) == [], f"round {n}"
        shutil.rmtree(repo)
    assert all(1 in pair for pair in codes), codes  # someone fixed something every time


CREATED_BY_OTHER = (
    "ctx/.dockerignore: error: not written: the file was created by someone else since uvray looked"
)


@pytest.mark.slow
def test_second_fixer_creating_the_same_file_is_no_conflict(tmp_path: Path) -> None:
    """Two fixers paused before writing; the first writes everything (ctx/.dockerignore
    included), then the second: it finds every file already as it would write it."""
    repo = tmp_path / "repo"
    _write_repo(repo)
    first, go_first = _paused_fixer(tmp_path, repo, "write", "-1")
    second, go_second = _paused_fixer(tmp_path, repo, "write", "-2")
    go_first.touch()
    code, out, err = _wait(first)
    assert code == 1, out + err
    go_second.touch()
    code, out, err = _wait(second)
    assert "Traceback" not in out + err
    assert code == 1, out + err
    assert _leftovers(repo) == []


@pytest.mark.slow
def test_file_created_between_check_and_fix_is_not_edited_twice(tmp_path: Path) -> None:
    """uvray checked (no ctx/.dockerignore) and is about to compute the fix (paused at
    fixer._base_text); another fixer creates ctx/.dockerignore with the same text; uvray goes
    on. The file must hold that text once."""
    repo = tmp_path / "repo"
    _write_repo(repo, ("ctx/Dockerfile", "ctx/pyproject.toml"))
    reference = tmp_path / "reference"
    _write_repo(reference, ("ctx/Dockerfile", "ctx/pyproject.toml"))
    _wait(_start(reference, _env()))
    created = (reference / "ctx/.dockerignore").read_bytes()
    proc, go = _paused_fixer(tmp_path, repo, "_base_text")
    (repo / "ctx/.dockerignore").write_bytes(created)
    go.touch()
    code, out, err = _wait(proc)
    assert "Traceback" not in out + err
    assert (repo / "ctx/.dockerignore").read_bytes() == created, "the creating edit applied twice"
    assert code in (0, 1), out + err
    assert _leftovers(repo) == []


# --- (b) an edit between uvray's read and its write --------------------------------------


def _paused_fixer(
    tmp_path: Path, repo: Path, at: str, tag: str = ""
) -> tuple[subprocess.Popen, Path]:
    """uvray --fix on repo, paused when the real fixer calls `at`; returns it and the go file."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    pause = tmp_path / f"pause-{at}{tag}"
    pause.mkdir()
    env = _env({"UVRAY_TEST_PAUSE_DIR": str(pause), "UVRAY_TEST_PAUSE_AT": at}, site)
    proc = _start(repo, env)
    deadline = time.monotonic() + 60
    while not (pause / "ready").exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"uvray ended before the pause point {at}: {out}{err}")
        assert time.monotonic() < deadline, f"uvray never reached {at}"
        time.sleep(0.01)
    return proc, pause / "go"


def _one_line_refusal(code: int, out: str, err: str, path: str) -> None:
    assert code == 2, out + err
    assert "Traceback" not in out + err
    # The finding stays in the report (it was not fixed); the refusal is one error line.
    errors = [line for line in (out + err).splitlines() if line.startswith(f"{path}: error: ")]
    assert errors == [f"{path}: error: not written: the file changed on disk since uvray read it"]


def _editor_in_place(path: Path) -> None:
    path.write_text(EDITED, encoding="utf-8")


def _editor_atomic_save(path: Path) -> None:
    # Most editors: write a new file, rename it over the old one (a new inode).
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(EDITED, encoding="utf-8")
    os.replace(tmp, path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "editor", [_editor_in_place, _editor_atomic_save], ids=["in-place", "rename"]
)
def test_edit_between_fix_and_write_is_refused(tmp_path: Path, editor) -> None:
    """uvray has fixed Dockerfile in memory and is about to write (paused at fixer.write); an
    editor saves the file; then uvray goes on. uvray is the later writer: it refuses with one
    line and exit 2, the editor's bytes stay, the other fixable file is still written, and no
    temporary file is left."""
    repo = tmp_path / "repo"
    _write_repo(repo)
    proc, go = _paused_fixer(tmp_path, repo, "write")
    editor(repo / "Dockerfile")
    go.touch()
    code, out, err = _wait(proc)
    _one_line_refusal(code, out, err, "Dockerfile")
    assert (repo / "Dockerfile").read_text(encoding="utf-8") == EDITED
    assert (repo / "b/c/Dockerfile").read_text(encoding="utf-8") == FIXED_CACHE_RUN
    assert _leftovers(repo) == []


@pytest.mark.slow
def test_two_fixers_one_edit_in_between(tmp_path: Path) -> None:
    """Two uvray processes both paused before writing; an editor changes Dockerfile; both go.
    Both refuse that file (one line each), the editor's bytes win, and the other files get the
    fix exactly once."""
    repo = tmp_path / "repo"
    _write_repo(repo)
    first, go_first = _paused_fixer(tmp_path, repo, "write", "-1")
    second, go_second = _paused_fixer(tmp_path, repo, "write", "-2")
    _editor_in_place(repo / "Dockerfile")
    go_first.touch()
    go_second.touch()
    for proc in (first, second):
        _one_line_refusal(*_wait(proc), "Dockerfile")
    assert (repo / "Dockerfile").read_text(encoding="utf-8") == EDITED
    assert (repo / "b/c/Dockerfile").read_text(encoding="utf-8") == FIXED_CACHE_RUN
    assert (repo / "a/Dockerfile").read_bytes() == b"\xef\xbb\xbf" + FIXED_CACHE_RUN.replace(
        "\n", "\r\n"
    ).encode()
    assert _leftovers(repo) == []


@pytest.mark.slow
def test_edit_during_temp_copy_is_not_lost(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write_repo(repo)
    for name in list(REPO_FILES):
        if name != "Dockerfile":
            (repo / name).unlink()
    proc, go = _paused_fixer(tmp_path, repo, "_temp_copy")
    _editor_in_place(repo / "Dockerfile")
    go.touch()
    code, out, err = _wait(proc)
    assert (repo / "Dockerfile").read_text(encoding="utf-8") == EDITED, "the editor's save was lost"
    _one_line_refusal(code, out, err, "Dockerfile")
    assert _leftovers(repo) == []


# --- (c) read-only file and directory --------------------------------------------------------


def _dac_prefix() -> list[str]:
    """Run uvray so that permission bits bind it (root drops CAP_DAC_OVERRIDE), or skip."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: root writes read-only files anyway")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here: {probe.stderr.decode().strip()}")
    return prefix


def _fix_unprivileged(repo: Path) -> tuple[int, str, str]:
    proc = subprocess.Popen(
        [*_dac_prefix(), *_argv(repo)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return _wait(proc)


def test_read_only_directory_is_refused(tmp_path: Path) -> None:
    """b/c/ is read-only: its Dockerfile cannot be replaced (no temporary file can be made
    there). One line for it, exit 2, its bytes and mode intact; the other files are fixed."""
    repo = tmp_path / "repo"
    _write_repo(repo)
    before = (repo / "b/c/Dockerfile").read_bytes()
    (repo / "b/c").chmod(0o555)
    try:
        code, out, err = _fix_unprivileged(repo)
    finally:
        (repo / "b/c").chmod(0o755)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    errors = [line for line in (out + err).splitlines() if ": error: " in line]
    assert errors == ["b/c/Dockerfile: error: not written: Permission denied"], out + err
    assert (repo / "b/c/Dockerfile").read_bytes() == before
    assert stat.S_IMODE((repo / "b/c/Dockerfile").stat().st_mode) == 0o640
    assert (repo / "Dockerfile").read_text(encoding="utf-8") == FIXED_CACHE_RUN
    assert _leftovers(repo) == []


def test_read_only_file_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write_repo(repo)
    (repo / "Dockerfile").chmod(0o444)
    code, out, err = _fix_unprivileged(repo)
    (repo / "Dockerfile").chmod(0o644)
    assert "Traceback" not in out + err
    assert (repo / "Dockerfile").read_text(encoding="utf-8") == CACHE_RUN, "read-only file written"
    assert code == 2, out + err
    errors = [line for line in (out + err).splitlines() if line.startswith("Dockerfile: error: ")]
    assert len(errors) == 1, out + err
    assert _leftovers(repo) == []
