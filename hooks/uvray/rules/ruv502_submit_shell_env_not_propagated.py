from __future__ import annotations

from collections.abc import Iterator

from uvray.commands import RaySubmit, UvCommand, site_for_lines, split_commands
from uvray.facts import Facts
from uvray.findings import Finding, Location, Severity
from uvray.model import Repo
from uvray.rules import RuleMeta

_RAY_KEYS = ("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "RAY_RUNTIME_ENV_HOOK")

DOC = """\
## What it does
Flags a GitHub Actions step that runs `ray job submit` while its environment (workflow, job or
step `env:`, or a prefix on the command, `UV_NO_SYNC=1 ray job submit …`) sets a `UV_*`
variable, `RAY_ENABLE_UV_RUN_RUNTIME_ENV` or `RAY_RUNTIME_ENV_HOOK` that the submission's
runtime_env `env_vars` (`--runtime-env-json`, or the `--runtime-env` file) does not carry. One
finding per variable and step, at the line that sets it.

A `UV_*` variable is left alone when the steps it covers also run uv on the runner
(`uv sync`, `uv run pytest`, `uv run ray job submit`): it is there for the local uv. A submission whose runtime_env uvray cannot read
(an unknown file, JSON from a variable) is skipped, and so is a variable the entrypoint sets
itself (`-- env UV_NO_SYNC=1 uv run …`).

## Why is this bad?
`ray job submit` forwards nothing of the local environment. In the Ray 2.60.0 wheel,
`ray/dashboard/modules/job/cli.py::submit` builds `final_runtime_env = parse_runtime_env_args(
runtime_env=…, runtime_env_json=…, working_dir=…)` and calls `client.submit_job(entrypoint=
shlex.join(entrypoint), runtime_env=final_runtime_env, …)`; `sdk.py::submit_job` posts a
`JobSubmitRequest(entrypoint, submission_id, runtime_env, metadata, entrypoint_num_*…)` to
`/api/jobs/`. The only environment variables the CLI reads are its own (`RAY_ADDRESS`,
`RAY_API_SERVER_ADDRESS`, `RAY_JOB_HEADERS`, `RAY_JOB_SUBMIT_HOOK`,
`RAY_RUNTIME_ENV_IGNORE_GITIGNORE`). On the cluster the driver runs in the JobSupervisor's
`os.environ.copy()` (the raylet's env plus the runtime_env `env_vars`), and workers inherit the
raylet's env plus `env_vars` (domain.md §2.5). So `UV_NO_SYNC`, `UV_FROZEN`,
`RAY_ENABLE_UV_RUN_RUNTIME_ENV=0`… set in CI silently do nothing on the cluster: the driver's
`uv run` and every worker's `uv run` behave as if they were unset.

## Example
```yaml
- name: Submit
  env:
    UV_NO_SYNC: "1"
  run: ray job submit --address "$RAY_ADDRESS" --working-dir . -- uv run main.py
```
Use instead:
```yaml
- name: Submit
  run: >-
    ray job submit --address "$RAY_ADDRESS" --working-dir .
    --runtime-env-json '{"env_vars": {"UV_NO_SYNC": "1"}}' -- uv run main.py
```

## How to fix
Put the variable in the submission's runtime_env `env_vars` (`--runtime-env-json` or the
`--runtime-env` YAML), or bake it into the cluster image (`ENV`) or the KubeRay container `env`.
If it is only meant for the CI runner, move it to a step that does not submit.

## Fix safety
No automatic fix: whether the variable is meant for the cluster is the user's decision.

## References
- https://docs.ray.io/en/latest/cluster/running-applications/job-submission/cli.html
- https://docs.ray.io/en/latest/ray-core/handling-dependencies.html#api-reference
"""

META = RuleMeta(
    code="RUV502",
    name="submit-shell-env-not-propagated",
    severity=Severity.WARNING,
    summary="A uv/Ray variable set around `ray job submit` does not reach the cluster",
    fix=None,
    doc=DOC,
)


def check(repo: Repo, facts: Facts) -> Iterator[Finding]:
    seen: set[tuple[str, int, str]] = set()
    drivers = {id(d.submit): d for d in facts.cluster_drivers if d.submit is not None}
    for wf, job, step, found in facts.workflow_commands:
        submits = [s for s in found if isinstance(s, RaySubmit)]
        if not submits:
            continue
        env = wf.effective_env(job, step)
        prefixes = _prefixes(wf.path, step)
        for submit in submits:
            driver = drivers.get(id(submit))
            if driver is None:
                continue
            if (submit.runtime_env or submit.runtime_env_json) and driver.runtime_env is None:
                continue  # a runtime_env uvray cannot read: it may carry the variables
            carried = set(driver.env_vars)
            carried |= {
                name
                for c in submit.entrypoint_commands
                if isinstance(c, UvCommand)
                for name in c.assignments
            }
            carried |= _entrypoint_assignments(submit.entrypoint)
            candidates: dict[str, tuple[Location, str]] = {}
            for name, entry in env.items():
                if _relevant(name) and not _used_locally(facts, wf, job, step, entry, name):
                    candidates[name] = (entry.location, _scope(wf, job, step, entry))
            local_uv = any(
                isinstance(c, UvCommand) and c.location.line == submit.location.line for c in found
            )
            for name in prefixes.get(submit.location.line, {}):
                if _relevant(name) and not (local_uv and name.startswith("UV_")):
                    candidates[name] = (submit.location, "the command prefix")
            for name, (location, scope) in sorted(candidates.items()):
                if name in carried:
                    continue
                key = (location.path, location.line, name)
                if key in seen:
                    continue
                seen.add(key)
                yield Finding(
                    code=META.code,
                    message=(
                        f"{name} is set in {scope} of a step that runs `ray job submit`, but the "
                        "submission's runtime_env env_vars do not carry it: `ray job submit` "
                        "sends only the runtime_env and the entrypoint, so neither the driver "
                        "nor the workers on the cluster see it."
                    ),
                    location=location,
                    severity=META.severity,
                    fix=f"add {name} to the runtime_env env_vars (--runtime-env-json / "
                    "--runtime-env), or set it in the cluster image",
                    related=(("ray job submit", submit.location),),
                )


def _relevant(name: str) -> bool:
    return name.startswith("UV_") or name in _RAY_KEYS


def _scope(wf, job, step, entry) -> str:
    if entry is step.env.get(entry.name):
        return "the step's env"
    if entry is job.env.get(entry.name):
        return f"job {job.id}'s env"
    if entry is wf.env.get(entry.name):
        return "the workflow env"
    return f"job {job.id}'s container env"


def _used_locally(facts: Facts, wf, job, step, entry, name: str) -> bool:
    """A UV_* variable at job or workflow level that the jobs it covers use for their own uv
    commands (`uv sync`, `uv run pytest`): it is there for the runner, not the cluster."""
    if not name.startswith("UV_"):
        return False
    step_only = entry is step.env.get(name)
    workflow_wide = entry is wf.env.get(name)
    for other_wf, other_job, other_step, found in facts.workflow_commands:
        if other_wf is not wf or (other_job is not job and not workflow_wide):
            continue
        if step_only and other_step is not step:
            continue
        if any(isinstance(c, UvCommand) for c in found):
            return True
    return False


def _prefixes(path: str, step) -> dict[int, dict[str, str | None]]:
    """Variables set on the `ray job submit` command line itself, or exported before it in the
    step's script, by line."""
    if step.run is None:
        return {}
    site = site_for_lines(path, step.run.text, step.run.first_line)
    out: dict[int, dict[str, str | None]] = {}
    exported: dict[str, str | None] = {}
    for cmd in split_commands(site.text, site.lookup):
        words = cmd.words
        if words[:1] == ["export"]:
            for word in words[1:]:
                name, eq, value = word.partition("=")
                if eq:
                    exported[name] = value
            continue
        if "job" in words and "submit" in words and any(w.endswith("ray") for w in words):
            out[site.line_of(cmd.offset)] = {**exported, **cmd.assignments}
    return out


def _entrypoint_assignments(entrypoint: list[str]) -> set[str]:
    """`-- env UV_NO_SYNC=1 uv run …` or `-- UV_NO_SYNC=1 uv run …`: set for the driver."""
    names = set()
    for word in entrypoint:
        name, eq, _value = word.partition("=")
        if eq and name.isidentifier():
            names.add(name)
        elif word != "env":
            break
    return names
