"""Emit YAML the same way everywhere: block style, no aliases, fast.

PyYAML's dump spends nearly all of a large dump in Python: the representer
builds a node per value, the serializer resolves each scalar's tag twice, and
the pure-Python emitter writes it out.  For plain data (mappings, lists,
strings, booleans, integers, null) :func:`dump_documents` builds the event
stream itself, one shared event per distinct scalar, and hands it to
libyaml's C emitter (``CSafeDumper``) when PyYAML has it, else to the
pure-Python one.  The output is byte-identical to ``yaml.dump_all`` with the
same options (a test compares all of them); other data goes through
``yaml.dump_all`` unchanged.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

import yaml
from yaml import events

WIDTH = 4096  # long values stay on one line: a wrapped email is hard to read
_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
_OPTIONS: dict[str, Any] = {"width": WIDTH, "allow_unicode": False}
_MAP_START = events.MappingStartEvent(None, None, True, flow_style=False)
_MAP_END = events.MappingEndEvent()
_SEQ_START = events.SequenceStartEvent(None, None, True, flow_style=False)
_SEQ_END = events.SequenceEndEvent()
_WORDS = {True: "true", False: "false", None: "null"}


class PythonDumper(yaml.SafeDumper):
    """Writes every value out: no ``&anchor``/``*alias`` for repeated objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


if hasattr(yaml, "CSafeDumper"):

    class CDumper(yaml.CSafeDumper):
        """:class:`PythonDumper`, over libyaml's C emitter."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    DUMPER: type = CDumper
else:  # PyYAML without libyaml: same output, more CPU
    DUMPER = PythonDumper


class _NotPlain(Exception):
    """A value the event builder does not write (a float, a date, ...)."""


@functools.lru_cache(maxsize=65536, typed=True)  # True is not 1
def _scalar(value: Any) -> events.ScalarEvent:
    """The one event for a scalar; quoted exactly when PyYAML would quote it."""
    if isinstance(value, str):
        # types-PyYAML leaves BaseResolver.resolve unannotated.
        tag = _RESOLVER.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, value, (True, False)
        )
        plain = tag == _STR
        return events.ScalarEvent(None, None, (plain, True), value)
    # true, 12, null: written plain, read back as what they are.
    text = _WORDS[value] if value is None or isinstance(value, bool) else str(value)
    return events.ScalarEvent(None, None, (True, False), text)


def _events(value: Any, out: list[events.Event]) -> None:
    # Strings are most of the data: appended inline, without a call of their own.
    if isinstance(value, dict):
        out.append(_MAP_START)
        for key, item in value.items():
            out.append(_scalar(key)) if type(key) is str else _events(key, out)
            out.append(_scalar(item)) if type(item) is str else _events(item, out)
        out.append(_MAP_END)
    elif isinstance(value, list):
        out.append(_SEQ_START)
        for item in value:
            out.append(_scalar(item)) if type(item) is str else _events(item, out)
        out.append(_SEQ_END)
    elif value is None or isinstance(value, (str, bool, int)):
        out.append(_scalar(value))
    else:
        raise _NotPlain


def dump_documents(documents: Iterable[Any], dumper: type | None = None) -> str:
    """Multi-document YAML, each document opened by ``---``; same input, same bytes.

    ``dumper`` picks the emitter (the tests compare both); the default is the
    fastest one available.
    """
    documents = list(documents)
    dumper = dumper or DUMPER
    stream: list[events.Event] = [events.StreamStartEvent()]
    try:
        for document in documents:
            stream.append(events.DocumentStartEvent(explicit=True))
            _events(document, stream)
            stream.append(events.DocumentEndEvent(explicit=False))
    except _NotPlain:
        return dump_with_representer(documents, dumper)
    stream.append(events.StreamEndEvent())
    text: str = yaml.emit(stream, Dumper=dumper, **_OPTIONS)  # no stream: a str
    return text


def dump_with_representer(documents: Iterable[Any], dumper: type | None = None) -> str:
    """The same YAML through PyYAML's representer: any data PyYAML can dump."""
    text: str = yaml.dump_all(  # no stream: a str
        documents,
        Dumper=dumper or DUMPER,
        explicit_start=True,
        sort_keys=False,
        default_flow_style=False,
        **_OPTIONS,
    )
    return text
