"""The docker-compose service that builds a project component's image."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from precommit_hooks.core import yamlio
from precommit_hooks.core.images import (
    ImageRefError,
    expand_compose,
    parse_compose_image,
    parse_image,
)
from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components.model import (
    HOOK,
    Component,
    Context,
    pos_of,
)

COMPOSE_FILES = (
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.yaml",
    "compose.yml",
)
ROOT_MARKERS = (".git", ".pre-commit-config.yaml")


def stamp(path: str) -> tuple[int, int]:
    """(mtime, size): part of every cache key, so an edited file is re-read."""
    info = os.stat(path)
    return info.st_mtime_ns, info.st_size


def repo_root(folder: str) -> str:
    """Where the compose search stops: the repository root.

    The nearest folder up from ``folder`` holding ``.git`` or
    ``.pre-commit-config.yaml``; without one, the working directory when
    ``folder`` is inside it, else the filesystem root.
    """
    start = current = os.path.abspath(folder)
    while True:
        if any(os.path.exists(os.path.join(current, m)) for m in ROOT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    cwd = os.getcwd()
    if start == cwd or start.startswith(cwd.rstrip(os.sep) + os.sep):
        return cwd
    return current


@dataclass(frozen=True)
class ComposeService:
    """One compose service: its image name (no tag) and how it is built."""

    image: str
    context: str | None
    dockerfile: str | None


def compose_services(
    path: str, max_bytes: int | None = None
) -> tuple[tuple[ComposeService, ...], str]:
    """The services of a compose file, or the reason it cannot be read."""
    return _compose_services(path, max_bytes, stamp(path))


def _build(base: str, build: object) -> tuple[str | None, str | None]:
    if isinstance(build, str):
        return os.path.normpath(os.path.join(base, expand_compose(build))), None
    if not isinstance(build, dict):
        return None, None
    context = os.path.normpath(
        os.path.join(base, expand_compose(str(build.get("context", "."))))
    )
    dockerfile = build.get("dockerfile")
    if isinstance(dockerfile, str):
        return context, os.path.join(context, expand_compose(dockerfile))
    return context, None


@lru_cache(maxsize=256)
def _compose_services(
    path: str, max_bytes: int | None, file_stamp: tuple[int, int]
) -> tuple[tuple[ComposeService, ...], str]:
    try:
        loaded = yamlio.load_one(path, max_bytes=max_bytes)
    except yamlio.YamlError as exc:
        return (), exc.finding.message
    doc = loaded.documents[0] if loaded.documents else None
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict):
        return (), "it has no services mapping"
    found = []
    for service in services.values():
        if not isinstance(service, dict) or not isinstance(service.get("image"), str):
            continue
        try:
            name = parse_compose_image(service["image"]).repository
        except ImageRefError:
            continue  # not an image this component can use
        context, dockerfile = _build(os.path.dirname(path), service.get("build"))
        found.append(ComposeService(name, context, dockerfile))
    return tuple(found), ""


def find_compose_files(folder: str) -> list[str]:
    """Compose files in ``folder`` and its parents up to the repository root."""
    root = repo_root(folder)
    current = os.path.abspath(folder)
    found: list[str] = []
    while True:
        found.extend(
            os.path.join(current, name)
            for name in COMPOSE_FILES
            if os.path.isfile(os.path.join(current, name))
        )
        if current == root or os.path.dirname(current) == current:
            return found
        current = os.path.dirname(current)


@dataclass
class Search:
    """What the search for an image's compose service found."""

    service: ComposeService | None
    files: list[str]
    unreadable: list[tuple[str, str]]
    seen: list[str]


def search(ctx: Context, image: str) -> Search:
    """The compose service building ``image`` (its name without the tag)."""
    wanted = parse_image(image).repository
    files = find_compose_files(os.path.dirname(ctx.path) or ".")
    result = Search(None, files, [], [])
    for path in files:
        services, error = compose_services(path, ctx.max_bytes)
        if error:
            result.unreadable.append((path, error))
            continue
        for service in services:
            if service.image == wanted:
                result.service = service
                return result
        result.seen.extend(service.image for service in services)
    return result


def project_images(ctx: Context, component: Component):
    """(container mapping, image) of each container the project rules check."""
    if not ctx.in_project:
        return
    for container in component.containers:
        image = container.image
        if image is None:
            continue
        try:
            parse_image(image)
        except ImageRefError:
            continue  # the component-image rule reports it
        yield container.mapping, image


@rule(HOOK, "component-compose")
def compose_service(ctx: Context, component: Component) -> None:
    """No docker-compose service builds a project component's image.

    In a project folder, a compose file in the component's folder or above
    (up to the repository root) has a service with the image's name (tag
    aside) and a ``build``; that is how ``make images`` and CI build it, and
    its build context is where the Dockerfile's COPY sources are read from.
    """
    for mapping, image in project_images(ctx, component):
        pos = pos_of(mapping, "image")
        found = search(ctx, image)
        for path, error in found.unreadable:
            ctx.add(
                pos,
                "component-compose",
                f"cannot read {os.path.relpath(path)!r} to find this image's "
                f"service: {error}",
            )
        if found.service is not None:
            continue
        wanted = parse_image(image).repository
        where = ", ".join(repr(os.path.relpath(f)) for f in found.files)
        seen = sorted(set(found.seen))
        others = f" (images there: {', '.join(seen)})" if seen else ""
        ctx.add(
            pos,
            "component-compose",
            f"no docker-compose.yaml service builds image {wanted!r} (searched "
            f"{where or 'no compose file'} from the component folder up to the "
            f"repository root){others}; add a service with 'image: {wanted}:<tag>' "
            "and 'build: <this folder>'",
        )
