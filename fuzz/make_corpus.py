"""Regenerate the committed seed corpora from the repository's own files:

    python fuzz/make_corpus.py

corpus/dockerfile/: every distinct Dockerfile under tests/rules/fixtures, examples/.
corpus/shell/: every distinct RUN body and heredoc of those Dockerfiles, and every workflow
`run:` script. Files are named by content hash, so a rerun on unchanged fixtures changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "hooks"))

from uvray.discover import kind_of  # noqa: E402
from uvray.readers.dockerfile import read_dockerfile  # noqa: E402
from uvray.readers.workflow import read_workflow  # noqa: E402

SOURCES = (ROOT / "tests" / "rules" / "fixtures", ROOT / "examples")
CORPUS = Path(__file__).resolve().parent / "corpus"
MAX_BYTES = 16 * 1024  # libFuzzer's default -max_len is 4096; bigger seeds are cut anyway


def files_of(kind: str):
    for base in SOURCES:
        for directory, dirs, names in os.walk(base):
            dirs.sort()
            for name in sorted(names):
                full = Path(directory) / name
                rel = full.relative_to(base).as_posix()
                wanted = kind_of(rel) == kind
                if wanted and not full.is_symlink() and full.stat().st_size <= MAX_BYTES:
                    yield full


def shell_bodies() -> list[str]:
    bodies = []
    for path in files_of("dockerfile"):
        df, _ = read_dockerfile(path.read_text("utf-8", "replace"), "Dockerfile")
        for ins in df.instructions:
            if ins.keyword == "RUN":
                bodies.append(ins.args)
                bodies.extend(h.body for h in ins.heredocs)
    for path in files_of("workflow"):
        wf, _ = read_workflow(path.read_text("utf-8", "replace"), ".github/workflows/x.yml")
        for job in wf.jobs if wf else ():
            bodies.extend(s.run.text for s in job.steps if s.run is not None)
    return [b for b in bodies if b.strip()]


def write(target: str, items: list[bytes]) -> int:
    folder = CORPUS / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    unique = {hashlib.sha1(data).hexdigest()[:16]: data for data in items}
    for name, data in unique.items():
        (folder / name).write_bytes(data)
    return len(unique)


def main() -> None:
    dockerfiles = [p.read_bytes() for p in files_of("dockerfile")]
    print("dockerfile:", write("dockerfile", dockerfiles))
    print("shell:", write("shell", [b.encode() for b in shell_bodies()]))


if __name__ == "__main__":
    main()
