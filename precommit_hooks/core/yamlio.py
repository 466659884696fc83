"""The one guarded YAML reader that every hook and ``dsp`` command uses.

PyYAML's own loaders trust their input: a 342-byte alias bomb expands to
gigabytes, deep nesting overflows the stack, duplicate keys are silently
overwritten and nothing remembers where a value came from.  This reader builds
the data itself from libyaml's event stream, so it can refuse all of that
before it costs anything:

* a size cap checked with ``stat`` before a byte is read;
* encodings: UTF-8 (with or without BOM), UTF-16/32 with a BOM (warning),
  anything else is refused with the line and column of the first bad byte;
* a nesting-depth cap and a cap on the nodes that aliases expand to;
* recursive and undefined aliases refused;
* duplicate keys reported (the later value wins, as in YAML loaders);
* only the standard YAML tags; ``!!python/...`` and custom tags refused;
* every mapping and sequence remembers the position of its keys and items.

The data model lives in :mod:`~precommit_hooks.core.yamldata`, the event-stream
builder in :mod:`~precommit_hooks.core.yamlparse`; this module reads files and
is the one name callers import.
"""

from __future__ import annotations

import codecs
import os
import stat
from typing import Any

from precommit_hooks.core.findings import ERROR, WARNING, Finding, finding
from precommit_hooks.core.yamldata import Loaded, Pos, YamlError, fail
from precommit_hooks.core.yamlparse import DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, parse

DEFAULT_MAX_BYTES = 1 << 20


def _line_col(data: bytes, offset: int) -> Pos:
    """1-based line and column (in characters, as editors count) of a byte."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[start:offset].decode("utf-8", "replace")) + 1
    return line, col


SIZE_HINT = "split it or raise --max-bytes"  # the hooks' option


def read_text(
    path: str, max_bytes: int | None = None, size_hint: str = SIZE_HINT
) -> tuple[str, list[Finding]]:
    """Read ``path`` as text under the size cap; refuse binary and bad encodings.

    ``size_hint`` ends the too-large message: a command without ``--max-bytes``
    passes its own fix, so no hint names an option that does not exist.
    """
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if os.path.islink(path) and not os.path.exists(path):
        raise fail(
            path,
            None,
            "file-missing",
            f"broken symbolic link to {os.readlink(path)!r}; fix or remove the link",
        )
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise fail(path, None, "file-missing", "file not found") from None
    except OSError as exc:
        raise fail(path, None, "file-unreadable", f"cannot read: {exc.strerror}")
    size = info.st_size
    if stat.S_ISDIR(info.st_mode):
        raise fail(path, None, "file-unreadable", "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block the read forever.
        raise fail(
            path, None, "file-unreadable", "is not a regular file (a pipe or device?)"
        )
    if size > limit:
        raise fail(
            path,
            None,
            "file-too-large",
            f"file is {size} bytes, over the {limit}-byte limit; {size_hint}",
        )
    try:
        with open(path, "rb") as handle:
            # Never ask for more than the file holds: a raised cap is not a buffer.
            data = handle.read(min(size, limit) + 1)
    except OSError as exc:
        raise fail(path, None, "file-unreadable", f"cannot read: {exc.strerror}")
    if len(data) > limit:
        raise fail(path, None, "file-too-large", f"file is over the {limit}-byte limit")
    return decode(path, data)


def decode(path: str, data: bytes) -> tuple[str, list[Finding]]:
    """Bytes to text: UTF-8 (BOM allowed), UTF-16/32 with a BOM (warned)."""
    notes: list[Finding] = []
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                raise fail(
                    path, None, "encoding", f"not valid {codec.upper()} text"
                ) from None
            notes.append(
                finding(
                    path,
                    (1, 1),
                    "encoding",
                    f"file is {codec.upper()}; save it as UTF-8 so every tool reads it",
                    WARNING,
                )
            )
            break
    else:
        if b"\x00" in data:
            raise fail(
                path,
                _line_col(data, data.index(b"\x00")),
                "binary-file",
                "file contains NUL bytes: it is binary (or UTF-16 without a BOM), "
                "not YAML text; save it as UTF-8",
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # utf-8-sig counts from after the BOM; so do editors.
            body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
            offset = exc.start
            raise fail(
                path,
                _line_col(body, offset),
                "encoding",
                f"not valid UTF-8 (byte 0x{body[offset]:02x}); save the file as UTF-8",
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, notes


def load(
    path: str,
    *,
    max_bytes: int | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
    size_hint: str = SIZE_HINT,
) -> Loaded:
    """Read and parse every document of ``path``; raise YamlError when unreadable."""
    text, notes = read_text(path, max_bytes, size_hint)
    loaded = parse(text, path, max_depth=max_depth, max_nodes=max_nodes)
    loaded.findings[:0] = notes
    return loaded


def load_one(path: str, **limits: Any) -> Loaded:
    """Like :func:`load`, but the file must hold exactly one document."""
    loaded = load(path, **limits)
    if len(loaded.documents) > 1:
        raise fail(
            path,
            loaded.starts[1] if len(loaded.starts) > 1 else None,
            "yaml-documents",
            f"expected one YAML document, found {len(loaded.documents)}; "
            "remove the extra '---' sections",
        )
    return loaded


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NODES",
    "ERROR",
    "Loaded",
    "Pos",
    "YamlError",
    "load",
    "load_one",
    "parse",
    "read_text",
]
