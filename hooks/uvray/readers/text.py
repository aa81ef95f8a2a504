"""Turning a path into text, or into one clear reason why not."""

from __future__ import annotations

import os
import stat

from uvray.findings import InputError

# Config files are small; a multi-megabyte "Dockerfile" is almost always a mistake (a log, a tarball),
# and refusing it early keeps the hook instant. Lock files of big projects are the exception: a
# real 30k-line uv.lock is ~7 MB.
MAX_BYTES = 5 * 1024 * 1024
MAX_LOCK_BYTES = 64 * 1024 * 1024


def read_text(
    path: str, display: str, limit: int = MAX_BYTES
) -> tuple[str | None, InputError | None]:
    """Read a UTF-8 text file. Returns (text, None) or (None, error); never raises."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None, InputError(display, "no such file")
    except OSError as exc:
        return None, InputError(display, f"cannot read: {exc.strerror or exc}")
    if stat.S_ISDIR(st.st_mode):
        return None, InputError(display, "is a directory, expected a file")
    if not stat.S_ISREG(st.st_mode):
        return None, InputError(display, "is not a regular file")
    if st.st_size > limit:
        mib = st.st_size / (1024 * 1024)
        return None, InputError(
            display, f"file is {mib:.1f} MiB, over uvray's {limit >> 20} MiB limit for this file"
        )
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        return None, InputError(display, f"cannot read: {exc.strerror or exc}")
    return decode(data, display)


def decode(data: bytes, display: str) -> tuple[str | None, InputError | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, InputError(display, "file is UTF-16; Docker, uv and GitHub expect UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        return None, InputError(display, "binary file (contains NUL bytes), expected text")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, InputError(display, f"invalid UTF-8 (byte 0x{data[exc.start]:02x})", line)
