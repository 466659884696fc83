"""Writing files so that a reader never sees half of one, and strict JSON.

Every ``dsp`` command that writes (bumped component images, onboarding
manifests, pulled models, recorded regression cases, compiled pipelines)
goes through :func:`write_atomic`: the bytes go to a temporary file in the
same folder, are flushed to disk, and replace the target in one rename.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, TypeGuard


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file under the current umask (0644 usually).

    ``tempfile.mkstemp`` creates 0600 files; an atomic write that renames one
    into place must widen it, or the next step (another user, a model server)
    cannot read what was written.
    """
    mask = os.umask(0o022)  # reading the umask means setting it; put it back
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; never a half-written file.

    An existing file keeps its mode; a new one gets the mode ``open()`` would
    give it.  On any failure the temporary file is removed and the target is
    left as it was.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = new_file_mode()
    handle, temp = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or float, but not a bool (JSON ``true`` is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def loads_strict_json(text: str | bytes) -> Any:
    """``json.loads`` that refuses NaN, Infinity and duplicate keys (ValueError)."""
    return json.loads(
        text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicate_keys
    )
