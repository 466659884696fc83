"""What the rules of check-components share: one file's context and its view.

A :class:`Component` is built once per file (by :mod:`.v1` or :mod:`.v2`)
without reporting anything; each rule then reads it and reports only under
its own id, so a rule is a unit that can be read, documented and tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from precommit_hooks.core import yamldata
from precommit_hooks.core.findings import ERROR, Finding, finding
from precommit_hooks.core.text import did_you_mean

HOOK = "check-components"
Pos = tuple[int, int]

# A close match to a known key is almost surely a typo (an error); a key that
# resembles nothing is only ignored by kfp (a warning).
TYPO_CUTOFF = 0.75


@dataclass
class Context:
    """What one file's checks share: where findings go and the options."""

    path: str
    max_bytes: int | None = None
    project_rules: bool = True
    in_project: bool = False
    found: list[Finding] = field(default_factory=list)

    def add(self, pos: Pos | None, rule: str, message: str, level: str = ERROR) -> None:
        # One finding, one line, whatever a library's message held.
        message = " ".join(message.splitlines())
        self.found.append(finding(self.path, pos, rule, message, level))


@dataclass(frozen=True)
class KeySite:
    """A mapping whose keys kfp knows: where a typo or unknown key is looked for."""

    mapping: Any
    known: Sequence[str]
    where: str
    also_allowed: Sequence[str] = ()


@dataclass
class Container:
    """A container (v1 ``implementation.container`` or a v2 executor's)."""

    mapping: dict
    label: str | None = None  # the v2 executor label
    users: list[str] = field(default_factory=list)  # v2 components running it

    @property
    def image(self) -> str | None:
        """The image when it is a string, else None."""
        image = self.mapping.get("image")
        return image if isinstance(image, str) else None


@dataclass
class Component:
    """One file's component, as the rules see it."""

    spec: dict
    kind: str  # "v1", "v2" or "unknown"
    key_sites: list[KeySite] = field(default_factory=list)
    # v1: (plural key, index, item) of every inputs/outputs entry
    items: list[tuple[str, int, Any]] = field(default_factory=list)
    # v1: "inputs"/"outputs" -> the key as written (a typo of it, when misspelled)
    item_keys: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Pos | None] = field(default_factory=dict)
    outputs: dict[str, Pos | None] = field(default_factory=dict)
    implementation: Any = None
    implementation_key: str = "implementation"
    containers: list[Container] = field(default_factory=list)
    documents: list = field(default_factory=list)  # all documents of the file
    text: str = ""  # the file's text, as kfp's loader reads it


def pos_of(container: Any, key: Any) -> Pos | None:
    """The position of ``container[key]``, else of the container itself."""
    return yamldata.pos_of(container, key) or getattr(container, "pos", None)


def key_pos(mapping: Any, key: Any) -> Pos | None:
    """The position of the key ``key`` itself (not its value)."""
    positions = getattr(mapping, "key_pos", {})
    return positions.get(key) or pos_of(mapping, key)


def mapping_at(container: Any, key: str) -> dict:
    """``container[key]`` when both are mappings, else ``{}``."""
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def unknown_keys(site: KeySite) -> Iterator[Any]:
    """The keys of ``site`` that kfp does not know."""
    if not isinstance(site.mapping, dict):
        return
    for key in site.mapping:
        if key not in site.known and key not in site.also_allowed:
            yield key


def suggestion(word: Any, choices: Any) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or ``""``."""
    return did_you_mean(word, choices, form="; did you mean {!r}?")
