"""A project component's requirements.txt: every requirement pinned."""

from __future__ import annotations

import os
import re
from typing import Iterator

from precommit_hooks.core.findings import finding
from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components import compose
from precommit_hooks.hooks.check_components.model import HOOK, Component, Context

RULE = "component-requirements"


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
        return spec, f"cannot be parsed ({exc})"
    pins = [s for s in req.specifier if s.operator in ("==", "===")]
    if req.url:
        return spec, "is a URL, not a pinned version"
    if len(pins) != 1 or len(req.specifier) != 1 or pins[0].version.endswith(".*"):
        return spec, "is not pinned to one version"
    return None


def check_requirements(ctx: Context, path: str) -> None:
    """Every requirement of ``path`` pinned with ``==``."""
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    for number, line in logical_lines(text):
        found = problem(line)
        if found is None:
            continue
        entry, why = found
        ctx.found.append(
            finding(
                path,
                (number, 1),
                RULE,
                f"requirement {entry!r} {why}; pin it as 'name==version' so the "
                "image rebuilds the same",
            )
        )


@rule(HOOK, RULE)
def requirements(ctx: Context, component: Component) -> None:
    """A requirement in the component's requirements.txt not pinned to a version.

    The image must rebuild the same: every requirement is ``name==version``
    (no range, no URL, no editable install).
    """
    if any(True for _ in compose.project_images(ctx, component)):
        folder = os.path.dirname(ctx.path) or "."
        check_requirements(ctx, os.path.join(folder, "requirements.txt"))
