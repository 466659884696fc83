"""A project component's requirements.txt: pinned, from the default index.

The file is read by the guarded reader (size cap before reading, no binary,
UTF-8), so a hostile requirements.txt costs no more than ``--max-bytes``.
"""

from __future__ import annotations

import os
import re
import shlex
from functools import lru_cache
from typing import Callable, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import Finding, finding
from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components import compose
from precommit_hooks.hooks.check_components.model import HOOK, Component, Context

RULE = "component-requirements"
INDEX_RULE = "component-package-index"
_INDEX_OPTIONS = ("-i", "--index-url", "--extra-index-url")


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each requirement, comments and ``\\`` joined."""
    number, pending = 0, ""
    for index, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            number = number or index
            continue
        line, entry = (pending + line).strip(), number or index
        pending, number = "", 0
        if line:
            yield entry, line


def first_line(message: str) -> str:
    """A library's message cut to its first line (packaging adds a caret line)."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return lines[0] if lines else "no reason given"


def problem(line: str) -> tuple[str, str] | None:
    """(the entry as shown, why it is refused) for one logical line, or None."""
    from packaging.requirements import InvalidRequirement, Requirement

    if line.startswith("-"):
        if line.startswith(("-e", "--editable")):
            return line, "is editable"
        return None
    spec = re.split(r"\s--hash", line)[0].strip()
    try:
        req = Requirement(spec)
    except InvalidRequirement as exc:
        return spec, f"cannot be parsed ({first_line(str(exc))})"
    pins = [s for s in req.specifier if s.operator in ("==", "===")]
    if req.url:
        return spec, "is a URL, not a pinned version"
    if len(pins) != 1 or len(req.specifier) != 1 or pins[0].version.endswith(".*"):
        return spec, "is not pinned to one version"
    return None


def _redacted(url: str) -> str:
    """``url`` without its user and password: findings never show a token."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def index_option(line: str) -> tuple[str, str] | None:
    """(option, URL) when the line sets a package index, else None."""
    if not line.startswith("-"):
        return None
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    option, _, value = words[0].partition("=")
    if option.startswith("-i") and option != "-i" and not option.startswith("--"):
        option, value = "-i", option[2:]  # -iURL
    if option not in _INDEX_OPTIONS:
        return None
    if not value and len(words) > 1:
        value = words[1]
    return option, _redacted(value)


def read_requirements(
    path: str, max_bytes: int | None
) -> tuple[tuple[tuple[int, str], ...], tuple[Finding, ...]]:
    """The logical lines of ``path`` (capped before reading) and read findings."""
    return _read(path, max_bytes, compose.stamp(path))


@lru_cache(maxsize=64)
def _read(
    path: str, max_bytes: int | None, file_stamp: tuple[int, int]
) -> tuple[tuple[tuple[int, str], ...], tuple[Finding, ...]]:
    try:
        text, notes = yamlio.read_text(path, max_bytes)
    except yamlio.YamlError as exc:
        return (), (exc.finding,)
    return tuple(logical_lines(text)), tuple(notes)


def _requirements_file(ctx: Context, component: Component) -> str | None:
    if not any(True for _ in compose.project_images(ctx, component)):
        return None
    path = os.path.join(os.path.dirname(ctx.path) or ".", "requirements.txt")
    return path if os.path.lexists(path) else None


def _report_lines(
    ctx: Context,
    path: str,
    lines: Iterable[tuple[int, str]],
    rule_id: str,
    flags: Callable[[str], tuple[str, str] | None],
    message: Callable[[str, str], str],
) -> None:
    """A ``rule_id`` finding on each line ``flags``, worded by ``message``."""
    for number, line in lines:
        found = flags(line)
        if found is not None:
            ctx.found.append(finding(path, (number, 1), rule_id, message(*found)))


@rule(HOOK, RULE)
def requirements(ctx: Context, component: Component) -> None:
    """A requirement in the component's requirements.txt not pinned to a version.

    The image must rebuild the same: every requirement is ``name==version``
    (no range, no URL, no editable install). A line packaging cannot parse
    is reported in one line, with packaging's reason.
    """
    path = _requirements_file(ctx, component)
    if path is None:
        return
    lines, read_findings = read_requirements(path, ctx.max_bytes)
    ctx.found.extend(read_findings)
    _report_lines(
        ctx,
        path,
        lines,
        RULE,
        problem,
        lambda entry, why: f"requirement {entry!r} {why}; pin it as "
        "'name==version' so the image rebuilds the same",
    )


@rule(HOOK, INDEX_RULE)
def package_index(ctx: Context, component: Component) -> None:
    """A requirements.txt that sets its own package index.

    ``--extra-index-url`` lets pip take a package from whichever index has the
    highest version (a public package can shadow a private one), and
    ``--index-url``/``-i`` moves the whole build to another index. Set the
    index where the image is built (``PIP_INDEX_URL`` or ``pip.conf``), not in
    requirements.txt. Credentials in the URL are never shown.
    """
    path = _requirements_file(ctx, component)
    if path is None:
        return
    _report_lines(
        ctx,
        path,
        read_requirements(path, ctx.max_bytes)[0],
        INDEX_RULE,
        index_option,
        lambda option, url: f"requirements.txt sets a package index ({option} "
        f"{url}); remove it and set the index where the image is built "
        "(PIP_INDEX_URL or pip.conf)",
    )
