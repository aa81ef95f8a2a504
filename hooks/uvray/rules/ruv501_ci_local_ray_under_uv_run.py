from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from uvray.commands import UvCommand
from uvray.facts import Facts, falsy, version_lt
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta
from uvray.rules._fixes import add_job_env

_FLAG = "RAY_ENABLE_UV_RUN_RUNTIME_ENV"
# The first Ray release that starts workers with the driver's `uv run` by default (PR #53060).
_DEFAULT_ON = (2, 47)
_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")

DOC = """\
## What it does
Flags a GitHub Actions step that runs the tests with `uv run pytest …` or
`uv run python -m pytest …` when the project's `uv.lock` locks Ray 2.47 or later and
`RAY_ENABLE_UV_RUN_RUNTIME_ENV` is not set to a false value (`0`, `false`, …) for that step
(workflow, job or step `env:`, an `export` earlier in the script, a command prefix, or the
tests' `conftest.py`/`pytest.ini`/`tox.ini`/`pyproject.toml`). When the lock does not say which
Ray it is, the rule says nothing.

## Why is this bad?
From Ray 2.47 on, `ray.init()` looks for a `uv run` among the driver's ancestors
(`ray/_private/worker.py::_maybe_modify_runtime_env`, on by default through
`RAY_ENABLE_UV_RUN_RUNTIME_ENV`). Under `uv run pytest`, a local `ray.init()` in a test finds it
and applies Ray's uv hook: the current directory becomes the job's `working_dir` (zipped and
uploaded to the local cluster), and every worker starts with `uv run …`, its own project sync in
the copy. Tests get slower, flaky under the 60-second worker registration timeout, and fail
outright when a test passes a `working_dir` below the project (RUV205). Projects switch it off
for their tests: IBM/ado PR #905 ("disable ray's uv run runtime env hook by default"), and many
repositories set `RAY_ENABLE_UV_RUN_RUNTIME_ENV=0` in their CI env or `conftest.py`. The flag is
read once, when `ray` is imported (`ray_constants`), so it must be in the environment before that.

## Example
```yaml
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: astral-sh/setup-uv@v6
      - run: uv run pytest
```
Use instead:
```yaml
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      RAY_ENABLE_UV_RUN_RUNTIME_ENV: "0"
    steps:
      - uses: actions/checkout@v4
      - uses: astral-sh/setup-uv@v6
      - run: uv run pytest
```

## How to fix
Set `RAY_ENABLE_UV_RUN_RUNTIME_ENV: "0"` in the test job's `env:` (or the step's), or set it in
`conftest.py` before `ray` is imported. Tests that mean to exercise the uv integration can set
it to `1` in their own step and keep the warning suppressed there.

## Fix safety
Safe: `--fix` adds `RAY_ENABLE_UV_RUN_RUNTIME_ENV: "0"` as the last entry of the job's block
`env:` mapping (same indentation, the file's line endings), or a new `env:` block as the job's
first key when it has none. That only makes local Ray behave as it did before 2.47 (workers use
the test process's Python, no `working_dir` upload). Not fixed: a job whose `env:` is a flow
mapping or an expression, and a flag already set to another value (uvray does not overrule it).

## References
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#using-uv-for-package-management
- https://github.com/ray-project/ray/pull/53060
- https://github.com/IBM/ado/pull/905
"""

META = RuleMeta(
    code="RUV501",
    name="ci-local-ray-under-uv-run",
    severity=Severity.WARNING,
    summary="CI runs tests under `uv run` with Ray >= 2.47: local ray.init() starts uv-run workers",
    fix="safe",
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for wf, job, step, found in facts.workflow_commands:
        tests = [c for c in found if isinstance(c, UvCommand) and _runs_pytest(c)]
        if not tests:
            continue
        directory = facts.step_dir(wf, job, step)
        project = repo.project_for(directory)
        lock = repo.lock_for(project.dir if project is not None else directory)
        if lock is None:
            continue
        versions = lock.versions_of("ray")
        if not versions or any(version_lt(v, _DEFAULT_ON) is not False for v in versions):
            continue
        ray_pkg = lock.package("ray")
        ray_loc = Location(lock.path, (ray_pkg.line if ray_pkg is not None else None) or 1)
        if project is not None and _disabled_in_files(repo, project.dir, directory):
            continue
        env = wf.effective_env(job, step)
        for cmd in tests:
            if _FLAG in cmd.assignments:
                value = cmd.assignments[_FLAG]
            elif _FLAG in env:
                value = env[_FLAG].value
            else:
                value = ""
            if value is None or falsy(value):
                continue  # switched off, or set from an expression uvray cannot evaluate
            key = (cmd.location.path, cmd.location.line)
            if key in seen:
                continue
            seen.add(key)
            how = "is not set" if value == "" else f"is {value!r}"
            yield Finding(
                code=META.code,
                message=(
                    f"`{cmd.text()}` runs the tests under `uv run` with Ray {versions[0]} "
                    f"(uv.lock) and {_FLAG} {how}: a local `ray.init()` in a test uploads the "
                    "current directory as working_dir and starts every worker with `uv run` "
                    "(Ray >= 2.47 default)."
                ),
                location=cmd.location,
                severity=META.severity,
                fix=f'set {_FLAG}: "0" in the job env',
                related=(("Ray version", ray_loc),),
                edits=_job_env_edits(repo, wf, job) if value == "" else (),
            )


def _job_env_edits(repo: Repo, wf, job) -> tuple:
    """The flag, off, in the job's `env:` (one edit per job: every test command of the job
    carries the same one, applied once)."""
    text = repo.texts.get(wf.path)
    if text is None or wf.is_action:
        return ()
    return add_job_env(text, wf.path, job.location.line, _FLAG, '"0"')


def _runs_pytest(cmd: UvCommand) -> bool:
    if cmd.sub != "run" or not cmd.command:
        return False
    prog = cmd.command[0].rsplit("/", 1)[-1]
    if prog in ("pytest", "py.test"):
        return True
    if _PYTHON.match(prog):
        args = cmd.command[1:]
        for i, word in enumerate(args):
            if word == "-m":
                return i + 1 < len(args) and args[i + 1] == "pytest"
            if word == "-mpytest":
                return True
            if not word.startswith("-"):
                return False
    return False


def _disabled_in_files(repo: Repo, project_dir: str, step_dir: str) -> bool:
    """The tests switch it off themselves: conftest.py (`os.environ[...] = "0"`), pytest-env in
    pytest.ini/pyproject.toml, or tox.ini setenv."""
    pattern = re.compile(_FLAG + r"""["']?\]?\s*[=,:]?\s*["']?(0|false|no|off)\b""", re.I)
    dirs = {project_dir, step_dir}
    names = ("conftest.py", "tests/conftest.py", "test/conftest.py", "pytest.ini", "tox.ini")
    names += ("pyproject.toml", "setup.cfg")
    for d in dirs:
        for name in names:
            text = repo.script(posixpath.join(d, name) if d else name)
            if text and _FLAG in text and pattern.search(text):
                return True
    return False
