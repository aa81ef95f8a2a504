"""Run a composite action's steps locally, the way the GitHub runner does.

What the runner does and this copies (actions/runner, github/docs metadata-syntax.md and
workflow-commands.md):
- `with:` values, else each input's default, feed `${{ inputs.x }}`; a composite step gets no
  INPUT_* variables of its own, only what its `env:` maps;
- `${{ ... }}` is substituted in `env:` values and in output `value:`s, never in the script text
  here: a `run:` that contains one is refused (the action must not do that at all);
- each step runs as `bash --noprofile --norc -eo pipefail <script file>` in the workspace, with
  GITHUB_ACTION_PATH, GITHUB_WORKSPACE, RUNNER_TEMP and a fresh GITHUB_OUTPUT and
  GITHUB_STEP_SUMMARY file per step;
- a failing step skips the rest (no `if:` support: the action has none) and fails the action;
- workflow commands on stdout and stderr become annotations, except between
  `::stop-commands::TOKEN` and `::TOKEN::`.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_INPUT = re.compile(r"^inputs\.([A-Za-z0-9_-]+)$")
_STEP_OUTPUT = re.compile(r"^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$")
_COMMAND = re.compile(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$")
# What a step inherits from the machine; the rest of the test process's environment (PYTHONPATH,
# VIRTUAL_ENV, UV_*) must not leak into the action.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "PIP_INDEX_URL")
_INHERITED_PREFIXES = ("PIP_", "DOCKER_")


class HarnessError(Exception):
    """The action uses something the runner would not do as written."""


@dataclass
class Annotation:
    level: str
    properties: dict[str, str]
    message: str


@dataclass
class StepResult:
    id: str | None
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    annotations: list[Annotation]


@dataclass
class ActionRun:
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.returncode != 0), None)

    @property
    def exit_code(self) -> int:
        failed = self.failed_step
        return failed.returncode if failed else 0

    @property
    def summary(self) -> str:
        return "".join(s.summary for s in self.steps)

    @property
    def annotations(self) -> list[Annotation]:
        return [a for s in self.steps for a in s.annotations]

    @property
    def log(self) -> str:
        return "\n".join(f"--- {s.name}\n{s.stdout}{s.stderr}" for s in self.steps)


def load(action_yml: Path) -> dict:
    with open(action_yml, encoding="utf-8") as f:
        return yaml.safe_load(f)


def run_action(
    action_dir: Path,
    with_: Mapping[str, str],
    workspace: Path,
    runner_temp: Path,
    github: Mapping[str, str] | None = None,
    preset: Mapping[str, Mapping[str, str]] | None = None,
    only: set[str] | None = None,
) -> ActionRun:
    """Run action_dir/action.yml. `preset` gives finished steps' outputs by id (those steps are
    not run: one install serves a session); `only` runs just the steps with these ids."""
    action = load(action_dir / "action.yml")
    if action["runs"]["using"] != "composite":
        raise HarnessError("not a composite action")
    inputs = _inputs(action.get("inputs") or {}, with_)
    step_outputs: dict[str, dict[str, str]] = {k: dict(v) for k, v in (preset or {}).items()}
    result = ActionRun()
    runner_temp.mkdir(parents=True, exist_ok=True)
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id")
        if step_id in (preset or {}) or (only is not None and step_id not in only):
            continue
        if "if" in step or "uses" in step:
            raise HarnessError(f"step {index}: only plain run: steps are supported")
        done = _run_step(
            step, index, inputs, step_outputs, action_dir, workspace, runner_temp, github
        )
        result.steps.append(done)
        if step_id:
            step_outputs[step_id] = done.outputs
        if done.returncode != 0:
            break
    for name, spec in (action.get("outputs") or {}).items():
        result.outputs[name] = _substitute(str(spec["value"]), inputs, step_outputs)
    return result


def _inputs(declared: Mapping[str, Mapping], with_: Mapping[str, str]) -> dict[str, str]:
    unknown = set(with_) - set(declared)
    if unknown:
        raise HarnessError(f"unexpected input(s) {sorted(unknown)}")
    values = {}
    for name, spec in declared.items():
        if name in with_:
            values[name] = str(with_[name])
        else:
            default = spec.get("default", "")
            if isinstance(default, str) and EXPRESSION.search(default):
                raise HarnessError(f"input {name}: expression defaults are not supported here")
            values[name] = "" if default is None else str(default)
    return values


def _substitute(
    text: str, inputs: Mapping[str, str], steps: Mapping[str, Mapping[str, str]]
) -> str:
    def value(match: re.Match) -> str:
        expr = match.group(1)
        m = _INPUT.match(expr)
        if m:
            if m.group(1) not in inputs:
                raise HarnessError(f"${{{{ {expr} }}}}: no such input")
            return inputs[m.group(1)]
        m = _STEP_OUTPUT.match(expr)
        if m:
            # Like the runner: an output a step did not set (or a step that did not run) is "".
            return steps.get(m.group(1), {}).get(m.group(2), "")
        raise HarnessError(f"${{{{ {expr} }}}}: expression not supported by the harness")

    return EXPRESSION.sub(value, text)


def _run_step(
    step: Mapping,
    index: int,
    inputs: Mapping[str, str],
    step_outputs: Mapping[str, Mapping[str, str]],
    action_dir: Path,
    workspace: Path,
    runner_temp: Path,
    github: Mapping[str, str] | None,
) -> StepResult:
    script = step["run"]
    if EXPRESSION.search(script):
        raise HarnessError(f"step {index}: ${{{{ }}}} inside run: (pass it through env:)")
    if step.get("shell") != "bash":
        raise HarnessError(f"step {index}: shell {step.get('shell')!r} is not simulated")
    tag = uuid.uuid4().hex
    output_file = runner_temp / f"_runner_file_commands/set_output_{tag}"
    summary_file = runner_temp / f"_runner_file_commands/step_summary_{tag}"
    output_file.parent.mkdir(parents=True, exist_ok=True)
    output_file.touch()
    summary_file.touch()
    script_file = runner_temp / f"{tag}.sh"
    script_file.write_text(script, encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if k in _INHERITED or k.startswith(_INHERITED_PREFIXES)
    }
    env.update(
        {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(action_dir),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
        }
    )
    env.update(github or {})
    for key, raw in (step.get("env") or {}).items():
        env[key] = _substitute(str(raw), inputs, step_outputs)
    cwd = workspace / step["working-directory"] if "working-directory" in step else workspace
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    return StepResult(
        id=step.get("id"),
        name=step.get("name", f"step {index}"),
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        outputs=parse_outputs(output_file.read_text(encoding="utf-8")),
        summary=summary_file.read_text(encoding="utf-8"),
        annotations=parse_annotations(done.stdout) + parse_annotations(done.stderr),
    )


def parse_outputs(text: str) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks, as the runner reads $GITHUB_OUTPUT."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise HarnessError(f"output {name}: no closing {delimiter}")
            i += 1
            out[name] = "\n".join(body)
        else:
            name, eq, value = line.partition("=")
            if not eq:
                raise HarnessError(f"GITHUB_OUTPUT line {line!r} is not name=value")
            out[name] = value
    return out


def parse_annotations(text: str) -> list[Annotation]:
    found: list[Annotation] = []
    stopped_until: str | None = None
    for line in text.splitlines():
        if stopped_until is not None:
            if line == stopped_until:
                stopped_until = None
            continue
        m = _COMMAND.match(line)
        if not m:
            continue
        name, props, data = m.groups()
        if name == "stop-commands":
            stopped_until = f"::{data}::"
            continue
        if name in ("error", "warning", "notice"):
            found.append(Annotation(name, _properties(props or ""), unescape_data(data)))
    return found


def _properties(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(","):
        if part:
            key, _, value = part.partition("=")
            out[key] = unescape_property(value)
    return out


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))
