"""The model layer: a reproducible tar.gz of the model files, and a capped unpacker.

Packing sorts the files and zeroes every time stamp, so the same files always
give the same layer digest.  Unpacking streams the archive member by member
and checks each header before a byte of it is written: the member count, the
path depth, the unpacked size so far, the member's type (files and folders
only) and its place (inside the model folder, never twice).  A layer that is
not a gzip-compressed tar is one refusal, not a traceback.
"""

from __future__ import annotations

import gzip
import shutil
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Sequence

from precommit_hooks.core.findings import Refusal, refuse_special_file

# What `dsp model push` writes: KServe's OCI storage reads this layer type and
# takes the files under models/.
KSERVE_LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
ORMB_LAYER_MEDIA_TYPE = "application/tar+gzip"  # ORMB's and older pushes: model/
MODEL_LAYER_MEDIA_TYPES = (KSERVE_LAYER_MEDIA_TYPE, ORMB_LAYER_MEDIA_TYPE)
MODEL_DIR = "model"  # ORMB's layout; also where `dsp model pull` unpacks
KSERVE_MODEL_DIR = "models"  # what KServe's OCI storage reads
MODEL_DIRS = (MODEL_DIR, KSERVE_MODEL_DIR)
MAX_NAME_BYTES = 255  # one path component, as file systems allow


@dataclass(frozen=True)
class UnpackLimits:
    """Caps on unpacking, sized for real models; each a ``dsp model pull`` option."""

    max_bytes: int = 8 << 30  # --max-unpacked-bytes: 8 GiB
    max_members: int = 1_000  # --max-members: a SavedModel has dozens
    max_depth: int = 32  # --max-depth: folders in a member's path


@dataclass
class UnpackState:
    """What all the layers of one pull have unpacked so far."""

    limits: UnpackLimits = field(default_factory=UnpackLimits)
    members: int = 0
    unpacked: int = 0
    files: set[tuple[str, ...]] = field(default_factory=set)
    folders: set[tuple[str, ...]] = field(default_factory=set)


def pack_model(files: Sequence[Path], target: Path, folder: str = MODEL_DIR) -> None:
    """Write a reproducible tar.gz of ``files`` under ``folder/`` to ``target``."""
    names = [f.name for f in files]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise Refusal(f"two model files are both named {sorted(duplicates)[0]!r}")
    for path in files:
        refuse_special_file(path, "model files")
        if not path.exists():
            raise Refusal(f"{path}: no such model file; train first")
    # mtime=0 and no file name: the same files give the same bytes.
    with (
        open(target, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        info = tarfile.TarInfo(folder)
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
        tar.addfile(info)
        for path in sorted(files, key=lambda p: p.name):
            info = tarfile.TarInfo(f"{folder}/{path.name}")
            info.size, info.mode, info.mtime = path.stat().st_size, 0o644, 0
            with open(path, "rb") as data:
                tar.addfile(info, data)


def _parts(member: tarfile.TarInfo, state: UnpackState) -> tuple[str, ...]:
    """The member's path inside the model folder, after every check on its name."""
    name = member.name
    raw = name.split("/")
    if len(raw) > state.limits.max_depth + 2:  # before any path arithmetic
        raise Refusal(
            f"the model layer has a member {len(raw)} folders deep (limit "
            f"{state.limits.max_depth}); raise --max-depth if the model needs it"
        )
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise Refusal(f"the model layer has an unsafe path {name[:200]!r}")
    if any(len(p.encode()) > MAX_NAME_BYTES for p in path.parts):
        raise Refusal(f"the model layer has a name over {MAX_NAME_BYTES} bytes")
    if any(not c.isprintable() for c in name):
        raise Refusal(f"the model layer has a control character in {name[:200]!r}")
    if not path.parts or path.parts[0] not in MODEL_DIRS:
        raise Refusal(
            f"the model layer has a member outside the model folder: {name[:200]!r} "
            f"(model files live under {MODEL_DIR}/ or {KSERVE_MODEL_DIR}/)"
        )
    if len(path.parts) - 1 > state.limits.max_depth:
        raise Refusal(
            f"the model layer has a member {len(path.parts) - 1} folders deep (limit "
            f"{state.limits.max_depth}); raise --max-depth if the model needs it"
        )
    return tuple(path.parts[1:])


def _claim(member: tarfile.TarInfo, parts: tuple[str, ...], state: UnpackState) -> None:
    """Count the member against the caps and refuse anything it would overwrite."""
    limits = state.limits
    state.members += 1
    if state.members > limits.max_members:
        raise Refusal(
            f"the model has more than {limits.max_members} files and folders; "
            "raise --max-members if it really has that many"
        )
    if not (member.isfile() or member.isdir()):
        raise Refusal(f"the model layer has a link or device {member.name[:200]!r}")
    shown = "/".join((MODEL_DIR, *parts))
    if parts in state.files or (member.isfile() and parts in state.folders):
        raise Refusal(
            f"the model layer would overwrite {shown!r} (a second member or layer "
            "with the same path); do not use this model"
        )
    if any(parts[:i] in state.files for i in range(1, len(parts))):
        raise Refusal(f"the model layer puts {shown!r} inside a file; do not use it")
    if member.isfile():
        state.unpacked += member.size
        if state.unpacked > limits.max_bytes:
            raise Refusal(
                f"the model unpacks to more than {limits.max_bytes} bytes; raise "
                "--max-unpacked-bytes if it is really that large"
            )
        state.files.add(parts)
    else:
        state.folders.add(parts)


def _unpack_members(tar: tarfile.TarFile, root: Path, state: UnpackState) -> list[Path]:
    written = []
    for member in tar:
        parts = _parts(member, state)
        _claim(member, parts, state)
        target = root.joinpath(MODEL_DIR, *parts)
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        with open(target, "xb") as out:
            if source is not None:
                shutil.copyfileobj(source, out)
        written.append(target)
    return written


def unpack_model(layer: BinaryIO, root: Path, state: UnpackState) -> list[Path]:
    """Unpack a model layer under ``root/model``, checking every header first.

    ``root`` is a fresh staging folder; the caller moves it into place only
    when every layer has been unpacked.
    """
    try:
        with tarfile.open(fileobj=layer, mode="r|gz") as tar:
            return _unpack_members(tar, root, state)
    except (tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise Refusal(
            f"the model layer is not a gzip-compressed tar ({type(exc).__name__}); "
            "push it again with dsp model push"
        )
