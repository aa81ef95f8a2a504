"""Every reader, on random text and on mutated real files: returns (model, errors), never raises,
and its errors are one line each, name the file, and are never a caught internal error.

Seeds are the repository's fixtures and examples (tests/fuzz/corpus.py); budgets are fixed and
derandomized (tests/fuzz/settings.py) so CI sees the same examples every run.
"""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.corpus import SNIPPETS, as_text, mutated, seeds
from tests.fuzz.settings import fuzz
from uvray.findings import InputError, Location
from uvray.readers.dockerfile import Dockerfile, read_dockerfile
from uvray.readers.pyproject import read_pyproject, read_python_version, read_uv_lock
from uvray.readers.rayconfig import (
    KubeRayResource,
    RuntimeEnv,
    parse_runtime_env_json,
    read_kuberay,
    read_runtime_env,
)
from uvray.readers.shell import _Lexer, commands_from_tokens, split_commands
from uvray.readers.workflow import Workflow, read_workflow
from uvray.readers.yamlio import load_yaml, to_plain

# Random text that is mostly made of the formats' own punctuation, so it gets past line 1.
SOUP = st.text() | st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=4), max_size=40).map(
    "".join
)


def assert_errors(errors: list[InputError], display: str, text: str, yaml: bool = False) -> None:
    assert isinstance(errors, list)
    for error in errors:
        assert isinstance(error, InputError), error
        assert error.path == display, error
        assert error.message and isinstance(error.message, str), error
        # One line per error: a reporter prints it as is (annotations, text output).
        assert "\n" not in error.message and "\r" not in error.message, error
        # Readers catch their own bugs as "internal error"; for a fuzzer that is a crash.
        assert "internal error" not in error.message, error
        if error.line is not None:
            bound = last_line(text, yaml) + 1  # + 1: an error "at end of file" after the last \n
            assert 1 <= error.line <= bound, (error, bound)


# Lines end at \n, \r\n or a lone \r, as editors and annotations count them (the Dockerfile
# reader does since test_regressions.py's fixes). PyYAML reads YAML 1.1, where NEL, U+2028 and
# U+2029 end lines too: its error lines count those, so YAML readers get that count.
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def last_line(text: str, yaml: bool = False) -> int:
    return len((_YAML_BREAK if yaml else re.compile("\r\n|\r|\n")).split(text))


# --- Dockerfile ---------------------------------------------------------------------------------


def check_dockerfile(text: str) -> Dockerfile:
    df, errors = read_dockerfile(text, "Dockerfile", {"PYTHON_VERSION": "3.12"})
    assert isinstance(df, Dockerfile)
    assert_errors(errors, "Dockerfile", text)
    n = len(df.lines)
    for ins in df.instructions:
        assert 1 <= ins.line <= ins.end_line <= max(n, 1), (ins.line, ins.end_line, n)
        for heredoc in ins.heredocs:
            assert heredoc.first_line >= 1
    # What the rules do with a model: walk each stage's steps, split their words and shell text.
    for stage in df.stages:
        for step in stage.all_steps():
            ins = step.instruction
            if ins.keyword in ("RUN", "CMD", "ENTRYPOINT"):
                env = step.shell_env()
                lookup = lambda name, env=env: env[name].value if name in env else None  # noqa: E731
                for body in [ins.args, *(h.body for h in ins.heredocs)]:
                    check_commands(body, lookup)
            else:
                step.words(df.escape)
            ins.line_at(len(ins.text))
    return df


@fuzz(150)
@given(SOUP)
def test_dockerfile_random_text(text: str) -> None:
    check_dockerfile(text)


@fuzz(300)
@given(mutated("dockerfile"))
def test_dockerfile_mutated_fixtures(case) -> None:
    _seed, data = case
    check_dockerfile(as_text(data))


# --- shell splitter ------------------------------------------------------------------------------


def check_commands(text: str, lookup=None) -> None:
    commands = split_commands(text, lookup)
    for cmd in commands:
        assert 0 <= cmd.offset <= cmd.end_offset <= len(text), (cmd, len(text))
        assert len(cmd.known) == len(cmd.words)
        assert all(isinstance(w, str) for w in cmd.words)
        for name, value in cmd.assignments.items():
            assert name and (value is None or isinstance(value, str))


def run_bodies(data: bytes) -> list[str]:
    """The shell text uvray splits out of a (mutated) Dockerfile: RUN arguments and heredocs."""
    df, _ = read_dockerfile(as_text(data), "Dockerfile")
    bodies = []
    for ins in df.instructions:
        if ins.keyword == "RUN":
            bodies.append(ins.args)
            bodies.extend(h.body for h in ins.heredocs)
    return bodies or [as_text(data)]


@fuzz(150)
@given(SOUP)
def test_shell_random_text(text: str) -> None:
    check_commands(text, lambda name: "v" if name == "A" else None)


@fuzz(200)
@given(mutated("dockerfile"), st.integers(0, 1 << 10))
def test_shell_mutated_run_bodies(case, pick: int) -> None:
    _seed, data = case
    bodies = run_bodies(data)
    check_commands(bodies[pick % len(bodies)], lambda name: None)


def test_run_body_seeds_are_real() -> None:
    """The mutated-RUN property starts from real RUN bodies, not from whole Dockerfiles."""
    bodies = [b for s in seeds("dockerfile") for b in run_bodies(s.data)]
    assert sum("uv " in b for b in bodies) > 100, len(bodies)


# The lexer's characters (quotes, $, `, \\, <, >, #, parentheses) send a script down the lexer;
# without them split_commands takes a regex fast path. Both must split plain text the same way.
# Form feed, vertical tab, NBSP… are not shell blanks: both paths must keep them in the word.
_LEXER_CHARS = "\\'\"$`<>#()"
_PLAIN_TEXT = st.lists(
    st.sampled_from(["uv", "sync", "--locked", "a=b", "x", " ", "\t", "\n", "&&", "||", ";", "|"])
    | st.sampled_from(["&", ";;", "if", "then", "fi", "case", "in", "esac", "do", "done", "!"])
    | st.sampled_from(["\x0b", "\x0c", "\xa0", "\u2003", "\x1c", "\x85", "\u2028"])
    | st.text(st.characters(blacklist_characters=_LEXER_CHARS), max_size=3),
    max_size=20,
).map("".join)


def _words(commands) -> list[tuple[list[str], int]]:
    return [(c.words, c.offset) for c in commands]


@fuzz(200)
@given(_PLAIN_TEXT)
def test_shell_fast_path_agrees_with_lexer(text: str) -> None:
    fast = split_commands(text)
    slow = commands_from_tokens(_Lexer(text, None).tokens(), text, redirections=True)
    assert _words(fast) == _words(slow)


# --- GitHub workflows and actions ---------------------------------------------------------------


def check_workflow(text: str, is_action: bool) -> None:
    display = "action.yml" if is_action else ".github/workflows/ci.yml"
    wf, errors = read_workflow(text, display, is_action)
    assert wf is None or isinstance(wf, Workflow)
    assert_errors(errors, display, text, yaml=True)
    if wf is None:
        return
    for job in wf.jobs:
        for step in job.steps:
            if step.run is not None:
                check_commands(step.run.text)
                step.run.line_of(step.run.text.count("\n"))
            wf.effective_env(job, step)


@fuzz(100)
@given(SOUP, st.booleans())
def test_workflow_random_text(text: str, is_action: bool) -> None:
    check_workflow(text, is_action)


@fuzz(200)
@given(mutated("workflow") | mutated("action"))
def test_workflow_mutated_fixtures(case) -> None:
    seed, data = case
    check_workflow(as_text(data), seed.kind == "action")


# --- pyproject.toml, uv.lock, .python-version ---------------------------------------------------


@fuzz(100)
@given(SOUP)
def test_pyproject_and_lock_random_text(text: str) -> None:
    for reader, display in (
        (read_pyproject, "pyproject.toml"),
        (read_uv_lock, "uv.lock"),
        (read_python_version, ".python-version"),
    ):
        _model, errors = reader(text, display)
        assert_errors(errors, display, text)


@fuzz(200)
@given(mutated("pyproject"))
def test_pyproject_mutated_fixtures(case) -> None:
    text = as_text(case[1])
    _model, errors = read_pyproject(text, "sub/pyproject.toml")
    assert_errors(errors, "sub/pyproject.toml", text)


@fuzz(200)
@given(mutated("uvlock"))
def test_uv_lock_mutated_fixtures(case) -> None:
    text = as_text(case[1])
    lock, errors = read_uv_lock(text, "uv.lock")
    assert_errors(errors, "uv.lock", text)
    if lock is not None:
        for package in lock.packages:
            assert isinstance(package.name, str)


@fuzz(50)
@given(mutated("python-version"))
def test_python_version_mutated_fixtures(case) -> None:
    text = as_text(case[1])
    _model, errors = read_python_version(text, ".python-version")
    assert_errors(errors, ".python-version", text)


# --- runtime_env and KubeRay --------------------------------------------------------------------


@fuzz(100)
@given(SOUP)
def test_rayconfig_random_text(text: str) -> None:
    env, errors = read_runtime_env(text, "runtime_env.yaml")
    assert env is None or isinstance(env, RuntimeEnv)
    assert_errors(errors, "runtime_env.yaml", text, yaml=True)
    _resources, errors = read_kuberay(text, "k8s/ray.yaml")
    assert_errors(errors, "k8s/ray.yaml", text, yaml=True)


@fuzz(200)
@given(mutated("runtime-env"))
def test_runtime_env_mutated_fixtures(case) -> None:
    text = as_text(case[1])
    env, errors = read_runtime_env(text, "runtime_env.yaml")
    assert env is None or isinstance(env, RuntimeEnv)
    assert_errors(errors, "runtime_env.yaml", text, yaml=True)
    # The same document as `ray job submit --runtime-env-json`: the JSON reader's shapes.
    docs, _ = load_yaml(text, "runtime_env.yaml")
    if docs:
        try:
            as_json = json.dumps(to_plain(docs[0]), default=str)
        except (TypeError, ValueError, RecursionError):
            return  # not JSON-able (a !!binary key, a cycle): not what --runtime-env-json holds
        location = Location("ci.yml", 3)
        env, errors = parse_runtime_env_json(as_json, location)
        assert_errors(errors, "ci.yml", "\n" * 3)


@fuzz(200)
@given(mutated("kuberay"))
def test_kuberay_mutated_fixtures(case) -> None:
    text = as_text(case[1])
    resources, errors = read_kuberay(text, "k8s/ray.yaml")
    assert_errors(errors, "k8s/ray.yaml", text, yaml=True)
    for resource in resources:
        assert isinstance(resource, KubeRayResource)
        for runtime_env in resource.all_runtime_envs:
            assert isinstance(runtime_env, RuntimeEnv)
        if resource.entrypoint is not None:
            check_commands(resource.entrypoint.text)
