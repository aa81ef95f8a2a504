"""The registry, docs/rules/ and the README's rule table must agree (generated, then checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from uvray.cli import main
from uvray.registry import all_rules, retired

ROOT = Path(__file__).resolve().parent.parent


def test_docs_and_readme_are_generated_from_the_registry() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, "run `python scripts/gen_rule_docs.py`:\n" + result.stdout


def test_every_code_has_a_page_and_a_readme_row() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    codes = set(all_rules()) | set(retired())
    pages = {p.stem for p in (ROOT / "docs" / "rules").glob("*.md")}
    assert pages == codes
    for code in codes:
        assert f"[{code}](docs/rules/{code}.md)" in readme


def test_rule_docs_have_the_required_sections() -> None:
    for code, meta in all_rules().items():
        for heading in (
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## How to fix",
            "## Fix safety",
        ):
            assert heading in meta.doc, f"{code} lacks {heading!r}"
        assert meta.url.endswith(f"/docs/rules/{code}.md")


def test_codes_and_names_are_unique_and_well_formed() -> None:
    rules = all_rules()
    names = [m.name for m in rules.values()] + [r.name for r in retired().values()]
    assert len(names) == len(set(names))
    assert not set(rules) & set(retired())
    for code, meta in rules.items():
        assert code == meta.code and code.startswith("RUV") and len(code) == 6
        assert meta.name == meta.name.lower() and " " not in meta.name


def test_explain_prints_the_committed_page(capsys) -> None:
    for code in all_rules():
        assert main(["explain", code]) == 0
        assert capsys.readouterr().out == (ROOT / "docs" / "rules" / f"{code}.md").read_text(
            encoding="utf-8"
        )


def test_known_codes_match_the_loaded_rules() -> None:
    from uvray.registry import known_codes

    assert known_codes() == set(all_rules())
