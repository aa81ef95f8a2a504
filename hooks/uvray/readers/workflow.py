"""GitHub workflows (``.github/workflows/*.yml``) and composite actions (``action.yml``).

What callers must know:

* Keys and scalar values follow GitHub's YAML rules, not PyYAML's: keys are the text as written
  (``on:`` is "on", not True), and plain scalars are resolved with the YAML 1.2 core schema and
  printed the way the runner prints them (``true`` -> "true", ``3.10`` -> "3.1", ``yes`` -> "yes",
  ``~`` -> "").
* ``EnvEntry.value`` is the static value, or None when the text has a ``${{ }}`` expression that
  cannot be resolved statically; ``raw`` always keeps the text as written. A single
  ``${{ matrix.X }}`` with exactly one static matrix value, or ``${{ env.X }}`` where the
  ``env`` context is available and static, is resolved.
* ``Script.first_line`` is the file line of the script's first text line (the line after
  ``run: |``). For literal blocks and single-line values, text line ``i`` is on file line
  ``first_line + i`` (``exact_lines`` is True); folded and multi-line quoted scalars only know
  their first line (use ``Script.line_of``).
* Other string fields (``uses``, ``container_image``, ``working_directory``, shells, names) keep
  the text as written, expressions included; use ``expand`` on them when needed.
* ``Step.index`` is 0-based. ``Job.defaults_*`` already fall back to the workflow's ``defaults``;
  ``Script.shell`` is the effective shell (step ``shell``, else job/workflow default, else None).
* Wrong shapes (``jobs`` not a mapping, ``steps`` not a list...) become ``InputError`` with the
  line; the rest of the file is still read. An empty file is ``(None, [])``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from uvray.findings import InputError, Location
from uvray.readers.yamlio import Span, YList, YMap, describe, load_yaml

COMPOSITE_JOB_ID = "(composite)"

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_CONTEXT_REF = re.compile(
    r"""(matrix|env)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'([^']*)'\s*\])\Z"""
)

# The runner's YAML reader (actions/runner YamlObjectReader) uses the YAML 1.2 core schema.
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUES = frozenset(("true", "True", "TRUE"))
_FALSES = frozenset(("false", "False", "FALSE"))
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"([-+]?)\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")


@dataclass
class EnvEntry:
    name: str
    # None: the text holds a ${{ }} expression uvray cannot evaluate statically.
    value: str | None
    raw: str
    location: Location  # the key
    value_location: Location | None = None


@dataclass
class Script:
    text: str
    path: str
    first_line: int
    shell: str | None = None
    # True when text line i is on file line first_line + i (literal blocks, single lines).
    exact_lines: bool = True

    def line_of(self, index: int) -> int:
        """File line of 0-based text line ``index`` (the first line when lines were folded)."""
        return self.first_line + index if self.exact_lines else self.first_line


@dataclass
class Step:
    index: int
    name: str | None
    id: str | None
    uses: str | None
    with_: dict[str, EnvEntry]
    env: dict[str, EnvEntry]
    run: Script | None
    working_directory: str | None
    location: Location
    shell: str | None = None  # as written on the step; Script.shell has the effective one


@dataclass
class Job:
    id: str
    env: dict[str, EnvEntry]
    container_env: dict[str, EnvEntry]
    container_image: str | None
    matrix: dict[str, list[str]]
    steps: list[Step]
    location: Location
    defaults_run_shell: str | None = None
    defaults_working_directory: str | None = None
    uses: str | None = None  # a reusable-workflow call has no steps
    runs_on: list[str] = field(default_factory=list)


@dataclass
class Workflow:
    path: str
    is_action: bool
    name: str | None
    env: dict[str, EnvEntry]
    jobs: list[Job]
    location: Location
    # Action inputs, or workflow_call/workflow_dispatch inputs: name -> default (None: none).
    inputs: dict[str, str | None] = field(default_factory=dict)

    def effective_env(self, job: Job, step: Step | None = None) -> dict[str, EnvEntry]:
        """What a step's process sees: container.env < workflow env < job env < step env."""
        merged: dict[str, EnvEntry] = {}
        merged.update(job.container_env)
        merged.update(self.env)
        merged.update(job.env)
        if step is not None:
            merged.update(step.env)
        return merged

    def expand(self, text: str, job: Job, step: Step | None = None) -> list[str] | None:
        """``expand`` with the ``env`` context a step's ``with``/``run`` sees."""
        context = {**self.env, **job.env}
        if step is not None:
            context.update(step.env)
        return expand(text, job, context)

    def job(self, job_id: str) -> Job | None:
        return next((j for j in self.jobs if j.id == job_id), None)


def expand(
    text: str, job: Job | None = None, env: Mapping[str, EnvEntry] | None = None
) -> list[str] | None:
    """Static candidates for ``text``: one per matrix value for a single ``${{ matrix.X }}``,
    the value for ``${{ env.X }}`` (looked up in ``env``). No expression: ``[text]``.
    None when the text cannot be known statically (other expressions, several expressions,
    unknown keys)."""
    found = list(_EXPR.finditer(text))
    if not found:
        return [text]
    if len(found) > 1:
        return None
    match = found[0]
    ref = _CONTEXT_REF.match(match.group(1).strip())
    if ref is None:
        return None
    context, key = ref.group(1), ref.group(2) if ref.group(2) is not None else ref.group(3)
    if context == "matrix":
        values = job.matrix.get(key) if job is not None else None
        if not values:
            return None
    else:
        entry = env.get(key) if env is not None else None
        if entry is None or entry.value is None:
            return None
        values = [entry.value]
    head, tail = text[: match.start()], text[match.end() :]
    return [head + v + tail for v in values]


def github_string(value: Any, span: Span | None) -> str | None:
    """The string GitHub sees for a scalar, or None for a mapping/list."""
    if isinstance(value, (dict, list)):
        return None
    if span is None or span.raw is None:
        return _format_python(value)
    if span.style != "":
        return span.raw  # quoted and block scalars are always strings
    raw = span.raw
    if raw in _NULLS:
        return ""
    if raw in _TRUES:
        return "true"
    if raw in _FALSES:
        return "false"
    if _INT.match(raw) or _FLOAT.match(raw):
        return _format_number(float(raw))
    if _OCT.match(raw):
        return _format_number(_to_float(int(raw[2:], 8)))
    if _HEX.match(raw):
        return _format_number(_to_float(int(raw[2:], 16)))
    inf = _INF.match(raw)
    if inf:
        return "-Infinity" if inf.group(1) == "-" else "Infinity"
    if _NAN.match(raw):
        return "NaN"
    return raw


def read_workflow(
    text: str, display_path: str, is_action: bool = False
) -> tuple[Workflow | None, list[InputError]]:
    """Read a workflow (or, with ``is_action``, an action.yml). Never raises."""
    docs, errors = load_yaml(text, display_path, str_keys=True)
    present = [d for d in docs if d is not None]
    if not present:
        return None, errors
    top = present[0]
    kind = "action" if is_action else "workflow"
    if len(present) > 1:
        second = present[1]
        line = second.line if isinstance(second, (YMap, YList)) else None
        errors.append(
            InputError(display_path, f"a {kind} file must hold one YAML document, found more", line)
        )
    if not isinstance(top, YMap):
        line = top.line if isinstance(top, YList) else 1
        errors.append(
            InputError(display_path, f"a {kind} must be a mapping, found {describe(top)}", line)
        )
        return None, errors
    reader = _Reader(display_path, errors)
    try:
        workflow = reader.action(top) if is_action else reader.workflow(top)
    except Exception as exc:  # a reader bug must cost one file, not the whole run
        errors.append(InputError(display_path, f"cannot read {kind}: internal error: {exc!r}"))
        return None, errors
    return workflow, errors


# --- internals ---------------------------------------------------------------------------------


def _format_number(number: float) -> str:
    # The runner keeps numbers as doubles and prints them with .NET's "G15".
    if math.isinf(number):
        return "-Infinity" if number < 0 else "Infinity"
    if math.isnan(number):
        return "NaN"
    return format(number, ".15G")


def _to_float(number: int) -> float:
    try:
        return float(number)
    except OverflowError:
        return math.inf


def _format_python(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _format_number(_to_float(value))
    if isinstance(value, float):
        return _format_number(value)
    return str(value)


def _entries(ymap: YMap) -> list[tuple[str, Any, Span, Span]]:
    """(key, value, key span, value span) for each entry; keys are text (loaded with str_keys)."""
    return [
        (
            key if isinstance(key, str) else _format_python(key),
            value,
            ymap.key_spans.get(key, ymap.span),
            ymap.value_spans.get(key, ymap.span),
        )
        for key, value in ymap.items()
    ]


def _lookup(ymap: YMap, name: str) -> tuple[Any, Span, Span] | None:
    if name not in ymap:
        return None
    return ymap[name], ymap.key_spans.get(name, ymap.span), ymap.value_spans.get(name, ymap.span)


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${{" in value


class _Reader:
    def __init__(self, path: str, errors: list[InputError]) -> None:
        self.path = path
        self.errors = errors

    def error(self, message: str, line: int | None) -> None:
        self.errors.append(InputError(self.path, message, line))

    # shapes

    def mapping(self, parent: YMap, name: str, where: str) -> YMap | None:
        """parent[name] when it is a mapping; None when absent, null or an expression."""
        found = _lookup(parent, name)
        if found is None:
            return None
        value, _key_span, value_span = found
        if isinstance(value, YMap):
            return value
        if value is not None and not _is_expression(value):
            self.error(f"'{where}' must be a mapping, found {describe(value)}", value_span.line)
        return None

    def string(self, parent: YMap, name: str, where: str) -> str | None:
        found = _lookup(parent, name)
        if found is None or found[0] is None:
            return None
        value, _key_span, value_span = found
        text = github_string(value, value_span)
        if text is None:
            self.error(f"'{where}' must be a string, found {describe(value)}", value_span.line)
        return text

    # documents

    def workflow(self, top: YMap) -> Workflow:
        env = self.env(top, "env", None, allow_env=False, allow_matrix=False)
        run_shell, run_dir = self.defaults(top, "defaults", None, None)
        jobs: list[Job] = []
        jobs_map = self.mapping(top, "jobs", "jobs")
        if jobs_map is not None:
            for job_id, value, key_span, _value_span in _entries(jobs_map):
                job = self.job(job_id, value, key_span, env, run_shell, run_dir)
                if job is not None:
                    jobs.append(job)
        return Workflow(
            path=self.path,
            is_action=False,
            name=self.string(top, "name", "name"),
            env=env,
            jobs=jobs,
            location=Location(self.path, top.line, top.column),
            inputs=self.workflow_inputs(top),
        )

    def action(self, top: YMap) -> Workflow:
        jobs: list[Job] = []
        runs = self.mapping(top, "runs", "runs")
        if runs is not None and self.string(runs, "using", "runs.using") == "composite":
            found = _lookup(top, "runs")
            assert found is not None
            job = Job(
                id=COMPOSITE_JOB_ID,
                env={},
                container_env={},
                container_image=None,
                matrix={},
                steps=[],
                location=Location(self.path, found[1].line, found[1].column),
            )
            job.steps = self.steps(runs, "runs.steps", job, {})
            jobs.append(job)
        return Workflow(
            path=self.path,
            is_action=True,
            name=self.string(top, "name", "name"),
            env={},
            jobs=jobs,
            location=Location(self.path, top.line, top.column),
            inputs=self.inputs(top, "inputs"),
        )

    def workflow_inputs(self, top: YMap) -> dict[str, str | None]:
        on = _lookup(top, "on")
        if on is None or not isinstance(on[0], YMap):
            return {}
        inputs: dict[str, str | None] = {}
        for event in ("workflow_call", "workflow_dispatch"):
            found = _lookup(on[0], event)
            if found is not None and isinstance(found[0], YMap):
                for name, default in self.inputs(found[0], f"on.{event}.inputs").items():
                    inputs.setdefault(name, default)
        return inputs

    def inputs(self, parent: YMap, where: str) -> dict[str, str | None]:
        inputs_map = self.mapping(parent, "inputs", where)
        if inputs_map is None:
            return {}
        out: dict[str, str | None] = {}
        for name, value, _key_span, _value_span in _entries(inputs_map):
            default = None
            if isinstance(value, YMap):
                found = _lookup(value, "default")
                if found is not None and found[0] is not None:
                    default = github_string(found[0], found[2])
            out[name] = default
        return out

    def defaults(
        self, parent: YMap, where: str, shell: str | None, directory: str | None
    ) -> tuple[str | None, str | None]:
        defaults = self.mapping(parent, "defaults", where)
        run = self.mapping(defaults, "run", f"{where}.run") if defaults is not None else None
        if run is None:
            return shell, directory
        new_shell = self.string(run, "shell", f"{where}.run.shell")
        new_dir = self.string(run, "working-directory", f"{where}.run.working-directory")
        return new_shell or shell, new_dir or directory

    def job(
        self,
        job_id: str,
        value: Any,
        key_span: Span,
        workflow_env: dict[str, EnvEntry],
        run_shell: str | None,
        run_dir: str | None,
    ) -> Job | None:
        where = f"jobs.{job_id}"
        if not isinstance(value, YMap):
            self.error(f"'{where}' must be a mapping, found {describe(value)}", key_span.line)
            return None
        job = Job(
            id=job_id,
            env={},
            container_env={},
            container_image=None,
            matrix={},
            steps=[],
            location=Location(self.path, key_span.line, key_span.column),
            uses=self.string(value, "uses", f"{where}.uses"),
            runs_on=self.runs_on(value, where),
        )
        # The matrix first: job env and container env may use ${{ matrix.X }}.
        job.matrix = self.matrix(value, where)
        job.env = self.env(value, "env", job, allow_env=False, allow_matrix=True, where=where)
        self.container(value, where, job)
        job.defaults_run_shell, job.defaults_working_directory = self.defaults(
            value, f"{where}.defaults", run_shell, run_dir
        )
        job.steps = self.steps(value, f"{where}.steps", job, {**workflow_env, **job.env})
        return job

    def runs_on(self, job_map: YMap, where: str) -> list[str]:
        found = _lookup(job_map, "runs-on")
        if found is None:
            return []
        value, _key_span, value_span = found
        if isinstance(value, YList):
            labels = (github_string(v, s) for v, s in zip(value, value.item_spans))
            return [label for label in labels if label is not None]
        if isinstance(value, YMap):  # runs-on: {group: ..., labels: ...}
            labels_found = _lookup(value, "labels")
            if labels_found is None:
                return []
            labels_value = labels_found[0]
            if isinstance(labels_value, YList):
                labels = (
                    github_string(v, s) for v, s in zip(labels_value, labels_value.item_spans)
                )
                return [label for label in labels if label is not None]
            label = github_string(labels_value, labels_found[2])
            return [label] if label else []
        label = github_string(value, value_span)
        return [label] if label else []

    def container(self, job_map: YMap, where: str, job: Job) -> None:
        found = _lookup(job_map, "container")
        if found is None or found[0] is None:
            return
        value, _key_span, value_span = found
        if isinstance(value, YMap):
            job.container_image = self.string(value, "image", f"{where}.container.image")
            job.container_env = self.env(
                value, "env", job, allow_env=False, allow_matrix=True, where=f"{where}.container"
            )
            return
        image = github_string(value, value_span)
        if image is None:
            self.error(
                f"'{where}.container' must be an image name or a mapping, found {describe(value)}",
                value_span.line,
            )
        job.container_image = image

    def matrix(self, job_map: YMap, where: str) -> dict[str, list[str]]:
        strategy = self.mapping(job_map, "strategy", f"{where}.strategy")
        if strategy is None:
            return {}
        found = _lookup(strategy, "matrix")
        if found is None or not isinstance(found[0], YMap):
            return {}  # absent, or a ${{ fromJSON(...) }} expression: nothing static
        matrix: dict[str, list[str]] = {}
        dynamic: set[str] = set()

        def add(key: str, value: Any, span: Span) -> None:
            text = github_string(value, span)
            if text is None or key in dynamic:
                return  # objects as matrix values: not strings a rule could use
            if "${{" in text:
                # One unknown value makes every candidate list for this key incomplete.
                dynamic.add(key)
                matrix.pop(key, None)
                return
            values = matrix.setdefault(key, [])
            if text not in values:
                values.append(text)

        include: list[tuple[Any, Span]] = []
        for key, value, _key_span, value_span in _entries(found[0]):
            if key == "exclude":
                continue  # removing combinations rarely removes a value; ignoring it is safe
            if key == "include":
                if isinstance(value, YList):
                    include.extend(zip(value, value.item_spans))
                continue
            if isinstance(value, YList):
                matrix.setdefault(key, [])
                for item, item_span in zip(value, value.item_spans):
                    add(key, item, item_span)
            elif _is_expression(value):
                dynamic.add(key)
            else:
                self.error(
                    f"'{where}.strategy.matrix.{key}' must be a list, found {describe(value)}",
                    value_span.line,
                )
        for entry, _span in include:
            if isinstance(entry, YMap):
                for key, value, _key_span, value_span in _entries(entry):
                    add(key, value, value_span)
        return matrix

    def env(
        self,
        parent: YMap,
        name: str,
        job: Job | None,
        *,
        allow_env: bool,
        allow_matrix: bool,
        where: str = "",
        context: Mapping[str, EnvEntry] | None = None,
    ) -> dict[str, EnvEntry]:
        label = f"{where}.{name}" if where else name
        env_map = self.mapping(parent, name, label)
        if env_map is None:
            return {}
        out: dict[str, EnvEntry] = {}
        for key, value, key_span, value_span in _entries(env_map):
            text = github_string(value, value_span)
            if text is None:
                self.error(
                    f"'{label}.{key}' must be a string, found {describe(value)}", value_span.line
                )
                continue
            resolved: str | None = text
            if "${{" in text:
                candidates = expand(
                    text,
                    job if allow_matrix else None,
                    context if allow_env else None,
                )
                resolved = (
                    candidates[0] if candidates is not None and len(candidates) == 1 else None
                )
            raw = value_span.raw if value_span.raw is not None else text
            out[key] = EnvEntry(
                name=key,
                value=resolved,
                raw=raw,
                location=key_span.location(self.path),
                value_location=value_span.location(self.path),
            )
        return out

    def steps(
        self, parent: YMap, where: str, job: Job, env_context: dict[str, EnvEntry]
    ) -> list[Step]:
        found = _lookup(parent, "steps")
        if found is None or found[0] is None:
            return []
        value, _key_span, value_span = found
        if not isinstance(value, YList):
            self.error(f"'{where}' must be a list, found {describe(value)}", value_span.line)
            return []
        steps = []
        for index, (item, item_span) in enumerate(zip(value, value.item_spans)):
            if not isinstance(item, YMap):
                self.error(
                    f"'{where}[{index}]' must be a mapping, found {describe(item)}", item_span.line
                )
                continue
            steps.append(self.step(index, item, item_span, f"{where}[{index}]", job, env_context))
        return steps

    def step(
        self,
        index: int,
        item: YMap,
        item_span: Span,
        where: str,
        job: Job,
        env_context: dict[str, EnvEntry],
    ) -> Step:
        env = self.env(
            item, "env", job, allow_env=True, allow_matrix=True, where=where, context=env_context
        )
        # `with` and `run` see the step's own env too.
        with_context = {**env_context, **env}
        with_ = self.env(
            item, "with", job, allow_env=True, allow_matrix=True, where=where, context=with_context
        )
        shell = self.string(item, "shell", f"{where}.shell")
        run = None
        found = _lookup(item, "run")
        if found is not None and found[0] is not None:
            value, _key_span, value_span = found
            text = github_string(value, value_span)
            if text is None:
                self.error(
                    f"'{where}.run' must be a string, found {describe(value)}", value_span.line
                )
            else:
                run = Script(
                    text=text,
                    path=self.path,
                    first_line=value_span.text_line,
                    shell=shell or job.defaults_run_shell,
                    exact_lines=value_span.style == "|" or "\n" not in text.rstrip("\n"),
                )
        return Step(
            index=index,
            name=self.string(item, "name", f"{where}.name"),
            id=self.string(item, "id", f"{where}.id"),
            uses=self.string(item, "uses", f"{where}.uses"),
            with_=with_,
            env=env,
            run=run,
            working_directory=self.string(item, "working-directory", f"{where}.working-directory"),
            location=item_span.location(self.path),
            shell=shell,
        )
