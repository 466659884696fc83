"""Build positioned data from libyaml's event stream, enforcing every cap.

PyYAML's loaders trust their input; this builder sees each event first, so an
alias bomb, deep nesting, a code-running tag or a complex key is refused
before it costs anything, and duplicate keys become findings.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import events

from precommit_hooks.core.findings import Finding, finding
from precommit_hooks.core.yamldata import (
    Loaded,
    Pos,
    PosDict,
    PosList,
    YamlError,
    fail,
)

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


class _MergeKeyType:
    def __repr__(self) -> str:
        return "<<"


_MergeKey = _MergeKeyType()


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
    mark = event.start_mark
    if mark is None:  # the parser marks every event; a hand-made one may not
        return (0, 0)
    return mark.line + 1, mark.column + 1


def _check_tag(path: str, tag: str | None, event: events.Event) -> None:
    if tag is None or tag in ("!", "?") or tag in _ALLOWED_TAGS:
        return
    shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
    if tag.startswith(_TAG + "python/"):
        raise fail(
            path,
            _mark(event),
            "yaml-unsafe-tag",
            f"unsafe tag {shown!r} refused: it would run code; use plain YAML values",
        )
    raise fail(
        path,
        _mark(event),
        "yaml-custom-tag",
        f"tag {shown!r} is not supported here; remove it and write a plain value",
    )


def _scalar(path: str, event: events.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag in ("!", "?"):
        # types-PyYAML leaves BaseResolver.resolve unannotated.
        tag = _RESOLVER.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, event.value, event.implicit
        )
    if tag == _MERGE:
        return _MergeKey
    if tag == _TAG + "str":  # most scalars: no node, no constructor call
        return event.value
    # The stub's Node takes only yaml.error.Mark; libyaml's events carry its own
    # yaml._yaml.Mark, which the constructor reads the same way.
    node = yaml.ScalarNode(
        tag, event.value, event.start_mark, event.end_mark  # type: ignore[arg-type]
    )
    build = yaml.constructor.SafeConstructor.yaml_constructors[tag]  # tag checked
    try:
        return build(_CONSTRUCTOR, node)
    except (ValueError, yaml.YAMLError) as exc:
        shown = event.value if len(event.value) <= 40 else event.value[:40] + "..."
        reason = str(exc).split(";")[0][:120]
        raise fail(
            path, _mark(event), "yaml-syntax", f"cannot read {shown!r}: {reason}"
        ) from None


def _syntax_error(path: str, text: str, exc: yaml.YAMLError) -> YamlError:
    mark = getattr(exc, "problem_mark", None)
    pos = (mark.line + 1, mark.column + 1) if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        problem = "tab character where YAML allows only spaces; indent with spaces"
    context = getattr(exc, "context", None)
    if "maximum nesting depth" in str(problem):
        # libyaml's own flow-nesting limit: report it like our depth cap.
        return fail(path, pos, "yaml-depth", "nesting too deep; flatten the data")
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return fail(path, pos, "yaml-syntax", message)


class _Builder:
    """The state of one parse: open containers, anchors, counts, findings."""

    def __init__(self, path: str, max_depth: int, max_nodes: int) -> None:
        self.path = path
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.docs: list[Any] = []
        self.starts: list[Pos] = []
        self.notes: list[Finding] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.total = 0
        self.doc_value: list[Any] = []

    def count(self, pos: Pos, nodes: int, alias: bool = False) -> None:
        self.total += nodes
        if self.total <= self.max_nodes:
            return
        if alias:
            raise fail(
                self.path,
                pos,
                "yaml-aliases",
                f"aliases expand the data to more than {self.max_nodes} nodes "
                "(an alias bomb?); write the values out or drop the aliases",
            )
        raise fail(
            self.path,
            pos,
            "yaml-size",
            f"more than {self.max_nodes} values in one file; split the file",
        )

    def add(self, value: Any, pos: Pos, nodes: int) -> None:
        if not self.stack:
            self.doc_value.append(value)
            return
        top = self.stack[-1]
        top.nodes += nodes
        if isinstance(top.obj, PosList):
            top.obj.append(value)
            top.obj.item_pos.append(pos)
        elif not top.has_key:
            try:
                hash(value)
            except TypeError:
                raise fail(
                    self.path,
                    pos,
                    "yaml-complex-key",
                    "a mapping or list used as a key is not supported; use a string",
                ) from None
            top.key, top.key_pos, top.has_key = value, pos, True
        else:
            top.has_key = False
            self.set_item(top, value, pos)

    def set_item(self, top: _Frame, value: Any, pos: Pos) -> None:
        key = top.key
        if key is _MergeKey:
            merges = value if isinstance(value, list) else [value]
            if not all(isinstance(m, dict) for m in merges):
                raise fail(self.path, pos, "yaml-merge", "'<<' must merge a mapping")
            top.merges.extend(merges)
            return
        if key in top.obj:
            first = top.obj.key_pos.get(key, (0, 0))[0]
            self.notes.append(
                finding(
                    self.path,
                    top.key_pos,
                    "yaml-duplicate-key",
                    f"duplicate key {key!r} (first at line {first}); keep one of them",
                )
            )
        else:
            top.obj.key_pos[key] = top.key_pos
        top.obj[key] = value
        top.obj.value_pos[key] = pos

    def scalar(self, event: events.ScalarEvent) -> None:
        _check_tag(self.path, event.tag, event)
        value = _scalar(self.path, event)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        pos = _mark(event)
        self.count(pos, 1)
        self.add(value, pos, 1)

    def start(self, event: events.CollectionStartEvent) -> None:
        _check_tag(self.path, event.tag, event)
        if len(self.stack) >= self.max_depth:
            raise fail(
                self.path,
                _mark(event),
                "yaml-depth",
                f"nesting deeper than {self.max_depth} levels; flatten the data",
            )
        obj = PosDict() if isinstance(event, events.MappingStartEvent) else PosList()
        obj.pos = _mark(event)
        if event.anchor:
            self.open_anchors.add(event.anchor)
        self.count(obj.pos, 1)
        self.stack.append(_Frame(obj, event.anchor))

    def end(self) -> None:
        frame = self.stack.pop()
        for merged in frame.merges:
            for key, value in merged.items():
                if key not in frame.obj:
                    frame.obj[key] = value
                    if isinstance(merged, PosDict):
                        frame.obj.key_pos[key] = merged.key_pos.get(key)
                        frame.obj.value_pos[key] = merged.pos_of(key)
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (frame.obj, frame.nodes)
        self.add(frame.obj, frame.obj.pos, frame.nodes)

    def alias(self, event: events.AliasEvent) -> None:
        name = event.anchor
        if name in self.open_anchors:
            raise fail(
                self.path,
                _mark(event),
                "yaml-aliases",
                f"recursive alias *{name} refers to its own anchor",
            )
        if name not in self.anchors:
            raise fail(
                self.path,
                _mark(event),
                "yaml-aliases",
                f"alias *{name} refers to no anchor &{name}",
            )
        value, nodes = self.anchors[name]
        self.count(_mark(event), nodes, alias=True)
        self.add(value, _mark(event), nodes)

    def event(self, event: events.Event) -> None:
        if isinstance(event, events.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, events.CollectionStartEvent):
            self.start(event)
        elif isinstance(event, events.CollectionEndEvent):
            self.end()
        elif isinstance(event, events.AliasEvent):
            self.alias(event)
        elif isinstance(event, events.DocumentStartEvent):
            self.starts.append(_mark(event))
        elif isinstance(event, events.DocumentEndEvent):
            self.docs.append(self.doc_value[0] if self.doc_value else None)
            self.doc_value.clear()
            self.anchors.clear()


def parse(
    text: str,
    path: str = "<text>",
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Loaded:
    """Parse YAML text into PosDict/PosList documents, enforcing every cap."""
    builder = _Builder(path, max_depth, max_nodes)
    try:
        for event in yaml.parse(text, Loader=_Parser):
            builder.event(event)
    except yaml.YAMLError as exc:
        raise _syntax_error(path, text, exc) from None
    return Loaded(path, builder.docs, builder.notes, text, builder.starts)
