"""`uvray image IMAGE`: check a built image (PLACEHOLDER: being written, issue 4)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", metavar="IMAGE")


def run(ns: argparse.Namespace) -> int:
    from uvray.errors import UsageError

    raise UsageError("uvray image is not available yet")
