"""Instructions per extra Dockerfile, counted by callgrind: a number that does not drift with the
machine's speed, for comparing two versions of uvray.

    python bench/instructions.py [--sizes 1,101] [--python PATH]

Builds bench_check.py's generated repositories, runs `uvray check` on each under
`valgrind --tool=callgrind`, and prints total instructions per repository and the marginal
instructions per Dockerfile ((I(N) - I(1)) / (N - 1)). Needs valgrind (Debian: valgrind).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import ROOT, make_repo


def instructions(python: str, repo: Path, out_dir: Path) -> int:
    out = out_dir / f"callgrind.{repo.name}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "hooks")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm run writes .pyc files for the counted one
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            python,
            "-m",
            "uvray",
            "check",
            "--exit-zero",
            "-q",
            str(repo),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise SystemExit(f"callgrind gave no count:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,101")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        counts = {}
        for n in sizes:
            repo = make_repo(base, n)
            # A warm run first: .pyc files written, so the counted run measures the check only.
            instructions(args.python, repo, base)
            counts[n] = instructions(args.python, repo, base)
            print(f"{n:>5} Dockerfiles: {counts[n] / 1e6:10.1f} M instructions")
        low, high = min(sizes), max(sizes)
        if high > low:
            per_file = (counts[high] - counts[low]) / (high - low)
            print(f"per extra Dockerfile: {per_file / 1e6:.2f} M instructions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
