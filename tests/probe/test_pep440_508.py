"""The probe's own PEP 440/508 code against `packaging` (a pytest dependency, so always here).

The probe cannot assume pip or packaging in an image, so it carries a small re-implementation;
these tests hold its verdicts to packaging's on real requirement strings (every Requires-Dist of
every distribution this interpreter sees, plus Ray's in test_probe_ray.py) and on generated
versions and specifiers.
"""

from __future__ import annotations

import ast
import importlib.metadata
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import Specifier
from packaging.version import Version

from uvray import probe

PROBE_FILE = Path(probe.__file__)

VERSIONS = [
    "0.9", "1", "1.0", "1.0.0", "1.0.0.0.1", "1.0a1", "1.0a1.post1", "1.0a2.dev1", "1.0b2",
    "1.0c1", "1.0rc1", "1.0rc2.dev3", "1.0.dev0", "1.0.dev1", "1.0.post1", "1.0.post1.dev2",
    "1.0-1", "1.0.post2", "1.0+local", "1.0+abc.5", "1.0+5", "1.0.post1+x", "1.1", "1.1.dev0",
    "1.1a1", "1.2.3", "1.2.4", "1.3", "2.0", "2.0rc1", "2!0.5", "1!1.0", "10.0", "2.60.0",
    "2.60.0rc1", "3.8", "3.8.10", "3.9", "3.11.7", "3.12.0b1", "3.13", "0.7.13", "0.7.14",
    "V1.0", "1.0.RC1", "1.0-alpha-3", "1.0_post_4", "1.0.preview2", "1.0rev3", "1.0r",
]  # fmt: skip

SPECIFIERS = [
    "==1.0", "==1.0.0", "==1.*", "==1.0.*", "==2.*", "!=1.0", "!=1.*", "<=1.0", ">=1.0", "<1.0",
    ">1.0", "<1.1", ">1.0a1", ">1.0.post1", "<1.0.post2", ">1.0.dev0", "<1.0rc1", "~=1.0",
    "~=1.0.0", "~=2.2.post3", "~=1.4.5a4", "==1.0+local", "!=1.0+local", "===1.0", "===foobar",
    ">=2!0.1", "==1!1.*", ">=3.8", "<3.12", ">3.8", "==3.11.*", "~=0.7.14", "<=2.60.0",
]  # fmt: skip

TRICKY_REQUIREMENTS = [
    "requests",
    "requests[security,socks] >= 2.8.1, == 2.8.*",
    "name (>=1.0,<2)",
    'pip @ https://github.com/pypa/pip/archive/1.3.1.zip ; python_version >= "3"',
    'foo ; sys_platform == "win32" and python_version < "3.9"',
    "bar ; (os_name == 'nt' or platform_system == 'Darwin') and extra == 'dev'",
    'baz ; extra == "Test_Extra"',
    'qux ; python_full_version >= "3.8.1"',
    'q2 ; "3.10" <= python_version',
    'q3 ; platform_machine in "x86_64 aarch64"',
    'q4 ; platform_machine not in "arm64"',
    'q5 ; implementation_name == "cpython" and platform_python_implementation != "PyPy"',
    'q6 ; python_version ~= "3.9"',
    'q7 ; python_version > "3.8" or python_version == "2.7"',
    'q8 ; os.name == "posix"',
    'q9 ; python_implementation == "CPython"',
    'q10 ; platform_release >= "5"',
    'q11 ; python_version == "3.*"',
    'q12 ; sys_platform != "linux"',
    'q13[a] >= 1; extra == "default"',
]

OTHER_ENVS = [
    {"python_version": "3.8", "python_full_version": "3.8.10", "sys_platform": "win32",
     "os_name": "nt", "platform_system": "Windows", "platform_machine": "AMD64"},
    {"python_version": "3.12", "python_full_version": "3.12.0b1", "sys_platform": "darwin",
     "platform_system": "Darwin", "platform_machine": "arm64"},
    {"implementation_name": "pypy", "platform_python_implementation": "PyPy"},
]  # fmt: skip
EXTRAS = ["", "default", "dev", "test-extra", "test", "client"]


def real_requirements() -> list[str]:
    """Every Requires-Dist of every distribution this interpreter can see."""
    seen: set[str] = set()
    for dist in importlib.metadata.distributions():
        for text in dist.requires or []:
            seen.add(text)
    return sorted(seen)


def assert_same_requirement(text: str) -> None:
    theirs = Requirement(text)
    ours = probe.parse_requirement(text)
    assert probe.canonical_name(ours.name) == probe.canonical_name(theirs.name), text
    assert set(ours.extras) == set(theirs.extras), text
    assert ours.url == theirs.url, text
    assert sorted(ours.specs) == sorted((s.operator, s.version) for s in theirs.specifier), text
    assert (ours.marker is None) == (theirs.marker is None), text
    if ours.marker is None:
        return
    base = probe.marker_environment()
    for extra, other in itertools.product(EXTRAS, [{}, *OTHER_ENVS]):
        env = {**base, **other, "extra": extra}
        expected = theirs.marker.evaluate(env)
        assert probe.evaluate_marker(ours.marker, env) is expected, (text, env)


def test_probe_parses_as_python_38() -> None:
    ast.parse(PROBE_FILE.read_text(encoding="utf-8"), feature_version=(3, 8))


def test_probe_imports_only_the_stdlib() -> None:
    import sys

    tree = ast.parse(PROBE_FILE.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    outside = {n for n in names if n not in sys.stdlib_module_names and n != "__future__"}
    assert not outside, outside


def test_marker_environment_matches_packaging() -> None:
    from packaging.markers import default_environment

    ours = probe.marker_environment()
    theirs = default_environment()
    assert {k: ours[k] for k in theirs if k in ours} == {k: theirs[k] for k in theirs if k in ours}
    assert set(theirs) - set(ours) <= {"extras", "dependency_groups"}


@pytest.mark.parametrize("text", TRICKY_REQUIREMENTS)
def test_tricky_requirements_match_packaging(text: str) -> None:
    assert_same_requirement(text)


def test_every_installed_requirement_matches_packaging() -> None:
    texts = real_requirements()
    assert len(texts) > 50, "too few real requirement strings to mean anything"
    for text in texts:
        assert_same_requirement(text)


@pytest.mark.parametrize(
    "text",
    ["", "foo >= ", "foo ==1.0 junk", "foo; python_version ==", "foo[bar", "foo ; bogus == '1'"],
)
def test_invalid_requirements_are_rejected_like_packaging(text: str) -> None:
    from packaging.requirements import InvalidRequirement

    with pytest.raises(InvalidRequirement):
        Requirement(text)
    with pytest.raises(ValueError):
        probe.parse_requirement(text)


def test_version_order_matches_packaging() -> None:
    for a, b in itertools.product(VERSIONS, repeat=2):
        va, vb = Version(a), Version(b)
        oa, ob = probe.Version(a), probe.Version(b)
        assert (oa.key < ob.key) == (va < vb), (a, b)
        assert (oa.key == ob.key) == (va == vb), (a, b)


def test_specifiers_match_packaging() -> None:
    real = {(s.operator, s.version) for t in real_requirements() for s in Requirement(t).specifier}
    specs = {probe.parse_specifier(s) for s in SPECIFIERS} | real
    versions = VERSIONS + sorted({v for _, v in real if "*" not in v})
    checked = 0
    for (op, spec), version in itertools.product(sorted(specs), versions):
        expected = Specifier(op + spec).contains(version, prereleases=True)
        assert probe.specifier_contains(op, spec, version) is expected, (op + spec, version)
        checked += 1
    assert checked > 2000


@pytest.mark.parametrize(
    "text", ["=>1.0", "~=1", "==1.0.*+local", "<1.*", ">=1.0+local", "==", "foo"]
)
def test_invalid_specifiers_are_rejected_like_packaging(text: str) -> None:
    from packaging.specifiers import InvalidSpecifier

    with pytest.raises(InvalidSpecifier):
        Specifier(text)
    assert probe.parse_specifier(text) is None


_numbers = st.integers(min_value=0, max_value=12)
_versions = st.builds(
    lambda epoch, release, pre, post, dev, local: (
        (f"{epoch}!" if epoch else "")
        + ".".join(map(str, release))
        + (f"{pre[0]}{pre[1]}" if pre else "")
        + (f".post{post}" if post is not None else "")
        + (f".dev{dev}" if dev is not None else "")
        + (f"+{local}" if local else "")
    ),
    st.sampled_from([0, 0, 0, 1]),
    st.lists(_numbers, min_size=1, max_size=4),
    st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), _numbers),
    st.none() | _numbers,
    st.none() | _numbers,
    st.sampled_from(["", "", "", "local", "7", "ubuntu.1"]),
)
_ops = st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~=", "===", "==*", "!=*"])


@settings(max_examples=1500, deadline=None)
@given(_versions, _versions, _ops)
def test_generated_versions_and_specifiers_match_packaging(v: str, s: str, op: str) -> None:
    from packaging.specifiers import InvalidSpecifier

    spec_text = op + s
    if op.endswith("*"):
        spec_text = op[:-1] + Version(s).base_version + ".*"
    try:
        theirs = Specifier(spec_text)
    except InvalidSpecifier:
        assert probe.parse_specifier(spec_text) is None, spec_text
        return
    parsed = probe.parse_specifier(spec_text)
    assert parsed is not None, spec_text
    assert probe.specifier_contains(*parsed, v) is theirs.contains(v, prereleases=True), (
        spec_text,
        v,
    )
    assert (probe.Version(v).key < probe.Version(s).key) == (Version(v) < Version(s)), (v, s)


def test_marker_against_packaging_with_many_versions() -> None:
    for op, version in itertools.product(
        ["==", "!=", "<", "<=", ">", ">=", "~="], ["3", "3.8", "3.11", "3.11.7", "3.12", "3.*"]
    ):
        text = f'python_version {op} "{version}"'
        try:
            theirs = Marker(text)
        except Exception:
            continue
        tree = probe.parse_marker(text)
        for pv in ["3.8", "3.11", "3.12", "3.9"]:
            env = {**probe.marker_environment(), "python_version": pv}
            try:
                expected = theirs.evaluate(env)
            except Exception:
                with pytest.raises(ValueError):
                    probe.evaluate_marker(tree, env)
                continue
            assert probe.evaluate_marker(tree, env) is expected, (text, pv)
