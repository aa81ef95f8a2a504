"""[tool.uvray] in pyproject.toml, or uvray.toml: what to check and what to assume.

Strict on purpose: a misspelt key or code is an error (exit 2), never silently ignored
(container-structure-test's `env`/`envVars` typos produced "No tests run" for years).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field

from uvray.findings import Severity, UsageError

_KEYS = {
    "select", "ignore", "severity", "per-file-ignores", "build-args", "target",
    "ray-version", "uv-version", "python-version", "exclude",
}  # fmt: skip
_CODE_OR_PREFIX = re.compile(r"^RUV\d{0,3}$|^ALL$")


@dataclass
class Config:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    build_args: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    ray_version: str | None = None
    uv_version: str | None = None
    python_version: str | None = None
    # Globs of paths uvray neither reads nor reports (a file, or every file under a directory).
    exclude: list[str] = field(default_factory=list)
    source: str | None = None

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(
            fnmatch.fnmatchcase(p, pattern.rstrip("/"))
            for p in prefixes
            for pattern in self.exclude
        )

    def enabled(self, code: str) -> bool:
        return _matches(code, self.select) and not _matches(code, self.ignore)

    def ignored_for_path(self, code: str, path: str) -> bool:
        for pattern, codes in self.per_file_ignores.items():
            if _glob(path, pattern) and _matches(code, codes):
                return True
        return False


def _matches(code: str, selectors: list[str]) -> bool:
    return any(s == "ALL" or code.startswith(s) for s in selectors)


def _glob(path: str, pattern: str) -> bool:
    if fnmatch.fnmatchcase(path, pattern):
        return True
    # "Dockerfile" should match "docker/Dockerfile" like ruff's per-file-ignores basenames.
    return "/" not in pattern and fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def load_toml(path: str) -> dict:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None


def find_config(root: str) -> tuple[str, dict] | None:
    """uvray.toml (top-level keys) wins over [tool.uvray] in the root pyproject.toml."""
    for name in ("uvray.toml", ".uvray.toml"):
        path = os.path.join(root, name)
        if os.path.isfile(path):
            return path, load_toml(path)
    path = os.path.join(root, "pyproject.toml")
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if "uvray" not in f.read():
                    return None  # most projects: skip parsing TOML twice
        except OSError:
            return None
        tool = load_toml(path).get("tool")
        table = tool.get("uvray") if isinstance(tool, dict) else None
        if table is not None:
            return path, table
    return None


def from_file(path: str) -> tuple[str, dict]:
    data = load_toml(path)
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool")
        data = tool.get("uvray", {}) if isinstance(tool, dict) else {}
    return path, data


def build(table: dict, source: str | None, known_codes: set[str]) -> Config:
    where = source or "config"
    if not isinstance(table, dict):
        raise UsageError(f"{where}: [tool.uvray] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise UsageError(
            f"{where}: unknown uvray setting {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})"
        )
    config = Config(source=source)
    if "select" in table:
        config.select = codes_list(table["select"], f"{where}: select", known_codes)
    if "ignore" in table:
        config.ignore = codes_list(table["ignore"], f"{where}: ignore", known_codes)
    for code, level in _table(table.get("severity", {}), f"{where}: severity").items():
        code = code.strip().upper()
        check_code(code, f"{where}: severity", known_codes, exact=True)
        try:
            config.severity[code] = Severity.parse(str(level))
        except ValueError as exc:
            raise UsageError(f"{where}: severity.{code}: {exc}") from None
    for pattern, codes in _table(
        table.get("per-file-ignores", {}), f"{where}: per-file-ignores"
    ).items():
        config.per_file_ignores[pattern] = codes_list(
            codes, f"{where}: per-file-ignores.{pattern}", known_codes
        )
    for key, value in _table(table.get("build-args", {}), f"{where}: build-args").items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise UsageError(f"{where}: build-args.{key} must be a string")
        config.build_args[key] = str(value)
    if "exclude" in table:
        value = table["exclude"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{where}: exclude must be a list of path globs")
        config.exclude = list(value)
    for key in ("target", "ray-version", "uv-version", "python-version"):
        if key in table:
            value = table[key]
            if not isinstance(value, str) or not value.strip():
                raise UsageError(f"{where}: {key} must be a non-empty string")
            setattr(config, key.replace("-", "_"), value.strip())
    return config


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise UsageError(f"{where} must be a table")
    return value


def codes_list(value, where: str, known_codes: set[str]) -> list[str]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where} must be a list of rule codes")
    out = []
    for code in value:
        code = code.strip().upper()
        check_code(code, where, known_codes)
        out.append(code)
    return out


def check_code(code: str, where: str, known_codes: set[str], exact: bool = False) -> None:
    if exact:
        if code not in known_codes:
            raise UsageError(f"{where}: unknown rule code {code!r}")
        return
    if not _CODE_OR_PREFIX.match(code) or not (
        code == "ALL" or any(k.startswith(code) for k in known_codes)
    ):
        raise UsageError(f"{where}: unknown rule code {code!r}")
