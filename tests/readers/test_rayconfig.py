from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvray.findings import InputError, Location
from uvray.readers.rayconfig import (
    Container,
    KubeRayResource,
    RuntimeEnv,
    looks_like_kuberay,
    parse_runtime_env_json,
    read_kuberay,
    read_runtime_env,
)
from uvray.readers.workflow import EnvEntry, Script

DATA = Path(__file__).parent / "data"


def data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def kuberay(name: str, path: str = "k8s/manifest.yaml") -> list[KubeRayResource]:
    resources, errors = read_kuberay(data(name), path)
    assert errors == []
    return resources


def lines(env: dict[str, EnvEntry]) -> dict[str, tuple[str | None, int]]:
    return {k: (e.value, e.location.line) for k, e in env.items()}


# --- runtime_env files ------------------------------------------------------------------------


def test_runtime_env_file() -> None:
    env, errors = read_runtime_env(data("runtime_env.yaml"), "runtime_env.yaml")
    assert errors == []
    assert isinstance(env, RuntimeEnv)
    assert env.origin == "file"
    assert env.location == Location("runtime_env.yaml", 2, 1)
    assert env.working_dir == "."
    assert env.py_executable == "uv run --isolated"
    assert env.excludes == [".venv", "**/*.ckpt"]  # the int is not a pattern
    assert env.data["pip"] == ["requests==2.32.3"]
    assert type(env.data) is dict and type(env.data["pip"]) is list
    assert {k: loc.line for k, loc in env.key_locations.items()} == {
        "working_dir": 2,
        "py_executable": 3,
        "excludes": 4,
        "env_vars": 8,
        "pip": 13,
    }
    assert lines(env.env_vars) == {
        "UV_PROJECT_ENVIRONMENT": (".venv", 9),
        "UV_LINK_MODE": ("copy", 10),
        "OMP_NUM_THREADS": ("1", 11),  # Ray wants strings; the text as written is kept
        "RAY_ENABLE_UV_RUN_RUNTIME_ENV": ("yes", 12),
    }
    assert env.env_vars["UV_LINK_MODE"] == EnvEntry(
        "UV_LINK_MODE",
        "copy",
        "copy",
        Location("runtime_env.yaml", 10, 3, 10, 15),
        Location("runtime_env.yaml", 10, 17, 10, 23),
    )
    # data keeps Ray's view (PyYAML): the int and the boolean stay what Ray would see.
    assert env.data["env_vars"]["OMP_NUM_THREADS"] == 1
    assert env.data["env_vars"]["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] is True


def test_ray_job_yaml_uses_the_runtime_env_key() -> None:
    env, errors = read_runtime_env(data("job.yaml"), "jobs/train.yaml")
    assert errors == []
    assert env is not None
    assert env.location == Location("jobs/train.yaml", 2, 1, 2, 12)
    assert env.working_dir == "s3://bucket/project.zip"
    assert env.data == {
        "working_dir": "s3://bucket/project.zip",
        "env_vars": {"UV_FROZEN": "1"},
        "uv": {"packages": ["emoji"]},
    }
    assert lines(env.env_vars) == {"UV_FROZEN": ("1", 5)}
    assert env.key_locations["uv"].line == 6


def test_json_runtime_env_file() -> None:
    text = '{\n  "working_dir": ".",\n  "env_vars": {"UV_LINK_MODE": "copy"}\n}\n'
    env, errors = read_runtime_env(text, "runtime_env.json")
    assert errors == []
    assert env is not None
    assert lines(env.env_vars) == {"UV_LINK_MODE": ("copy", 3)}
    assert env.key_locations["working_dir"].line == 2


@pytest.mark.parametrize("text", ["", "# nothing\n", "---\n", "~\n"])
def test_empty_runtime_env(text: str) -> None:
    assert read_runtime_env(text, "r.yaml") == (None, [])


def test_empty_runtime_env_key() -> None:
    env, errors = read_runtime_env("entrypoint: x\nruntime_env:\n", "job.yaml")
    assert errors == []
    assert env is not None
    assert env.data == {} and env.env_vars == {}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("- a\n", "a runtime_env must be a mapping, found a list", 1),
        ("env_vars: [A=1]\n", "runtime_env 'env_vars' must be a mapping, found a list", 1),
        ("env_vars:\n  A: [1]\n", "runtime_env env_vars 'A' must be a string, found a list", 2),
        ("working_dir: 3\n", "runtime_env 'working_dir' must be a string, found a number", 1),
        ("py_executable: [uv]\n", "runtime_env 'py_executable' must be a string, found a list", 1),
        (
            "excludes: .venv\n",
            "runtime_env 'excludes' must be a list of strings, found a string",
            1,
        ),
        ("runtime_env: [x]\n", "'runtime_env' must be a mapping, found a list", 1),
        ("a: 1\n---\nb: 2\n", "a runtime_env must be one YAML document, found more", 3),
        ("env_vars: {A: [\n", "invalid YAML: did not find expected node content", 2),
    ],
)
def test_runtime_env_shape_errors(text: str, message: str, line: int) -> None:
    _env, errors = read_runtime_env(text, "r.yaml")
    assert len(errors) == 1
    assert errors[0].message.startswith(message)
    assert errors[0].line == line


def test_runtime_env_line_offset() -> None:
    env, _ = read_runtime_env("env_vars:\n  A: b\n", "x.yaml", "kuberay", line_offset=40)
    assert env is not None
    assert env.env_vars["A"].location.line == 42
    assert env.origin == "kuberay"


# --- --runtime-env-json -----------------------------------------------------------------------

CMD = Location(".github/workflows/ray.yml", 33, 11)


def test_runtime_env_json() -> None:
    text = json.dumps(
        {
            "working_dir": ".",
            "py_executable": "uv run",
            "excludes": [".venv"],
            "env_vars": {"UV_LINK_MODE": "copy", "N": 1, "B": True, "Z": None},
        }
    )
    env, errors = parse_runtime_env_json(text, CMD)
    assert errors == []
    assert env is not None
    assert env.origin == "cli-json"
    assert env.path == CMD.path
    assert env.location == CMD
    assert env.working_dir == "."
    assert env.py_executable == "uv run"
    assert env.excludes == [".venv"]
    assert {k: e.value for k, e in env.env_vars.items()} == {
        "UV_LINK_MODE": "copy",
        "N": "1",
        "B": "true",
        "Z": "",
    }
    assert all(e.location == CMD for e in env.env_vars.values())
    assert set(env.key_locations.values()) == {CMD}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{'working_dir': '.'}", "invalid --runtime-env-json: Expecting property name"),
        ("", "invalid --runtime-env-json: Expecting value"),
        ("[1, 2]", "--runtime-env-json must be a JSON object, found a list"),
        ('"x"', "--runtime-env-json must be a JSON object, found a string"),
        ("[" * 100_000 + "]" * 100_000, "invalid --runtime-env-json: nested too deeply"),
        ('{"env_vars": "A=1"}', "runtime_env 'env_vars' must be a mapping, found a string"),
    ],
)
def test_runtime_env_json_errors(text: str, message: str) -> None:
    _env, errors = parse_runtime_env_json(text, CMD)
    assert len(errors) == 1
    assert errors[0].message.startswith(message), errors[0].message
    assert (errors[0].path, errors[0].line) == (CMD.path, CMD.line)


# --- KubeRay ----------------------------------------------------------------------------------


def test_rayjob() -> None:
    path = "k8s/rayjob.yaml"
    (job,) = kuberay("rayjob.yaml", path)  # the ConfigMap document is ignored
    assert (job.kind, job.name, job.path) == ("RayJob", "rayjob-uv", path)
    assert job.location == Location(path, 10, 1)
    assert job.ray_version == "2.44.1"
    assert job.ray_version_location == Location(path, 26, 17, 26, 25)
    assert job.entrypoint == Script("python /home/ray/samples/sample_code.py", path, 15, None, True)
    env = job.runtime_env
    assert env is not None
    assert env.origin == "kuberay"
    assert env.location == Location(path, 17, 3, 17, 17)  # the runtimeEnvYAML key
    assert env.working_dir == "https://github.com/example/project/archive/main.zip"
    assert env.py_executable == "uv run --frozen"
    assert env.excludes == [".venv", "*.parquet"]
    # Locations inside the embedded block point into the manifest, columns included.
    assert {k: loc.line for k, loc in env.key_locations.items()} == {
        "working_dir": 18,
        "py_executable": 19,
        "excludes": 20,
        "env_vars": 21,
    }
    assert lines(env.env_vars) == {
        "UV_PROJECT_ENVIRONMENT": ("/home/ray/venv", 22),
        "RAY_RUNTIME_ENV_HOOK": ("ray._private.runtime_env.uv_runtime_env_hook.hook", 23),
        "UV_NO_SYNC": ("1", 24),
    }
    entry = env.env_vars["UV_PROJECT_ENVIRONMENT"]
    assert entry.location == Location(path, 22, 7, 22, 29)
    assert entry.value_location == Location(path, 22, 31, 22, 45)
    manifest = data("rayjob.yaml").splitlines()
    assert manifest[21][entry.location.column - 1 :].startswith("UV_PROJECT_ENVIRONMENT:")


def test_rayjob_containers() -> None:
    path = "k8s/rayjob.yaml"
    (job,) = kuberay("rayjob.yaml", path)
    head, worker, submitter = job.containers
    assert head == Container(
        name="ray-head",
        image="rayproject/ray:2.44.1-py312",
        env={
            "UV_LINK_MODE": EnvEntry(
                "UV_LINK_MODE",
                "copy",
                "copy",
                Location(path, 35, 19),
                Location(path, 36, 26, 36, 30),
            ),
            "RAY_TOKEN": EnvEntry(
                "RAY_TOKEN", None, "", Location(path, 37, 19), Location(path, 39, 21)
            ),
        },
        command=None,
        args=None,
        group="head",
        location=Location(path, 32, 15),
        group_name=None,
        image_location=Location(path, 33, 22, 33, 49),
    )
    assert (worker.group, worker.group_name, worker.name) == ("worker", "small", "ray-worker")
    assert worker.command == ["/bin/bash", "-lc", "--"]
    assert worker.args == ["ray start"]
    assert worker.location.line == 46
    assert (submitter.group, submitter.name, submitter.image) == (
        "submitter",
        "submitter",
        "rayproject/ray:2.44.1",
    )
    assert lines(submitter.env) == {"UV_OFFLINE": ("1", 57)}


def test_raycluster() -> None:
    path = "deploy/raycluster.yaml"
    (cluster,) = kuberay("raycluster.yaml", path)
    assert (cluster.kind, cluster.name) == ("RayCluster", "uv-cluster")
    assert cluster.ray_version == "2.44.1"
    assert cluster.ray_version_location is not None and cluster.ray_version_location.line == 7
    assert cluster.entrypoint is None and cluster.runtime_env is None
    assert cluster.all_runtime_envs == []
    assert [(c.group, c.group_name, c.name, c.location.line) for c in cluster.containers] == [
        ("head", None, "ray-head", 14),
        ("head", None, "sidecar", 21),
        ("worker", "cpu", "ray-worker", 29),
        ("worker", "gpu", "ray-gpu", 41),
    ]
    head, sidecar, cpu, gpu = cluster.containers
    assert lines(head.env) == {
        "RAY_RUNTIME_ENV_HOOK": ("ray._private.runtime_env.uv_runtime_env_hook.hook", 17),
        "UV_PROJECT_ENVIRONMENT": ("/app/.venv", 19),
    }
    assert sidecar.env == {}
    assert lines(cpu.env) == {
        "UV_PROJECT_ENVIRONMENT": ("/opt/venv", 32),
        "UV_CACHE_DIR": ("", 34),  # no value: Kubernetes sets the empty string
        "POD_IP": (None, 35),  # valueFrom: unknown statically
    }
    assert cpu.env["UV_CACHE_DIR"].value_location is None
    assert gpu.command == ["ray", "start"]
    assert gpu.args == ["--num-gpus", "1"]
    assert gpu.image == "ghcr.io/example/ray-uv:1.0-cuda"


def test_rayservice() -> None:
    path = "deploy/rayservice.yaml"
    (service,) = kuberay("rayservice.yaml", path)
    assert (service.kind, service.name, service.ray_version) == ("RayService", "serve-uv", "2.44.1")
    fruit, text = service.serve_runtime_envs
    assert service.runtime_env is fruit
    assert service.all_runtime_envs == [fruit, text]
    assert fruit.location == Location(path, 10, 9, 10, 20)
    assert fruit.working_dir == "https://github.com/ray-project/test_dag/archive/main.zip"
    assert fruit.env_vars["UV_LINK_MODE"].location == Location(path, 13, 13, 13, 25)
    assert text.py_executable == "uv run"
    assert text.key_locations["py_executable"].line == 19
    assert [(c.group, c.name, c.location.line) for c in service.containers] == [
        ("head", "ray-head", 27)
    ]


def test_multi_document_manifest() -> None:
    text = "\n---\n".join([data("raycluster.yaml"), data("rayjob.yaml"), data("rayservice.yaml")])
    resources, errors = read_kuberay(text, "all.yaml")
    assert errors == []
    assert [r.kind for r in resources] == ["RayCluster", "RayJob", "RayService"]
    offset = len(data("raycluster.yaml").splitlines()) + 2  # a blank line and the ---
    job = resources[1]
    assert job.location.line == offset + 10
    assert job.runtime_env is not None
    assert job.runtime_env.env_vars["UV_NO_SYNC"].location.line == offset + 24


def test_crlf_manifest_keeps_lines_and_columns() -> None:
    (job,) = kuberay_text(data("rayjob.yaml").replace("\n", "\r\n"))
    assert job.runtime_env is not None
    entry = job.runtime_env.env_vars["UV_PROJECT_ENVIRONMENT"]
    assert (entry.location.line, entry.location.column) == (22, 7)


def kuberay_text(text: str) -> list[KubeRayResource]:
    resources, errors = read_kuberay(text, "m.yaml")
    assert errors == []
    return resources


RAYJOB_HEAD = "apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {name: j}\nspec:\n"


@pytest.mark.parametrize(
    ("embedded", "key_line", "key_column"),
    [
        # Single-line JSON, quoted: columns shift past the quote.
        ('  runtimeEnvYAML: \'{"env_vars": {"A": "1"}}\'\n', 5, 34),
        # Single-quoted flow mapping.
        ("  runtimeEnvYAML: '{env_vars: {A: \"1\"}}'\n", 5, 32),
        # Literal block with an explicit indentation indicator.
        ("  runtimeEnvYAML: |2\n      env_vars:\n        A: '1'\n", 7, 9),
        # Literal block starting with a blank line.
        ("  runtimeEnvYAML: |\n\n    env_vars:\n      A: '1'\n", 8, 7),
        # Folded, one line: exact.
        ('  runtimeEnvYAML: >-\n    {"env_vars": {"A": "1"}}\n', 6, 19),
    ],
)
def test_runtime_env_yaml_styles(embedded: str, key_line: int, key_column: int) -> None:
    text = RAYJOB_HEAD + embedded
    (job,) = kuberay_text(text)
    assert job.runtime_env is not None
    location = job.runtime_env.env_vars["A"].location
    assert (location.line, location.column) == (key_line, key_column)
    line = text.splitlines()[location.line - 1]
    assert line[location.column - 1 :].lstrip("\"'").startswith("A")


def test_invalid_embedded_yaml_points_into_the_manifest() -> None:
    text = RAYJOB_HEAD + "  runtimeEnvYAML: |\n    env_vars:\n      A: [1\n    b: 2\n"
    resources, errors = read_kuberay(text, "m.yaml")
    assert len(resources) == 1 and resources[0].runtime_env is None
    assert len(errors) == 1
    assert errors[0].message.startswith("spec.runtimeEnvYAML: invalid YAML:")
    assert errors[0].line == 8


@pytest.mark.parametrize(
    ("spec", "message", "line"),
    [
        (
            "  runtimeEnvYAML: {env_vars: {}}\n",
            "'spec.runtimeEnvYAML' must be a YAML string, found a mapping",
            5,
        ),
        ("  entrypoint: [python, x.py]\n", "'spec.entrypoint' must be a string, found a list", 5),
        ("  rayClusterSpec: []\n", "'spec.rayClusterSpec' must be a mapping, found a list", 5),
        (
            "  rayClusterSpec:\n    headGroupSpec:\n      template:\n        spec:\n          containers: {}\n",
            "'spec.rayClusterSpec.headGroupSpec.template.spec.containers' must be a list, found a mapping",
            9,
        ),
        (
            "  rayClusterSpec:\n    workerGroupSpecs: [x]\n",
            "'spec.rayClusterSpec.workerGroupSpecs[0]' must be a mapping, found a string",
            6,
        ),
        (
            "  submitterPodTemplate:\n    spec:\n      containers:\n        - name: s\n          env: [{value: x}]\n",
            "'spec.submitterPodTemplate.spec.containers[0].env[0]' has no name",
            9,
        ),
        (
            "  submitterPodTemplate:\n    spec:\n      containers:\n        - name: s\n          env: A=1\n",
            "'spec.submitterPodTemplate.spec.containers[0].env' must be a list, found a string",
            9,
        ),
        (
            "  submitterPodTemplate:\n    spec:\n      containers:\n        - command: python x.py\n",
            "'spec.submitterPodTemplate.spec.containers[0].command' must be a list, found a string",
            8,
        ),
    ],
)
def test_kuberay_shape_errors(spec: str, message: str, line: int) -> None:
    resources, errors = read_kuberay(RAYJOB_HEAD + spec, "m.yaml")
    assert len(resources) == 1
    assert errors == [InputError("m.yaml", message, line)]


def test_spec_not_a_mapping() -> None:
    resources, errors = read_kuberay("apiVersion: ray.io/v1\nkind: RayCluster\nspec: 3\n", "m.yaml")
    assert [r.kind for r in resources] == ["RayCluster"]
    assert errors == [InputError("m.yaml", "'spec' must be a mapping, found a number", 3)]


def test_submitter_with_nested_template() -> None:
    text = RAYJOB_HEAD + (
        "  submitterPodTemplate:\n"
        "    template:\n"
        "      spec:\n"
        "        containers:\n"
        "          - {name: s, image: 'ray:2'}\n"
    )
    (job,) = kuberay_text(text)
    assert [(c.group, c.name, c.image) for c in job.containers] == [("submitter", "s", "ray:2")]


@pytest.mark.parametrize(
    "doc",
    [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        "apiVersion: ray.io/v1\nkind: RayCronJob\n",
        "apiVersion: apps/v1\nkind: RayJob\n",
        "- a list\n",
        "just a string\n",
        "apiVersion: 1\nkind: RayJob\n",
        "",
    ],
)
def test_other_documents_are_ignored(doc: str) -> None:
    assert read_kuberay(doc, "m.yaml") == ([], [])


def test_invalid_yaml_keeps_earlier_resources() -> None:
    text = data("raycluster.yaml") + "---\nkind: RayJob\nspec: [\n"
    resources, errors = read_kuberay(text, "m.yaml")
    assert [r.kind for r in resources] == ["RayCluster"]
    assert len(errors) == 1 and errors[0].message.startswith("invalid YAML:")


def test_alias_bomb_in_a_manifest_is_refused_quickly() -> None:
    bomb = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)
    )
    start = time.perf_counter()
    resources, errors = read_kuberay("apiVersion: ray.io/v1\nkind: RayJob\n" + bomb, "m.yaml")
    assert time.perf_counter() - start < 1.0
    assert resources == []
    assert "alias bomb" in errors[0].message


def test_alias_bomb_inside_runtime_env_yaml() -> None:
    inner = "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 8)
    )
    block = "".join("    " + line + "\n" for line in inner.splitlines())
    resources, errors = read_kuberay(RAYJOB_HEAD + "  runtimeEnvYAML: |\n" + block, "m.yaml")
    assert resources[0].runtime_env is None
    assert "alias bomb" in errors[0].message
    assert errors[0].message.startswith("spec.runtimeEnvYAML: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: ray.io/v1\nkind: RayJob\n", True),
        ("apiVersion: ray.io/v1alpha1\nkind: RayCluster\n", True),
        ("apiVersion: ray.io/v1\nkind: RayService\n", True),
        ("apiVersion: apps/v1\nkind: Deployment\n", False),
        ("# see https://docs.ray.io/\nname: ci\n", False),
        ("", False),
    ],
)
def test_looks_like_kuberay(text: str, expected: bool) -> None:
    assert looks_like_kuberay(text) is expected


def test_fixtures_are_recognised() -> None:
    for name in ("rayjob.yaml", "raycluster.yaml", "rayservice.yaml"):
        assert looks_like_kuberay(data(name))
    assert not looks_like_kuberay(data("runtime_env.yaml"))


# --- never raises -----------------------------------------------------------------------------

KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "spec",
    "entrypoint",
    "runtimeEnvYAML",
    "serveConfigV2",
    "rayClusterSpec",
    "rayClusterConfig",
    "headGroupSpec",
    "workerGroupSpecs",
    "template",
    "containers",
    "env",
    "value",
    "valueFrom",
    "command",
    "args",
    "env_vars",
    "working_dir",
    "excludes",
    "runtime_env",
    "applications",
    "submitterPodTemplate",
    "rayVersion",
]
LEAVES = [
    "ray.io/v1",
    "RayJob",
    "RayCluster",
    "RayService",
    "'|'",
    "'a: [1'",
    "1",
    "~",
    "x",
    "'{}'",
]
MANIFESTISH = st.recursive(
    st.sampled_from(LEAVES),
    lambda children: (
        st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=4).map(
            lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), MANIFESTISH))
def test_readers_never_raise(text: str) -> None:
    resources, errors = read_kuberay(text, "m.yaml")
    assert all(isinstance(r, KubeRayResource) for r in resources)
    env, env_errors = read_runtime_env(text, "r.yaml")
    assert env is None or isinstance(env, RuntimeEnv)
    json_env, json_errors = parse_runtime_env_json(text, CMD)
    assert json_env is None or isinstance(json_env, RuntimeEnv)
    for error in errors + env_errors + json_errors:
        assert isinstance(error, InputError)
        assert "internal error" not in error.message
    looks_like_kuberay(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MANIFESTISH)
def test_kuberay_shaped_documents_never_raise(body: str) -> None:
    text = "apiVersion: ray.io/v1\nkind: RayJob\nspec: " + body + "\n"
    resources, errors = read_kuberay(text, "m.yaml")
    assert not any("internal error" in e.message for e in errors)
    assert len(resources) <= 1
