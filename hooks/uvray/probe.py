"""uvray's environment probe: is a Python environment whole, and will Ray's workers re-sync it?

Stdlib only, Python >= 3.8, imports nothing from uvray: it is piped into the interpreter of a
built image (or a local venv) as a script, `<python> - [options] < probe.py`, and prints exactly
one JSON object on stdout (see docs/probe.md). It never writes outside a temporary directory it
creates itself and never needs the network, except `--smoke`, which runs Ray for real (and so lets
Ray's workers do what they would do).

The PEP 440/508 code below is a small re-implementation of `packaging` (the probe cannot assume
pip or packaging in the target); tests/probe compare its verdicts with packaging's.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import hashlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time

PROBE_VERSION = 1
# Ray's uv integration races on a shared env with uv <= 0.7.13 (ray-project/ray#51881).
MIN_UV_WITH_INTEGRATION = (0, 7, 14)
# How many examples a finding quotes before it says "and N more".
EXAMPLES = 3
CHUNK = 1 << 20

# --------------------------------------------------------------------------------------------
# PEP 440 versions
# --------------------------------------------------------------------------------------------

_VERSION_BODY = r"""
    v?
    (?:
        (?:(?P<epoch>[0-9]+)!)?
        (?P<release>[0-9]+(?:\.[0-9]+)*)
        (?P<pre>
            [-_\.]?
            (?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)
            [-_\.]?
            (?P<pre_n>[0-9]+)?
        )?
        (?P<post>
            (?:-(?P<post_n1>[0-9]+))
            |
            (?:
                [-_\.]?
                (?P<post_l>post|rev|r)
                [-_\.]?
                (?P<post_n2>[0-9]+)?
            )
        )?
        (?P<dev>
            [-_\.]?
            (?P<dev_l>dev)
            [-_\.]?
            (?P<dev_n>[0-9]+)?
        )?
    )
    (?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?
"""
_VERSION_RE = re.compile(r"^\s*" + _VERSION_BODY + r"\s*$", re.VERBOSE | re.IGNORECASE)
_PRE_LETTER = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc"}
_PRE_LETTER.update(preview="rc", rc="rc")


class Version:
    """A parsed PEP 440 version; compares like packaging.version.Version."""

    __slots__ = ("dev", "epoch", "key", "local", "post", "pre", "release")

    def __init__(self, text: str) -> None:
        m = _VERSION_RE.match(text)
        if m is None:
            raise ValueError(f"invalid version: {text!r}")
        self.epoch = int(m.group("epoch") or 0)
        self.release = tuple(int(p) for p in m.group("release").split("."))
        self.pre = None
        if m.group("pre_l"):
            self.pre = (_PRE_LETTER[m.group("pre_l").lower()], int(m.group("pre_n") or 0))
        self.post = None
        if m.group("post"):
            self.post = int(m.group("post_n1") or m.group("post_n2") or 0)
        self.dev = int(m.group("dev_n") or 0) if m.group("dev") else None
        self.local = None
        if m.group("local"):
            self.local = tuple(
                int(p) if p.isdigit() else p.lower() for p in re.split(r"[-_.]", m.group("local"))
            )
        self.key = self._key(self.local)

    def _key(self, local: tuple | None) -> tuple:
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        # The ordering packaging's _cmpkey gives, with tuples instead of +/- infinity:
        # 1.0.dev0 < 1.0a0 < 1.0 < 1.0.post0, and a local label sorts after its public version.
        if self.pre is None and self.post is None and self.dev is not None:
            pre: tuple = (0,)
        elif self.pre is None:
            pre = (2,)
        else:
            pre = (1, *self.pre)
        post = (0,) if self.post is None else (1, self.post)
        dev = (1,) if self.dev is None else (0, self.dev)
        if local is None:
            loc: tuple = (0,)
        else:
            loc = (1, tuple((1, p, "") if isinstance(p, int) else (0, 0, p) for p in local))
        return (self.epoch, tuple(release), pre, post, dev, loc)

    @property
    def public_key(self) -> tuple:
        return (*self.key[:5], (0,))

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None or self.dev is not None

    def base(self) -> tuple:
        """(epoch, release without trailing zeros): the family a version belongs to."""
        return self.key[:2]


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# PEP 440 specifiers
# --------------------------------------------------------------------------------------------

_PRE_POST_DEV = r"""
    (?:[-_\.]?(alpha|beta|preview|pre|a|b|c|rc)[-_\.]?[0-9]*)?
    (?:(?:-[0-9]+)|(?:[-_\.]?(post|rev|r)[-_\.]?[0-9]*))?
    (?:[-_\.]?dev[-_\.]?[0-9]*)?
"""
_LOCAL = r"(?:\+[a-z0-9]+(?:[-_\.][a-z0-9]+)*)?"
_SPEC_VERSION = {
    "===": r"[^\s;)]*",
    "==": r"v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:\.\*|" + _PRE_POST_DEV + _LOCAL + ")?",
    "~=": r"v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+" + _PRE_POST_DEV,
    "<=": r"v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*" + _PRE_POST_DEV,
}
_SPEC_VERSION["!="] = _SPEC_VERSION["=="]
for _op in (">=", "<", ">"):
    _SPEC_VERSION[_op] = _SPEC_VERSION["<="]
_SPEC_RE = {
    op: re.compile(r"^\s*" + re.escape(op) + r"\s*(" + body + r")\s*$", re.VERBOSE | re.IGNORECASE)
    for op, body in _SPEC_VERSION.items()
}
_OPS = ("===", "==", "!=", "~=", "<=", ">=", "<", ">")


def parse_specifier(text: str) -> tuple[str, str] | None:
    """(operator, version text) of one specifier like `>= 1.2`, or None when invalid."""
    stripped = text.strip()
    for op in _OPS:
        if stripped.startswith(op):
            m = _SPEC_RE[op].match(stripped)
            return (op, m.group(1)) if m else None
    return None


def _wildcard_match(v: Version, spec: str) -> bool:
    target = Version(spec[:-2])
    release = v.release + (0,) * max(0, len(target.release) - len(v.release))
    return v.epoch == target.epoch and release[: len(target.release)] == target.release


def specifier_contains(op: str, spec: str, text: str) -> bool:
    """Does version `text` satisfy `op spec`, pre-releases allowed (as pip check asks)?"""
    if op == "===":
        return text.strip().lower() == spec.strip().lower()
    v = parse_version(text)
    if v is None:
        return False  # standard operators never match an unparsable version
    if op in ("==", "!="):
        if spec.endswith(".*"):
            hit = _wildcard_match(v, spec)
        else:
            s = Version(spec)
            hit = (v.key if s.local is not None else v.public_key) == s.key
        return hit if op == "==" else not hit
    s = Version(spec)
    if op == "~=":
        prefix = ".".join(str(p) for p in s.release[:-1])
        epoch = f"{s.epoch}!" if s.epoch else ""
        return v.public_key >= s.key and _wildcard_match(v, epoch + prefix + ".*")
    if op == "<=":
        return v.public_key <= s.key
    if op == ">=":
        return v.public_key >= s.key
    if op == "<":
        if not v.key < s.key:
            return False
        # <V excludes V's own pre-releases unless V is one (PEP 440); for a final V that is
        # everything below it with its release, for a post-release V only its dev releases.
        if v.base() != s.base() or s.is_prerelease:
            return True
        if s.post is None:
            return False
        return not (v.pre is None and v.post == s.post and v.dev is not None)
    # op == ">": >V excludes V's post-releases and local versions of V itself (PEP 440),
    # with packaging 26's reading: a pre-release V's post-releases share its pre segment.
    if v.local is not None and v.public_key == s.key:
        return False
    if not v.public_key > s.key:
        return False
    if v.base() != s.base() or s.dev is not None or s.post is not None:
        return True
    return v.pre != s.pre


def specifiers_contain(specs: list[tuple[str, str]], text: str) -> bool:
    return all(specifier_contains(op, spec, text) for op, spec in specs)


# --------------------------------------------------------------------------------------------
# PEP 508 requirements and markers
# --------------------------------------------------------------------------------------------

_NAME_RE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")
_MARKER_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lp>\() | (?P<rp>\)) |
        (?P<str>'[^']*'|"[^"]*") |
        (?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b) |
        (?P<bool>and\b|or\b) |
        (?P<var>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_MARKER_VARS = {
    "python_version", "python_full_version", "os_name", "sys_platform", "platform_release",
    "platform_system", "platform_version", "platform_machine", "platform_python_implementation",
    "implementation_name", "implementation_version", "extra",
}  # fmt: skip
_MARKER_ALIASES = {
    "os.name": "os_name",
    "sys.platform": "sys_platform",
    "platform.version": "platform_version",
    "platform.machine": "platform_machine",
    "platform.python_implementation": "platform_python_implementation",
    "python_implementation": "platform_python_implementation",
}
# Markers compared as versions when the right side is a valid specifier (packaging 22+).
_VERSION_MARKERS = {"implementation_version", "platform_release", "python_full_version"}
_VERSION_MARKERS.add("python_version")


class Requirement:
    __slots__ = ("extras", "marker", "name", "specs", "url")

    def __init__(self, name: str, extras: list[str], specs: list, url: str | None, marker):
        self.name, self.extras, self.specs, self.url, self.marker = name, extras, specs, url, marker

    def spec_text(self) -> str:
        return ",".join(op + v for op, v in self.specs)


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> Requirement:
    """A PEP 508 requirement: name [extras] (specifiers | @ url) [; marker]. ValueError if bad."""
    m = _NAME_RE.match(text)
    if m is None:
        raise ValueError(f"no project name in {text!r}")
    name, pos = m.group(1), m.end()
    extras: list[str] = []
    if text.startswith("[", pos):
        end = text.find("]", pos)
        if end < 0:
            raise ValueError(f"unclosed extras in {text!r}")
        extras = [e.strip() for e in text[pos + 1 : end].split(",") if e.strip()]
        pos = end + 1
    rest = text[pos:]
    url = None
    marker_text = None
    if rest.lstrip().startswith("@"):
        # A URL ends at whitespace; the marker after it needs a space before ";" (PEP 508).
        url_part = rest.lstrip()[1:].strip()
        url, _, after = url_part.partition(" ")
        after = after.strip()
        if after:
            if not after.startswith(";"):
                raise ValueError(f"junk after URL in {text!r}")
            marker_text = after[1:]
        specs: list[tuple[str, str]] = []
    else:
        spec_text, semi, marker_text_raw = rest.partition(";")
        marker_text = marker_text_raw if semi else None
        spec_text = spec_text.strip()
        if spec_text.startswith("(") and spec_text.endswith(")"):
            spec_text = spec_text[1:-1]
        specs = []
        for item in spec_text.split(","):
            if not item.strip() and spec_text.strip():
                raise ValueError(f"empty specifier in {text!r}")
            if not item.strip():
                continue
            spec = parse_specifier(item)
            if spec is None:
                raise ValueError(f"invalid specifier {item.strip()!r} in {text!r}")
            specs.append(spec)
    marker = parse_marker(marker_text) if marker_text is not None else None
    return Requirement(name, extras, specs, url, marker)


def parse_marker(text: str):
    """A marker as a tree: ("and"|"or", left, right) or ("cmp", lhs, op, rhs); lhs/rhs are
    ("var", name) or ("str", value)."""
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _MARKER_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"bad marker {text!r}")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "op":
            value = " ".join(value.split())
        tokens.append((kind, value))
        pos = m.end()
    tree, end = _marker_or(tokens, 0)
    if end != len(tokens):
        raise ValueError(f"bad marker {text!r}")
    return tree


def _marker_or(tokens: list, i: int):
    left, i = _marker_and(tokens, i)
    while i < len(tokens) and tokens[i] == ("bool", "or"):
        right, i = _marker_and(tokens, i + 1)
        left = ("or", left, right)
    return left, i


def _marker_and(tokens: list, i: int):
    left, i = _marker_atom(tokens, i)
    while i < len(tokens) and tokens[i] == ("bool", "and"):
        right, i = _marker_atom(tokens, i + 1)
        left = ("and", left, right)
    return left, i


def _marker_atom(tokens: list, i: int):
    if i < len(tokens) and tokens[i][0] == "lp":
        tree, i = _marker_or(tokens, i + 1)
        if i >= len(tokens) or tokens[i][0] != "rp":
            raise ValueError("unbalanced parentheses in marker")
        return tree, i + 1
    if i + 3 > len(tokens) or tokens[i + 1][0] != "op":
        raise ValueError("bad marker expression")
    return ("cmp", _marker_value(tokens[i]), tokens[i + 1][1], _marker_value(tokens[i + 2])), i + 3


def _marker_value(token: tuple):
    kind, value = token
    if kind == "str":
        return ("str", value[1:-1])
    if kind == "var":
        name = _MARKER_ALIASES.get(value, value)
        if name not in _MARKER_VARS:
            raise ValueError(f"unknown marker variable {value!r}")
        return ("var", name)
    raise ValueError(f"bad marker value {value!r}")


def marker_environment() -> dict[str, str]:
    """The values PEP 508 markers see for the running interpreter."""
    info = sys.implementation.version
    impl_version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        impl_version += info.releaselevel[0] + str(info.serial)
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": impl_version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
        "extra": "",
    }


def evaluate_marker(tree, env: dict[str, str]) -> bool:
    kind = tree[0]
    if kind == "and":
        return evaluate_marker(tree[1], env) and evaluate_marker(tree[2], env)
    if kind == "or":
        return evaluate_marker(tree[1], env) or evaluate_marker(tree[2], env)
    _, lhs, op, rhs = tree
    key = lhs[1] if lhs[0] == "var" else rhs[1] if rhs[0] == "var" else ""
    left = env.get(lhs[1], "") if lhs[0] == "var" else lhs[1]
    right = env.get(rhs[1], "") if rhs[0] == "var" else rhs[1]
    if key == "extra":  # PEP 685: extras compare normalised
        left, right = canonical_name(left), canonical_name(right)
    if key in _VERSION_MARKERS and op not in ("in", "not in"):
        spec = parse_specifier(op + right)
        if spec is not None:
            return specifier_contains(spec[0], spec[1], left)
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    if op in ("~=", "==="):
        raise ValueError(f"undefined comparison {op!r} on {left!r} and {right!r}")
    # Ordering between strings that are not versions is undefined; packaging 26 answers it as
    # "never strictly ordered", so <= and >= reduce to equality.
    return {
        "==": left == right,
        "!=": left != right,
        "<": False,
        "<=": left == right,
        ">": False,
        ">=": left == right,
    }[op]


# --------------------------------------------------------------------------------------------
# The environment: where it is, what is installed
# --------------------------------------------------------------------------------------------


class Dist:
    __slots__ = ("dir", "files", "name", "requires", "site", "version")

    def __init__(self, site: str, dirname: str) -> None:
        self.site = site
        self.dir = os.path.join(site, dirname)
        self.files: set[str] = set()
        self.name = dirname.rsplit(".", 1)[0].rsplit("-", 1)[0]
        self.version: str | None = None
        self.requires: list[str] = []


def read_metadata(dist: Dist) -> None:
    """Name, Version and Requires-Dist from the METADATA header (the body is the README)."""
    path = os.path.join(dist.dir, "METADATA")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line in ("\n", "\r\n"):
                break
            if line[:1] in (" ", "\t"):
                continue  # a folded header continues a field we do not read
            key, _, value = line.partition(":")
            value = value.strip()
            if key == "Name":
                dist.name = value
            elif key == "Version":
                dist.version = value
            elif key == "Requires-Dist":
                dist.requires.append(value)


def site_packages_of(env: str) -> list[str]:
    """site-packages of the env, whether or not it is the running interpreter's."""
    here = os.path.realpath(sys.prefix) == os.path.realpath(env)
    found: list[str] = []
    if here:
        paths = sysconfig.get_paths()
        candidates = [paths["purelib"], paths["platlib"]]
    else:
        candidates = []
        for lib in ("lib", "lib64"):
            base = os.path.join(env, lib)
            try:
                names = sorted(os.listdir(base))
            except OSError:
                continue
            candidates.extend(
                os.path.join(base, n, "site-packages") for n in names if n.startswith("python")
            )
        candidates.append(os.path.join(env, "Lib", "site-packages"))
    seen = set()
    for c in candidates:
        real = os.path.realpath(c)
        if real not in seen and os.path.isdir(c):
            seen.add(real)
            found.append(c)
    return found


def scan_dists(sites: list[str]) -> tuple[list[Dist], list[str]]:
    """Every *.dist-info (with its file names) and every `.tmp*` leftover in site-packages."""
    dists: list[Dist] = []
    leftovers: list[str] = []
    for site in sites:
        for entry in sorted(os.listdir(site)):
            path = os.path.join(site, entry)
            if entry.startswith(".tmp"):
                leftovers.append(path)
            elif entry.endswith(".dist-info") and os.path.isdir(path):
                dist = Dist(site, entry)
                with contextlib.suppress(OSError):
                    dist.files = set(os.listdir(path))
                leftovers.extend(
                    os.path.join(path, n) for n in sorted(dist.files) if n.startswith(".tmp")
                )
                if "METADATA" in dist.files:
                    with contextlib.suppress(OSError):
                        read_metadata(dist)
                dists.append(dist)
    return dists, leftovers


def check_dist_info(dists: list[Dist], leftovers: list[str], out: list) -> None:
    for dist in dists:
        missing = [n for n in ("METADATA", "RECORD", "INSTALLER") if n not in dist.files]
        if missing:
            # A missing METADATA or RECORD breaks imports' metadata and uv/pip uninstalls
            # ("Failed to uninstall package ... due to missing `RECORD` file"); INSTALLER is
            # only a sign of an unfinished or hand-made install.
            severity = "error" if missing != ["INSTALLER"] else "warning"
            out.append(
                finding(
                    "RUV601",
                    severity,
                    "{} lacks {}".format(_label(dist), " and ".join(missing)),
                    dist.dir,
                )
            )
    by_name: dict[str, list[Dist]] = {}
    for dist in dists:
        by_name.setdefault(canonical_name(dist.name), []).append(dist)
    for name, group in sorted(by_name.items()):
        if len(group) > 1:
            where = ", ".join(os.path.basename(d.dir) for d in group)
            out.append(
                finding(
                    "RUV602",
                    "error",
                    f"{len(group)} distributions named {name} are installed: {where}; "
                    "which one imports is an accident",
                    group[0].site,
                )
            )
    if leftovers:
        out.append(
            finding(
                "RUV603",
                "warning",
                f"{_count(len(leftovers), 'leftover')} of an interrupted install: "
                f"{_examples(leftovers)}",
                leftovers[0],
            )
        )


def _label(dist: Dist) -> str:
    return f"{dist.name} {dist.version}" if dist.version else os.path.basename(dist.dir)


def _examples(items: list[str]) -> str:
    shown = ", ".join(items[:EXAMPLES])
    return shown + (f" and {len(items) - EXAMPLES} more" if len(items) > EXAMPLES else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------------------------
# RECORD
# --------------------------------------------------------------------------------------------


def _sha256_b64(path: str, buf: bytearray) -> str:
    h = hashlib.sha256()
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode("ascii")


def record_rows(dist: Dist) -> list[tuple[str, str, str]]:
    with open(os.path.join(dist.dir, "RECORD"), encoding="utf-8", newline="") as f:
        return [
            tuple(row[:3]) + ("",) * (3 - len(row[:3])) for row in csv.reader(f) if row and row[0]
        ]


def verify_record(dist: Dist, deep: bool, buf: bytearray) -> tuple[int, list[str], list[str]]:
    """(entries checked, missing files, changed files). Entries without a hash (RECORD itself,
    .pyc files) are not checked: the spec lets them vary."""
    checked = 0
    missing: list[str] = []
    changed: list[str] = []
    for rel, digest, size in record_rows(dist):
        if not digest:
            continue
        path = os.path.normpath(os.path.join(dist.site, rel))
        checked += 1
        try:
            st = os.stat(path)
        except OSError:
            missing.append(rel)
            continue
        if size.isdigit() and st.st_size != int(size):
            changed.append(rel)
            continue
        if deep:
            algo, _, expected = digest.partition("=")
            if algo == "sha256":
                try:
                    actual = _sha256_b64(path, buf)
                except OSError:
                    missing.append(rel)
                    continue
                if actual != expected:
                    changed.append(rel)
    return checked, missing, changed


def check_records(dists: list[Dist], deep: bool, out: list, stats: dict) -> None:
    buf = bytearray(CHUNK)
    total = 0
    for dist in dists:
        if "RECORD" not in dist.files:
            continue  # RUV601 already says so
        try:
            checked, missing, changed = verify_record(dist, deep, buf)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            out.append(
                finding("RUV604", "error", f"{_label(dist)}: RECORD unreadable: {exc}", dist.dir)
            )
            continue
        total += checked
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({_examples(missing)})")
        if changed:
            what = "hash or size" if deep else "size"
            parts.append(f"{len(changed)} with another {what} ({_examples(changed)})")
        if parts:
            out.append(
                finding(
                    "RUV604",
                    "error",
                    "{}: files listed in RECORD: {}".format(_label(dist), "; ".join(parts)),
                    dist.dir,
                )
            )
    stats["record_entries"] = total


# --------------------------------------------------------------------------------------------
# Dependencies (what `pip check` does)
# --------------------------------------------------------------------------------------------


def check_requirements(dists: list[Dist], out: list, stats: dict) -> None:
    env = marker_environment()
    installed = {canonical_name(d.name): d for d in dists}
    unparsable = 0
    for dist in sorted(dists, key=lambda d: canonical_name(d.name)):
        for text in dist.requires:
            try:
                req = parse_requirement(text)
                if req.marker is not None and not evaluate_marker(req.marker, env):
                    continue
            except ValueError:
                unparsable += 1
                continue
            have = installed.get(canonical_name(req.name))
            if have is None:
                message = (
                    f"{_label(dist)} requires {req.name}{req.spec_text()}, which is not installed"
                )
            elif (
                have.version is not None
                and req.specs
                and not specifiers_contain(req.specs, have.version)
            ):
                message = f"{_label(dist)} requires {req.name}{req.spec_text()}, but {_label(have)} is installed"
            else:
                continue
            out.append(finding("RUV605", "error", message, dist.dir))
    stats["unparsable_requirements"] = unparsable


# --------------------------------------------------------------------------------------------
# The project
# --------------------------------------------------------------------------------------------


def read_pyproject(path: str) -> dict:
    """[project] name and [tool.uv] package / [build-system] presence, with tomllib when there
    is one (3.11+) and a line reader good enough for those keys otherwise."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        import tomllib  # type: ignore[import-not-found]
    except ImportError:
        tomllib = None
    if tomllib is not None:
        doc = tomllib.loads(data.decode("utf-8"))
        uv = doc.get("tool", {}).get("uv", {})
        return {
            "name": doc.get("project", {}).get("name"),
            "package": uv.get("package") if isinstance(uv.get("package"), bool) else None,
            "build_system": "build-system" in doc,
        }
    info: dict = {"name": None, "package": None, "build_system": False}
    table = None
    for raw in data.decode("utf-8").splitlines():
        line = (
            raw.split("#", 1)[0].strip()
            if not raw.strip().startswith(("name", "package"))
            else raw.strip()
        )
        if line.startswith("["):
            table = line.strip("[] ")
            if table == "build-system":
                info["build_system"] = True
            continue
        key, eq, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not eq:
            continue
        if table == "project" and key == "name":
            info["name"] = value.strip("'\"").strip() if value[:1] in "'\"" else None
        elif table == "tool.uv" and key == "package":
            info["package"] = {"true": True, "false": False}.get(value.split("#")[0].strip())
    return info


def find_project_dir(given: str | None) -> str | None:
    if given:
        return os.path.abspath(given)
    here = os.getcwd()
    return here if os.path.isfile(os.path.join(here, "pyproject.toml")) else None


def file_url_path(url: str) -> str | None:
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def check_project(
    project_dir: str | None, dists: list[Dist], out: list, report: dict
) -> dict | None:
    """The project's install state; returns the pyproject facts (None without a project)."""
    if project_dir is None:
        return None
    path = os.path.join(project_dir, "pyproject.toml")
    try:
        info = read_pyproject(path)
    except (OSError, ValueError) as exc:
        out.append(finding("RUV607", "warning", f"cannot read {path}: {exc}", path))
        return None
    name = info["name"]
    report["name"] = name
    if not name:
        return info
    is_package = info["package"] if info["package"] is not None else info["build_system"]
    dist = next((d for d in dists if canonical_name(d.name) == canonical_name(name)), None)
    report["installed"] = dist is not None
    if dist is None:
        if is_package:
            out.append(
                finding(
                    "RUV607",
                    "info",
                    f"project {name} is not installed in the environment (built with "
                    "--no-install-project?); the first `uv run` that syncs will install it",
                    path,
                )
            )
        return info
    direct = {}
    if "direct_url.json" in dist.files:
        try:
            with open(os.path.join(dist.dir, "direct_url.json"), encoding="utf-8") as f:
                direct = json.load(f)
        except (OSError, ValueError):
            direct = {}
    url = direct.get("url") if isinstance(direct, dict) else None
    editable = bool(
        ((direct.get("dir_info") or {}) if isinstance(direct, dict) else {}).get("editable")
    )
    report["url"], report["editable"] = url, editable
    source = file_url_path(url) if url else None
    if source is None:
        return info
    if not os.path.exists(source):
        severity = "error" if editable else "warning"
        what = "editable from" if editable else "from"
        out.append(
            finding(
                "RUV607",
                severity,
                "project {} is installed {} {}, which does not exist here{}".format(
                    name, what, source, f"; `import {name}` fails" if editable else ""
                ),
                dist.dir,
            )
        )
    elif os.path.realpath(source) != os.path.realpath(project_dir):
        out.append(
            finding(
                "RUV607",
                "warning",
                f"project {name} is installed from {source}, not from the project directory {project_dir} "
                "(a copy elsewhere re-synced it?)",
                dist.dir,
            )
        )
    return info


# --------------------------------------------------------------------------------------------
# uv, Ray, versions
# --------------------------------------------------------------------------------------------


def _run(argv: list[str], timeout: float, **kw) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False, **kw
        )
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {timeout}s"
    except OSError as exc:
        return -1, "", str(exc)
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def find_uv(report: dict) -> str | None:
    uv = shutil.which("uv")
    report["path"] = uv
    if uv is None:
        return None
    rc, stdout, _ = _run([uv, "--version"], 20)
    parts = stdout.split()
    report["version"] = parts[1] if rc == 0 and len(parts) >= 2 else None
    return uv


def check_uv(report: dict, integration: bool, out: list) -> None:
    if not integration:
        return
    if report["path"] is None:
        out.append(
            finding(
                "RUV608",
                "error",
                "Ray's uv integration is active but `uv` is not on PATH for this user: workers "
                "started as `uv run ...` cannot start",
                None,
            )
        )
        return
    v = parse_version(report["version"] or "")
    if v is not None and v.release[:3] < MIN_UV_WITH_INTEGRATION:
        out.append(
            finding(
                "RUV608",
                "error",
                "uv {} at {}: uv <= 0.7.13 lets concurrent workers' `uv run` race on the "
                "environment (`Directory not empty (os error 39)`); use uv >= 0.7.14".format(
                    report["version"], report["path"]
                ),
                report["path"],
            )
        )


_RAY_SNIPPET = r"""
import json, sys
out = {"python": "%d.%d.%d" % sys.version_info[:3], "ray": None, "hook": False, "error": None}
try:
    import ray
    out["ray"] = getattr(ray, "__version__", None)
    try:
        import ray._private.runtime_env.uv_runtime_env_hook
        out["hook"] = True
    except Exception as exc:
        out["hook_error"] = "%s: %s" % (type(exc).__name__, exc)
except Exception as exc:
    out["error"] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(out))
"""


def worker_python(env: str) -> str:
    for name in ("bin/python", "bin/python3", "Scripts/python.exe"):
        path = os.path.join(env, name)
        if os.path.exists(path) and os.access(path, os.X_OK):
            return path
    return sys.executable


def check_ray(
    python: str, dists: list[Dist], args: argparse.Namespace, report: dict, out: list, facts: dict
) -> None:
    has_ray = any(canonical_name(d.name) == "ray" for d in dists)
    facts["python_version"] = _pyver()
    wanted = has_ray or args.integration or args.expect_ray_version
    if not wanted and os.path.realpath(python) == os.path.realpath(sys.executable):
        return
    # Another interpreter (or Ray to import, ~1 s): ask it in a subprocess (-B: write no
    # __pycache__ into the env), so the probe itself
    # can run under any Python and a crashing import cannot take the probe down.
    code = (
        _RAY_SNIPPET if wanted else _RAY_SNIPPET.replace("import ray\n", "raise ImportError\n", 1)
    )
    rc, stdout, stderr = _run([python, "-B", "-c", code], 120)
    try:
        result = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        if wanted:
            last = (stderr.strip().splitlines() or [f"exit {rc}"])[-1]
            out.append(finding("RUV609", "error", f"{python} cannot run Python: {last}", python))
        return
    facts["python_version"] = result["python"]
    if not wanted:
        return
    report["version"], report["hook_module"] = result["ray"], result["hook"]
    if result["error"]:
        if has_ray or args.integration:
            out.append(
                finding(
                    "RUV609",
                    "error",
                    "`import ray` fails in the worker interpreter {}: {}".format(
                        python, result["error"]
                    ),
                    python,
                )
            )
        return
    if args.integration and not result["hook"]:
        out.append(
            finding(
                "RUV609",
                "error",
                "Ray {} in {} has no ray._private.runtime_env.uv_runtime_env_hook (Ray < 2.43): "
                "the uv integration cannot work".format(result["ray"], python),
                python,
            )
        )


def version_matches(actual: str, expected: str) -> bool:
    """`.python-version` 3.11 matches 3.11.2; uv.lock's 2.60.0 must match exactly."""
    a, e = parse_version(actual), parse_version(expected.strip().split("-")[-1])
    if a is None or e is None:
        return actual.strip() == expected.strip()
    return a.release[: len(e.release)] == e.release and (
        len(e.release) < 3 or a.public_key == e.public_key
    )


def check_versions(args: argparse.Namespace, ray: dict, facts: dict, out: list) -> None:
    if (
        args.expect_ray_version
        and ray.get("version")
        and not version_matches(ray["version"], args.expect_ray_version)
    ):
        out.append(
            finding(
                "RUV610",
                "error",
                "Ray {} is installed, uv.lock says {}: the cluster and the job disagree "
                "(`Version mismatch`)".format(ray["version"], args.expect_ray_version),
                None,
            )
        )
    if (
        args.expect_python_version
        and facts.get("python_version")
        and not version_matches(facts["python_version"], args.expect_python_version)
    ):
        out.append(
            finding(
                "RUV610",
                "error",
                "the worker interpreter is Python {}, the project asks for {} (.python-version)".format(
                    facts["python_version"], args.expect_python_version
                ),
                None,
            )
        )


# --------------------------------------------------------------------------------------------
# The venv itself
# --------------------------------------------------------------------------------------------


def read_pyvenv_cfg(env: str) -> dict[str, str] | None:
    try:
        with open(os.path.join(env, "pyvenv.cfg"), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    cfg = {}
    for line in lines:
        key, eq, value = line.partition("=")
        if eq:
            cfg[key.strip().lower()] = value.strip()
    return cfg


def check_venv(env: str, is_venv: bool, out: list) -> None:
    if not is_venv:
        return
    for name in ("bin/python", "bin/python3"):
        path = os.path.join(env, name)
        if os.path.lexists(path):
            break
    else:
        out.append(finding("RUV611", "error", f"{env} has no bin/python", env))
        return
    target = os.path.realpath(path)
    if not os.path.exists(target):
        out.append(
            finding(
                "RUV611",
                "error",
                f"{path} points at {target}, which does not exist (a venv copied from another image or "
                "made by a removed Python)",
                path,
            )
        )
    elif not os.access(target, os.X_OK):
        out.append(
            finding("RUV611", "error", f"{path} ({target}) is not executable by this user", path)
        )
    cfg = read_pyvenv_cfg(env) or {}
    home = cfg.get("home")
    if home and not os.path.isdir(home):
        out.append(
            finding(
                "RUV611",
                "error",
                f"pyvenv.cfg home {home} does not exist",
                os.path.join(env, "pyvenv.cfg"),
            )
        )


def dangling_symlinks(root: str) -> list[str]:
    found: list[str] = []
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for e in entries:
            if e.is_symlink():
                if not os.path.exists(e.path):
                    found.append(e.path)
            elif e.is_dir(follow_symlinks=False):
                stack.append(e.path)
    return sorted(found)


def check_symlinks(env: str, out: list) -> None:
    interpreters = {os.path.join(env, "bin", n) for n in ("python", "python3")}
    bad = [
        p
        for p in dangling_symlinks(env)
        if p not in interpreters and not re.search(r"/bin/python3\.\d+$", p)
    ]
    if bad:
        out.append(
            finding(
                "RUV612",
                "error",
                f"{_count(len(bad), 'dangling symlink')} in the environment (symlink link-mode "
                f"into a cache that is gone?): {_examples(bad)}",
                bad[0],
            )
        )


def writable_by(path: str, uid: int, groups: set[int]) -> bool:
    """From owner and mode bits, not access(): the probe may run on a read-only container root,
    and that is not how the image is deployed."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IWUSR)
    if st.st_gid in groups:
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def check_writable(env: str, sites: list[str], out: list) -> None:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    groups = set(os.getgroups()) | {os.getgid()} if hasattr(os, "getgroups") else set()
    bad = [
        p
        for p in [env, *sites, os.path.join(env, "bin")]
        if os.path.isdir(p) and not writable_by(p, uid, groups)
    ]
    if bad:
        out.append(
            finding(
                "RUV613",
                "error",
                f"uid {uid} cannot write {_examples(bad)}, but runtime syncing is expected: a "
                "worker's `uv run` fails with `Permission denied (os error 13)`",
                bad[0],
            )
        )


# --------------------------------------------------------------------------------------------
# Simulated worker sync, and the Ray smoke test
# --------------------------------------------------------------------------------------------

_COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.pyc", ".tox", ".mypy_cache"
)
# uv >= 0.8: "Would use project environment at: X" / "Would create project environment at: X";
# uv 0.7: "Discovered existing environment at: X" / "Would create virtual environment at: X".
_ENV_LINE = re.compile(
    r"^(?:Would (?:use|create|replace) (?:project |virtual )?environment at"
    r"|Discovered existing environment at|Using (?:project |virtual )?environment at):? (.+?)\s*$"
)
_PLAN_LINE = re.compile(r"^ ([-+~]) (\S+?)(?:==| @ |\s|$)")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on", "y", "t")


def copy_project(project_dir: str, tmp: str) -> str:
    dest = os.path.join(tmp, "_ray_pkg_probe")
    shutil.copytree(project_dir, dest, symlinks=True, ignore=_COPY_IGNORE)
    return dest


def worker_sync(uv: str, project_dir: str, name: str | None, tmp: str, out: list) -> dict:
    """`uv sync --dry-run --frozen` from a copy of the project at a new path, with this process's
    environment (what Ray's workers inherit): the seed failure, seen from inside."""
    result: dict = {"ran": False}
    if _truthy(os.environ.get("UV_NO_SYNC")):
        result["skipped"] = "UV_NO_SYNC is set: workers' `uv run` does not sync"
        return result
    if not os.path.isfile(os.path.join(project_dir, "uv.lock")):
        result["skipped"] = "no uv.lock in the project (`--frozen` needs one)"
        return result
    copy = copy_project(project_dir, tmp)
    env = dict(os.environ)
    # A fresh cache under our temp dir: the plan needs none, and the probe writes nowhere else.
    env.update(UV_CACHE_DIR=os.path.join(tmp, "uv-cache"), UV_NO_PROGRESS="1", NO_COLOR="1")
    env.update(UV_OFFLINE="1", UV_PYTHON_DOWNLOADS="never")
    argv = [uv, "sync", "--dry-run", "--frozen", "--offline"]
    rc, stdout, stderr = _run(argv, 120, cwd=copy, env=env)
    result.update(ran=True, returncode=rc, copy=copy)
    lines = [line.rstrip() for line in (stderr + stdout).splitlines() if line.strip()]
    result["output"] = lines[-40:]
    env_path = None
    plan = []
    for line in lines:
        m = _ENV_LINE.match(line)
        if m and env_path is None:
            env_path = m.group(1).strip().strip("`")
        p = _PLAN_LINE.match(line)
        if p:
            plan.append((p.group(1), p.group(2), line.strip()))
    result["environment"] = env_path
    if rc != 0 or env_path is None:
        return result
    real_env = os.path.realpath(os.path.join(copy, env_path))
    private = (real_env + os.sep).startswith(os.path.realpath(copy) + os.sep)
    result["private"] = private
    if private or not plan:
        return result  # a worker gets its own env: no shared state to fight over
    own = [p for p in plan if name and canonical_name(p[1]) == canonical_name(name)]
    quoted = "; ".join(p[2] for p in (own or plan)[:4])
    others = len(plan) - len(own)
    if own:
        more = f" and {_count(others, 'other change')}" if others else ""
        message = (
            f"a Ray worker's `uv run` from a copy of the project would reinstall {name} in the "
            f"shared environment {env_path} (uv's plan: {quoted}){more}; every worker does this, "
            "and with uv <= 0.7.13 they race"
        )
    else:
        message = (
            "a Ray worker's `uv run` from a copy of the project would change the shared environment "
            f"{env_path} (uv's plan: {quoted}, {_count(len(plan), 'change')}): the environment "
            "is out of sync with uv.lock"
        )
    out.append(finding("RUV606", "error", message, env_path))
    return result


_SMOKE_DRIVER = r"""
import os, sys, time
import ray
t = time.time()
ray.init(address="local", num_cpus=2, include_dashboard=False, _temp_dir=sys.argv[1], configure_logging=False)
f = ray.remote(lambda i: (i, os.getpid()))
print("SMOKE-OK", sorted(r[0] for r in ray.get([f.remote(i) for i in range(4)], timeout=float(sys.argv[2]))),
      "%.1fs" % (time.time() - t), flush=True)
ray.shutdown()
"""
_SMOKE_PATTERNS = re.compile(
    r"have not registered within the timeout|Directory not empty \(os error 39\)|"
    r"failed to remove[^\n]{0,120}|error: Failed to install[^\n]{0,120}|"
    r"error: [A-Za-z][^\n]{0,160}"
)


def smoke(
    python: str, uv: str | None, project_dir: str | None, timeout: float, tmp: str, out: list
) -> dict:
    """A single-node Ray, a few tasks, a bounded wait, then the logs read for what killed workers."""
    ray_tmp = os.path.join(tmp, "ray")
    os.makedirs(ray_tmp)
    driver = os.path.join(tmp, "smoke_driver.py")
    with open(driver, "w") as f:
        f.write(_SMOKE_DRIVER)
    # RAY_AUTH_MODE=disabled: Ray >= 2.5x otherwise writes a token to ~/.ray, outside our temp
    # dir; this one-node cluster listens on 127.0.0.1 and lives for seconds.
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", UV_OFFLINE="1", UV_NO_PROGRESS="1")
    env["RAY_AUTH_MODE"] = "disabled"
    cwd = tmp
    task_timeout = str(max(5.0, timeout - 10))
    if uv and project_dir and os.path.isfile(os.path.join(project_dir, "pyproject.toml")):
        # As Ray's users do: the driver under `uv run` from a copy of the project, so the
        # workers go through Ray's uv hook (Ray >= 2.47) the way a job's would.
        cwd = copy_project(project_dir, os.path.join(tmp, "smoke"))
        argv = [uv, "run", "--frozen", "python", driver, ray_tmp, task_timeout]
    else:
        argv = [python, driver, ray_tmp, task_timeout]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    timed_out = False
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        output, _ = proc.communicate()
    _stop_ray(python, ray_tmp)
    text = output.decode("utf-8", "replace")
    hits = sorted(set(_SMOKE_PATTERNS.findall(text) + _log_hits(ray_tmp)))
    passed = not timed_out and proc.returncode == 0 and "SMOKE-OK" in text
    result = {
        "passed": passed,
        "returncode": proc.returncode,
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - started, 1),
        "temp_dir": ray_tmp,
        "log_hits": hits[:20],
        "output": text.splitlines()[-20:],
    }
    if not passed or any("not registered" in h or "os error 39" in h for h in hits):
        why = f"timed out after {timeout}s" if timed_out else f"exit {proc.returncode}"
        detail = "; ".join(hits[:EXAMPLES]) or (text.strip().splitlines() or ["no output"])[-1]
        out.append(finding("RUV614", "error", f"the Ray smoke test failed ({why}): {detail}", None))
    return result


def _kill_group(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()


def _stop_ray(python: str, ray_tmp: str) -> None:
    """Kill whatever Ray processes still hold our session (a killed driver leaves raylet/GCS)."""
    import signal

    me = os.getpid()
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if ray_tmp.encode() in cmd:
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGKILL)


def _log_hits(ray_tmp: str) -> list[str]:
    hits: list[str] = []
    for dirpath, _, files in os.walk(ray_tmp):
        if not dirpath.endswith("logs"):
            continue
        for name in files:
            try:
                with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as f:
                    hits.extend(_SMOKE_PATTERNS.findall(f.read()))
            except OSError:
                continue
    return hits


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _pyver() -> str:
    return ".".join(str(n) for n in sys.version_info[:3])


def finding(code: str, severity: str, message: str, path: str | None) -> dict:
    return {"code": code, "severity": severity, "message": message, "path": path}


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="uvray-probe")
    ap.add_argument("--project", metavar="DIR")
    ap.add_argument("--env", metavar="DIR")
    ap.add_argument("--deep", action="store_true")
    ap.add_argument("--worker-sync", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--smoke-timeout", type=float, default=60.0)
    ap.add_argument("--expect-ray-version")
    ap.add_argument("--expect-python-version")
    ap.add_argument("--integration", action="store_true")
    ap.add_argument("--runtime-sync", action="store_true", help="workers will sync the env")
    return ap.parse_args(argv)


def default_env(project_dir: str | None) -> str:
    uv_env = os.environ.get("UV_PROJECT_ENVIRONMENT")
    if uv_env:
        # uv resolves a relative UV_PROJECT_ENVIRONMENT against the project root.
        return os.path.abspath(os.path.join(project_dir or os.getcwd(), uv_env))
    return os.environ.get("VIRTUAL_ENV") or sys.prefix


def user_info() -> dict:
    uid = os.getuid() if hasattr(os, "getuid") else -1
    name = None
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        pass
    return {"uid": uid, "name": name}


def main(argv: list[str]) -> dict:
    args = parse_args(argv)
    timings: dict[str, float] = {}
    findings: list[dict] = []
    errors: list[str] = []
    project_dir = find_project_dir(args.project)
    env = os.path.abspath(args.env or default_env(project_dir))
    sites = site_packages_of(env)
    payload: dict = {
        "probe_version": PROBE_VERSION,
        "python": {
            "executable": sys.executable,
            "version": _pyver(),
            "prefix": sys.prefix,
            "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        },
        "user": user_info(),
        "env": {
            "path": env,
            "site_packages": sites,
            "is_venv": os.path.isfile(os.path.join(env, "pyvenv.cfg")),
        },
        "uv": {"path": None, "version": None},
        "ray": {"version": None, "hook_module": False},
        "project": {
            "dir": project_dir,
            "name": None,
            "installed": None,
            "editable": None,
            "url": None,
        },
        "findings": findings,
        "timings_ms": timings,
        "errors": errors,
        "stats": {},
    }
    state: dict = {"dists": [], "leftovers": [], "facts": {}}
    tmp = tempfile.mkdtemp(prefix="uvray-probe-")
    python = worker_python(env)

    def step(name: str, fn) -> None:
        t0 = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # one broken check must not cost the others their verdicts
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        timings[name] = round((time.perf_counter() - t0) * 1000, 2)

    def scan() -> None:
        state["dists"], state["leftovers"] = scan_dists(sites)
        payload["stats"]["distributions"] = len(state["dists"])

    info: dict = {}
    try:
        step("scan", scan)
        step("venv", lambda: check_venv(env, payload["env"]["is_venv"], findings))
        step("dist_info", lambda: check_dist_info(state["dists"], state["leftovers"], findings))
        step("record", lambda: check_records(state["dists"], args.deep, findings, payload["stats"]))
        step("requirements", lambda: check_requirements(state["dists"], findings, payload["stats"]))
        step("symlinks", lambda: check_symlinks(env, findings))
        step(
            "project",
            lambda: info.update(
                check_project(project_dir, state["dists"], findings, payload["project"]) or {}
            ),
        )
        step("uv", lambda: find_uv(payload["uv"]) and None)
        step("uv_version", lambda: check_uv(payload["uv"], args.integration, findings))
        step(
            "ray",
            lambda: check_ray(
                python, state["dists"], args, payload["ray"], findings, state["facts"]
            ),
        )
        step("versions", lambda: check_versions(args, payload["ray"], state["facts"], findings))
        if args.integration or args.runtime_sync:
            step("writable", lambda: check_writable(env, sites, findings))
        if args.worker_sync and payload["uv"]["path"] and project_dir:
            step(
                "worker_sync",
                lambda: payload.__setitem__(
                    "worker_sync",
                    worker_sync(
                        payload["uv"]["path"],
                        project_dir,
                        payload["project"]["name"],
                        tmp,
                        findings,
                    ),
                ),
            )
        elif args.worker_sync:
            payload["worker_sync"] = {
                "ran": False,
                "skipped": "no uv on PATH" if project_dir else "no project",
            }
        if args.smoke:
            step(
                "smoke",
                lambda: payload.__setitem__(
                    "smoke",
                    smoke(
                        python,
                        payload["uv"]["path"],
                        project_dir,
                        args.smoke_timeout,
                        tmp,
                        findings,
                    ),
                ),
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return payload


if __name__ == "__main__":
    result = main(sys.argv[1:])
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
