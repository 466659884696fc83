"""Writing files so that a reader never sees half of one; capped reads; strict JSON.

Every ``dsp`` command that writes (bumped component images, onboarding
manifests, pulled models, recorded regression cases, compiled pipelines)
goes through :func:`write_atomic`: the bytes go to a temporary file in the
same folder, are flushed to disk, and replace the target in one rename.  A
target that exists and is not a regular file (a FIFO, ``/dev/full``, a
folder) is refused, never replaced.  Every input a command reads whole goes
through :func:`read_capped`: its size is checked before a byte is read.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from precommit_hooks.core.atomic import new_file_mode  # noqa: F401 - public name
from precommit_hooks.core.atomic import write_atomic_bytes
from precommit_hooks.core.findings import Refusal, json_problem, refuse_special_file


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; never a half-written file.

    An existing file keeps its mode; a new one gets the mode ``open()`` would
    give it (:mod:`.atomic`).  A target that exists and is not a regular file
    is refused, never replaced.  On any failure the target is left as it was.
    """
    target = os.fspath(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISREG(info.st_mode):
            raise Refusal(
                f"{target}: exists and is not a regular file (a folder, pipe or "
                "device); name a file to write, it is never replaced"
            )
    write_atomic_bytes(target, data)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def loads_strict_json(text: str | bytes) -> Any:
    """``json.loads`` that refuses NaN, Infinity and duplicate keys (ValueError)."""
    return json.loads(
        text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicate_keys
    )


def json_or_none(text: str) -> Any:
    """``text``'s JSON value, or None where it is not JSON (text that may be either)."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def json_object(
    text: str | bytes, where: str | Path, what: str = "", shape: str = ""
) -> dict[str, Any]:
    """``text`` (read at ``where``) as a strict JSON object, or a one-line Refusal.

    ``what`` names the file in the messages; ``shape`` replaces the one for a
    value that is not an object.
    """
    try:
        value = loads_strict_json(text)
    except (ValueError, RecursionError) as exc:
        kind = f"{what} JSON" if what else "JSON"
        raise Refusal(f"{where}: not valid {kind} ({json_problem(exc)})")
    if not isinstance(value, dict):
        raise Refusal(f"{where}: {shape or what + ' must be a JSON object'}")
    return value


def read_capped(path: Path, max_bytes: int, what: str, missing: str) -> bytes:
    """The bytes of ``path``, refusing a pipe, a folder or a file over ``max_bytes``.

    The size is checked before reading, and the read stops one byte past the
    cap, so a file that grows meanwhile cannot take the memory either.
    ``missing`` is the message for a missing file: what it is and how to make it.
    """
    refuse_special_file(path, what)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(max_bytes + 1) if size <= max_bytes else b""
    except FileNotFoundError:
        raise Refusal(f"{path}: {missing}")
    if size > max_bytes or len(data) > max_bytes:
        raise Refusal(
            f"{path}: {max(size, len(data))} bytes is too large for a {what} "
            f"(limit {max_bytes} bytes); keep only what it needs in it"
        )
    return data


def refuse_non_folder(path: Path, option: str) -> None:
    """Refuse an output folder ``path`` that exists and is not a folder."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise Refusal(
            f"{option} {path} is a file, not a folder; name a folder to write into "
            "(an existing file, pipe or device is never replaced)"
        )


@contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target``, removed on leaving, whatever happens.

    Work is done in it and moved into place by rename only when every check
    passed; folders created to hold it are removed again on a refusal.
    """
    parent = target.absolute().parent
    missing = parent
    while not missing.parent.exists() and missing.parent != missing:
        missing = missing.parent
    created = None if parent.exists() else missing
    parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp"))
    done = False
    try:
        yield stage
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if not done and created is not None:
            shutil.rmtree(created, ignore_errors=True)
