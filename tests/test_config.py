"""[tool.uvray] / uvray.toml: every key, strict errors, discovery, and what the CLI does with them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from uvray import cli
from uvray.config import Config, build, codes_list, find_config, from_file
from uvray.findings import Severity, UsageError
from uvray.registry import all_rules

KNOWN = set(all_rules())

# RUV301 and RUV302 fire on this Dockerfile alone (no pin, no lock needed).
CONFLICT = "FROM python:3.12\nENV UV_FROZEN=1\nRUN uv sync --locked\n"


# --- build(): every key ---------------------------------------------------------------------------


def test_defaults() -> None:
    config = build({}, None, KNOWN)
    assert config.select == ["ALL"]
    assert config.ignore == []
    assert config.severity == {}
    assert config.per_file_ignores == {}
    assert config.build_args == {}
    assert (config.target, config.ray_version, config.uv_version) == (None, None, None)
    assert all(config.enabled(code) for code in KNOWN)


def test_every_key() -> None:
    config = build(
        {
            "select": ["RUV1", "RUV301"],
            "ignore": ["RUV107"],
            "severity": {"RUV103": "error", "RUV101": "INFO"},
            "per-file-ignores": {"docker/dev.Dockerfile": ["RUV101"], "*.yml": "RUV3"},
            "build-args": {"UV_VERSION": "0.8.0", "N": 3},
            "target": " runtime ",
            "ray-version": "2.47.1",
            "uv-version": "0.8.0",
        },
        "pyproject.toml",
        KNOWN,
    )
    assert config.select == ["RUV1", "RUV301"]
    assert config.ignore == ["RUV107"]
    assert config.severity == {"RUV103": Severity.ERROR, "RUV101": Severity.INFO}
    assert config.per_file_ignores == {"docker/dev.Dockerfile": ["RUV101"], "*.yml": ["RUV3"]}
    assert config.build_args == {"UV_VERSION": "0.8.0", "N": "3"}
    assert config.target == "runtime"
    assert (config.ray_version, config.uv_version) == ("2.47.1", "0.8.0")
    assert config.source == "pyproject.toml"
    assert config.enabled("RUV101") and config.enabled("RUV301")
    assert not config.enabled("RUV107")  # ignored
    assert not config.enabled("RUV302")  # not selected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(["RUV101"], ["RUV101"], id="list"),
        pytest.param(["ruv101"], ["RUV101"], id="lowercase"),
        pytest.param([" RUV101 "], ["RUV101"], id="whitespace"),
        pytest.param("RUV101, RUV3", ["RUV101", "RUV3"], id="comma-string"),
        pytest.param("RUV101 RUV3", ["RUV101", "RUV3"], id="space-string"),
        pytest.param(["RUV"], ["RUV"], id="prefix-all-rules"),
        pytest.param(["RUV1"], ["RUV1"], id="prefix-hundreds"),
        pytest.param(["RUV10"], ["RUV10"], id="prefix-tens"),
        pytest.param(["ALL"], ["ALL"], id="all"),
        pytest.param([], [], id="empty"),
    ],
)
def test_codes(value, expected) -> None:
    assert codes_list(value, "select", KNOWN) == expected


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        pytest.param({"selectt": ["RUV1"]}, "'selectt'", id="unknown-key"),
        pytest.param({"Select": ["RUV1"]}, "'Select'", id="keys-are-case-sensitive"),
        pytest.param({"per_file_ignores": {}}, "'per_file_ignores'", id="underscore-key"),
        pytest.param({"select": ["RUV999"]}, "'RUV999'", id="unknown-code"),
        pytest.param({"select": ["RUV9"]}, "'RUV9'", id="unknown-prefix"),
        pytest.param({"ignore": ["E501"]}, "'E501'", id="foreign-code"),
        pytest.param({"ignore": ["RUV1011"]}, "'RUV1011'", id="too-long"),
        pytest.param({"select": [1]}, "select must be a list", id="non-string-code"),
        pytest.param(
            {"select": {"RUV101": True}}, "select must be a list", id="table-instead-of-list"
        ),
        pytest.param({"severity": {"RUV101": "fatal"}}, "'fatal'", id="bad-severity"),
        pytest.param({"severity": {"RUV101": "style"}}, "'style'", id="hadolint-severity"),
        pytest.param({"severity": {"RUV1": "info"}}, "'RUV1'", id="severity-needs-exact-code"),
        pytest.param({"severity": {"RUV999": "info"}}, "'RUV999'", id="severity-unknown-code"),
        pytest.param({"severity": "error"}, "severity must be a table", id="severity-not-a-table"),
        pytest.param(
            {"per-file-ignores": {"x": ["RUV999"]}}, "'RUV999'", id="per-file-unknown-code"
        ),
        pytest.param(
            {"per-file-ignores": ["x"]}, "per-file-ignores must be a table", id="per-file-list"
        ),
        pytest.param({"build-args": {"A": True}}, "build-args.A", id="bool-build-arg"),
        pytest.param({"build-args": {"A": ["x"]}}, "build-args.A", id="list-build-arg"),
        pytest.param({"build-args": "A=1"}, "build-args must be a table", id="build-args-string"),
        pytest.param({"target": ""}, "target", id="empty-target"),
        pytest.param({"target": 1}, "target", id="int-target"),
        pytest.param({"ray-version": 2.47}, "ray-version", id="float-ray-version"),
        pytest.param({"uv-version": "  "}, "uv-version", id="blank-uv-version"),
    ],
)
def test_errors_name_the_problem(table: dict, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        build(table, "pyproject.toml", KNOWN)
    message = str(info.value)
    assert fragment in message
    assert message.startswith("pyproject.toml: ")
    assert "\n" not in message


def test_not_a_table() -> None:
    with pytest.raises(UsageError, match="must be a table"):
        build(["RUV101"], "pyproject.toml", KNOWN)  # type: ignore[arg-type]


def test_severity_code_case_insensitive() -> None:
    config = build({"severity": {"ruv103": "error"}}, None, KNOWN)
    assert config.severity == {"RUV103": Severity.ERROR}


@pytest.mark.parametrize(
    ("select", "ignore", "enabled", "disabled"),
    [
        (["ALL"], [], ["RUV101", "RUV001"], []),
        (["RUV1"], [], ["RUV101", "RUV109"], ["RUV301", "RUV001"]),
        (["RUV1"], ["RUV101"], ["RUV102"], ["RUV101"]),
        (["ALL"], ["RUV10"], ["RUV301", "RUV001"], ["RUV101", "RUV109"]),
        (["RUV301"], ["ALL"], [], ["RUV301"]),
    ],
)
def test_enabled(select, ignore, enabled, disabled) -> None:
    config = Config(select=select, ignore=ignore)
    assert all(config.enabled(c) for c in enabled)
    assert not any(config.enabled(c) for c in disabled)


@pytest.mark.parametrize(
    ("pattern", "path", "ignored"),
    [
        pytest.param("Dockerfile", "Dockerfile", True, id="exact"),
        pytest.param("Dockerfile", "docker/Dockerfile", True, id="basename-matches-nested"),
        pytest.param("*.Dockerfile", "docker/dev.Dockerfile", True, id="basename-glob"),
        pytest.param("docker/Dockerfile", "Dockerfile", False, id="path-pattern-needs-path"),
        pytest.param("docker/*", "docker/sub/Dockerfile", True, id="star-crosses-slash"),
        pytest.param(
            ".github/workflows/*.yml", ".github/workflows/ci.yml", True, id="workflow-glob"
        ),
        pytest.param("Dockerfile", "Dockerfile.dev", False, id="no-prefix-match"),
        pytest.param("dockerfile", "Dockerfile", False, id="case-sensitive"),
    ],
)
def test_per_file_ignores_glob(pattern: str, path: str, ignored: bool) -> None:
    config = Config(per_file_ignores={pattern: ["RUV301"]})
    assert config.ignored_for_path("RUV301", path) is ignored
    assert config.ignored_for_path("RUV302", path) is False


def test_per_file_ignores_prefix_codes() -> None:
    config = Config(per_file_ignores={"Dockerfile": ["RUV3"]})
    assert config.ignored_for_path("RUV301", "a/Dockerfile")
    assert config.ignored_for_path("RUV302", "a/Dockerfile")
    assert not config.ignored_for_path("RUV101", "a/Dockerfile")


# --- discovery ----------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_find_config_none(tmp_path: Path) -> None:
    assert find_config(str(tmp_path)) is None
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(str(tmp_path)) is None


def test_find_config_pyproject_mentions_uvray_without_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[dependency-groups]\ndev = ["uvray"]\n')
    assert find_config(str(tmp_path)) is None


def test_find_config_pyproject(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", '[tool.uvray]\nignore = ["RUV107"]\n')
    assert find_config(str(tmp_path)) == (str(path), {"ignore": ["RUV107"]})


@pytest.mark.parametrize("name", ["uvray.toml", ".uvray.toml"])
def test_uvray_toml_wins_over_pyproject(tmp_path: Path, name: str) -> None:
    write(tmp_path / "pyproject.toml", '[tool.uvray]\nignore = ["RUV107"]\n')
    path = write(tmp_path / name, 'select = ["RUV3"]\n')
    assert find_config(str(tmp_path)) == (str(path), {"select": ["RUV3"]})


def test_uvray_toml_preferred_to_dot_uvray_toml(tmp_path: Path) -> None:
    path = write(tmp_path / "uvray.toml", 'select = ["RUV1"]\n')
    write(tmp_path / ".uvray.toml", 'select = ["RUV3"]\n')
    assert find_config(str(tmp_path))[0] == str(path)


def test_invalid_toml_config_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "uvray.toml", 'select = ["RUV1"]\nignore = ]\n')
    with pytest.raises(UsageError) as info:
        find_config(str(tmp_path))
    assert "uvray.toml" in str(info.value)
    assert "line 2" in str(info.value)


def test_from_file(tmp_path: Path) -> None:
    py = write(tmp_path / "pyproject.toml", '[tool.uvray]\ntarget = "rt"\n')
    other = write(tmp_path / "ci-uvray.toml", 'target = "ci"\n')
    empty = write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    assert from_file(str(py)) == (str(py), {"target": "rt"})
    assert from_file(str(other)) == (str(other), {"target": "ci"})
    assert from_file(str(empty)) == (str(empty), {})


def test_tool_not_a_table_is_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "# checked by uvray\ntool = 1\n")
    assert find_config(str(tmp_path)) is None


# --- through the CLI ------------------------------------------------------------------------


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def codes_reported(out: str) -> list[str]:
    return sorted(f["code"] for f in json.loads(out)["findings"])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path / "Dockerfile", CONFLICT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        pytest.param('[tool.uvray]\nselectt = ["RUV1"]\n', "'selectt'", id="unknown-key"),
        pytest.param('[tool.uvray]\nselect = ["RUV999"]\n', "'RUV999'", id="unknown-code"),
        pytest.param('[tool.uvray]\nseverity = {RUV301 = "fatal"}\n', "'fatal'", id="bad-severity"),
        pytest.param("[tool.uvray\n", "line 1", id="invalid-toml"),
        pytest.param("[tool]\nuvray = 1\n", "must be a table", id="uvray-not-a-table"),
    ],
)
def test_cli_config_errors(repo: Path, capsys, config: str, fragment: str) -> None:
    write(repo / "pyproject.toml", config)
    code, out, err = run_cli(["check"], capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("uvray: error: ")
    assert "pyproject.toml" in lines[0]
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_cli_config_error_in_subprocess_has_no_traceback(repo: Path) -> None:
    import subprocess
    import sys

    write(repo / "uvray.toml", 'ignore = ["NOPE"]\n')
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "hooks"))
    proc = subprocess.run(
        [sys.executable, "-m", "uvray", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("uvray: error: ") and "'NOPE'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_uses_pyproject_config(repo: Path, capsys) -> None:
    assert codes_reported(run_cli(["check", "--format", "json"], capsys)[1]) == ["RUV301", "RUV302"]
    write(repo / "pyproject.toml", '[tool.uvray]\nignore = ["RUV302"]\n')
    assert codes_reported(run_cli(["check", "--format", "json"], capsys)[1]) == ["RUV301"]


def test_cli_uvray_toml_wins(repo: Path, capsys) -> None:
    write(repo / "pyproject.toml", '[tool.uvray]\nignore = ["RUV302"]\n')
    write(repo / "uvray.toml", 'ignore = ["RUV301"]\n')
    assert codes_reported(run_cli(["check", "--format", "json"], capsys)[1]) == ["RUV302"]


def test_cli_config_option(repo: Path, capsys) -> None:
    write(repo / "pyproject.toml", '[tool.uvray]\nignore = ["RUV302"]\n')
    write(repo / "ci" / "strict.toml", 'ignore = ["RUV301"]\n')
    code, out, _ = run_cli(["check", "--format", "json", "--config", "ci/strict.toml"], capsys)
    assert codes_reported(out) == ["RUV302"]
    assert code == 1


def test_cli_config_option_pyproject_reads_tool_table(repo: Path, capsys) -> None:
    write(repo / "other" / "pyproject.toml", '[tool.uvray]\nignore = ["RUV301"]\n')
    _, out, _ = run_cli(["check", "--format", "json", "--config", "other/pyproject.toml"], capsys)
    assert codes_reported(out) == ["RUV302"]


def test_cli_missing_config_file(repo: Path, capsys) -> None:
    code, _out, err = run_cli(["check", "--config", "nope.toml"], capsys)
    assert code == 2
    assert err.startswith("uvray: error: nope.toml") and err.count("\n") == 1


def test_cli_no_config_ignores_even_a_broken_config(repo: Path, capsys) -> None:
    write(repo / "uvray.toml", 'selectt = ["RUV1"]\n')
    code, out, err = run_cli(["check", "--format", "json", "--no-config"], capsys)
    assert (code, err) == (1, "")
    assert codes_reported(out) == ["RUV301", "RUV302"]


def test_cli_config_and_no_config_exclude_each_other(repo: Path, capsys) -> None:
    code, _, err = run_cli(["check", "--config", "x.toml", "--no-config"], capsys)
    assert code == 2
    assert "--no-config" in err


def test_cli_per_file_ignores_basename(repo: Path, capsys) -> None:
    write(repo / "docker" / "Dockerfile", CONFLICT)
    write(repo / "uvray.toml", '[per-file-ignores]\n"Dockerfile" = ["RUV302"]\n')
    _, out, _ = run_cli(["check", "--format", "json"], capsys)
    found = sorted((f["path"], f["code"]) for f in json.loads(out)["findings"])
    assert found == [("Dockerfile", "RUV301"), ("docker/Dockerfile", "RUV301")]


def test_cli_per_file_ignores_path_pattern(repo: Path, capsys) -> None:
    write(repo / "docker" / "Dockerfile", CONFLICT)
    write(repo / "uvray.toml", '[per-file-ignores]\n"docker/*" = ["RUV3"]\n')
    _, out, _ = run_cli(["check", "--format", "json"], capsys)
    found = sorted((f["path"], f["code"]) for f in json.loads(out)["findings"])
    assert found == [("Dockerfile", "RUV301"), ("Dockerfile", "RUV302")]


def test_cli_severity_override_changes_exit_code(repo: Path, capsys) -> None:
    write(repo / "uvray.toml", 'select = ["RUV301"]\nseverity = { RUV301 = "info" }\n')
    code, out, _ = run_cli(["check", "--format", "json"], capsys)
    [finding] = json.loads(out)["findings"]
    assert finding["severity"] == "info"
    assert code == 0  # infos never fail by default


def test_cli_build_args_from_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    write(
        tmp_path / "Dockerfile", "FROM python:3.12\nARG F\nENV UV_FROZEN=$F\nRUN uv sync --locked\n"
    )
    monkeypatch.chdir(tmp_path)
    args = ["check", "--format", "json", "--select", "RUV301"]
    assert codes_reported(run_cli(args, capsys)[1]) == []
    write(tmp_path / "uvray.toml", 'build-args = { F = "1" }\n')
    assert codes_reported(run_cli(args, capsys)[1]) == ["RUV301"]
    # --build-arg on the command line wins over the config.
    assert codes_reported(run_cli([*args, "--build-arg", "F=0"], capsys)[1]) == []


def test_cli_select_replaces_and_ignore_extends_config(repo: Path, capsys) -> None:
    write(repo / "uvray.toml", 'select = ["RUV302"]\nignore = ["RUV1"]\n')
    _, out, _ = run_cli(["check", "--format", "json", "--select", "RUV3"], capsys)
    assert codes_reported(out) == ["RUV301", "RUV302"]
    _, out, _ = run_cli(
        ["check", "--format", "json", "--select", "RUV3", "--ignore", "RUV302"], capsys
    )
    assert codes_reported(out) == ["RUV301"]
