"""`uvray image` against real images built on a real engine (tests/images/), and its pure parts.

The images: tests/images/ray (real Ray 2.60 from PyPI: the seed pattern, its fix, a non-root
runtime user) and tests/images/small (a healthy venv and one damage per image). Each is built
once per session (conftest.py); every check is a real `docker run` of the real probe.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from uvray import cli, image_cmd
from uvray.errors import UsageError
from uvray.readers.dockerfile import read_dockerfile

IMAGES = Path(__file__).resolve().parents[1] / "images"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the Ray project (pyproject, uv.lock, .python-version, Dockerfile) as the
    repository uvray runs in (the real tests/ tree is excluded by uvray's own config)."""
    dest = tmp_path / "proj"
    shutil.copytree(IMAGES / "ray", dest)
    monkeypatch.chdir(dest)
    return dest


def uvray_image(args: list[str], capsys) -> tuple[int, dict, str]:
    code = cli.main(["image", "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"]}


# --- real images ------------------------------------------------------------------------------

SMALL = [
    ("duplicate", "RUV602"),
    ("no-record", "RUV601"),
    ("tmp-leftover", "RUV603"),
    ("dangling", "RUV612"),
    ("unsatisfied", "RUV605"),
    ("record-mismatch", "RUV604"),
    ("venv-broken", "RUV611"),
]


@pytest.mark.slow
def test_healthy_image_reports_nothing(image, repo, capsys) -> None:
    code, report, err = uvray_image([image("small", "healthy")], capsys)
    assert (code, report["findings"], report["errors"], err) == (0, [], [], "")


@pytest.mark.slow
@pytest.mark.parametrize(("target", "expected"), SMALL, ids=[t for t, _ in SMALL])
def test_broken_image_reports_its_code(image, repo, capsys, target: str, expected: str) -> None:
    tag = image("small", target)
    code, report, _ = uvray_image([tag], capsys)
    assert code == 1
    assert expected in codes(report), report["findings"]
    # No Dockerfile given: reported against the image itself.
    assert {f["path"] for f in report["findings"]} == {f"image:{tag}"}


@pytest.mark.slow
def test_deep_mode_checks_hashes(image, repo, capsys) -> None:
    code, report, _ = uvray_image([image("small", "record-mismatch"), "--deep"], capsys)
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["code"] == "RUV604"]
    assert "six.py" in finding["message"]


@pytest.mark.slow
def test_seed_image_workers_would_reinstall(image, repo, capsys) -> None:
    """The seed (#51881): project installed at build into /opt/venv, Ray's hook set, uv 0.7.13.
    From the image's env (RUV101, on the ENV line that set it) and from inside (RUV606: uv's
    own dry run from a copy of the project; RUV608: the racy uv)."""
    tag = image("ray", "seed")
    code, report, _ = uvray_image([tag, "--dockerfile", "Dockerfile", "--target", "seed"], capsys)
    assert code == 1
    found = {(f["code"], f["path"], f["line"]) for f in report["findings"]}
    assert ("RUV101", "Dockerfile", 12) in found  # ENV UV_PROJECT_ENVIRONMENT=/opt/venv
    assert ("RUV606", "Dockerfile", 12) in found
    assert {"RUV101", "RUV606", "RUV608"} <= codes(report)
    ruv101 = next(f for f in report["findings"] if f["code"] == "RUV101")
    assert "uv 0.7.13 (the image's uv)" in ruv101["message"]


@pytest.mark.slow
def test_fixed_image_is_clean(image, repo, capsys) -> None:
    code, report, _ = uvray_image([image("ray", "fixed"), "--dockerfile", "Dockerfile"], capsys)
    assert (code, report["findings"], report["errors"]) == (0, [], [])


@pytest.mark.slow
def test_root_owned_env_with_non_root_user(image, repo, capsys) -> None:
    code, report, _ = uvray_image([image("ray", "nonroot")], capsys)
    assert code == 1
    assert {"RUV613", "RUV606"} <= codes(report)
    ruv613 = next(f for f in report["findings"] if f["code"] == "RUV613")
    assert "uid 1000" in ruv613["message"]  # the probe ran as the image's USER


@pytest.mark.slow
def test_smoke_passes_on_the_fixed_project(image, repo, capsys) -> None:
    """A one-node Ray head in the container, tasks from a copy of the project under `uv run`."""
    tag = image("ray", "fixed")
    code, report, _ = uvray_image([tag, "--smoke", "--timeout", "150"], capsys)
    assert (code, report["findings"], report["errors"]) == (0, [], [])


@pytest.mark.slow
def test_config_and_suppressions_apply(image, repo, capsys) -> None:
    tag = image("ray", "seed")
    dockerfile = repo / "Dockerfile"
    text = dockerfile.read_text()
    dockerfile.write_text(
        text.replace(
            "ENV UV_PROJECT_ENVIRONMENT=/opt/venv",
            "# uvray: ignore[RUV101, RUV606]\nENV UV_PROJECT_ENVIRONMENT=/opt/venv",
        )
    )
    (repo / "uvray.toml").write_text('ignore = ["RUV107"]\nseverity = { RUV608 = "info" }\n')
    code, report, _ = uvray_image([tag, "--dockerfile", "Dockerfile", "--target", "seed"], capsys)
    assert codes(report) == {"RUV608"}
    assert report["findings"][0]["severity"] == "info"
    assert code == 0  # --fail-on warning: an info does not fail


@pytest.mark.slow
def test_every_format_renders_an_image_finding(image, repo, capsys) -> None:
    tag = image("small", "duplicate")
    assert cli.main(["image", tag, "--format", "sarif"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    (result,) = sarif["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    # An image is no file of the repository: an `image:` URI with no %SRCROOT% base.
    assert uri == "image:uvray-test/small:duplicate"
    assert "uriBaseId" not in result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert cli.main(["image", tag, "--format", "github"]) == 1
    # ... and an annotation on the run, naming the image, not a `file=` GitHub cannot place.
    out = capsys.readouterr().out
    assert out.startswith("::error title=uvray (RUV602)::image:uvray-test/small:duplicate:%0A"), out
    assert cli.main(["image", tag, "--exit-zero"]) == 0
    assert "RUV602" in capsys.readouterr().out


# --- bad input: one line, exit 2 --------------------------------------------------------------


@pytest.mark.slow
def test_missing_image_is_one_line(docker, repo, capsys) -> None:
    code = cli.main(["image", "uvray-test/no-such-image:1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("uvray: error: uvray-test/no-such-image:1: ") and err.count("\n") == 1


def test_missing_engine_is_one_line(repo, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo))  # no engine CLI on it
    code = cli.main(["image", "anything", "--engine", "podman"])
    assert code == 2
    assert capsys.readouterr().err == (
        "uvray: error: podman: not found on PATH (uvray image needs a container engine CLI)\n"
    )


@pytest.mark.slow
def test_bad_dockerfile_is_one_line(image, repo, capsys) -> None:
    tag = image("small", "healthy")
    assert cli.main(["image", tag, "--dockerfile", "nope/Dockerfile"]) == 2
    assert capsys.readouterr().err.startswith("uvray: error: nope/Dockerfile: ")
    assert cli.main(["image", tag, "--dockerfile", "Dockerfile", "--target", "zzz"]) == 2
    assert capsys.readouterr().err == "uvray: error: Dockerfile: no stage named 'zzz'\n"


# --- pure parts -------------------------------------------------------------------------------


def test_parse_inspect_reads_the_final_config() -> None:
    stdout = json.dumps(
        [
            {
                "Id": "sha256:abc",
                "Config": {
                    "Env": ["PATH=/opt/venv/bin:/usr/bin", "A=b=c", "EMPTY="],
                    "User": "ray",
                    "WorkingDir": "/app",
                    "Entrypoint": None,
                    "Cmd": ["uv", "run", "main.py"],
                    "Labels": {"org.opencontainers.image.source": "x"},
                },
            }
        ]
    )
    cfg = image_cmd.parse_inspect("img", stdout)
    assert cfg.env == {"PATH": "/opt/venv/bin:/usr/bin", "A": "b=c", "EMPTY": ""}
    assert (cfg.id, cfg.user, cfg.workdir, cfg.entrypoint, cfg.cmd) == (
        "sha256:abc",
        "ray",
        "/app",
        None,
        ["uv", "run", "main.py"],
    )
    with pytest.raises(UsageError, match=r"^img: image inspect printed no JSON$"):
        image_cmd.parse_inspect("img", b"Error: no such image")
    with pytest.raises(UsageError, match=r"^img: image inspect printed no image$"):
        image_cmd.parse_inspect("img", b"[]")


def test_synthetic_dockerfile_keeps_values_exactly() -> None:
    """Values with quotes, backslashes and `$` come back from the real Dockerfile reader as
    they were in the image (no expansion)."""
    env = {"PATH": "/opt/venv/bin:/usr/bin", "ODD": 'a "b" \\c $HOME ${X}', "EMPTY": ""}
    cfg = image_cmd.ImageConfig("img", "", env, "1000", "/app", ["tini", "--"], ["uv", "run"], {})
    text, lines = image_cmd.synthetic_dockerfile(cfg)
    df, errors = read_dockerfile(text, "Dockerfile.uvray-image")
    assert errors == [] and df is not None
    stage = df.final_stage()
    assert {k: v.value for k, v in stage.env.items()} == env
    assert stage.user == "1000" and stage.workdir == "/app"
    assert lines[3] == ("ENV", "ODD") and lines[len(lines)] == ("CMD", None)
    assert [i.keyword for i in df.instructions][-2:] == ["ENTRYPOINT", "CMD"]


def test_interpreter_order() -> None:
    def order(env: dict[str, str], workdir: str = "/app") -> list[tuple[str, str | None]]:
        return image_cmd.interpreters(
            image_cmd.ImageConfig("i", "", env, "", workdir, None, None, {})
        )

    assert order({"UV_PROJECT_ENVIRONMENT": "/opt/venv", "VIRTUAL_ENV": "/x"}) == [
        ("/opt/venv/bin/python", "/opt/venv"),
        ("python3", "/opt/venv"),
        ("python", "/opt/venv"),
    ]
    assert order({"UV_PROJECT_ENVIRONMENT": ".venv"})[0] == ("/app/.venv/bin/python", "/app/.venv")
    assert order({"VIRTUAL_ENV": "/v"})[0] == ("/v/bin/python", "/v")
    assert order({}) == [("python3", None), ("python", None)]


def test_container_is_locked_down() -> None:
    cfg = image_cmd.ImageConfig("img", "sha256:abc", {}, "1000", "/", None, None, {})
    argv = image_cmd.docker_run_argv("docker", cfg, "python3", ["--deep"], "n", smoke=False)
    assert argv[:2] == ["docker", "run"]
    for flag in ("--network none", "--user 1000", "--memory 1g", "--pids-limit 512"):
        assert flag in " ".join(argv)
    assert "--read-only" in argv and "no-new-privileges" in argv
    assert not any(a in ("-v", "--volume", "--mount", "--privileged") for a in argv)
    assert argv[-5:] == ["--entrypoint", "python3", "sha256:abc", "-", "--deep"]
