"""The repository, read once: every file uvray understands, parsed into its reader's model.

Rules never open files; they ask the Repo (and facts.py, which derives answers from it).
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uvray import discover
from uvray.findings import InputError
from uvray.readers.text import MAX_BYTES, MAX_LOCK_BYTES, read_text

if TYPE_CHECKING:
    from uvray.readers.dockerfile import Dockerfile
    from uvray.readers.ignorefile import IgnoreFile
    from uvray.readers.pyproject import Pyproject, PythonVersionFile, UvLock
    from uvray.readers.rayconfig import KubeRayResource, RuntimeEnv
    from uvray.readers.workflow import Workflow


@dataclass
class Repo:
    root: str
    # Text of every file read, by repo-relative path (suppressions and --show-source use it).
    texts: dict[str, str] = field(default_factory=dict)
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    pyprojects: dict[str, Pyproject] = field(default_factory=dict)  # by directory ("" = root)
    locks: dict[str, UvLock] = field(default_factory=dict)
    python_versions: dict[str, PythonVersionFile] = field(default_factory=dict)
    # By (directory, file name): `.dockerignore` and `Dockerfile.dockerignore` can share a dir.
    ignore_files: dict[tuple[str, str], IgnoreFile] = field(default_factory=dict)
    runtime_envs: list[RuntimeEnv] = field(default_factory=list)
    kuberay: list[KubeRayResource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    # Shell scripts read on demand (referenced from RUN/CMD/run:), by path; None = unreadable.
    scripts: dict[str, str | None] = field(default_factory=dict)
    build_args: dict[str, str] = field(default_factory=dict)
    # Every shell script in the repository (read lazily: most are never needed).
    script_paths: list[str] = field(default_factory=list)
    _stats: dict[str, tuple[bool, bool]] = field(default_factory=dict, repr=False)
    # Texts that stand in for the files on disk (`--fix` and `--diff` re-check edited text
    # before anything is written); a path here exists even if the disk has no such file yet.
    overlay: dict[str, str] = field(default_factory=dict, repr=False)

    def exists(self, relpath: str) -> bool:
        return self._stat(relpath)[0]

    def isdir(self, relpath: str) -> bool:
        return self._stat(relpath)[1]

    def _stat(self, relpath: str) -> tuple[bool, bool]:
        """(exists, is a directory), asked of the filesystem once per path and run."""
        known = self._stats.get(relpath)
        if known is None and relpath in self.overlay:
            known = self._stats[relpath] = (True, False)
        if known is None:
            full = os.path.join(self.root, relpath)
            known = (os.path.exists(full), os.path.isdir(full))
            self._stats[relpath] = known
        return known

    def project_for(self, directory: str) -> Pyproject | None:
        """The pyproject.toml governing a directory: the nearest one at or above it."""
        for d in _ancestors(directory):
            if d in self.pyprojects:
                return self.pyprojects[d]
        return None

    def lock_for(self, directory: str) -> UvLock | None:
        for d in _ancestors(directory):
            if d in self.locks:
                return self.locks[d]
            if d in self.pyprojects and self.pyprojects[d].has_project and d not in self.locks:
                # A workspace member's lock lives at the workspace root: keep looking up.
                continue
        return None

    def ignore_file(self, directory: str, name: str) -> IgnoreFile | None:
        return self.ignore_files.get((directory, name))

    def script(self, relpath: str) -> str | None:
        """Text of a shell script in the repo, read once; None if missing or unreadable."""
        relpath = posixpath.normpath(relpath)
        if relpath.startswith("../") or relpath.startswith("/"):
            return None
        if relpath not in self.scripts:
            full = os.path.join(self.root, relpath)
            text = self.overlay.get(relpath)
            if text is None and os.path.isfile(full):
                text, _ = read_text(full, relpath)
            self.scripts[relpath] = text
            if text is not None:
                self.texts.setdefault(relpath, text)
        return self.scripts[relpath]


def _ancestors(directory: str) -> list[str]:
    directory = posixpath.normpath(directory) if directory else ""
    if directory == ".":
        directory = ""
    out = [directory]
    while directory:
        directory = posixpath.dirname(directory)
        out.append(directory)
    return out


def dir_of(relpath: str) -> str:
    d = posixpath.dirname(relpath)
    return "" if d == "." else d


def build_repo(
    root: str,
    files: list[str],
    build_args: dict[str, str] | None = None,
    overlay: dict[str, str] | None = None,
) -> Repo:
    """Read and parse files (repo-relative paths under root); errors are collected, never raised.
    `overlay` texts are used instead of the disk's (and its paths are read even if not listed)."""
    repo = Repo(root=root, build_args=dict(build_args or {}), overlay=dict(overlay or {}))
    if overlay:
        listed = set(files)
        files = files + sorted(p for p in overlay if p not in listed)
    for relpath in files:
        kind = discover.kind_of(relpath)
        if kind == "script":
            repo.script_paths.append(relpath)
            continue
        if kind is None or kind == "config":
            continue
        if relpath in repo.overlay:
            _add(repo, kind, relpath, repo.overlay[relpath])
            continue
        limit = MAX_LOCK_BYTES if kind == "uvlock" else MAX_BYTES
        text, error = read_text(os.path.join(root, relpath), relpath, limit)
        if error is not None:
            repo.errors.append(error)
            continue
        assert text is not None
        _add(repo, kind, relpath, text)
    return repo


def parse_errors(
    relpath: str, text: str, build_args: dict[str, str] | None = None
) -> list[InputError]:
    """What reading `text` as the file at relpath reports (a fixer's "does it still parse")."""
    kind = discover.kind_of(relpath)
    if kind is None or kind in ("script", "config"):
        return []
    scratch = Repo(root="", build_args=dict(build_args or {}))
    _add(scratch, kind, relpath, text)
    return scratch.errors


def _add(repo: Repo, kind: str, relpath: str, text: str) -> None:
    errors: list[InputError] = []
    model: Any = None
    directory = dir_of(relpath)
    if kind == "dockerfile":
        from uvray.readers.dockerfile import read_dockerfile

        model, errors = read_dockerfile(text, relpath, repo.build_args)
        if model is not None:
            repo.dockerfiles.append(model)
    elif kind in ("workflow", "action"):
        from uvray.readers.workflow import read_workflow

        model, errors = read_workflow(text, relpath, is_action=(kind == "action"))
        if model is not None:
            repo.workflows.append(model)
    elif kind == "pyproject":
        from uvray.readers.pyproject import read_pyproject

        model, errors = read_pyproject(text, relpath)
        if model is not None:
            repo.pyprojects[directory] = model
    elif kind == "uvlock":
        from uvray.readers.pyproject import read_uv_lock

        model, errors = read_uv_lock(text, relpath)
        if model is not None:
            repo.locks[directory] = model
    elif kind == "python-version":
        from uvray.readers.pyproject import read_python_version

        model, errors = read_python_version(text, relpath)
        if model is not None:
            repo.python_versions[directory] = model
    elif kind in ("dockerignore", "gitignore", "rayignore"):
        from uvray.readers.ignorefile import read_ignore_file

        flavour = "docker" if kind == "dockerignore" else "git"
        model, errors = read_ignore_file(text, relpath, flavour)
        if model is not None:
            # Keyed by file name: `.dockerignore` and `Dockerfile.dockerignore` can share a dir.
            repo.ignore_files[(directory, relpath.rsplit("/", 1)[-1])] = model
    elif kind == "runtime-env":
        from uvray.readers.rayconfig import read_runtime_env

        model, errors = read_runtime_env(text, relpath)
        if model is not None:
            repo.runtime_envs.append(model)
    elif kind == "yaml":
        from uvray.readers.rayconfig import looks_like_kuberay, read_kuberay

        if not looks_like_kuberay(text):
            return
        resources, errors = read_kuberay(text, relpath)
        repo.kuberay.extend(resources)
        model = resources or None
    repo.texts[relpath] = text
    repo.errors.extend(errors)
