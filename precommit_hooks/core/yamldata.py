"""What the guarded YAML reader gives back: data that remembers positions.

:class:`PosDict` and :class:`PosList` are the mappings and sequences of a
read file, each knowing where its keys and items start; :class:`Loaded` is a
whole read; :class:`YamlError` carries the one finding of an unreadable file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from precommit_hooks.core.findings import Finding, finding, value_kind

Pos = tuple[int, int]

# A plain scalar ends at a comment, a flow indicator or a key's ': '.
_PLAIN_END = re.compile(r"\s#|[,\]}]|:(?=\s|$)")


class PosDict(dict[Any, Any]):
    """A mapping that remembers where it, its keys and its values start."""

    pos: Pos = (0, 0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_pos: dict[Any, Pos] = {}
        self.value_pos: dict[Any, Pos] = {}

    def pos_of(self, key: Any) -> Pos:
        """Position of ``key``'s value, else of the key, else of the mapping."""
        return self.value_pos.get(key) or self.key_pos.get(key) or self.pos


class PosList(list[Any]):
    """A sequence that remembers where it and each item start."""

    pos: Pos = (0, 0)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_pos: list[Pos] = []

    def pos_of(self, index: int) -> Pos:
        """Position of item ``index``, else of the sequence."""
        if 0 <= index < len(self.item_pos):
            return self.item_pos[index]
        return self.pos


def pos_of(container: Any, key: Any) -> Pos | None:
    """Position of ``container[key]`` when the container knows it."""
    if isinstance(container, (PosDict, PosList)):
        return container.pos_of(key)
    return None


def get_in(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...``, or None where a level is not a mapping."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def plain(value: Any) -> Any:
    """PosDict/PosList to plain dict/list, for comparing and dumping."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def type_name(value: Any) -> str:
    """A YAML-ish name for a value's type, for messages (scalars with their value)."""
    kind = value_kind(value)
    if kind == "boolean":
        return f"boolean {str(value).lower()}"
    if kind in ("integer", "number"):
        return f"{kind} {value}"
    return kind


@functools.lru_cache(maxsize=2)
def _lines(text: str) -> list[str]:
    """The text's lines, split once per text however many findings ask.

    A ``str`` keeps its hash, so a second lookup of the same text is O(1):
    thousands of findings in one file no longer split it thousands of times.
    """
    return text.splitlines()


def source_at(text: str, pos: Pos | None) -> str:
    """The plain scalar written at ``pos`` (for messages such as "quote 'no'")."""
    if not pos or pos[0] < 1 or pos[1] < 1:
        return ""
    lines = _lines(text)
    if pos[0] > len(lines):
        return ""
    rest = lines[pos[0] - 1][pos[1] - 1 : pos[1] + 200]
    return _PLAIN_END.split(rest, maxsplit=1)[0].strip()[:40]


class YamlError(Exception):
    """The file cannot be read as YAML at all; carries the finding to report."""

    def __init__(self, found: Finding) -> None:
        super().__init__(found.text())
        self.finding = found


def fail(path: str, pos: Pos | None, rule: str, message: str) -> YamlError:
    """The error for an unreadable file, with its one finding."""
    return YamlError(finding(path, pos, rule, message))


@dataclass
class Loaded:
    """What a read gives: the documents and the non-fatal findings."""

    path: str
    documents: list[Any]
    findings: list[Finding] = field(default_factory=list)
    text: str = ""
    starts: list[Pos] = field(default_factory=list)  # where each document starts
