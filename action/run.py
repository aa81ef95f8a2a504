"""The steps of the uvray composite action (../action.yml): `install`, then `run`.

Stdlib only, any Python >= 3.9: it runs with the interpreter the `python` input names, before
uvray exists. Inputs arrive as environment variables that each step's `env:` maps from
`${{ inputs.* }}` (never as template text inside a script, so no input can become shell code),
and leave through `$GITHUB_OUTPUT` only: nothing here changes the environment or PATH of the
caller's later steps.

`run` runs `uvray check` once (and `uvray image` once when an image is given). Each run writes its
text report, JSON, SARIF and job summary and prints its annotations in the same pass; this script
only merges the SARIF of the two runs, splits the annotation budget between them and adds up the
outputs. The run step itself exits 0 once its outputs are written; the action's last step exits
with `exit-code`, so the outputs are there for later steps even when the action fails.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence

LEVELS = ("error", "warning", "notice")
# GitHub's annotation caps: 10 per level per step, 50 per job.
PER_LEVEL, TOTAL = 10, 50
FAIL_ON = ("error", "warning", "info", "never")
# A release number as PyPI spells one; anything else (spaces, options, URLs) is refused.
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*([abc]|rc|\.post|\.dev)?[0-9]*$")
# What pip needs to build uvray from the action's own copy.
_SOURCE_ITEMS = ("pyproject.toml", "README.md", "hooks")


class ActionError(Exception):
    """A bad input or a broken environment: one line, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ
    try:
        if args == ["install"]:
            return install(env)
        if args == ["run"]:
            return run(env)
        raise ActionError(f"usage: run.py install|run (got {' '.join(args) or 'nothing'})")
    except ActionError as exc:
        print(command("error", str(exc), title="uvray action"), flush=True)
        return 2


# --- install ----------------------------------------------------------------------------------


def install(env: Mapping[str, str]) -> int:
    temp = runner_temp(env)
    version = env.get("INPUT_VERSION", "").strip()
    if version and not _VERSION.match(version):
        raise ActionError(f"input version: {version!r} is not a release number such as 1.2.0")
    home = tempfile.mkdtemp(prefix="uvray-", dir=temp)
    venv_dir = os.path.join(home, "venv")
    start = time.monotonic()
    _call([sys.executable, "-m", "venv", venv_dir], "create a virtual environment")
    python = venv_python(venv_dir)
    if version:
        target = f"uvray=={version}"
    else:
        # pip builds in the source tree it is given: build a copy, so the workspace (for
        # `uses: ./`) and the action's checkout stay untouched.
        target = copy_source(action_path(env), os.path.join(home, "src"))
    print(f"::group::Install uvray ({target})", flush=True)
    _call(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", target],
        f"install {target}",
    )
    print("::endgroup::", flush=True)
    got = subprocess.run(
        [python, "-m", "uvray", "--version"], capture_output=True, text=True, check=False
    )
    if got.returncode != 0:
        raise ActionError(f"the installed uvray does not start: {_last_line(got.stderr)}")
    print(f"{got.stdout.strip()} installed in {time.monotonic() - start:.1f} s", flush=True)
    write_outputs(env, {"python": python})
    return 0


def copy_source(action_dir: str, dest: str) -> str:
    for name in _SOURCE_ITEMS:
        src = os.path.join(action_dir, name)
        if not os.path.exists(src):
            raise ActionError(f"{src}: missing; the action's copy of uvray is incomplete")
        if os.path.isdir(src):
            shutil.copytree(
                src, os.path.join(dest, name), ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            os.makedirs(dest, exist_ok=True)
            shutil.copy2(src, os.path.join(dest, name))
    return dest


def venv_python(venv_dir: str) -> str:
    if os.name == "nt":
        return os.path.join(venv_dir, "Scripts", "python.exe")
    return os.path.join(venv_dir, "bin", "python")


# --- run --------------------------------------------------------------------------------------


def run(env: Mapping[str, str]) -> int:
    inputs = read_inputs(env)
    work = tempfile.mkdtemp(prefix="uvray-run-", dir=runner_temp(env))
    workspace = env.get("GITHUB_WORKSPACE") or os.getcwd()
    summary_file = env.get("GITHUB_STEP_SUMMARY") if inputs["summary"] else None
    budget = {**dict.fromkeys(LEVELS, PER_LEVEL), "total": TOTAL}
    results = []
    for name, command_args in planned_runs(inputs):
        files = {kind: os.path.join(work, f"{name}.{kind}") for kind in ("txt", "json", "sarif")}
        argv = [
            inputs["uvray"],
            "-m",
            "uvray",
            *command_args,
            "--fail-on",
            inputs["fail_on"],
            "--format",
            "text",
            "--output",
            files["txt"],
            "--json-file",
            files["json"],
            "--sarif-file",
            files["sarif"],
        ]
        if summary_file:
            argv += ["--summary-file", summary_file]
        if inputs["annotations"]:
            argv += ["--annotation-limits", limits_spec(budget)]
        argv += inputs["args"] if name == "check" else []
        code, annotations = run_uvray(argv, workspace, files["txt"])
        for level, used in count_levels(annotations).items():
            budget[level] = max(0, budget[level] - used)
            budget["total"] = max(0, budget["total"] - used)
        results.append((name, code, files))
    outputs = combine(results, inputs["sarif_file"])
    write_outputs(env, outputs)
    return 0


def read_inputs(env: Mapping[str, str]) -> dict:
    uvray = env.get("UVRAY_PYTHON", "")
    if not uvray:
        raise ActionError("UVRAY_PYTHON is not set: the install step did not run")
    fail_on = env.get("INPUT_FAIL_ON", "").strip() or "warning"
    if fail_on not in FAIL_ON:
        raise ActionError(f"input fail-on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    try:
        args = shlex.split(env.get("INPUT_ARGS", ""))
    except ValueError as exc:
        raise ActionError(f"input args: {exc}") from None
    image = env.get("INPUT_IMAGE", "").strip()
    dockerfile = env.get("INPUT_DOCKERFILE", "").strip()
    if dockerfile and not image:
        raise ActionError("input dockerfile: it only applies to an image; set image too")
    sarif = env.get("INPUT_SARIF_FILE", "").strip() or os.path.join(runner_temp(env), "uvray.sarif")
    if "\n" in sarif or "\r" in sarif:
        raise ActionError("input sarif-file: a path cannot span lines")
    path = env.get("INPUT_PATH", "").strip() or "."
    return {
        "uvray": uvray,
        "path": "./" + path if path.startswith("-") else path,
        "image": image,
        "dockerfile": dockerfile,
        "fail_on": fail_on,
        "sarif_file": os.path.abspath(sarif),
        "annotations": boolean(env, "INPUT_ANNOTATIONS", "annotations"),
        "summary": boolean(env, "INPUT_SUMMARY", "summary"),
        "args": args,
    }


def boolean(env: Mapping[str, str], key: str, name: str) -> bool:
    value = env.get(key, "").strip().lower() or "true"
    if value not in ("true", "false"):
        raise ActionError(f"input {name}: {value!r} is neither true nor false")
    return value == "true"


def planned_runs(inputs: Mapping) -> list[tuple[str, list[str]]]:
    runs = [("check", ["check", inputs["path"]])]
    if inputs["image"]:
        image = ["image", inputs["image"]]
        if inputs["dockerfile"]:
            image += ["--dockerfile", inputs["dockerfile"]]
        runs.append(("image", image))
    return runs


def limits_spec(budget: Mapping[str, int]) -> str:
    return ",".join(f"{key}={budget[key]}" for key in (*LEVELS, "total"))


def run_uvray(argv: list[str], cwd: str, text_file: str) -> tuple[int, str]:
    """Run one uvray command; print its stderr and text report with workflow commands switched
    off (file names, messages and argparse's echo of the `args` input come from outside, and a
    line starting with "::" would otherwise be obeyed), then its annotations. Returns the exit
    code and the annotation text."""
    # Inputs can hold newlines: shown escaped, so no line of theirs reaches the runner as a command.
    shown = shlex.join(argv[3:]).replace("\r", "\\r").replace("\n", "\\n")
    print(f"$ uvray {shown}", flush=True)
    start = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    report_text = _read(text_file)
    quoted = (done.stderr + report_text).rstrip()
    if quoted:
        token = secrets.token_hex(16)
        print(f"::stop-commands::{token}\n{quoted}\n::{token}::", flush=True)
    sys.stdout.write(done.stdout)
    if done.returncode not in (0, 1) and not report_text:
        # uvray stopped before reporting: say why where the run's annotations are read.
        why = [ln for ln in done.stderr.splitlines() if ln.startswith("uvray: error:")]
        reason = why[0] if why else _last_line(done.stderr)
        print(command("error", reason, title=f"uvray {argv[3]}"), flush=True)
    print(f"(uvray exited {done.returncode} after {elapsed:.1f} s)", flush=True)
    return done.returncode, done.stdout


def count_levels(text: str) -> dict[str, int]:
    counts = dict.fromkeys(LEVELS, 0)
    for line in text.splitlines():
        for level in LEVELS:
            if line.startswith((f"::{level} ", f"::{level}::")):
                counts[level] += 1
    return counts


def combine(results: list[tuple[str, int, dict[str, str]]], sarif_file: str) -> dict[str, str]:
    findings = errors = 0
    sarifs = []
    for _name, code, files in results:
        doc = _load_json(files["json"])
        if doc is None:  # uvray stopped before reporting (a usage error): count it as one
            errors += 1
        else:
            findings += len(doc.get("findings", []))
            errors += len(doc.get("errors", []))
        sarif = _load_json(files["sarif"])
        if sarif is not None and code in (0, 1, 2):
            sarifs.append(sarif)
    codes = [code for _name, code, _files in results]
    # No SARIF at all is left unwritten: an empty one, uploaded, would close every open alert.
    written = ""
    if sarifs:
        os.makedirs(os.path.dirname(sarif_file), exist_ok=True)
        with open(sarif_file, "w", encoding="utf-8") as f:
            json.dump(merge_sarif(sarifs), f, indent=2, ensure_ascii=False)
            f.write("\n")
        written = sarif_file
    return {
        "findings": str(findings),
        "errors": str(errors),
        "sarif-file": written,
        "exit-code": str(max(codes) if codes else 0),
    }


def merge_sarif(docs: list[dict]) -> dict:
    """One SARIF run holding every result: code scanning rejects an upload with two runs of the
    same tool and category, and one run lets a workflow upload one file."""
    base = docs[0]
    run = base["runs"][0]
    rules = run["tool"]["driver"].setdefault("rules", [])
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    invocation = run.setdefault("invocations", [{"executionSuccessful": True}])[0]
    for doc in docs[1:]:
        for other in doc.get("runs", []):
            for rule in other["tool"]["driver"].get("rules", []):
                if rule["id"] not in index:
                    index[rule["id"]] = len(rules)
                    rules.append(rule)
            for result in other.get("results", []):
                if result.get("ruleId") in index:
                    result["ruleIndex"] = index[result["ruleId"]]
                run.setdefault("results", []).append(result)
            for inv in other.get("invocations", []):
                ok = invocation.get("executionSuccessful", True)
                invocation["executionSuccessful"] = ok and inv.get("executionSuccessful", True)
                notes = inv.get("toolExecutionNotifications", [])
                if notes:
                    invocation.setdefault("toolExecutionNotifications", []).extend(notes)
    return base


# --- the runner's files -----------------------------------------------------------------------


def runner_temp(env: Mapping[str, str]) -> str:
    temp = env.get("RUNNER_TEMP", "")
    if not temp or not os.path.isdir(temp):
        raise ActionError(f"RUNNER_TEMP {temp!r} is not a directory: is this a GitHub runner?")
    return temp


def action_path(env: Mapping[str, str]) -> str:
    path = env.get("GITHUB_ACTION_PATH", "")
    if not path or not os.path.isdir(path):
        raise ActionError(f"GITHUB_ACTION_PATH {path!r} is not a directory")
    return path


def write_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    target = env.get("GITHUB_OUTPUT", "")
    if not target:
        raise ActionError("GITHUB_OUTPUT is not set: is this a GitHub runner?")
    with open(target, "a", encoding="utf-8") as f:
        for key, value in outputs.items():
            # Values are numbers and paths already checked to be one line.
            f.write(f"{key}={value}\n")


def command(name: str, message: str, title: str) -> str:
    data = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    prop = title.replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
    return f"::{name} title={prop}::{data}"


def _call(argv: list[str], what: str) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ActionError(f"cannot {what}: {argv[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise ActionError(f"cannot {what}: {_last_line(done.stderr or done.stdout)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def _load_json(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    raise SystemExit(main())
