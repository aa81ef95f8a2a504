from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvray.findings import InputError, Location
from uvray.readers.workflow import (
    COMPOSITE_JOB_ID,
    EnvEntry,
    Job,
    Script,
    Step,
    Workflow,
    expand,
    github_string,
    read_workflow,
)
from uvray.readers.yamlio import load_yaml

DATA = Path(__file__).parent / "data"
CI = ".github/workflows/ci.yml"


def read(text: str, path: str = CI, is_action: bool = False) -> Workflow:
    wf, errors = read_workflow(text, path, is_action)
    assert errors == []
    assert wf is not None
    return wf


@pytest.fixture(scope="module")
def ci_text() -> str:
    return (DATA / "ci.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ci(ci_text: str) -> Workflow:
    return read(ci_text)


def step_named(job: Job, name: str) -> Step:
    return next(s for s in job.steps if s.name == name)


# --- the realistic CI workflow ----------------------------------------------------------------


def test_workflow_basics(ci: Workflow) -> None:
    assert ci.path == CI
    assert ci.is_action is False
    assert ci.name == "CI"
    assert ci.location == Location(CI, 2, 1)  # the mapping starts after the leading comment
    assert [j.id for j in ci.jobs] == ["test", "lint", "call"]
    assert ci.inputs == {"ray-version": "2.44.1"}  # `on:` is "on", not True


@pytest.mark.parametrize(
    ("name", "value", "raw", "line"),
    [
        ("UV_SYSTEM_PYTHON", "1", "1", 15),
        ("UV_LINK_MODE", "copy", "copy", 16),
        ("FORCE_COLOR", "true", "true", 17),
        ("PYTHON_VERSION", "3.1", "3.10", 18),  # what GitHub really exports
        ("RAY_VERSION", None, "${{ inputs.ray-version }}", 19),
    ],
)
def test_workflow_env(ci: Workflow, name: str, value: str | None, raw: str, line: int) -> None:
    entry = ci.env[name]
    assert (entry.name, entry.value, entry.raw) == (name, value, raw)
    assert entry.location.line == line
    assert entry.location.column == 3
    assert entry.value_location is not None and entry.value_location.line == line


def test_job_env_container_and_matrix(ci: Workflow) -> None:
    test = ci.job("test")
    assert test is not None
    assert test.location == Location(CI, 26, 3)
    assert test.matrix == {
        "python": ["3.11", "3.12", "3.13"],  # include adds 3.13
        "uv": ["0.6.14"],
        "experimental": ["true"],
    }
    assert {k: (e.value, e.location.line) for k, e in test.env.items()} == {
        "UV_PYTHON": (None, 38),  # three matrix values: not static
        "UV_VERSION": ("0.6.14", 39),  # exactly one matrix value: resolved
        "UV_LINK_MODE": ("hardlink", 40),
    }
    assert test.env["UV_PYTHON"].raw == "${{ matrix.python }}"
    assert test.container_image == "ghcr.io/astral-sh/uv:0.6.14-python3.12-bookworm"
    assert {k: (e.value, e.location.line) for k, e in test.container_env.items()} == {
        "UV_CACHE_DIR": ("/tmp/uv-cache", 44),
        "UV_LINK_MODE": ("symlink", 45),
    }
    assert test.defaults_run_shell == "bash"  # inherited from the workflow defaults
    assert test.defaults_working_directory is None
    assert test.runs_on == ["ubuntu-latest"]
    assert test.uses is None


def test_steps(ci: Workflow) -> None:
    test = ci.job("test")
    assert test is not None
    assert [s.index for s in test.steps] == list(range(9))
    checkout, setup, sync, pytest_step = test.steps[:4]
    assert checkout.uses == "actions/checkout@v4"
    assert checkout.name is None and checkout.run is None
    assert checkout.location == Location(CI, 47, 9)
    assert setup.uses == "astral-sh/setup-uv@v5"
    assert setup.with_["version"] == EnvEntry(
        "version",
        "0.6.14",
        "${{ matrix.uv }}",
        Location(CI, 51, 11, 51, 18),
        Location(CI, 51, 20, 51, 36),
    )
    assert setup.with_["enable-cache"].value == "true"
    assert sync.run is not None and sync.run.text == "uv sync --locked --all-extras"
    assert pytest_step.id == "pytest"
    assert pytest_step.working_directory == "./src"
    assert {k: e.value for k, e in pytest_step.env.items()} == {
        "UV_LINK_MODE": "copy",
        "RAY_ADDRESS": "auto",
        "PYVER": None,  # env.UV_PYTHON is a matrix of three
        "CACHE": None,  # container env is not in the `env` context
    }


@pytest.mark.parametrize(
    ("step", "first_line", "text", "shell", "exact"),
    [
        ("Sync", 54, "uv sync --locked --all-extras", "bash", True),
        (
            "Test",
            64,
            "uv run --frozen pytest -x \\\n  --maxfail=1\n\nray start --head\n",
            "bash",
            True,
        ),
        ("Trimmed", 71, "echo one\necho two", "sh", True),
        ("Kept", 75, "echo kept\n\n", "bash", True),
        ("Indented", 79, "  echo indented\necho base\n", "bash", True),
        ("Folded", 83, "uv pip install ray[default]\n", "bash", True),
        ("Quoted", 86, "uv run python -c 'import ray'", "bash", True),
    ],
)
def test_scripts_know_their_first_line(
    ci: Workflow, ci_text: str, step: str, first_line: int, text: str, shell: str, exact: bool
) -> None:
    test = ci.job("test")
    assert test is not None
    run = step_named(test, step).run
    assert run == Script(text, CI, first_line, shell, exact)
    # Every non-blank script line really is on line first_line + i of the file.
    file_lines = ci_text.splitlines()
    if step not in ("Folded", "Quoted"):
        for i, line in enumerate(text.split("\n")):
            if line.strip():
                assert file_lines[run.line_of(i) - 1].strip().endswith(line.strip())


def test_crlf_workflow_has_the_same_lines(ci_text: str, ci: Workflow) -> None:
    crlf = read(ci_text.replace("\n", "\r\n"))
    for job, crlf_job in zip(ci.jobs, crlf.jobs):
        for step, crlf_step in zip(job.steps, crlf_job.steps):
            assert crlf_step.run == step.run  # text normalised to \n, same first_line
            assert crlf_step.location == step.location


def test_other_jobs(ci: Workflow) -> None:
    lint = ci.job("lint")
    assert lint is not None
    assert lint.container_image == "python:3.12-slim"
    assert lint.container_env == {}
    assert lint.defaults_run_shell == "sh"
    assert lint.defaults_working_directory == "lint"
    assert lint.runs_on == ["self-hosted", "linux"]
    run = lint.steps[0].run
    assert run == Script("uvx ruff check", CI, 96, "sh", True)
    call = ci.job("call")
    assert call is not None
    assert call.uses == "./.github/workflows/reusable.yml"
    assert call.steps == []


def test_effective_env_precedence(ci: Workflow) -> None:
    test = ci.job("test")
    assert test is not None
    pytest_step = step_named(test, "Test")
    env = ci.effective_env(test, pytest_step)
    # container.env < workflow env < job env < step env
    assert env["UV_LINK_MODE"].value == "copy"
    assert env["UV_LINK_MODE"].location.line == 58
    assert env["UV_CACHE_DIR"].value == "/tmp/uv-cache"
    assert env["UV_SYSTEM_PYTHON"].value == "1"
    assert env["RAY_ADDRESS"].value == "auto"
    job_level = ci.effective_env(test)
    assert job_level["UV_LINK_MODE"].value == "hardlink"
    assert "RAY_ADDRESS" not in job_level


def test_effective_env_each_level_wins_over_the_one_below() -> None:
    wf = read(
        "env: {A: workflow, B: workflow}\n"
        "jobs:\n"
        "  j:\n"
        "    container: {image: x, env: {A: container, B: container, C: container, D: container}}\n"
        "    env: {B: job, C: job}\n"
        "    steps:\n"
        "      - env: {C: step}\n"
    )
    job = wf.jobs[0]
    env = wf.effective_env(job, job.steps[0])
    assert {k: e.value for k, e in env.items()} == {
        "A": "workflow",
        "B": "job",
        "C": "step",
        "D": "container",
    }


def test_workflow_expand(ci: Workflow) -> None:
    test = ci.job("test")
    assert test is not None
    pytest_step = step_named(test, "Test")
    assert ci.expand("uv==${{ matrix.uv }}", test) == ["uv==0.6.14"]
    assert ci.expand("${{ matrix.python }}", test) == ["3.11", "3.12", "3.13"]
    assert ci.expand("${{ env.UV_LINK_MODE }}", test) == ["hardlink"]
    assert ci.expand("${{ env.UV_LINK_MODE }}", test, pytest_step) == ["copy"]
    assert ci.expand("${{ env.UV_CACHE_DIR }}", test) is None


# --- expand / github_string -------------------------------------------------------------------

JOB = Job(
    id="j",
    env={},
    container_env={},
    container_image=None,
    matrix={"py": ["3.11", "3.12"], "uv": ["0.6.0"], "empty": []},
    steps=[],
    location=Location("w.yml", 1),
)
ENV = {
    "STATIC": EnvEntry("STATIC", "copy", "copy", Location("w.yml", 1)),
    "DYNAMIC": EnvEntry("DYNAMIC", None, "${{ secrets.X }}", Location("w.yml", 2)),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", ["plain"]),
        ("", [""]),
        ("${{ matrix.py }}", ["3.11", "3.12"]),
        ("python${{matrix.py}}-slim", ["python3.11-slim", "python3.12-slim"]),
        ("${{ matrix['uv'] }}", ["0.6.0"]),
        ("${{ matrix.missing }}", None),
        ("${{ matrix.empty }}", None),
        ("${{ env.STATIC }}", ["copy"]),
        ("--link-mode=${{ env['STATIC'] }}", ["--link-mode=copy"]),
        ("${{ env.DYNAMIC }}", None),
        ("${{ env.MISSING }}", None),
        ("${{ matrix.py }}-${{ matrix.uv }}", None),  # more than one expression
        ("${{ secrets.TOKEN }}", None),
        ("${{ matrix.py || '3.12' }}", None),
        ("${{ github.ref }}", None),
    ],
)
def test_expand(text: str, expected: list[str] | None) -> None:
    assert expand(text, JOB, ENV) == expected


def test_expand_without_context() -> None:
    assert expand("${{ matrix.py }}") is None
    assert expand("${{ env.STATIC }}", JOB) is None
    assert expand("static") == ["static"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("true", "true"),
        ("True", "true"),
        ("false", "false"),
        ("yes", "yes"),  # YAML 1.2 core: not a boolean for GitHub
        ("on", "on"),
        ("1", "1"),
        ("010", "10"),
        ("0o10", "8"),
        ("0x1F", "31"),
        ("1_000", "1_000"),
        ("3.10", "3.1"),
        ("3.0", "3"),
        ("1e3", "1000"),
        ("-0.5", "-0.5"),
        (".inf", "Infinity"),
        ("-.inf", "-Infinity"),
        (".nan", "NaN"),
        ("~", ""),
        ("null", ""),
        ("''", ""),
        ("'3.10'", "3.10"),
        ('"true"', "true"),
        ("2024-01-02", "2024-01-02"),
        ("1" * 400, "Infinity"),
        ("0x" + "f" * 400, "Infinity"),
        ("${{ matrix.x }}", "${{ matrix.x }}"),
    ],
)
def test_github_string(source: str, expected: str) -> None:
    docs, _errors = load_yaml(f"k: {source}\n", "w.yml")
    doc = docs[0]
    assert github_string(doc["k"], doc.value_spans["k"]) == expected


def test_keys_are_the_text_github_sees() -> None:
    wf = read("on: push\nenv:\n  yes: 1\n  1: one\n  'null': x\njobs: {}\n")
    # PyYAML alone would fold `yes` and `1` into one key (True == 1).
    assert {k: e.value for k, e in wf.env.items()} == {"yes": "1", "1": "one", "null": "x"}


# --- matrix details ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        ("{py: ['3.11', 3.12]}", {"py": ["3.11", "3.12"]}),
        ("{py: ['3.11', '3.11']}", {"py": ["3.11"]}),
        ("${{ fromJSON(needs.plan.outputs.matrix) }}", {}),
        ("{py: '${{ fromJSON(inputs.versions) }}'}", {}),
        ("{py: ['3.11', '${{ inputs.extra }}']}", {}),  # one unknown value taints the key
        ("{os: [{name: linux}], py: ['3.12']}", {"os": [], "py": ["3.12"]}),
        (
            "{py: ['3.12'], include: [{py: '3.13', uv: '0.7.0'}, 'junk']}",
            {
                "py": ["3.12", "3.13"],
                "uv": ["0.7.0"],
            },
        ),
        ("{py: ['3.12'], exclude: [{py: '3.12'}]}", {"py": ["3.12"]}),
        ("{include: [{uv: '${{ inputs.uv }}'}]}", {}),
    ],
)
def test_matrix(matrix: str, expected: dict[str, list[str]]) -> None:
    wf = read(f"jobs:\n  j:\n    strategy:\n      matrix: {matrix}\n")
    assert wf.jobs[0].matrix == expected


def test_matrix_values_resolve_job_and_container_env() -> None:
    wf = read(
        "jobs:\n"
        "  j:\n"
        "    strategy: {matrix: {uv: ['0.6.3']}}\n"
        "    container:\n"
        "      image: ghcr.io/astral-sh/uv:${{ matrix.uv }}\n"
        "      env: {UV: '${{ matrix.uv }}'}\n"
        "    env: {UV_VERSION: 'uv==${{ matrix.uv }}'}\n"
    )
    job = wf.jobs[0]
    assert job.env["UV_VERSION"].value == "uv==0.6.3"
    assert job.container_env["UV"].value == "0.6.3"
    # Other strings keep their text; callers expand them.
    assert job.container_image == "ghcr.io/astral-sh/uv:${{ matrix.uv }}"
    assert wf.expand(job.container_image, job) == ["ghcr.io/astral-sh/uv:0.6.3"]


def test_env_context_is_not_available_in_job_env() -> None:
    wf = read(
        "env: {A: a}\njobs:\n  j:\n    env: {B: '${{ env.A }}'}\n    steps:\n      - env: {C: '${{ env.A }}-${{ env.A }}'}\n        with: {d: '${{ env.A }}'}\n"
    )
    job = wf.jobs[0]
    assert job.env["B"].value is None
    assert job.steps[0].env["C"].value is None  # two expressions
    assert job.steps[0].with_["d"].value == "a"


def test_with_sees_the_steps_own_env() -> None:
    wf = read(
        "jobs:\n  j:\n    steps:\n      - env: {V: '0.6.0'}\n        with: {version: '${{ env.V }}'}\n"
    )
    assert wf.jobs[0].steps[0].with_["version"].value == "0.6.0"


# --- composite actions ------------------------------------------------------------------------


def test_composite_action() -> None:
    path = ".github/actions/setup/action.yml"
    action = read((DATA / "action.yml").read_text(encoding="utf-8"), path, is_action=True)
    assert action.is_action is True
    assert action.name == "Setup project"
    assert action.env == {}
    assert action.inputs == {"uv-version": "0.6.14", "python": None}
    assert len(action.jobs) == 1
    job = action.jobs[0]
    assert job.id == COMPOSITE_JOB_ID
    assert job.location == Location(path, 10, 1)
    setup, sync = job.steps
    assert setup.uses == "astral-sh/setup-uv@v5"
    assert setup.with_["version"].value is None  # inputs are the caller's business
    assert setup.with_["version"].raw == "${{ inputs.uv-version }}"
    assert setup.with_["version"].location.line == 15
    assert sync.env["UV_FROZEN"] == EnvEntry(
        "UV_FROZEN", "1", "1", Location(path, 20, 9, 20, 18), Location(path, 20, 20, 20, 21)
    )
    assert sync.env["UV_EXTRA"].value is None
    assert sync.run == Script("uv sync --all-extras\nuv pip list\n", path, 23, "bash", True)
    assert sync.working_directory == "${{ github.action_path }}"
    assert sync.shell == "bash"


@pytest.mark.parametrize(
    "runs",
    ["{using: node20, main: index.js}", "{using: docker, image: Dockerfile}", "null"],
)
def test_non_composite_actions_have_no_jobs(runs: str) -> None:
    action = read(f"name: x\nruns: {runs}\n", "action.yml", is_action=True)
    assert action.jobs == []


# --- shapes and errors ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# placeholder\n", "---\n", "--- ~\n"])
def test_empty_workflow_is_not_an_error(text: str) -> None:
    assert read_workflow(text, CI) == (None, [])


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("- a\n- b\n", "a workflow must be a mapping, found a list", 1),
        ("just text\n", "a workflow must be a mapping, found a string", 1),
        ("jobs: [a, b]\n", "'jobs' must be a mapping, found a list", 1),
        ("jobs:\n  build: 3\n", "'jobs.build' must be a mapping, found a number", 2),
        ("jobs:\n  b:\n    steps: {run: x}\n", "'jobs.b.steps' must be a list, found a mapping", 3),
        (
            "jobs:\n  b:\n    steps:\n      - run: x\n      - just-a-string\n",
            "'jobs.b.steps[1]' must be a mapping, found a string",
            5,
        ),
        ("env: [A, B]\n", "'env' must be a mapping, found a list", 1),
        (
            "jobs:\n  b:\n    env:\n      A: {x: 1}\n",
            "'jobs.b.env.A' must be a string, found a mapping",
            4,
        ),
        (
            "jobs:\n  b:\n    steps:\n      - run: [a]\n",
            "'jobs.b.steps[0].run' must be a string, found a list",
            4,
        ),
        (
            "jobs:\n  b:\n    container: [x]\n",
            "'jobs.b.container' must be an image name or a mapping, found a list",
            3,
        ),
        (
            "jobs:\n  b:\n    strategy: {matrix: {py: '3.12'}}\n",
            "'jobs.b.strategy.matrix.py' must be a list, found a string",
            3,
        ),
        ("jobs: {}\n---\njobs: {}\n", "a workflow file must hold one YAML document, found more", 3),
    ],
)
def test_wrong_shapes_are_input_errors(text: str, message: str, line: int) -> None:
    _wf, errors = read_workflow(text, CI)
    assert errors == [InputError(CI, message, line)]


def test_wrong_shapes_do_not_stop_the_rest() -> None:
    wf, errors = read_workflow(
        "env: {A: 1}\njobs:\n  bad: nope\n  good:\n    steps:\n      - 7\n      - run: echo ok\n",
        CI,
    )
    assert wf is not None
    assert [e.line for e in errors] == [3, 6]
    assert [j.id for j in wf.jobs] == ["good"]
    assert [s.index for s in wf.jobs[0].steps] == [1]  # index is the position in the list
    assert wf.env["A"].value == "1"


def test_expression_env_is_dynamic_not_an_error() -> None:
    wf = read(
        "jobs:\n  j:\n    env: ${{ fromJSON(inputs.env) }}\n    steps:\n      - env: ${{ matrix.env }}\n"
    )
    assert wf.jobs[0].env == {}
    assert wf.jobs[0].steps[0].env == {}


def test_invalid_yaml_is_an_input_error() -> None:
    wf, errors = read_workflow("jobs:\n  a:\n    steps: [\n", CI)
    assert wf is None
    assert len(errors) == 1
    assert errors[0].message.startswith("invalid YAML:")
    assert errors[0].line == 4


def test_yaml_bomb_in_a_workflow() -> None:
    bomb = "x: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"x{i}: &a{i} [" + ",".join([f"*{'a' if i == 0 else f'a{i - 1}'}"] * 10) + "]\n"
        for i in range(8)
    )
    wf, errors = read_workflow(bomb + "jobs: {}\n", CI)
    assert wf is None
    assert "alias bomb" in errors[0].message


def test_script_line_of_for_inexact_scripts() -> None:
    wf = read("jobs:\n  j:\n    steps:\n      - run: >\n          a\n\n          b\n")
    run = wf.jobs[0].steps[0].run
    assert run is not None
    assert run.text == "a\nb\n"
    assert run.first_line == 5
    assert run.exact_lines is False
    assert run.line_of(1) == 5


def test_multiline_quoted_script() -> None:
    wf = read('jobs:\n  j:\n    steps:\n      - run: "uv sync\n          --frozen"\n')
    run = wf.jobs[0].steps[0].run
    assert run is not None
    # Folded into one text line, so line 0 is still exactly on the first line.
    assert (run.text, run.first_line, run.exact_lines) == ("uv sync --frozen", 4, True)


def test_escaped_newlines_are_inexact() -> None:
    wf = read('jobs:\n  j:\n    steps:\n      - run: "uv sync\\nuv run x"\n')
    run = wf.jobs[0].steps[0].run
    assert run is not None
    assert (run.text, run.first_line, run.exact_lines) == ("uv sync\nuv run x", 4, False)
    assert run.line_of(1) == 4


def test_anchors_in_workflows() -> None:
    wf = read(
        "x-env: &common\n  UV_FROZEN: '1'\njobs:\n  j:\n    env:\n      <<: *common\n      OWN: a\n"
    )
    env = wf.jobs[0].env
    assert env["UV_FROZEN"].value == "1"
    assert env["UV_FROZEN"].location.line == 2  # where it is written
    assert env["OWN"].location.line == 7


# --- never raises -----------------------------------------------------------------------------

WORKFLOWISH = st.recursive(
    st.sampled_from(
        [
            "on",
            "jobs",
            "steps",
            "env",
            "run",
            "with",
            "uses",
            "strategy",
            "matrix",
            "include",
            "container",
            "defaults",
            "shell",
            "${{ matrix.a }}",
            "${{ env.A }}",
            "1",
            "~",
            "true",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
        | st.dictionaries(
            st.sampled_from(
                [
                    "on",
                    "jobs",
                    "j",
                    "steps",
                    "env",
                    "run",
                    "with",
                    "strategy",
                    "matrix",
                    "include",
                    "container",
                    "image",
                    "defaults",
                    "A",
                    "runs",
                    "using",
                    "inputs",
                    "default",
                    "runs-on",
                    "shell",
                ]
            ),
            children,
            max_size=4,
        ).map(lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}")
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), WORKFLOWISH), st.booleans())
def test_read_workflow_never_raises(text: str, is_action: bool) -> None:
    wf, errors = read_workflow(text, CI, is_action)
    assert wf is None or isinstance(wf, Workflow)
    assert all(isinstance(e, InputError) for e in errors)
    assert not any("internal error" in e.message for e in errors)
    if wf is not None:
        for job in wf.jobs:
            wf.effective_env(job)
            for step in job.steps:
                wf.effective_env(job, step)
