from __future__ import annotations

import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvray.findings import InputError
from uvray.readers import pyproject as pp
from uvray.readers.pyproject import (
    LockPackage,
    Pyproject,
    Requirement,
    UvLock,
    UvSource,
    _line_of_key,
    _line_of_table,
    normalize_name,
    parse_requirement,
    read_pyproject,
    read_python_version,
    read_uv_lock,
)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def read_ok(text: str, path: str = "pyproject.toml") -> Pyproject:
    project, errors = read_pyproject(dedent(text), path)
    assert errors == []
    assert project is not None
    return project


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` (to keep expected lines readable)."""
    for number, line in enumerate(dedent(text).split("\n"), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


# --- names and requirements -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("ray", "ray", id="plain"),
        pytest.param("Ray", "ray", id="case"),
        pytest.param("ray_core", "ray-core", id="underscore"),
        pytest.param("zope.interface", "zope-interface", id="dot"),
        pytest.param("A__B-._c", "a-b-c", id="runs"),
    ],
)
def test_normalize_name(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


@pytest.mark.parametrize(
    ("text", "name", "extras", "specifier", "marker", "url"),
    [
        pytest.param("ray", "ray", (), "", None, None, id="bare"),
        pytest.param("ray==2.44.0", "ray", (), "==2.44.0", None, None, id="pin"),
        pytest.param(
            "ray[default]==2.44.0", "ray", ("default",), "==2.44.0", None, None, id="extra"
        ),
        pytest.param(
            "Ray[Default, data_x] >= 2.47, <3 ; python_version >= '3.10'",
            "ray",
            ("default", "data-x"),
            ">=2.47,<3",
            "python_version >= '3.10'",
            None,
            id="spaces-extras-marker",
        ),
        pytest.param("ray (>=2.0,<3)", "ray", (), ">=2.0,<3", None, None, id="parenthesised"),
        pytest.param("ray(>=2.0)", "ray", (), ">=2.0", None, None, id="parens-no-space"),
        pytest.param("ray_core.x~=1.4.2", "ray-core-x", (), "~=1.4.2", None, None, id="compat"),
        pytest.param("pkg!=1.5,>=1", "pkg", (), "!=1.5,>=1", None, None, id="not-equal"),
        pytest.param("pkg==2.*", "pkg", (), "==2.*", None, None, id="wildcard"),
        pytest.param("pkg===1.0-weird", "pkg", (), "===1.0-weird", None, None, id="arbitrary"),
        pytest.param("pkg==1.0+local.7", "pkg", (), "==1.0+local.7", None, None, id="local"),
        pytest.param("pkg[]", "pkg", (), "", None, None, id="empty-extras"),
        pytest.param(
            'tomli>=1.1; python_version < "3.11"',
            "tomli",
            (),
            ">=1.1",
            'python_version < "3.11"',
            None,
            id="marker-no-space",
        ),
        pytest.param(
            "torch @ https://download.pytorch.org/whl/cpu/torch-2.3.0.whl ; sys_platform == 'linux'",
            "torch",
            (),
            "",
            "sys_platform == 'linux'",
            "https://download.pytorch.org/whl/cpu/torch-2.3.0.whl",
            id="url-marker",
        ),
        pytest.param(
            "mylib[cli] @ file:///home/me/mylib",
            "mylib",
            ("cli",),
            "",
            None,
            "file:///home/me/mylib",
            id="file-url",
        ),
        pytest.param(
            "x@git+https://github.com/a/x@v1#egg=x",
            "x",
            (),
            "",
            None,
            "git+https://github.com/a/x@v1#egg=x",
            id="git-url-no-spaces",
        ),
    ],
)
def test_parse_requirement(
    text: str,
    name: str,
    extras: tuple[str, ...],
    specifier: str,
    marker: str | None,
    url: str | None,
) -> None:
    req = parse_requirement(text, 7)
    assert req == Requirement(name, text, extras, specifier, marker, 7, url)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("!!", id="punctuation"),
        pytest.param("-ray", id="leading-dash"),
        pytest.param("ray-", id="trailing-dash"),
        pytest.param("ray==", id="no-version"),
        pytest.param("ray >= 1 2", id="two-versions"),
        pytest.param("ray==1,", id="trailing-comma"),
        pytest.param("ray = 1", id="single-equals"),
        pytest.param("ray[default", id="open-extras"),
        pytest.param("ray[a b]==1", id="bad-extra"),
        pytest.param("ray (>=1", id="open-paren"),
        pytest.param("ray;", id="empty-marker"),
        pytest.param("ray @ ", id="empty-url"),
        pytest.param("ray @ https://x y", id="url-with-space"),
        pytest.param("ray 2.0", id="bare-version"),
    ],
)
def test_parse_requirement_rejects_garbage(text: str) -> None:
    assert parse_requirement(text) is None


# --- real-world pyproject files -----------------------------------------------------------------

UV_INIT_APP = """
[project]
name = "hello-world"
version = "0.1.0"
description = "Add your description here"
readme = "README.md"
requires-python = ">=3.12"
dependencies = []
"""

UV_INIT_PACKAGE = """
[project]
name = "example-pkg"
version = "0.1.0"
description = "Add your description here"
readme = "README.md"
authors = [{ name = "Ann", email = "ann@example.com" }]
requires-python = ">=3.11"
dependencies = []

[project.scripts]
example-pkg = "example_pkg:main"

[build-system]
requires = ["uv_build>=0.8.0,<0.9"]
build-backend = "uv_build"
"""

HATCH_SRC_LAYOUT = """
[project]
name = "rayproj"
version = "0.3.0"
requires-python = ">=3.10,<3.13"
dependencies = [
    "ray[default]==2.44.0",
    "numpy>=1.26",  # comment after a requirement
    'pandas ; python_version >= "3.11"',
]

[project.optional-dependencies]
Serve = ["ray[serve]==2.44.0"]

[dependency-groups]
dev = [
    "pytest>=8",
    { include-group = "lint" },
]
lint = ["ruff==0.6.9"]

[tool.uv]
required-version = ">=0.7.14"
dev-dependencies = ["ipython"]

[tool.hatch.build.targets.wheel]
packages = ["src/rayproj"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.uvray]
ignore = ["UVR001"]
"""

PACKAGE_FALSE_APP = """
[project]
name = "ray-app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["ray[default]>=2.47,<3"]

[tool.uv]
package = false

[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"
"""

VIRTUAL_WORKSPACE_ROOT = """
[tool.uv.workspace]
members = ["packages/*"]
exclude = ["packages/seeds"]

[dependency-groups]
dev = ["pytest"]
"""

WORKSPACE_ROOT = """
[project]
name = "albatross"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["bird-feeder", "tqdm>=4,<5"]

[tool.uv.sources]
bird-feeder = { workspace = true }

[tool.uv.workspace]
members = ["packages/*"]
exclude = ["packages/seeds"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

EDITABLE_PATH_SOURCE = """
[project]
name = "app"
version = "0.1.0"
dependencies = ["lib", "httpx", "foo", "bar", "torch", "Other_Thing"]

[tool.uv.sources]
lib = { path = "../lib", editable = true }
httpx = { git = "https://github.com/encode/httpx", tag = "0.27.0" }
foo = { url = "https://files.pythonhosted.org/packages/foo-0.1.0.tar.gz" }
bar = { path = "./bar" }
torch = [
  { index = "pytorch-cpu", marker = "sys_platform != 'darwin'" },
  { index = "pytorch-mps", marker = "sys_platform == 'darwin'" },
]
Other_Thing = { workspace = false }

[[tool.uv.index]]
name = "pytorch-cpu"
url = "https://download.pytorch.org/whl/cpu"
explicit = true
"""


def test_uv_init_app_is_not_packaged() -> None:
    p = read_ok(UV_INIT_APP)
    assert p.has_project
    assert p.name == "hello-world"
    assert p.name_line == 2
    assert p.version == "0.1.0"
    assert p.requires_python == ">=3.12"
    assert p.requires_python_line == 6
    assert p.dependencies == []
    assert p.dependencies_line == 7
    assert not p.build_system
    assert p.uv_package is None
    assert p.packaged is False  # no [build-system]: uv treats it as a virtual project
    assert p.src_layout_hint is None
    assert p.packages_hint == []
    assert p.uvray_table is None
    assert p.dir == ""


def test_uv_init_package_uses_uv_build_src_default() -> None:
    p = read_ok(UV_INIT_PACKAGE, "services/pkg/pyproject.toml")
    assert p.dir == "services/pkg"
    assert p.path == "services/pkg/pyproject.toml"
    assert p.build_system
    assert p.build_backend == "uv_build"
    assert p.build_system_line == line_of(UV_INIT_PACKAGE, "[build-system]")
    assert [r.name for r in p.build_requires] == ["uv-build"]
    assert p.build_requires[0].specifier == ">=0.8.0,<0.9"
    assert p.packaged is True
    assert p.src_layout_hint is True  # uv_build's module-root defaults to "src"
    assert p.packages_hint == ["src/example_pkg"]


def test_hatchling_src_layout_project() -> None:
    p = read_ok(HATCH_SRC_LAYOUT)
    assert p.normalized_name == "rayproj"
    assert [(r.name, r.extras, r.specifier, r.marker, r.line) for r in p.dependencies] == [
        ("ray", ("default",), "==2.44.0", None, 6),
        ("numpy", (), ">=1.26", None, 7),
        ("pandas", (), "", 'python_version >= "3.11"', 8),
    ]
    assert list(p.optional_dependencies) == ["serve"]  # extra names are normalised
    assert p.optional_dependencies["serve"][0].line == line_of(HATCH_SRC_LAYOUT, "Serve =")
    # include-group resolved; legacy dev-dependencies merged into "dev"
    assert {g: [r.name for r in reqs] for g, reqs in p.dependency_groups.items()} == {
        "dev": ["pytest", "ruff", "ipython"],
        "lint": ["ruff"],
    }
    assert p.dependency_groups["dev"][1] is p.dependency_groups["lint"][0]
    assert p.dependency_groups["dev"][2].line == line_of(HATCH_SRC_LAYOUT, "dev-dependencies")
    assert p.required_version == ">=0.7.14"
    assert p.required_version_line == line_of(HATCH_SRC_LAYOUT, "required-version")
    assert p.uv_line == line_of(HATCH_SRC_LAYOUT, "[tool.uv]")
    assert p.packaged is True
    assert p.src_layout_hint is True
    assert p.packages_hint == ["src/rayproj"]
    assert p.uvray_table == {"ignore": ["UVR001"]}
    assert p.uvray_line == line_of(HATCH_SRC_LAYOUT, "[tool.uvray]")
    names = [r.name for r in p.all_requirements()]
    assert names == ["ray", "numpy", "pandas", "ray", "pytest", "ruff", "ipython"]


def test_package_false_wins_over_build_system() -> None:
    p = read_ok(PACKAGE_FALSE_APP)
    assert p.build_system
    assert p.uv_package is False
    assert p.uv_package_line == line_of(PACKAGE_FALSE_APP, "package = false")
    assert p.packaged is False
    assert p.dependencies[0].specifier == ">=2.47,<3"


def test_package_true_without_build_system() -> None:
    p = read_ok('[project]\nname = "x"\n[tool.uv]\npackage = true\n')
    assert p.packaged is True
    assert p.uv_package_line == 4


def test_virtual_workspace_root() -> None:
    p = read_ok(VIRTUAL_WORKSPACE_ROOT)
    assert not p.has_project
    assert p.name is None
    assert p.has_workspace
    assert p.is_virtual_workspace_root
    assert p.workspace_members == ["packages/*"]
    assert p.workspace_exclude == ["packages/seeds"]
    assert p.workspace_line == 1
    assert p.uv_line == 1  # [tool.uv.workspace] is where tool.uv is first defined
    assert p.packaged is False
    assert [r.name for r in p.dependency_groups["dev"]] == ["pytest"]


def test_workspace_root_with_workspace_source() -> None:
    p = read_ok(WORKSPACE_ROOT)
    assert p.has_workspace and not p.is_virtual_workspace_root
    assert p.uv_sources == {
        "bird-feeder": UvSource(
            "bird-feeder",
            "workspace",
            None,
            line_of(WORKSPACE_ROOT, "bird-feeder = {"),
            raw={"workspace": True},
        )
    }
    assert p.workspace_line == line_of(WORKSPACE_ROOT, "[tool.uv.workspace]")
    assert [r.name for r in p.dependencies] == ["bird-feeder", "tqdm"]


def test_source_kinds() -> None:
    p = read_ok(EDITABLE_PATH_SOURCE)
    kinds = {name: (s.kind, s.value) for name, s in p.uv_sources.items()}
    assert kinds == {
        "lib": ("editable-path", "../lib"),
        "httpx": ("git", "https://github.com/encode/httpx"),
        "foo": ("url", "https://files.pythonhosted.org/packages/foo-0.1.0.tar.gz"),
        "bar": ("path", "./bar"),
        "torch": ("index", "pytorch-cpu"),  # the first of a list
        "other-thing": ("other", None),
    }
    assert p.uv_sources["httpx"].raw["tag"] == "0.27.0"
    assert p.uv_sources["lib"].line == line_of(EDITABLE_PATH_SOURCE, "lib = {")
    torch = [s for s in p.uv_source_list if s.name == "torch"]
    assert [(s.value, s.marker) for s in torch] == [
        ("pytorch-cpu", "sys_platform != 'darwin'"),
        ("pytorch-mps", "sys_platform == 'darwin'"),
    ]
    assert len(p.uv_source_list) == 7
    assert p.packaged is False


@pytest.mark.parametrize(
    ("toml", "hints", "src_layout"),
    [
        pytest.param("", [], None, id="nothing"),
        pytest.param(
            '[tool.hatch.build.targets.wheel]\npackages = ["src/rayproj"]',
            ["src/rayproj"],
            True,
            id="hatch-src",
        ),
        pytest.param(
            '[tool.hatch.build.targets.wheel]\npackages = ["rayproj"]',
            ["rayproj"],
            False,
            id="hatch-root",
        ),
        pytest.param(
            '[tool.hatch.build.targets.wheel]\nsources = ["src"]', ["src"], True, id="hatch-sources"
        ),
        pytest.param(
            '[tool.setuptools]\npackage-dir = {"" = "src"}', ["src"], True, id="setuptools-dir"
        ),
        pytest.param(
            '[tool.setuptools]\npackages = ["rayproj", "rayproj.sub"]',
            ["rayproj", "rayproj.sub"],
            False,
            id="setuptools-packages",
        ),
        pytest.param(
            '[tool.setuptools]\npackage-dir = {"" = "hooks"}\n'
            '[tool.setuptools.packages.find]\nwhere = ["hooks"]',
            ["hooks"],
            True,
            id="setuptools-this-repo",
        ),
        pytest.param(
            '[tool.setuptools.packages.find]\nwhere = ["."]',
            ["."],
            False,
            id="setuptools-find-root",
        ),
        pytest.param(
            '[tool.setuptools]\npackage-dir = {rayproj = "lib/rayproj"}',
            ["lib/rayproj"],
            True,
            id="setuptools-package-mapping",
        ),
        pytest.param(
            '[build-system]\nbuild-backend = "uv_build"\n'
            '[tool.uv.build-backend]\nmodule-root = ""\nmodule-name = "rp"',
            ["rp"],
            False,
            id="uv-build-root",
        ),
        pytest.param(
            '[tool.uv.build-backend]\nmodule-root = "src"',
            [],
            None,
            id="uv-build-config-without-backend",
        ),
        pytest.param(
            '[tool.poetry]\npackages = [{ include = "rayproj", from = "src" }]',
            ["src/rayproj"],
            True,
            id="poetry-from",
        ),
        pytest.param(
            '[tool.poetry]\npackages = [{ include = "rayproj" }]', ["rayproj"], False, id="poetry"
        ),
        pytest.param('[tool.flit.module]\nname = "rayproj"', ["rayproj"], None, id="flit"),
        pytest.param('[tool.pdm.build]\npackage-dir = "src"', ["src"], True, id="pdm-src"),
        pytest.param('[tool.pdm.build]\npackage-dir = "."', ["."], False, id="pdm-root"),
        pytest.param(
            '[tool.hatch.build.targets.wheel]\npackages = 3\n[tool.poetry]\npackages = ["x", 1]',
            [],
            None,
            id="unknown-shapes-are-no-evidence",
        ),
    ],
)
def test_layout_hints(toml: str, hints: list[str], src_layout: bool | None) -> None:
    p = read_ok('[project]\nname = "rayproj"\n' + toml + "\n")
    assert p.packages_hint == hints
    assert p.src_layout_hint is src_layout


# --- line locator --------------------------------------------------------------------------------

PACKAGE_FORMS = [
    pytest.param("[tool.uv]\npackage = false\n", 1, 2, id="header"),
    pytest.param("[tool.uv]  # uv settings\n\npackage = false\n", 1, 3, id="header-comment"),
    pytest.param('[ tool . "uv" ]\npackage = false\n', 1, 2, id="spaced-quoted-header"),
    pytest.param("[tool]\nuv = { package = false }\n", 2, 2, id="inline-table"),
    pytest.param("[tool]\nuv.package = false\n", 2, 2, id="dotted-under-tool"),
    pytest.param('x = 1\ntool.uv.package = false\n[project]\nname="a"\n', 2, 2, id="top-dotted"),
    pytest.param(
        '[project]\ndescription = """\n[tool.uv]\npackage = true\n"""\n[tool.uv]\npackage = false\n',
        6,
        7,
        id="not-fooled-by-multiline-string",
    ),
    pytest.param(
        "[project]\ndependencies = [\n  'a',\n]\n[tool.uv.sources]\na = {path='a'}\n"
        "[tool.uv]\npackage = false\n",
        5,
        8,
        id="subtable-first",
    ),
    pytest.param(
        "[project]\nx = [\n  '''\n[tool.uv]\n''', \"]\",\n]\n[tool.uv]\npackage = false\n",
        7,
        8,
        id="not-fooled-by-array-content",
    ),
]


@pytest.mark.parametrize(("text", "table_line", "key_line"), PACKAGE_FORMS)
def test_line_locator(text: str, table_line: int, key_line: int) -> None:
    assert _line_of_table(text, "tool.uv") == table_line
    assert _line_of_key(text, "tool.uv", "package") == key_line
    project, errors = read_pyproject(text, "pyproject.toml")
    assert errors == []
    assert project is not None
    assert project.uv_package is False
    assert project.uv_package_line == key_line


def test_crlf_line_endings() -> None:
    text = '[project]\r\nname = "a"\r\ndependencies = [\r\n  "ray",\r\n]\r\n[tool.uv]\r\npackage = false\r\n'
    p, errors = read_pyproject(text, "pyproject.toml")
    assert errors == [] and p is not None
    assert (p.name_line, p.dependencies[0].line, p.uv_line, p.uv_package_line) == (2, 4, 6, 7)


def test_line_locator_misses_are_none() -> None:
    text = '[project]\nname = "a"\n'
    assert _line_of_table(text, "tool.uv") is None
    assert _line_of_key(text, "tool.uv", "package") is None
    assert _line_of_key(text, "", "project") == 1
    assert _line_of_key(text, "project", "name") == 2


def test_requirement_lines_are_searched_from_their_own_key() -> None:
    text = dedent(
        """
        [project]
        dependencies = ["ray==2.44.0"]

        [project.optional-dependencies]
        a = [
          "ray==2.44.0",
        ]
        b = ["numpy", "ray==2.44.0"]

        [dependency-groups]
        dev = ["ray==2.44.0"]
        """
    )
    p, errors = read_pyproject(text, "pyproject.toml")
    assert errors == [] and p is not None
    assert p.dependencies[0].line == 2
    assert p.optional_dependencies["a"][0].line == 6
    assert p.optional_dependencies["b"][1].line == 8
    assert p.dependency_groups["dev"][0].line == 11


def test_escaped_requirement_falls_back_to_key_line() -> None:
    text = '[project]\ndependencies = [\n  "tomli; python_version < \\u00223.11\\u0022",\n]\n'
    p, errors = read_pyproject(text, "pyproject.toml")
    assert errors == [] and p is not None
    assert p.dependencies[0].marker == 'python_version < "3.11"'
    assert p.dependencies[0].line == 2


def test_escaped_quotes_are_found() -> None:
    text = '[project]\ndependencies = [\n  "a",\n  "tomli; python_version < \\"3.11\\"",\n]\n'
    p, errors = read_pyproject(text, "pyproject.toml")
    assert errors == [] and p is not None
    assert p.dependencies[1].line == 4


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param('[project]\nname = "a"\nversion = 1x\n', 3, id="bad-value"),
        pytest.param('[project]\nname = "a"\nname = "b"\n', 3, id="duplicate-key"),
        pytest.param("[tool.uv]\npackage = true\n\n[tool.uv]\n", 4, id="duplicate-table"),
        pytest.param('[project\nname = "a"\n', 1, id="unclosed-header"),
        pytest.param('[project]\ndependencies = [\n  "a"\n  "b",\n]\n', 4, id="missing-comma"),
        pytest.param('[project]\nname = "a\n', 2, id="unterminated-string"),
        pytest.param("a = [", 1, id="eof"),
    ],
)
def test_invalid_toml_reports_the_line(text: str, line: int) -> None:
    project, errors = read_pyproject(text, "sub/pyproject.toml")
    assert project is None
    assert len(errors) == 1
    error = errors[0]
    assert error.path == "sub/pyproject.toml"
    assert error.line == line
    assert error.message.startswith("invalid TOML: ")
    assert "(at line" not in error.message


def test_pathological_toml_is_an_error_not_a_crash() -> None:
    _, deep = read_pyproject("a = " + "[" * 5000, "p")
    _, huge = read_pyproject("a = 1" + "0" * 5000, "p")
    assert [e.message for e in deep] == ["invalid TOML: nested too deeply"]
    assert len(huge) == 1 and huge[0].message.startswith("invalid TOML: ")


def test_without_a_toml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", None)
    project, errors = read_pyproject('[project]\nname = "a"\n', "pyproject.toml")
    assert project is None
    assert errors == [
        InputError("pyproject.toml", "cannot read TOML: install tomli (Python < 3.11)")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[project]\ndependencies = "ray"\n',
            [("project.dependencies must be an array of strings, not a string", 2)],
            id="dependencies-string",
        ),
        pytest.param(
            '[project]\ndependencies = ["ray", 3, "!!bad"]\n',
            [
                ("project.dependencies[1] must be a string, not an integer", 2),
                ("invalid requirement '!!bad' in project.dependencies", 2),
            ],
            id="dependency-items",
        ),
        pytest.param(
            'project = "x"\n', [("project must be a table, not a string", 1)], id="project"
        ),
        pytest.param(
            "[project]\nname = 1\nrequires-python = true\n",
            [
                ("project.name must be a string, not an integer", 2),
                ("project.requires-python must be a string, not a boolean", 3),
            ],
            id="project-scalars",
        ),
        pytest.param(
            "[project]\noptional-dependencies = 1\n",
            [("project.optional-dependencies must be a table, not an integer", 2)],
            id="extras-table",
        ),
        pytest.param(
            "[project.optional-dependencies]\nx = [1.5]\n",
            [("project.optional-dependencies.x[0] must be a string, not a float", 2)],
            id="extras-item",
        ),
        pytest.param("tool = 1\n", [("tool must be a table, not an integer", 1)], id="tool"),
        pytest.param(
            "[tool]\nuv = []\n", [("tool.uv must be a table, not an array", 2)], id="tool-uv"
        ),
        pytest.param(
            '[tool.uv]\npackage = "no"\nrequired-version = 7\n',
            [
                ("tool.uv.package must be true or false, not a string", 2),
                ("tool.uv.required-version must be a string, not an integer", 3),
            ],
            id="tool-uv-scalars",
        ),
        pytest.param(
            "[tool.uv.sources]\nray = 5\nx = [1]\n",
            [
                ("tool.uv.sources.ray must be a table or an array of tables, not an integer", 2),
                ("tool.uv.sources.x[0] must be a table or an array of tables, not an integer", 3),
            ],
            id="sources",
        ),
        pytest.param(
            "[tool.uv]\nsources = []\n",
            [("tool.uv.sources must be a table, not an array", 2)],
            id="sources-table",
        ),
        pytest.param(
            '[tool.uv.workspace]\nmembers = "x"\nexclude = [1]\n',
            [
                ("tool.uv.workspace.members must be an array of strings, not a string", 2),
                ("tool.uv.workspace.exclude[0] must be a string, not an integer", 3),
            ],
            id="workspace",
        ),
        pytest.param(
            '[tool.uv]\ndev-dependencies = "pytest"\n',
            [("tool.uv.dev-dependencies must be an array of strings, not a string", 2)],
            id="dev-dependencies",
        ),
        pytest.param(
            "[build-system]\nrequires = [1]\nbuild-backend = 2\n",
            [
                ("build-system.build-backend must be a string, not an integer", 3),
                ("build-system.requires[0] must be a string, not an integer", 2),
            ],
            id="build-system",
        ),
        pytest.param(
            "build-system = 1\n",
            [("build-system must be a table, not an integer", 1)],
            id="build-system-table",
        ),
        pytest.param(
            "[dependency-groups]\ndev = 1\nlint = [{ include = 'x' }, 2]\n",
            [
                ("dependency-groups.dev must be an array, not an integer", 2),
                (
                    'dependency-groups.lint[0] must be a requirement string or {include-group = "..."}'
                    ", not a table",
                    3,
                ),
                (
                    'dependency-groups.lint[1] must be a requirement string or {include-group = "..."}'
                    ", not an integer",
                    3,
                ),
            ],
            id="groups",
        ),
        pytest.param(
            "[dependency-groups]\na = [{include-group = 'b'}]\nb = [{include-group = 'a'}, 'x']\n"
            "c = [{include-group = 'nope'}]\n",
            [
                ("dependency group 'b' includes 'a', which includes 'b' again (a cycle)", 3),
                ("dependency group 'c' includes unknown group 'nope'", 4),
            ],
            id="include-group-problems",
        ),
        pytest.param(
            "[tool]\nuvray = 1\n", [("tool.uvray must be a table, not an integer", 2)], id="uvray"
        ),
    ],
)
def test_wrong_types_are_errors_not_crashes(text: str, expected: list[tuple[str, int]]) -> None:
    project, errors = read_pyproject(text, "pyproject.toml")
    assert project is not None
    assert [(e.message, e.line) for e in errors] == expected
    assert all(e.path == "pyproject.toml" for e in errors)


def test_wrong_types_keep_the_good_parts() -> None:
    text = '[project]\nname = "a"\ndependencies = ["ray", 3]\n[tool.uv]\npackage = "x"\n'
    project, errors = read_pyproject(text, "pyproject.toml")
    assert project is not None and len(errors) == 2
    assert project.name == "a"
    assert [r.name for r in project.dependencies] == ["ray"]
    assert project.uv_package is None


def test_include_group_cycle_keeps_what_it_can() -> None:
    text = (
        "[dependency-groups]\na = [{include-group = 'b'}, 'x']\nb = [{include-group = 'a'}, 'y']\n"
    )
    project, errors = read_pyproject(text, "pyproject.toml")
    assert project is not None and len(errors) == 1
    assert [r.name for r in project.dependency_groups["a"]] == ["y", "x"]
    assert [r.name for r in project.dependency_groups["b"]] == ["y"]


# --- uv.lock ---------------------------------------------------------------------------------------

# Excerpt of a lock written by uv 0.13.9 for a project `rayproj` (hatchling, ray[default]==2.44.0,
# an editable path dependency `mylib` at lib/, and a dev group); wheels trimmed.
RAYPROJ_LOCK = """
version = 1
revision = 5
requires-python = ">=3.10"
resolution-markers = [
    "python_full_version >= '3.14'",
    "python_full_version >= '3.12' and python_full_version < '3.14'",
    "python_full_version == '3.11.*'",
    "python_full_version < '3.11'",
]

[[package]]
name = "aiohappyeyeballs"
version = "2.7.1"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/ce/f4/eec0465c/aiohappyeyeballs-2.7.1.tar.gz", hash = "sha256:065665c041c42a5938ed220bdcd7230f22527fbec085e1853d2402c8a3615d9d", size = 24757, upload-time = "2026-07-01T17:11:55.501Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/71/43/1947f06b/aiohappyeyeballs-2.7.1-py3-none-any.whl", hash = "sha256:9243213661e29250eb41368e5daa826fc017156c3b8a11440826b2e3ed376472", size = 15038, upload-time = "2026-07-01T17:11:54.055Z" },
]

[[package]]
name = "multidict"
version = "7.1.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version < '3.11'",
]
dependencies = [
    { name = "typing-extensions", marker = "python_full_version < '3.11'" },
]
sdist = { url = "https://files.pythonhosted.org/packages/aa/bb/multidict-7.1.0.tar.gz", hash = "sha256:00", size = 1, upload-time = "2026-01-01T00:00:00.000Z" }

[[package]]
name = "multidict"
version = "7.2.1"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version >= '3.11'",
]

[[package]]
name = "mylib"
version = "0.2.0"
source = { editable = "lib" }
dependencies = [
    { name = "six" },
]

[package.metadata]
requires-dist = [{ name = "six" }]

[[package]]
name = "ray"
version = "2.44.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "click" },
    { name = "filelock" },
]
wheels = [
    { url = "https://files.pythonhosted.org/packages/7d/ray-2.44.0-cp310-cp310-manylinux2014_x86_64.whl", hash = "sha256:11", size = 67890, upload-time = "2025-03-21T00:00:00.000Z" },
    { url = "https://files.pythonhosted.org/packages/7e/ray-2.44.0-cp311-cp311-manylinux2014_x86_64.whl", hash = "sha256:22", size = 67891, upload-time = "2025-03-21T00:00:00.000Z" },
]

[package.optional-dependencies]
default = [
    { name = "aiohttp" },
    { name = "py-spy" },
]

[[package]]
name = "rayproj"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "mylib" },
    { name = "ray", extra = ["default"] },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[package.metadata]
requires-dist = [
    { name = "mylib", editable = "lib" },
    { name = "ray", extras = ["default"], specifier = "==2.44.0" },
]

[package.metadata.requires-dev]
dev = [{ name = "pytest", specifier = ">=8" }]

[[package]]
name = "typing-extensions"
version = "4.15.0"
source = { registry = "https://pypi.org/simple" }
"""

# Written by uv 0.13.9 for a virtual workspace root with members packages/a and packages/b.
WORKSPACE_LOCK = """
version = 1
revision = 5
requires-python = ">=3.10"

[manifest]
members = [
    "a",
    "B_pkg",
]

[manifest.dependency-groups]
dev = [
    { name = "a", editable = "packages/a" },
    { name = "b-pkg", editable = "packages/b" },
]

[[package]]
name = "a"
version = "0.1.0"
source = { editable = "packages/a" }
dependencies = [
    { name = "six" },
]

[package.metadata]
requires-dist = [{ name = "six", specifier = "==1.17.0" }]

[[package]]
name = "b-pkg"
version = "0.1.0"
source = { editable = "packages/b" }

[[package]]
name = "six"
version = "1.17.0"
source = { registry = "https://pypi.org/simple" }
"""

VIRTUAL_PROJECT_LOCK = """
version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "ray-app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "ray" },
]

[package.metadata]
requires-dist = [{ name = "ray", specifier = ">=2.47,<3" }]

[[package]]
name = "ray"
version = "2.47.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "httpx"
version = "0.27.0"
source = { git = "https://github.com/encode/httpx?tag=0.27.0#326b9431c761e1ef1e00b9f760d1f654c8db48c6" }
"""


def read_lock(text: str, path: str = "uv.lock") -> UvLock:
    lock, errors = read_uv_lock(dedent(text), path)
    assert errors == []
    assert lock is not None
    return lock


@pytest.fixture(params=["canonical", "tomllib"])
def lock_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the fast line reader and again with the full TOML parser."""
    if request.param == "tomllib":

        def refuse(text: str, display: str) -> UvLock:
            raise pp._NotCanonical

        monkeypatch.setattr(pp, "_read_canonical_lock", refuse)
    return request.param


def test_uv_lock_rayproj(lock_reader: str) -> None:
    lock = read_lock(RAYPROJ_LOCK, "svc/uv.lock")
    assert (lock.path, lock.dir) == ("svc/uv.lock", "svc")
    assert lock.lock_version == 1
    assert lock.requires_python == ">=3.10"
    assert len(lock) == 7
    assert lock.versions_of("Multi_Dict") == []
    assert lock.versions_of("MultiDict") == ["7.1.0", "7.2.1"]
    assert lock.versions_of("ray") == ["2.44.0"]
    assert lock.versions_of("nope") == []
    header_lines = [
        n for n, line in enumerate(dedent(RAYPROJ_LOCK).split("\n"), 1) if line == "[[package]]"
    ]
    assert [p.line for p in lock.packages] == header_lines
    assert lock.package("RAY") == LockPackage(
        "ray", "2.44.0", {"registry": "https://pypi.org/simple"}, header_lines[4]
    )
    assert lock.package("nope") is None
    mylib = lock.package("mylib")
    assert mylib is not None
    assert (mylib.source, mylib.source_kind) == ({"editable": "lib"}, "editable")
    assert [p.name for p in lock.project_entries()] == ["rayproj"]
    assert lock.manifest_members == []


def test_uv_lock_workspace(lock_reader: str) -> None:
    lock = read_lock(WORKSPACE_LOCK)
    assert lock.manifest_members == ["a", "b-pkg"]
    assert lock.project_entries() == []  # a virtual workspace root has no entry of its own
    assert [p.source for p in lock.packages[:2]] == [
        {"editable": "packages/a"},
        {"editable": "packages/b"},
    ]
    assert lock.dir == ""


def test_uv_lock_virtual_project_and_git_source(lock_reader: str) -> None:
    lock = read_lock(VIRTUAL_PROJECT_LOCK)
    assert [(p.name, p.source_kind) for p in lock.project_entries()] == [("ray-app", "virtual")]
    httpx = lock.package("httpx")
    assert httpx is not None and httpx.source_kind == "git"
    assert httpx.source["git"].endswith("#326b9431c761e1ef1e00b9f760d1f654c8db48c6")


def test_uv_lock_directory_source_counts_as_project(lock_reader: str) -> None:
    lock = read_lock('version = 1\n\n[[package]]\nname = "x"\nsource = { directory = "." }\n')
    assert [(p.name, p.version) for p in lock.project_entries()] == [("x", None)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("version = 1 # comment\n", id="comment"),
        pytest.param("version = 1\n[[package]]\nname = 'single-quoted'\n", id="literal-string"),
        pytest.param('version = 1\n[[package]]\n  name = "indented"\n', id="indented-key"),
        pytest.param("[[package]]\nname = \"a\"\nsource = {registry='x'}\n", id="inline-style"),
        pytest.param('version = 1\nrequires-python = "\\u003e=3.10"\n', id="escapes"),
        pytest.param('[manifest]\nmembers = ["a", "b"]\n', id="one-line-members"),
        pytest.param('version = 1\n\n[[package]]\nname = "a"\r\n', id="crlf"),
        pytest.param("", id="empty"),
    ],
)
def test_uv_lock_hand_edited_layouts_match_tomllib(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock, errors = read_uv_lock(text, "uv.lock")
    monkeypatch.setattr(pp, "_read_canonical_lock", _refuse)
    expected, expected_errors = read_uv_lock(text, "uv.lock")
    assert errors == expected_errors == []
    assert lock == expected


def _refuse(text: str, display: str) -> UvLock:
    raise pp._NotCanonical


def test_uv_lock_real_files_match_tomllib(monkeypatch: pytest.MonkeyPatch) -> None:
    for text in (RAYPROJ_LOCK, WORKSPACE_LOCK, VIRTUAL_PROJECT_LOCK):
        fast = read_lock(text)
        monkeypatch.setattr(pp, "_read_canonical_lock", _refuse)
        assert read_lock(text) == fast
        monkeypatch.undo()


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        pytest.param(
            'version = 1\n\n[[package]]\nname = "a"\n<<<<<<< HEAD\nversion = "1"\n=======\n',
            "invalid TOML: ",
            5,
            id="merge-conflict",
        ),
        pytest.param(
            '[[package]]\nname = "a"\nname = "b"\n', "invalid TOML: ", 3, id="duplicate-key"
        ),
        pytest.param("version = [\n", "invalid TOML: ", None, id="unclosed-array"),
        pytest.param("a = b\n", "invalid TOML: ", 1, id="bare-word"),
    ],
)
def test_uv_lock_invalid(text: str, message: str, line: int | None) -> None:
    lock, errors = read_uv_lock(text, "uv.lock")
    assert lock is None
    assert len(errors) == 1
    assert errors[0].message.startswith(message)
    if line is not None:
        assert errors[0].line == line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'version = "1"\n',
            [("version must be an integer, not a string", None)],
            id="version",
        ),
        pytest.param(
            "requires-python = 3\n",
            [("requires-python must be a string, not an integer", None)],
            id="requires-python",
        ),
        pytest.param(
            "package = 1\n",
            [("package must be an array of tables, not an integer", None)],
            id="package",
        ),
        pytest.param(
            "[[package]]\nversion = '1'\n\n[[package]]\nname = 'b'\nsource = 'x'\n",
            [
                ("[[package]] entry without a name", 1),
                ("source of package 'b' must be a table, not a string", 4),
            ],
            id="entries",
        ),
    ],
)
def test_uv_lock_wrong_types(text: str, expected: list[tuple[str, int | None]]) -> None:
    lock, errors = read_uv_lock(text, "uv.lock")
    assert lock is not None
    assert [(e.message, e.line) for e in errors] == expected


def test_uv_lock_non_string_source_values_and_odd_versions() -> None:
    lock = read_lock("[[package]]\nname = 'a'\nversion = 2\nsource = { editable = '.', x = 1 }\n")
    assert lock.packages == [LockPackage("a", None, {"editable": ".", "x": "1"}, 1)]


def big_lock(packages: int = 1100, wheels: int = 24) -> str:
    """A lock shaped like uv's: ~30k lines, mostly long wheel lines."""
    parts = ['version = 1\nrevision = 3\nrequires-python = ">=3.10"\n']
    wheel = (
        '    {{ url = "https://files.pythonhosted.org/packages/ab/cd/ef0123456789/'
        'pkg{i}-1.0.{w}-cp311-cp311-manylinux_2_17_x86_64.whl", hash = "sha256:'
        + "0" * 64
        + '", size = 123456, upload-time = "2025-01-01T00:00:00.000Z" }},\n'
    )
    for i in range(packages):
        lines = [
            "",
            "[[package]]",
            f'name = "pkg-{i}"',
            'version = "1.0.0"',
            'source = { registry = "https://pypi.org/simple" }',
            "dependencies = [",
            f'    {{ name = "pkg-{(i + 1) % packages}" }},',
            "]",
            f'sdist = {{ url = "https://files.pythonhosted.org/pkg{i}.tar.gz", hash = "sha256:00" }}',
            "wheels = [",
        ]
        parts.append("\n".join(lines) + "\n")
        parts.append("".join(wheel.format(i=i, w=w) for w in range(wheels)))
        parts.append("]\n")
    return "".join(parts)


def test_uv_lock_is_fast() -> None:
    text = big_lock()
    assert text.count("\n") > 30_000
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        lock, errors = read_uv_lock(text, "uv.lock")
        best = min(best, time.perf_counter() - start)
    assert errors == [] and lock is not None and len(lock) == 1100
    # About 25 ms on a CI runner; tomllib takes over a second. Generous for loaded machines.
    assert best < 0.15


# --- .python-version --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version", "line", "major_minor"),
    [
        pytest.param("3.11\n", "3.11", 1, (3, 11), id="minor"),
        pytest.param("3.11.7", "3.11.7", 1, (3, 11), id="patch-no-newline"),
        pytest.param("# pinned\n\n  3.12  \r\n", "3.12", 3, (3, 12), id="comment-blank-crlf"),
        pytest.param("cpython@3.11\n", "cpython@3.11", 1, (3, 11), id="implementation"),
        pytest.param("pypy@3.10\n", "pypy@3.10", 1, (3, 10), id="pypy"),
        pytest.param("3.13t\n", "3.13t", 1, (3, 13), id="free-threaded"),
        pytest.param(
            "cpython-3.12.4-linux-x86_64-gnu\n",
            "cpython-3.12.4-linux-x86_64-gnu",
            1,
            (3, 12),
            id="full-key",
        ),
        pytest.param("3.12\n3.11\n", "3.12", 1, (3, 12), id="first-wins"),
        pytest.param("3\n", "3", 1, None, id="major-only"),
        pytest.param("\ufeff3.10\n", "3.10", 1, (3, 10), id="bom"),
    ],
)
def test_python_version(
    text: str, version: str, line: int, major_minor: tuple[int, int] | None
) -> None:
    found, errors = read_python_version(text, "svc/.python-version")
    assert errors == []
    assert found is not None
    assert (found.path, found.version, found.line) == ("svc/.python-version", version, line)
    assert found.major_minor == major_minor


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n"])
def test_python_version_empty(text: str) -> None:
    found, errors = read_python_version(text, ".python-version")
    assert found is None
    assert errors == [InputError(".python-version", "no Python version in file")]


# --- readers never raise ----------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text())
def test_readers_never_raise_on_random_text(text: str) -> None:
    for reader in (read_pyproject, read_uv_lock, read_python_version):
        model, errors = reader(text, "f")
        assert model is not None or errors
        assert all(isinstance(e, InputError) for e in errors)


_TOML_CHUNKS = st.sampled_from(
    [
        "[project]\n",
        "[tool.uv]\n",
        "[tool.uv.sources]\n",
        "[[package]]\n",
        "[manifest]\n",
        "[dependency-groups]\n",
        'name = "a"\n',
        'version = "1.0"\n',
        "version = 1\n",
        'source = { editable = "." }\n',
        'dependencies = ["ray==2.44.0", "x @ https://e.org/x.whl"]\n',
        "dependencies = [\n",
        '    "ray",\n',
        "]\n",
        "members = [\n",
        "package = false\n",
        'dev = [{ include-group = "dev" }]\n',
        '"""\n',
        "# c\n",
        "\n",
        "x = [\n",
        '  """\n',
    ]
)


@FUZZ
@given(st.lists(_TOML_CHUNKS, max_size=12).map("".join))
def test_readers_never_raise_on_toml_like_text(text: str) -> None:
    for reader in (read_pyproject, read_uv_lock):
        model, errors = reader(text, "f")
        assert model is not None or errors


_PATHS = [
    "project",
    "project.name",
    "project.version",
    "project.requires-python",
    "project.dependencies",
    "project.optional-dependencies",
    "project.optional-dependencies.x",
    "dependency-groups",
    "dependency-groups.dev",
    "build-system",
    "build-system.requires",
    "build-system.build-backend",
    "tool",
    "tool.uv",
    "tool.uv.package",
    "tool.uv.sources",
    "tool.uv.sources.ray",
    "tool.uv.workspace",
    "tool.uv.workspace.members",
    "tool.uv.dev-dependencies",
    "tool.uv.required-version",
    "tool.uv.build-backend.module-root",
    "tool.uvray",
    "tool.hatch.build.targets.wheel.packages",
    "tool.hatch.build.targets.wheel.sources",
    "tool.setuptools.package-dir",
    "tool.setuptools.packages",
    "tool.setuptools.packages.find.where",
    "tool.poetry.packages",
    "tool.flit.module.name",
    "tool.pdm.build.package-dir",
    "version",
    "requires-python",
    "package",
    "manifest.members",
]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + "}"


_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(["", ".", "src", "src/x", "ray==2.44.0", "include-group", "!!", "a"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                ["", "x", "path", "editable", "workspace", "include-group", "name", "from"]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(_PATHS), _VALUES, max_size=6))
def test_readers_never_raise_on_odd_shapes(assignments: dict[str, object]) -> None:
    # Dotted keys put any value at any path the readers look at; conflicting paths make the TOML
    # invalid, which is fine too.
    text = "".join(f"{path} = {_toml_value(v)}\n" for path, v in assignments.items())
    project, errors = read_pyproject(text, "pyproject.toml")
    assert project is not None or errors
    lock, errors = read_uv_lock(text, "uv.lock")
    assert lock is not None or errors
