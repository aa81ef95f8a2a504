"""`uvray env --python PATH`: the in-image probe against a local interpreter (PLACEHOLDER)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--python", metavar="PATH", required=True)


def run(ns: argparse.Namespace) -> int:
    from uvray.errors import UsageError

    raise UsageError("uvray env is not available yet")
