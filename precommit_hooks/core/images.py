"""Image references (``registry[:port]/path:tag@digest``): the one parser.

The grammar is the one Docker and every OCI registry use
(``github.com/distribution/reference``): a name of lowercase path components,
optionally led by a registry host, then an optional ``:tag`` and an optional
``@algorithm:hex`` digest.  :func:`parse_image` returns an :class:`ImageRef`
or raises :class:`ImageRefError` whose message says, in one line, what is
wrong with the reference, so every caller words the refusal the same way.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

# Docker's tag grammar.
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
TAG_RULE = "letters, digits, '_', '.', '-'; at most 128, not starting with '.' or '-'"
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
    r"(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*"
    r"(?::[0-9]+)?"
)
_ALGORITHM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}
MAX_NAME = 255
# Compose interpolation: ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``.
_COMPOSE_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


class ImageRefError(ValueError):
    """An image reference that does not follow the grammar; the text says why."""


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference."""

    repository: str  # ``registry/path`` as written, without tag or digest
    tag: str | None
    digest: str | None

    @property
    def domain(self) -> str | None:
        """The registry host (with its port), or None for Docker Hub names."""
        first, sep, _ = self.repository.partition("/")
        return first if sep and _is_domain(first) else None

    def with_tag(self, tag: str) -> str:
        """This image at ``tag`` (any old tag or digest dropped)."""
        return f"{self.repository}:{tag}"

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return f"{self.repository}{tag}{digest}"


def _is_domain(component: str) -> bool:
    # Docker's rule: a first component with '.' or ':', 'localhost', or any
    # upper case letter is a registry host, not part of the path.
    return (
        "." in component
        or ":" in component
        or component == "localhost"
        or component != component.lower()
    )


def parse_image(text: str) -> ImageRef:
    """Parse ``text`` as an image reference; :class:`ImageRefError` if it is not."""
    if not isinstance(text, str) or not text:
        raise ImageRefError("is empty")
    if any(ch.isspace() for ch in text):
        raise ImageRefError("contains white space")
    name, _, digest = text.partition("@")
    if digest or text.endswith("@"):
        _check_digest(digest)
    tag = None
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not TAG.fullmatch(tag):
            raise ImageRefError(f"has the invalid tag {tag!r} ({TAG_RULE})")
    _check_name(name)
    return ImageRef(name, tag, digest or None)


def _check_name(name: str) -> None:
    if not name:
        raise ImageRefError("has no repository name")
    if len(name) > MAX_NAME:
        raise ImageRefError(f"has a name longer than {MAX_NAME} characters")
    parts = name.split("/")
    if len(parts) > 1 and _is_domain(parts[0]):
        if not _DOMAIN.fullmatch(parts[0]):
            raise ImageRefError(f"has the invalid registry host {parts[0]!r}")
        parts = parts[1:]
    for part in parts:
        if _PATH_COMPONENT.fullmatch(part):
            continue
        if _PATH_COMPONENT.fullmatch(part.lower()):
            raise ImageRefError(
                f"has upper case in its repository name {part!r}; "
                f"repository names are lowercase ({part.lower()!r})"
            )
        raise ImageRefError(
            f"has the invalid repository name component {part!r} (lowercase "
            "letters and digits, separated by '.', '_', '__' or '-')"
        )


def _check_digest(digest: str) -> None:
    algorithm, sep, hex_part = digest.partition(":")
    if not sep or not _ALGORITHM.fullmatch(algorithm) or not _HEX.fullmatch(hex_part):
        raise ImageRefError(
            f"has the invalid digest {digest!r} (write @sha256: and 64 hex digits)"
        )
    wanted = _DIGEST_LENGTHS.get(algorithm)
    if wanted is not None and (len(hex_part) != wanted or hex_part != hex_part.lower()):
        raise ImageRefError(
            f"has the invalid digest {digest!r} ({algorithm}: and {wanted} "
            "lowercase hex digits)"
        )


def is_tag(text: str) -> bool:
    """True when ``text`` is a valid image tag."""
    return isinstance(text, str) and bool(TAG.fullmatch(text))


def expand_compose(value: str) -> str:
    """Compose's ``${VAR:-default}``: the environment's value, else the default."""
    return _COMPOSE_VARIABLE.sub(
        lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value
    )


def parse_compose_image(value: str) -> ImageRef:
    """A docker-compose ``image:`` value, its variables expanded, parsed."""
    return parse_image(expand_compose(value))
