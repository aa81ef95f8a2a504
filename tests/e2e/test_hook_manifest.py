"""The pre-commit manifest, tested the way check-jsonschema tests its own.

Which files the hook selects is decided by pre-commit's own `Classifier` (the `files`/`exclude`
regexes with `re.search`, then identify's tags for `types`/`types_or`/`exclude_types`) on real
files, and must agree with `uvray.discover.kind_of`, the source of truth for what uvray reads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from uvray import discover
from uvray.discover import kind_of

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"

# (path, selected by the hook?)
SAMPLES = [
    # Dockerfiles, by every name uvray reads
    ("Dockerfile", True),
    ("docker/Dockerfile.cuda", True),
    ("Dockerfile.dev", True),
    ("Dockerfile-dev", True),  # identify: not tagged
    ("Dockerfile_dev", True),
    ("dockerfile", True),  # identify: not tagged
    ("DOCKERFILE", True),
    ("app.Dockerfile", True),
    ("build.dockerfile", True),  # identify: not tagged
    ("deploy/gpu.dockerfile", True),
    ("Containerfile", True),
    ("Containerfile.cuda", True),
    ("images/base.containerfile", True),
    # BuildKit's per-Dockerfile ignore files are read as ignore files (identify tags them as
    # dockerfile; kind_of says "dockerignore")
    ("Dockerfile.dockerignore", True),
    ("docker/Dockerfile.cuda.dockerignore", True),
    ("app.Dockerfile.dockerignore", True),
    ("Containerfile.dockerignore", True),
    # ... while the build context's own ignore file is read
    (".dockerignore", True),
    ("services/api/.dockerignore", True),
    (".rayignore", True),
    (".gitignore", True),
    # names that only look like Dockerfiles
    (".dockerfile", False),
    ("Dockerfiles/notes.txt", False),
    ("my-Dockerfile", False),
    # ... or that are about Dockerfiles
    ("hooks/uvray/readers/dockerfile.py", False),
    ("docs/Dockerfile.md", False),
    ("docs/dockerfile-guide.txt", False),
    ("templates/Dockerfile.j2", False),
    ("Dockerfile.orig", False),
    ("Dockerfile.yaml", True),  # still a YAML file
    # GitHub workflows and actions
    (".github/workflows/ci.yml", True),
    (".github/workflows/release.yaml", True),
    ("action.yml", True),
    ("action.yaml", True),
    (".github/actions/setup/action.yml", True),
    (".github/dependabot.yml", True),  # any YAML (see KubeRay)
    # the uv project
    ("pyproject.toml", True),
    ("services/api/pyproject.toml", True),
    ("uv.lock", True),
    ("services/api/uv.lock", True),
    (".python-version", True),
    ("uvray.toml", True),
    ("PyProject.toml", False),
    ("uv.lock.orig", False),
    ("pyproject.toml.bak", False),
    ("python-version", False),
    ("requirements.txt", False),
    ("setup.cfg", False),
    # Ray runtime_env files
    ("ray/runtime_env.yaml", True),
    ("runtime_env.json", True),
    ("conf/prod-runtime-env.JSON", True),
    ("runtime_env.toml", False),
    ("package.json", False),
    # KubeRay manifests: every YAML, uvray decides by content
    ("k8s/rayjob.yaml", True),
    ("deploy/RayCluster.YML", True),
    ("charts/values.yaml", True),
    # scripts run by RUN/CMD/run:
    ("scripts/submit.sh", True),
    ("entrypoint.SH", True),
    # everything else
    ("src/app/main.py", False),
    ("README.md", False),
    ("Makefile", False),
    ("docs/index.rst", False),
    ("notebook.ipynb", False),
]


def _hook() -> dict:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1, hooks
    return hooks[0]


def _selected(paths: list[str], tmp_path: Path) -> set[str]:
    """The paths pre-commit would pass to the hook, decided by pre-commit's own code."""
    from pre_commit.clientlib import load_manifest
    from pre_commit.commands.run import Classifier
    from pre_commit.hook import Hook
    from pre_commit.prefix import Prefix

    (hook_dict,) = load_manifest(str(MANIFEST))  # with pre-commit's defaults applied
    hook = Hook.create(str(MANIFEST), Prefix(str(ROOT)), hook_dict)
    for path in paths:
        full = tmp_path / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text("x: 1\n", encoding="utf-8")
    # Classifier works on paths relative to the repository root, as pre-commit runs there.
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        return set(Classifier(paths).filenames_for_hook(hook))


def test_manifest_is_valid_for_pre_commit() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_one_hook_that_runs_uvray_check_serially() -> None:
    hook = _hook()
    assert hook["id"] == "uvray"
    assert hook["name"] == "uvray"
    assert hook["description"].strip()
    assert hook["entry"] == "uvray check"
    assert hook["language"] == "python"
    # Cross-file checks: one process must see every file (pre-commit otherwise splits the
    # list across cpu_count() processes).
    assert hook["require_serial"] is True
    # uvray reports on the files passed and reads the rest of the repo for context itself.
    assert hook.get("pass_filenames", True) is True
    assert not hook.get("always_run", False)
    # The dockerignore exclusion lives in `files`, where a user's `exclude:` can't replace it.
    assert "exclude" not in hook
    assert "types" not in hook and "types_or" not in hook


def test_entry_is_the_console_script() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    script, *args = _hook()["entry"].split()
    assert project["project"]["scripts"][script] == "uvray.cli:main"
    from uvray.cli import main

    with pytest.raises(SystemExit) as exc:
        main([*args, "--help"])
    assert exc.value.code == 0


# When pre-commit gained each hook key the manifest may use (pre-commit CHANGELOG.md).
_KEY_SINCE = {
    "require_serial": (1, 13, 0),
    "types_or": (2, 9, 0),
}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3])


def test_minimum_pre_commit_version_covers_the_keys_used() -> None:
    import pre_commit.constants

    hook = _hook()
    declared = _version(hook["minimum_pre_commit_version"])
    needed = max((v for k, v in _KEY_SINCE.items() if k in hook), default=(0, 0, 0))
    assert declared >= needed
    assert _version(pre_commit.constants.VERSION) >= declared


@pytest.mark.parametrize(("path", "expected"), SAMPLES, ids=[p for p, _ in SAMPLES])
def test_hook_selects(path: str, expected: bool, selected: set[str]) -> None:
    assert (path in selected) is expected


# More names kind_of claims, to keep the two filters in step beyond the table above.
_EXTRA_KIND_OF_SAMPLES = [
    "a/b/c/Dockerfile.prod.arm64",
    "Containerfile-minimal",
    "x.CONTAINERFILE",
    ".github/workflows/nested/dir/wf.yml",
    "config/uvray.toml",
    "ray/my_runtime_env_prod.yml",
    "scripts/.hidden.sh",
    "a.yml",
    ".pre-commit-config.yaml",
    "sub/.python-version",
    "sub/.rayignore",
]


def _agreement_params() -> list[str]:
    paths = [p for p, _ in SAMPLES] + _EXTRA_KIND_OF_SAMPLES
    # Every suffix kind_of says is not a Dockerfile, so a change to that list shows up here.
    for suffix in getattr(discover, "_NOT_DOCKERFILE_SUFFIXES", ()):
        paths += [f"Dockerfile{suffix}", f"docker/app.dockerfile{suffix}"]
    return list(dict.fromkeys(paths))


@pytest.fixture(scope="module")
def selected(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    return _selected(_agreement_params(), tmp_path_factory.mktemp("hook-samples"))


@pytest.mark.parametrize("path", _agreement_params())
def test_hook_selects_exactly_what_uvray_reads(path: str, selected: set[str]) -> None:
    """Both ways: a file uvray reads must reach it, and the hook runs for nothing else."""
    kind = kind_of(path)
    if kind is not None:
        assert path in selected, f"uvray reads {path} as {kind!r} but the hook skips it"
    else:
        assert path not in selected, f"the hook passes {path}, which uvray does not read"
