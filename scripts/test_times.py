"""Where the test suite's time goes: a JUnit XML report summed per test file and per folder.

    python -m pytest --junitxml=report.xml ... && python scripts/test_times.py report.xml

`.ci/run` writes `$VENV/junit.xml` on every run, so a CI log can be read this way afterwards.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def main(path: str) -> int:
    root = ET.parse(path).getroot()
    by_file: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for case in root.iter("testcase"):
        name = case.get("classname", "").replace(".", "/")
        # classname is the module path (tests.image.test_image_cmd[.Class]): keep the file.
        parts = name.split("/")
        while parts and not parts[-1].startswith("test_"):
            parts.pop()
        key = "/".join(parts) + ".py" if parts else name
        by_file[key] += float(case.get("time", 0))
        counts[key] += 1
    by_folder: dict[str, float] = defaultdict(float)
    for key, seconds in by_file.items():
        by_folder[key.rsplit("/", 1)[0]] += seconds
    total = sum(by_file.values())
    print(f"{'folder':<40} {'seconds':>8}")
    for folder, seconds in sorted(by_folder.items(), key=lambda kv: -kv[1]):
        print(f"{folder:<40} {seconds:8.1f}")
    print(f"\n{'file':<55} {'tests':>6} {'seconds':>8}")
    for key, seconds in sorted(by_file.items(), key=lambda kv: -kv[1]):
        print(f"{key:<55} {counts[key]:6d} {seconds:8.1f}")
    print(f"\ntotal in tests: {total:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "junit.xml"))
