"""Ray runtime_env files, ``--runtime-env-json`` strings, and KubeRay manifests.

What callers must know:

* Values follow PyYAML (YAML 1.1) like Ray itself (``yaml.safe_load``). ``RuntimeEnv.data`` is a
  plain dict; ``key_locations`` maps each top-level key (its text) to where it was written.
* ``EnvEntry`` (shared with workflows): Ray and Kubernetes want strings; a number or boolean
  written without quotes keeps its source text as ``value`` (``FOO: 1`` -> "1"; Ray would refuse
  the int at submit time, which is a rule's business, not a reader's). A Kubernetes ``valueFrom``
  entry has ``value`` None and ``raw`` "".
* Embedded YAML (``runtimeEnvYAML``, ``serveConfigV2``) is parsed with line/column offsets, so
  every location points into the manifest. For a literal block (``|``) that is exact; for other
  styles the line of the first text line is exact and later lines are approximate.
* A Ray job YAML with a top-level ``runtime_env:`` key is read as that sub-mapping.
* ``read_kuberay`` reads every document whose ``apiVersion`` starts with ``ray.io/`` and whose
  kind is RayJob, RayCluster or RayService; other documents are ignored silently.
* Wrong shapes become ``InputError`` with a line; nothing raises.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from uvray.findings import InputError, Location
from uvray.readers.workflow import EnvEntry, Script
from uvray.readers.yamlio import Span, YList, YMap, describe, load_yaml, to_plain

KUBERAY_KINDS = ("RayJob", "RayCluster", "RayService")

# YAML counts these as line breaks; the column arithmetic for embedded blocks must agree.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


@dataclass
class RuntimeEnv:
    path: str
    location: Location
    data: dict[str, Any]
    key_locations: dict[str, Location]
    env_vars: dict[str, EnvEntry]
    working_dir: str | None
    py_executable: str | None
    excludes: list[str]
    origin: str = "file"  # "file" | "kuberay" | "cli-json"


@dataclass
class Container:
    name: str | None
    image: str | None
    env: dict[str, EnvEntry]
    command: list[str] | None
    args: list[str] | None
    group: str  # "head" | "worker" | "submitter"
    location: Location
    group_name: str | None = None  # workerGroupSpecs[*].groupName (None for head, submitter)
    image_location: Location | None = None


@dataclass
class KubeRayResource:
    path: str
    kind: str  # "RayJob" | "RayCluster" | "RayService"
    name: str | None
    location: Location
    ray_version: str | None
    ray_version_location: Location | None
    entrypoint: Script | None
    # RayJob: spec.runtimeEnvYAML. RayService: the first serve application's runtime_env.
    runtime_env: RuntimeEnv | None
    containers: list[Container]
    # RayService: every serveConfigV2 application's runtime_env, in order.
    serve_runtime_envs: list[RuntimeEnv] = field(default_factory=list)

    @property
    def all_runtime_envs(self) -> list[RuntimeEnv]:
        envs = [self.runtime_env] if self.runtime_env is not None else []
        return envs + [e for e in self.serve_runtime_envs if e is not self.runtime_env]


def read_runtime_env(
    text: str,
    display_path: str,
    origin: str = "file",
    line_offset: int = 0,
    column_offset: int = 0,
) -> tuple[RuntimeEnv | None, list[InputError]]:
    """Read a runtime_env YAML/JSON file (or a Ray job YAML's ``runtime_env:``). Never raises.

    ``line_offset``/``column_offset`` shift every position, for YAML embedded in another file.
    An empty file gives ``(None, [])``.
    """
    docs, errors = load_yaml(
        text, display_path, line_offset=line_offset, column_offset=column_offset
    )
    present = [d for d in docs if d is not None]
    if not present:
        return None, errors
    top = present[0]
    if len(present) > 1:
        line = present[1].line if isinstance(present[1], (YMap, YList)) else None
        errors.append(
            InputError(display_path, "a runtime_env must be one YAML document, found more", line)
        )
    if not isinstance(top, YMap):
        line = top.line if isinstance(top, YList) else 1 + line_offset
        errors.append(
            InputError(
                display_path, f"a runtime_env must be a mapping, found {describe(top)}", line
            )
        )
        return None, errors
    env_map: Any = top
    location = top.span.location(display_path)
    if "runtime_env" in top:
        # A Ray job YAML (entrypoint + runtime_env): only the sub-mapping is a runtime_env.
        env_map = top["runtime_env"]
        location = top.key_location("runtime_env", display_path)
        if env_map is None:
            env_map = YMap()
        elif not isinstance(env_map, YMap):
            errors.append(
                InputError(
                    display_path,
                    f"'runtime_env' must be a mapping, found {describe(env_map)}",
                    top.value_spans["runtime_env"].line,
                )
            )
            return None, errors
    try:
        env = _runtime_env(
            env_map, display_path, location, origin, _yaml_locator(display_path), errors
        )
    except Exception as exc:  # a reader bug must cost one file, not the whole run
        errors.append(InputError(display_path, f"cannot read runtime_env: internal error: {exc!r}"))
        return None, errors
    return env, errors


def parse_runtime_env_json(
    json_text: str, location: Location
) -> tuple[RuntimeEnv | None, list[InputError]]:
    """Read ``ray job submit --runtime-env-json '<json>'``; every location is ``location``."""
    errors: list[InputError] = []
    try:
        data = json.loads(json_text)
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError's message says where; RecursionError only that it nests too deep.
        detail = str(exc).splitlines()[0] if isinstance(exc, ValueError) else "nested too deeply"
        errors.append(
            InputError(location.path, f"invalid --runtime-env-json: {detail}", location.line)
        )
        return None, errors
    if not isinstance(data, dict):
        errors.append(
            InputError(
                location.path,
                f"--runtime-env-json must be a JSON object, found {describe(data)}",
                location.line,
            )
        )
        return None, errors
    try:
        env = _runtime_env(data, location.path, location, "cli-json", lambda *_: location, errors)
    except Exception as exc:  # a reader bug must cost one command, not the whole run
        errors.append(
            InputError(location.path, f"cannot read --runtime-env-json: internal error: {exc!r}")
        )
        return None, errors
    return env, errors


def looks_like_kuberay(text: str) -> bool:
    """Cheap discovery test: could this YAML hold a KubeRay resource?"""
    return "ray.io/" in text and "kind:" in text and any(k in text for k in KUBERAY_KINDS)


def read_kuberay(text: str, display_path: str) -> tuple[list[KubeRayResource], list[InputError]]:
    """Every RayJob/RayCluster/RayService in a (multi-document) manifest. Never raises."""
    docs, errors = load_yaml(text, display_path)
    resources: list[KubeRayResource] = []
    for doc in docs:
        if not isinstance(doc, YMap):
            continue
        api = doc.get("apiVersion")
        kind = doc.get("kind")
        if not (isinstance(api, str) and api.startswith("ray.io/") and kind in KUBERAY_KINDS):
            continue
        reader = _KubeReader(text, display_path, errors)
        try:
            resources.append(reader.resource(doc, kind))
        except Exception as exc:  # a reader bug must cost one document, not the whole run
            errors.append(
                InputError(display_path, f"cannot read {kind}: internal error: {exc!r}", doc.line)
            )
    return resources, errors


# --- internals ---------------------------------------------------------------------------------

# (mapping, key, value?) -> where that key (or its value) was written.
_Locator = Callable[[Any, Any, bool], Location]


def _yaml_locator(path: str) -> _Locator:
    def locate(mapping: Any, key: Any, value: bool) -> Location:
        return mapping.value_location(key, path) if value else mapping.key_location(key, path)

    return locate


def _key_text(mapping: Any, key: Any) -> str:
    if isinstance(key, str):
        return key
    span = mapping.key_spans.get(key) if isinstance(mapping, YMap) else None
    if span is not None and span.raw is not None:
        return span.raw
    return json.dumps(key) if isinstance(key, (bool, type(None))) else str(key)


def _scalar_text(value: Any, span: Span | None) -> str | None:
    """A string field's text: strings as they are, other scalars as written. None for null."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, str):
        return value
    if span is not None and span.raw is not None:
        return span.raw
    return json.dumps(value) if isinstance(value, (bool, int, float)) else str(value)


def _value_span(mapping: Any, key: Any) -> Span | None:
    return mapping.value_spans.get(key) if isinstance(mapping, YMap) else None


def _runtime_env(
    mapping: dict,
    path: str,
    location: Location,
    origin: str,
    locate: _Locator,
    errors: list[InputError],
) -> RuntimeEnv:
    def wrong(key: str, expected: str) -> None:
        errors.append(
            InputError(
                path,
                f"runtime_env '{key}' must be {expected}, found {describe(mapping[key])}",
                locate(mapping, key, True).line,
            )
        )

    env_vars: dict[str, EnvEntry] = {}
    raw_env = mapping.get("env_vars")
    if isinstance(raw_env, dict):
        for key, value in raw_env.items():
            name = _key_text(raw_env, key)
            text = _scalar_text(value, _value_span(raw_env, key))
            if isinstance(value, (dict, list)):
                errors.append(
                    InputError(
                        path,
                        f"runtime_env env_vars '{name}' must be a string, found {describe(value)}",
                        locate(raw_env, key, True).line,
                    )
                )
                continue
            value_location = locate(raw_env, key, True)
            env_vars[name] = EnvEntry(
                name=name,
                value=text if text is not None else "",
                raw=text if text is not None else "",
                location=locate(raw_env, key, False),
                value_location=value_location,
            )
    elif raw_env is not None:
        wrong("env_vars", "a mapping")

    def string_field(key: str) -> str | None:
        value = mapping.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            wrong(key, "a string")
            return None
        return value

    excludes: list[str] = []
    raw_excludes = mapping.get("excludes")
    if isinstance(raw_excludes, list):
        excludes = [item for item in raw_excludes if isinstance(item, str)]
    elif raw_excludes is not None:
        wrong("excludes", "a list of strings")

    return RuntimeEnv(
        path=path,
        location=location,
        data={_key_text(mapping, k): v for k, v in to_plain(mapping).items()},
        key_locations={_key_text(mapping, k): locate(mapping, k, False) for k in mapping},
        env_vars=env_vars,
        working_dir=string_field("working_dir"),
        py_executable=string_field("py_executable"),
        excludes=excludes,
        origin=origin,
    )


def _embedded_offsets(source: str, span: Span, text: str) -> tuple[int, int]:
    """(line_offset, column_offset) that map positions in an embedded YAML string to the file."""
    one_line = "\n" not in text.rstrip("\n")
    if span.is_block:
        # A literal block keeps every line; a folded one only its first line as written.
        column = _block_indent(source, span.text_line, text) if span.style == "|" or one_line else 0
        return span.text_line - 1, column
    if one_line:
        # It starts where the value starts, after the opening quote if any.
        return span.line - 1, span.column - 1 + (1 if span.style in ("'", '"') else 0)
    return span.line - 1, 0


def _block_indent(source: str, first_line: int, text: str) -> int:
    """How many columns a literal block's lines were indented by in the file."""
    embedded = text.split("\n")
    for index, line in enumerate(embedded):
        if line.strip():
            file_lines = _LINE_BREAK.split(source, first_line + index)
            if len(file_lines) < first_line + index:
                return 0
            file_line = file_lines[first_line + index - 1]
            indent = (len(file_line) - len(file_line.lstrip(" "))) - (
                len(line) - len(line.lstrip(" "))
            )
            return max(indent, 0)
    return 0


class _KubeReader:
    def __init__(self, source: str, path: str, errors: list[InputError]) -> None:
        self.source = source
        self.path = path
        self.errors = errors

    def error(self, message: str, line: int | None) -> None:
        self.errors.append(InputError(self.path, message, line))

    def mapping(self, parent: YMap, key: str, where: str) -> YMap | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, YMap):
            self.error(
                f"'{where}' must be a mapping, found {describe(value)}",
                parent.value_spans[key].line,
            )
            return None
        return value

    def seq(self, parent: YMap, key: str, where: str) -> YList | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, YList):
            self.error(
                f"'{where}' must be a list, found {describe(value)}", parent.value_spans[key].line
            )
            return None
        return value

    def text(self, parent: YMap, key: str, where: str) -> str | None:
        value = parent.get(key)
        if isinstance(value, (dict, list)):
            self.error(
                f"'{where}' must be a string, found {describe(value)}", parent.value_spans[key].line
            )
            return None
        return _scalar_text(value, parent.value_spans.get(key))

    def resource(self, doc: YMap, kind: str) -> KubeRayResource:
        metadata = self.mapping(doc, "metadata", "metadata")
        name = self.text(metadata, "name", "metadata.name") if metadata is not None else None
        resource = KubeRayResource(
            path=self.path,
            kind=kind,
            name=name,
            location=doc.span.location(self.path),
            ray_version=None,
            ray_version_location=None,
            entrypoint=None,
            runtime_env=None,
            containers=[],
        )
        spec = self.mapping(doc, "spec", "spec")
        if spec is None:
            return resource
        if kind == "RayJob":
            cluster_key = "rayClusterSpec"
            resource.entrypoint = self.entrypoint(spec)
            resource.runtime_env = self.embedded_runtime_env(spec, "runtimeEnvYAML")
        elif kind == "RayService":
            cluster_key = "rayClusterConfig"
            resource.serve_runtime_envs = self.serve_runtime_envs(spec)
            resource.runtime_env = (
                resource.serve_runtime_envs[0] if resource.serve_runtime_envs else None
            )
        else:
            cluster_key = ""
        cluster = (
            spec if not cluster_key else self.mapping(spec, cluster_key, f"spec.{cluster_key}")
        )
        where = f"spec.{cluster_key}" if cluster_key else "spec"
        if cluster is not None:
            if "rayVersion" in cluster:
                resource.ray_version = self.text(cluster, "rayVersion", f"{where}.rayVersion")
                resource.ray_version_location = cluster.value_location("rayVersion", self.path)
            resource.containers.extend(self.cluster_containers(cluster, where))
        if kind == "RayJob":
            resource.containers.extend(self.submitter_containers(spec))
        return resource

    def entrypoint(self, spec: YMap) -> Script | None:
        text = self.text(spec, "entrypoint", "spec.entrypoint")
        if text is None:
            return None
        span = spec.value_spans["entrypoint"]
        return Script(
            text=text,
            path=self.path,
            first_line=span.text_line,
            shell=None,
            exact_lines=span.style == "|" or "\n" not in text.rstrip("\n"),
        )

    def embedded(self, parent: YMap, key: str, where: str) -> tuple[str, Span] | None:
        value = parent.get(key)
        if value is None:
            return None
        span = parent.value_spans[key]
        if not isinstance(value, str):
            self.error(f"'{where}' must be a YAML string, found {describe(value)}", span.line)
            return None
        return value, span

    def embedded_runtime_env(self, spec: YMap, key: str) -> RuntimeEnv | None:
        found = self.embedded(spec, key, f"spec.{key}")
        if found is None:
            return None
        text, span = found
        line_offset, column_offset = _embedded_offsets(self.source, span, text)
        env, errors = read_runtime_env(text, self.path, "kuberay", line_offset, column_offset)
        self.errors.extend(
            dataclasses.replace(e, message=f"spec.{key}: {e.message}") for e in errors
        )
        if env is not None:
            env.location = spec.key_location(key, self.path)
        return env

    def serve_runtime_envs(self, spec: YMap) -> list[RuntimeEnv]:
        found = self.embedded(spec, "serveConfigV2", "spec.serveConfigV2")
        if found is None:
            return []
        text, span = found
        line_offset, column_offset = _embedded_offsets(self.source, span, text)
        docs, errors = load_yaml(
            text, self.path, line_offset=line_offset, column_offset=column_offset
        )
        self.errors.extend(
            dataclasses.replace(e, message=f"spec.serveConfigV2: {e.message}") for e in errors
        )
        config = docs[0] if docs else None
        if not isinstance(config, YMap):
            return []
        apps = config.get("applications")
        if not isinstance(apps, YList):
            return []
        envs = []
        locate = _yaml_locator(self.path)
        for app in apps:
            if not isinstance(app, YMap) or app.get("runtime_env") is None:
                continue
            env_map = app["runtime_env"]
            if not isinstance(env_map, YMap):
                self.error(
                    "spec.serveConfigV2: 'runtime_env' must be a mapping, "
                    f"found {describe(env_map)}",
                    app.value_spans["runtime_env"].line,
                )
                continue
            location = app.key_location("runtime_env", self.path)
            envs.append(_runtime_env(env_map, self.path, location, "kuberay", locate, self.errors))
        return envs

    def cluster_containers(self, cluster: YMap, where: str) -> list[Container]:
        containers: list[Container] = []
        head = self.mapping(cluster, "headGroupSpec", f"{where}.headGroupSpec")
        if head is not None:
            containers.extend(
                self.pod_containers(head, "template", f"{where}.headGroupSpec", "head", None)
            )
        workers = self.seq(cluster, "workerGroupSpecs", f"{where}.workerGroupSpecs")
        for index, group in enumerate(workers or []):
            group_where = f"{where}.workerGroupSpecs[{index}]"
            if not isinstance(group, YMap):
                self.error(
                    f"'{group_where}' must be a mapping, found {describe(group)}",
                    workers.item_spans[index].line,
                )
                continue
            group_name = self.text(group, "groupName", f"{group_where}.groupName")
            containers.extend(
                self.pod_containers(group, "template", group_where, "worker", group_name)
            )
        return containers

    def submitter_containers(self, spec: YMap) -> list[Container]:
        template = self.mapping(spec, "submitterPodTemplate", "spec.submitterPodTemplate")
        if template is None:
            return []
        where = "spec.submitterPodTemplate"
        # A PodTemplateSpec (spec.containers); a nested template: is accepted too.
        if "spec" not in template and "template" in template:
            return self.pod_containers(template, "template", where, "submitter", None)
        return self.pod_spec_containers(template, where, "submitter", None)

    def pod_containers(
        self, parent: YMap, key: str, where: str, group: str, group_name: str | None
    ) -> list[Container]:
        template = self.mapping(parent, key, f"{where}.{key}")
        if template is None:
            return []
        return self.pod_spec_containers(template, f"{where}.{key}", group, group_name)

    def pod_spec_containers(
        self, template: YMap, where: str, group: str, group_name: str | None
    ) -> list[Container]:
        pod_spec = self.mapping(template, "spec", f"{where}.spec")
        if pod_spec is None:
            return []
        items = self.seq(pod_spec, "containers", f"{where}.spec.containers")
        containers = []
        for index, item in enumerate(items or []):
            item_where = f"{where}.spec.containers[{index}]"
            if not isinstance(item, YMap):
                self.error(
                    f"'{item_where}' must be a mapping, found {describe(item)}",
                    items.item_spans[index].line,
                )
                continue
            containers.append(
                self.container(item, items.item_spans[index], item_where, group, group_name)
            )
        return containers

    def container(
        self, item: YMap, span: Span, where: str, group: str, group_name: str | None
    ) -> Container:
        return Container(
            name=self.text(item, "name", f"{where}.name"),
            image=self.text(item, "image", f"{where}.image"),
            env=self.container_env(item, where),
            command=self.string_list(item, "command", where),
            args=self.string_list(item, "args", where),
            group=group,
            location=span.location(self.path),
            group_name=group_name,
            image_location=item.value_location("image", self.path) if "image" in item else None,
        )

    def string_list(self, item: YMap, key: str, where: str) -> list[str] | None:
        items = self.seq(item, key, f"{where}.{key}")
        if items is None:
            return None
        texts = (_scalar_text(v, s) for v, s in zip(items, items.item_spans))
        return [t for t in texts if t is not None]

    def container_env(self, item: YMap, where: str) -> dict[str, EnvEntry]:
        items = self.seq(item, "env", f"{where}.env")
        env: dict[str, EnvEntry] = {}
        for index, entry in enumerate(items or []):
            entry_where = f"{where}.env[{index}]"
            line = items.item_spans[index].line
            if not isinstance(entry, YMap):
                self.error(f"'{entry_where}' must be a mapping, found {describe(entry)}", line)
                continue
            name = self.text(entry, "name", f"{entry_where}.name")
            if not name:
                self.error(f"'{entry_where}' has no name", line)
                continue
            location = items.item_spans[index].location(self.path)
            if entry.get("valueFrom") is not None:
                env[name] = EnvEntry(
                    name, None, "", location, entry.value_location("valueFrom", self.path)
                )
                continue
            text = self.text(entry, "value", f"{entry_where}.value")
            value_location = entry.value_location("value", self.path) if "value" in entry else None
            # Kubernetes reads a missing value as the empty string.
            env[name] = EnvEntry(name, text or "", text or "", location, value_location)
        return env
