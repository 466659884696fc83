"""Project-folder rules: the Dockerfile, the scripts under src/, requirements.

They apply when the component's folder holds a ``Dockerfile``, a
``requirements.txt`` or a ``src/`` folder, or sits at
``workflows/components/<name>/`` (the template's layout).
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache

from precommit_hooks.core.findings import WARNING
from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components import compose
from precommit_hooks.hooks.check_components.model import (
    HOOK,
    Component,
    Context,
    Pos,
    pos_of,
)

SCRIPT_SUFFIXES = (".py", ".sh")


def is_project_folder(folder: str) -> bool:
    """Whether a component's folder follows the template's project layout."""
    if any(
        os.path.exists(os.path.join(folder, name))
        for name in ("Dockerfile", "requirements.txt", "src")
    ):
        return True
    parts = os.path.abspath(folder).split(os.sep)
    return len(parts) >= 3 and parts[-3:-1] == ["workflows", "components"]


@dataclass
class Dockerfile:
    """What the checks need from a Dockerfile: WORKDIR and local COPY sources."""

    workdir: str = "/"
    # (destination in the image, source relative to the build context)
    copies: list[tuple[str, str]] = field(default_factory=list)


def parse_dockerfile(path: str) -> Dockerfile:
    """Read WORKDIR and COPY/ADD (without --from) lines; enough to map paths."""
    return _parse_dockerfile(path, compose.stamp(path))


def _copy_parts(rest: str) -> list[str] | None:
    rest = rest.strip()
    if rest.startswith("["):
        parts = [p.strip().strip("\"'") for p in rest.strip("[]").split(",")]
    else:
        try:
            parts = shlex.split(rest)
        except ValueError:
            return None
    if any(p.startswith("--from") for p in parts):
        return None
    parts = [p for p in parts if not p.startswith("--")]
    return parts if len(parts) >= 2 else None


@lru_cache(maxsize=256)
def _parse_dockerfile(path: str, stamp: tuple[int, int]) -> Dockerfile:
    result = Dockerfile()
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    for raw in re.sub(r"\\\r?\n", " ", text).splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "WORKDIR":
            result.workdir = posixpath.normpath(
                posixpath.join(result.workdir, rest.strip().strip("\"'"))
            )
        elif word in ("COPY", "ADD"):
            parts = _copy_parts(rest)
            if parts is None:
                continue
            dest = parts[-1]
            if not dest.startswith("/"):
                dest = posixpath.join(result.workdir, dest)
            result.copies.extend((dest, source) for source in parts[:-1])
    return result


def _copied_from(in_image: str, dest: str, source: str, folder: str) -> str | None:
    local_source = os.path.normpath(os.path.join(folder, source))
    is_dir = source in (".", "./") or source.endswith("/")
    is_dir = is_dir or os.path.isdir(local_source)
    dest_norm = posixpath.normpath(dest)
    if is_dir:
        if in_image == dest_norm or in_image.startswith(dest_norm.rstrip("/") + "/"):
            rest = posixpath.relpath(in_image, dest_norm)
            return os.path.normpath(os.path.join(local_source, rest))
        return None
    target = (
        posixpath.join(dest_norm, posixpath.basename(source))
        if dest.endswith("/")
        else dest_norm
    )
    return local_source if in_image == target else None


def to_local(token: str, folder: str, docker: Dockerfile | None) -> str | None:
    """The file in the build context that ``token`` names in the image, if any."""
    if docker is None:
        return None if token.startswith("/") else os.path.join(folder, token)
    in_image = posixpath.normpath(posixpath.join(docker.workdir, token))
    for dest, source in reversed(docker.copies):  # a later COPY wins
        local = _copied_from(in_image, dest, source, folder)
        if local is not None:
            return local
    if token.startswith("/"):
        return None  # from the base image, not from this folder
    return os.path.join(folder, token)


def script_tokens(container: dict) -> list[tuple[str, Pos | None]]:
    """Plain command/args strings that name a script (``x.py``, ``x.sh``)."""
    tokens: list[tuple[str, Pos | None]] = []
    for key in ("command", "args"):
        values = container.get(key)
        for index, value in enumerate(values if isinstance(values, list) else []):
            if (
                isinstance(value, str)
                and value.endswith(SCRIPT_SUFFIXES)
                and not value.startswith("-")
                and not any(ch.isspace() for ch in value)
                and "{{" not in value
            ):
                tokens.append((value, pos_of(values, index)))
    return tokens


def build_of(ctx: Context, image: str) -> tuple[str, str]:
    """(build context, Dockerfile path) of the image: compose's, else the folder."""
    folder = os.path.dirname(ctx.path) or "."
    service = compose.search(ctx, image).service
    if service is not None and service.context is not None:
        dockerfile = service.dockerfile or os.path.join(service.context, "Dockerfile")
        return service.context, dockerfile
    return folder, os.path.join(folder, "Dockerfile")


@rule(HOOK, "component-dockerfile")
def dockerfile(ctx: Context, component: Component) -> None:
    """A project component whose image has no Dockerfile to build it.

    The Dockerfile is the compose service's (``build.dockerfile`` in its
    build context) or the one in the component's folder; add it (the
    template's layout: Dockerfile, component.yaml, requirements.txt, src/).
    """
    for mapping, image in compose.project_images(ctx, component):
        _, path = build_of(ctx, image)
        if not os.path.isfile(path):
            ctx.add(
                pos_of(mapping, "image"),
                "component-dockerfile",
                f"no Dockerfile at {os.path.relpath(path)!r} to build {image!r}; "
                "add one (the template's layout: Dockerfile, component.yaml, "
                "requirements.txt, src/)",
            )


@rule(HOOK, "component-script")
def scripts(ctx: Context, component: Component) -> None:
    """A script the command runs that is not in the repository, or not in src/.

    ``/app/train.py`` in the command is mapped back through the Dockerfile's
    WORKDIR and COPY lines to a file in the build context: a missing file is
    an error, one outside the component's ``src/`` a warning.
    """
    src = os.path.abspath(os.path.join(os.path.dirname(ctx.path) or ".", "src"))
    for mapping, image in compose.project_images(ctx, component):
        context, path = build_of(ctx, image)
        docker = (
            parse_dockerfile(os.path.abspath(path)) if os.path.isfile(path) else None
        )
        for token, pos in script_tokens(mapping):
            local = to_local(token, context, docker)
            if local is None:
                continue
            shown = os.path.relpath(local)
            if not os.path.isfile(local):
                ctx.add(
                    pos,
                    "component-script",
                    f"the command runs {token!r}, which the image would get from "
                    f"{shown!r}, but that file does not exist; add it under src/ "
                    "or fix the path",
                )
            elif not os.path.abspath(local).startswith(src + os.sep):
                ctx.add(
                    pos,
                    "component-script",
                    f"the command runs {token!r} ({shown!r}), outside the "
                    "component's src/; keep the component's code under src/",
                    WARNING,
                )
