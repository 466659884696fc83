"""Which docker-compose service builds a component's image, and from what.

The compose file is the project's single statement of how each image is built
(its build context, Dockerfile and build arguments).  A component names its
image in ``component.yaml``; the commit CI retags only those files, so images
are matched by repository without their tag.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.text import did_you_mean

COMPOSE_NAMES = (
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.yaml",
    "compose.yml",
)
_MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class Build:
    """How compose builds one image: its service, context, Dockerfile, args."""

    service: str
    image: str
    context: str
    dockerfile: str
    args: dict[str, str] = field(default_factory=dict)


def repository(image: str) -> str:
    """The image reference without its tag or digest."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def find_compose(folder: str) -> str | None:
    """The compose file in ``folder``, or None."""
    for name in COMPOSE_NAMES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def read_builds(path: str) -> list[Build]:
    """Every service of the compose file ``path`` that builds an image."""
    try:
        document = yamlio.load_one(
            path, max_bytes=_MAX_BYTES, size_hint="split it"
        ).documents
    except yamlio.YamlError as exc:
        raise Refusal(f"cannot read {path}: {exc.finding.text()}") from None
    services = (document[0] if document else None) or {}
    services = services.get("services") if isinstance(services, dict) else None
    if not isinstance(services, dict):
        raise Refusal(f"{path} has no 'services:' mapping; is it a compose file?")
    folder = os.path.dirname(os.path.abspath(path))
    builds = []
    for name, service in services.items():
        if not isinstance(service, dict) or "build" not in service:
            continue
        builds.append(_build(path, folder, str(name), service))
    return builds


def _build(path: str, folder: str, name: str, service: dict) -> Build:
    build = service["build"]
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict) or not isinstance(build.get("context", "."), str):
        raise Refusal(
            f"{path}: service {name!r} has a 'build' that is neither a context "
            "path nor a mapping with 'context'"
        )
    context = os.path.normpath(os.path.join(folder, build.get("context", ".")))
    dockerfile = os.path.join(context, str(build.get("dockerfile", "Dockerfile")))
    args = build.get("args") or {}
    if isinstance(args, list):  # ["NAME=value", ...]
        args = dict(str(item).partition("=")[::2] for item in args)
    image = service.get("image")
    if not isinstance(image, str) or not image:
        raise Refusal(
            f"{path}: service {name!r} builds an image without an 'image:' name; "
            "name it as its component.yaml does"
        )
    return Build(
        name,
        image,
        context,
        dockerfile,
        {str(key): str(value) for key, value in dict(args).items()},
    )


def build_for(image: str, builds: list[Build], compose: str, task: str) -> Build:
    """The build of ``image`` (matched by repository, any tag), or a refusal."""
    wanted = repository(image)
    for build in builds:
        if repository(build.image) == wanted:
            return build
    names = [repository(build.image) for build in builds]
    raise Refusal(
        f"step {task!r} runs the image {image}, which no service of {compose} builds"
        f"{did_you_mean(wanted, names)}; add a service with that image and its "
        "build context"
    )
