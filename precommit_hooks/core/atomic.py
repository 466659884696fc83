"""Atomic file writes with the mode ``open()`` would give: one writer, two places.

This module uses the standard library only: the generated project carries a
byte-identical copy of it (``python -m precommit_hooks.lifecycle.shared_formats
--check`` fails when they drift), so the package and the project write their
files the same way.  The bytes go to a temporary file in the target's folder,
are flushed to disk and renamed over the target: a reader sees the old file
or the new one, never half of one.  ``tempfile.mkstemp`` creates 0600 files;
the rename keeps an existing file's mode and gives a new one the mode
``open()`` would (0644 under the usual umask), so the next step (another
user, a model server) can read it.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager, suppress
from typing import BinaryIO, Iterator


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file under the current umask."""
    mask = os.umask(0o022)  # reading the umask means setting it; put it back
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream that replaces ``path`` in one rename when the block ends.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = new_file_mode()
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):  # gone if the rename itself failed late
            os.unlink(temporary)
        raise


def write_atomic_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename."""
    with atomic_writer(path) as stream:
        stream.write(data)
