#!/usr/bin/env python3
"""atheris target: the Dockerfile reader (readers/dockerfile.py on dockerfile-parse), and what the
rules do with its model: stages, steps, words, RUN/CMD/ENTRYPOINT shell text and heredocs.

    python fuzz/fuzz_dockerfile.py -max_total_time=600 /tmp/out fuzz/corpus/dockerfile

See fuzz/README.md. A crash is any exception, including a failed invariant below.
"""

from __future__ import annotations

import sys

import _common  # noqa: F401  (puts hooks/ on sys.path)
import atheris

with atheris.instrument_imports(include=["uvray", "dockerfile_parse"]):
    import uvray.commands  # noqa: F401  (instrumented before _common imports it)
    from uvray.readers.dockerfile import read_dockerfile

from _common import as_text, check_commands, check_errors

BUILD_ARGS = {"PYTHON_VERSION": "3.12", "UV_VERSION": "0.8.15"}


def test_one_input(data: bytes) -> None:
    text = as_text(data)
    df, errors = read_dockerfile(text, "Dockerfile", BUILD_ARGS)
    assert df is not None
    check_errors(errors, "Dockerfile", text)
    for ins in df.instructions:
        assert 1 <= ins.line <= ins.end_line <= max(len(df.lines), 1), ins
    for stage in df.stages:
        stage.ancestry()
        for step in stage.all_steps():
            ins = step.instruction
            if ins.keyword in ("RUN", "CMD", "ENTRYPOINT"):
                env = step.shell_env()

                def lookup(name: str, env=env) -> str | None:
                    return env[name].value if name in env else None

                for body in [ins.args, *(h.body for h in ins.heredocs)]:
                    check_commands(body, lookup)
            else:
                step.words(df.escape)
            ins.line_at(len(ins.text))


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
