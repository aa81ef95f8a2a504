"""Where the repository is and which of its files are what."""

from __future__ import annotations

import os
import re

_DOCKERFILE = re.compile(
    r"^(?:(?:docker|container)file(?:[.\-_].*)?|.+\.(?:docker|container)file)$", re.I
)
# `dockerfile.py`, `Dockerfile.md`: source or docs about Dockerfiles, not Dockerfiles.
_NOT_DOCKERFILE_SUFFIXES = (
    ".py", ".pyc", ".md", ".rst", ".txt", ".json", ".yaml", ".yml", ".toml", ".sh", ".go", ".rs",
    ".js", ".ts", ".html", ".cfg", ".ini", ".lock", ".j2", ".jinja", ".tpl", ".tmpl", ".bak",
    ".orig", ".swp", ".patch", ".diff",
)  # fmt: skip
_RUNTIME_ENV = re.compile(r"(runtime[_-]env).*\.(ya?ml|json)$", re.I)
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "site-packages",
    ".hypothesis",
    "build",
    "dist",
}


def kind_of(relpath: str) -> str | None:
    """What uvray reads this file as, from its path alone; None when it is not ours."""
    name = relpath.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        # The context's own, or BuildKit's per-Dockerfile one (Dockerfile.dockerignore), which
        # wins over it for that Dockerfile.
        return "dockerignore"
    if _DOCKERFILE.match(name) and not lower.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return "dockerfile"
    if lower in ("action.yml", "action.yaml"):
        return "action"
    if re.search(r"(^|/)\.github/workflows/[^/]+\.ya?ml$", relpath):
        return "workflow"
    if name == "pyproject.toml":
        return "pyproject"
    if name == "uv.lock":
        return "uvlock"
    if name == ".python-version":
        return "python-version"
    if name in (".rayignore", ".gitignore"):
        return name[1:]
    if name == "uvray.toml":
        return "config"
    if _RUNTIME_ENV.search(name):
        return "runtime-env"
    if lower.endswith((".yml", ".yaml")):
        return "yaml"  # maybe a KubeRay manifest; decided by content
    if lower.endswith(".sh"):
        return "script"
    return None


def find_root(start: str) -> str:
    """The git top level containing start, else the nearest directory with pyproject.toml, else start."""
    start = os.path.abspath(start)
    directory = start if os.path.isdir(start) else os.path.dirname(start)
    probe = directory
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    probe = directory
    while True:
        if os.path.isfile(os.path.join(probe, "pyproject.toml")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return directory
        probe = parent


def list_files(root: str, under: str = "", errors: list | None = None) -> list[str]:
    """Repo-relative POSIX paths of candidate files under root/under. Directories that cannot
    be read are not skipped in silence: each becomes an InputError in `errors` (when given)."""
    base = os.path.join(root, under) if under else root
    files = _git_files(root, under, errors)
    if files is None:
        files = []

        def unreadable(exc: OSError) -> None:
            if errors is not None and exc.filename:
                rel = os.path.relpath(exc.filename, root).replace(os.sep, "/")
                errors.append(_directory_error(rel, exc.strerror or str(exc)))

        for dirpath, dirnames, filenames in os.walk(base, onerror=unreadable):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            for name in sorted(filenames):
                files.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return [
        f
        for f in files
        if kind_of(f) is not None and not any(part in _SKIP_DIRS for part in f.split("/")[:-1])
    ]


def _directory_error(relpath: str, reason: str):
    from uvray.findings import InputError

    return InputError(relpath.rstrip("/") or ".", f"cannot read directory: {reason}")


# Seconds git gets before uvray looks for what could block it, and in all.
_GIT_PATIENCE, _GIT_TIMEOUT = 1.0, 20.0
# git's own words for a directory it could not list (it goes on without it).
_GIT_UNREADABLE = "warning: could not open directory '"


def _git_files(root: str, under: str, errors: list | None = None) -> list[str] | None:
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    import subprocess

    argv = ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        proc = subprocess.Popen(
            [*argv, "--", under or "."], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError:
        return None
    try:
        try:
            stdout, stderr = proc.communicate(timeout=_GIT_PATIENCE)
        except subprocess.TimeoutExpired:
            # git opens every .gitignore it meets; a FIFO under that name blocks it forever.
            # Slow but honest git gets the rest of its time; a blocked one is replaced by the
            # walk, whose reader names the odd file ("is not a regular file").
            if _special_gitignore(root):
                proc.kill()
                proc.communicate()
                return None
            stdout, stderr = proc.communicate(timeout=_GIT_TIMEOUT - _GIT_PATIENCE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    if proc.returncode != 0:
        return None
    if errors is not None and _GIT_UNREADABLE.encode() in stderr:
        for line in stderr.decode("utf-8", "surrogateescape").splitlines():
            if line.startswith(_GIT_UNREADABLE) and "': " in line:
                path, _, reason = line[len(_GIT_UNREADABLE) :].rpartition("': ")
                errors.append(_directory_error(path, reason))
    names = [n for n in stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    # Deleted-but-tracked files are still listed by ls-files; keep only what exists.
    return sorted(n for n in dict.fromkeys(names) if os.path.isfile(os.path.join(root, n)))


def _special_gitignore(root: str) -> bool:
    """Is some `.gitignore` in the repository not a regular file (a FIFO, a device)?"""
    import stat

    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and d != ".git"]
        if ".gitignore" in filenames:
            try:
                mode = os.lstat(os.path.join(dirpath, ".gitignore")).st_mode
            except OSError:
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                return True
    return False
