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
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events

from precommit_hooks.core.findings import ERROR, WARNING, Finding, finding

DEFAULT_MAX_BYTES = 1 << 20
DEFAULT_MAX_DEPTH = 100
DEFAULT_MAX_NODES = 200_000

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
    _TAG + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}
_MERGE = _TAG + "merge"

Pos = tuple[int, int]


class PosDict(dict):
    """A mapping that remembers where it, its keys and its values start."""

    pos: Pos = (0, 0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_pos: dict[Any, Pos] = {}
        self.value_pos: dict[Any, Pos] = {}

    def pos_of(self, key: Any) -> Pos:
        """Position of ``key``'s value, else of the key, else of the mapping."""
        return self.value_pos.get(key) or self.key_pos.get(key) or self.pos


class PosList(list):
    """A sequence that remembers where it and each item start."""

    pos: Pos = (0, 0)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_pos: list[Pos] = []

    def pos_of(self, index: int) -> Pos:
        if 0 <= index < len(self.item_pos):
            return self.item_pos[index]
        return self.pos


def pos_of(container: Any, key: Any) -> Pos | None:
    """Position of ``container[key]`` when the container knows it."""
    if isinstance(container, (PosDict, PosList)):
        return container.pos_of(key)
    return None


def type_name(value: Any) -> str:
    """A YAML-ish name for a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def source_at(text: str, pos: Pos | None) -> str:
    """The plain scalar written at ``pos`` (for messages such as "quote 'no'")."""
    if not pos or pos[0] < 1 or pos[1] < 1:
        return ""
    lines = text.splitlines()
    if pos[0] > len(lines):
        return ""
    rest = lines[pos[0] - 1][pos[1] - 1 :]
    # A plain scalar ends at a comment, a flow indicator or a key's ': '.
    token = re.split(r"\s#|[,\]}]|:(?=\s|$)", rest, maxsplit=1)[0].strip()
    return token[:40]


class YamlError(Exception):
    """The file cannot be read as YAML at all; carries the finding to report."""

    def __init__(self, found: Finding) -> None:
        super().__init__(found.text())
        self.finding = found


@dataclass
class Loaded:
    """What a read gives: the documents and the non-fatal findings."""

    path: str
    documents: list[Any]
    findings: list[Finding] = field(default_factory=list)
    text: str = ""
    starts: list[Pos] = field(default_factory=list)  # where each document starts


def _fail(path: str, pos: Pos | None, rule: str, message: str) -> YamlError:
    return YamlError(finding(path, pos, rule, message))


def _line_col(data: bytes, offset: int) -> Pos:
    """1-based line and column (in characters, as editors count) of a byte."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[start:offset].decode("utf-8", "replace")) + 1
    return line, col


def read_text(path: str, max_bytes: int | None = None) -> tuple[str, list[Finding]]:
    """Read ``path`` as text under the size cap; refuse binary and bad encodings."""
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if os.path.islink(path) and not os.path.exists(path):
        raise _fail(
            path,
            None,
            "file-missing",
            f"broken symbolic link to {os.readlink(path)!r}; fix or remove the link",
        )
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _fail(path, None, "file-missing", "file not found") from None
    except OSError as exc:
        raise _fail(path, None, "file-unreadable", f"cannot read: {exc.strerror}")
    size = info.st_size
    if stat.S_ISDIR(info.st_mode):
        raise _fail(path, None, "file-unreadable", "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block the read forever.
        raise _fail(
            path, None, "file-unreadable", "is not a regular file (a pipe or device?)"
        )
    if size > limit:
        raise _fail(
            path,
            None,
            "file-too-large",
            f"file is {size} bytes, over the {limit}-byte limit; "
            "split it or raise --max-bytes",
        )
    try:
        with open(path, "rb") as handle:
            # Never ask for more than the file holds: a raised cap is not a buffer.
            data = handle.read(min(size, limit) + 1)
    except OSError as exc:
        raise _fail(path, None, "file-unreadable", f"cannot read: {exc.strerror}")
    if len(data) > limit:
        raise _fail(
            path, None, "file-too-large", f"file is over the {limit}-byte limit"
        )
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
                raise _fail(
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
            raise _fail(
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
            raise _fail(
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
) -> Loaded:
    """Read and parse every document of ``path``; raise YamlError when unreadable."""
    text, notes = read_text(path, max_bytes)
    loaded = parse(text, path, max_depth=max_depth, max_nodes=max_nodes)
    loaded.findings[:0] = notes
    return loaded


def load_one(path: str, **limits: Any) -> Loaded:
    """Like :func:`load`, but the file must hold exactly one document."""
    loaded = load(path, **limits)
    if len(loaded.documents) > 1:
        raise _fail(
            path,
            loaded.starts[1] if len(loaded.starts) > 1 else None,
            "yaml-documents",
            f"expected one YAML document, found {len(loaded.documents)}; "
            "remove the extra '---' sections",
        )
    return loaded


def _syntax_error(path: str, text: str, exc: yaml.YAMLError) -> YamlError:
    mark = getattr(exc, "problem_mark", None)
    pos = (mark.line + 1, mark.column + 1) if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        problem = "tab character where YAML allows only spaces; indent with spaces"
    context = getattr(exc, "context", None)
    if "maximum nesting depth" in str(problem):
        # libyaml's own flow-nesting limit: report it like our depth cap.
        return _fail(path, pos, "yaml-depth", "nesting too deep; flatten the data")
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return _fail(path, pos, "yaml-syntax", message)


class _Frame:
    __slots__ = ("obj", "key", "key_pos", "has_key", "anchor", "nodes", "merges")

    def __init__(self, obj: Any, anchor: str | None) -> None:
        self.obj = obj
        self.key: Any = None
        self.key_pos: Pos = (0, 0)
        self.has_key = False
        self.anchor = anchor
        self.nodes = 1
        self.merges: list[Any] = []


def _mark(event: events.Event) -> Pos:
    return event.start_mark.line + 1, event.start_mark.column + 1


def _check_tag(path: str, tag: str | None, event: events.Event) -> None:
    if tag is None or tag in ("!", "?") or tag in _ALLOWED_TAGS:
        return
    shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
    if tag.startswith(_TAG + "python/"):
        raise _fail(
            path,
            _mark(event),
            "yaml-unsafe-tag",
            f"unsafe tag {shown!r} refused: it would run code; use plain YAML values",
        )
    raise _fail(
        path,
        _mark(event),
        "yaml-custom-tag",
        f"tag {shown!r} is not supported here; remove it and write a plain value",
    )


def _scalar(path: str, event: events.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag in ("!", "?"):
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
    if tag == _MERGE:
        return _MergeKey
    build = yaml.constructor.SafeConstructor.yaml_constructors[tag]  # tag checked
    try:
        return build(_CONSTRUCTOR, node)
    except (ValueError, yaml.YAMLError) as exc:
        shown = event.value if len(event.value) <= 40 else event.value[:40] + "..."
        reason = str(exc).split(";")[0][:120]
        raise _fail(
            path, _mark(event), "yaml-syntax", f"cannot read {shown!r}: {reason}"
        ) from None


class _MergeKeyType:
    def __repr__(self) -> str:
        return "<<"


_MergeKey = _MergeKeyType()


def parse(
    text: str,
    path: str = "<text>",
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Loaded:
    """Parse YAML text into PosDict/PosList documents, enforcing every cap."""
    docs: list[Any] = []
    starts: list[Pos] = []
    notes: list[Finding] = []
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    open_anchors: set[str] = set()
    total = 0
    doc_value: list[Any] = []

    def count(pos: Pos, nodes: int, alias: bool = False) -> None:
        nonlocal total
        total += nodes
        if total <= max_nodes:
            return
        if alias:
            raise _fail(
                path,
                pos,
                "yaml-aliases",
                f"aliases expand the data to more than {max_nodes} nodes "
                "(an alias bomb?); write the values out or drop the aliases",
            )
        raise _fail(
            path,
            pos,
            "yaml-size",
            f"more than {max_nodes} values in one file; split the file",
        )

    def add(value: Any, pos: Pos, nodes: int) -> None:
        if not stack:
            doc_value.append(value)
            return
        top = stack[-1]
        top.nodes += nodes
        if isinstance(top.obj, PosList):
            top.obj.append(value)
            top.obj.item_pos.append(pos)
        elif not top.has_key:
            try:
                hash(value)
            except TypeError:
                raise _fail(
                    path,
                    pos,
                    "yaml-complex-key",
                    "a mapping or list used as a key is not supported; use a string",
                ) from None
            top.key, top.key_pos, top.has_key = value, pos, True
        else:
            key = top.key
            top.has_key = False
            if key is _MergeKey:
                merges = value if isinstance(value, list) else [value]
                if not all(isinstance(m, dict) for m in merges):
                    raise _fail(path, pos, "yaml-merge", "'<<' must merge a mapping")
                top.merges.extend(merges)
                return
            if key in top.obj:
                first = top.obj.key_pos.get(key, (0, 0))[0]
                notes.append(
                    finding(
                        path,
                        top.key_pos,
                        "yaml-duplicate-key",
                        f"duplicate key {key!r} (first at line {first}); "
                        "keep one of them",
                    )
                )
            else:
                top.obj.key_pos[key] = top.key_pos
            top.obj[key] = value
            top.obj.value_pos[key] = pos

    try:
        for event in yaml.parse(text, Loader=_Parser):
            if isinstance(event, events.ScalarEvent):
                _check_tag(path, event.tag, event)
                value = _scalar(path, event)
                if event.anchor:
                    anchors[event.anchor] = (value, 1)
                count(_mark(event), 1)
                add(value, _mark(event), 1)
            elif isinstance(
                event, (events.MappingStartEvent, events.SequenceStartEvent)
            ):
                _check_tag(path, event.tag, event)
                if len(stack) >= max_depth:
                    raise _fail(
                        path,
                        _mark(event),
                        "yaml-depth",
                        f"nesting deeper than {max_depth} levels; flatten the data",
                    )
                is_map = isinstance(event, events.MappingStartEvent)
                obj = PosDict() if is_map else PosList()
                obj.pos = _mark(event)
                if event.anchor:
                    open_anchors.add(event.anchor)
                count(obj.pos, 1)
                stack.append(_Frame(obj, event.anchor))
            elif isinstance(event, (events.MappingEndEvent, events.SequenceEndEvent)):
                frame = stack.pop()
                for merged in frame.merges:
                    for key, value in merged.items():
                        if key not in frame.obj:
                            frame.obj[key] = value
                            if isinstance(merged, PosDict):
                                frame.obj.key_pos[key] = merged.key_pos.get(key)
                                frame.obj.value_pos[key] = merged.pos_of(key)
                if frame.anchor:
                    open_anchors.discard(frame.anchor)
                    anchors[frame.anchor] = (frame.obj, frame.nodes)
                add(frame.obj, frame.obj.pos, frame.nodes)
            elif isinstance(event, events.AliasEvent):
                name = event.anchor
                if name in open_anchors:
                    raise _fail(
                        path,
                        _mark(event),
                        "yaml-aliases",
                        f"recursive alias *{name} refers to its own anchor",
                    )
                if name not in anchors:
                    raise _fail(
                        path,
                        _mark(event),
                        "yaml-aliases",
                        f"alias *{name} refers to no anchor &{name}",
                    )
                value, nodes = anchors[name]
                count(_mark(event), nodes, alias=True)
                add(value, _mark(event), nodes)
            elif isinstance(event, events.DocumentStartEvent):
                starts.append(_mark(event))
            elif isinstance(event, events.DocumentEndEvent):
                docs.append(doc_value[0] if doc_value else None)
                doc_value.clear()
                anchors.clear()
    except yaml.YAMLError as exc:
        raise _syntax_error(path, text, exc) from None
    return Loaded(path, docs, notes, text, starts)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "ERROR",
    "Loaded",
    "PosDict",
    "PosList",
    "YamlError",
    "load",
    "load_one",
    "parse",
    "pos_of",
    "read_text",
    "source_at",
    "type_name",
]
