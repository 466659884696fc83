"""``dsp bump-image-tag``: point component.yaml images at the tag CI just built.

The files are people's files: comments, key order, quoting and blank lines
stay as they are.  Only the characters of each ``image:`` value change, found
through the guarded reader's positions; the edited text is parsed again and
must equal the original with just the images changed, or nothing is written.
All files are checked and prepared first, then each is replaced atomically
(temporary file in the same folder, then ``os.replace``): a file is either
the old one or the new one, never half-written.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any, Sequence

from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.yamldata import plain
from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.findings import Refusal, print_json
from precommit_hooks.core.text import positive_int
from precommit_hooks.core.images import (
    TAG_RULE,
    ImageRefError,
    is_tag,
    parse_compose_image,
    parse_image,
)

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+-]*")


@dataclass
class ImageSite:
    """One ``image:`` value in a file: where it is and what it says."""

    container: Any  # the mapping holding the ``image`` key
    pos: tuple[int, int]
    image: str


@dataclass
class Edit:
    """A file's planned rewrite."""

    path: str
    text: str  # the new text
    changes: list[dict[str, str]]


def repository_of(image: str) -> str:
    """The image without its tag or digest: ``registry/name``."""
    return parse_image(image).repository


def with_tag(image: str, tag: str) -> str:
    """``image`` pointed at ``tag`` (any old tag or digest dropped)."""
    return parse_image(image).with_tag(tag)


def image_sites(data: Any, path: str) -> list[ImageSite]:
    """The image values of a KFP component: v1 spec or compiled v2 YAML."""
    if not isinstance(data, dict):
        raise Refusal(
            f"{path} is not a KFP component: its top level is "
            f"{yamldata.type_name(data)}, not a mapping"
        )
    containers: list[Any] = []
    # Any level may be a scalar or a list in a broken file: only mappings count.
    implementation = data.get("implementation")
    container = (
        implementation.get("container") if isinstance(implementation, dict) else None
    )
    if isinstance(container, dict):
        containers.append(container)
    deployment = data.get("deploymentSpec")
    executors = deployment.get("executors") if isinstance(deployment, dict) else None
    if isinstance(executors, dict):
        for executor in executors.values():
            if isinstance(executor, dict) and isinstance(
                executor.get("container"), dict
            ):
                containers.append(executor["container"])
    sites: list[ImageSite] = []
    for container in containers:
        image = container.get("image")
        if image is None:
            continue
        line = container.pos_of("image")[0]
        if not isinstance(image, str):
            raise Refusal(
                f"{path}:{line}: image {image!r} is not an image reference; "
                "fix it by hand first"
            )
        try:
            parse_image(image)
        except ImageRefError as exc:
            raise Refusal(
                f"{path}:{line}: image {image!r} is not an image reference: it "
                f"{exc}; fix it by hand first"
            ) from None
        sites.append(ImageSite(container, container.pos_of("image"), image))
    if not sites:
        raise Refusal(
            f"{path} is not a KFP component with a container image "
            "(no implementation.container.image); pass component.yaml files only"
        )
    return sites


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    return starts


def _scalar_span(text: str, start: int, path: str, line: int) -> tuple[int, str]:
    """End offset and quoting style of the scalar starting at ``start``."""
    first = text[start] if start < len(text) else ""
    if first == '"':
        index = start + 1
        while index < len(text) and text[index] != '"':
            index += 2 if text[index] == "\\" else 1
        return index + 1, '"'
    if first == "'":
        index = start + 1
        while index < len(text):
            if text[index] == "'":
                if text.startswith("''", index):
                    index += 2
                    continue
                break
            index += 1
        return index + 1, "'"
    if first in "|>&*!":
        raise Refusal(
            f"{path}:{line}: the image is written as a block scalar, alias or "
            "tagged value; write it as a plain string to let CI bump it"
        )
    match = re.compile(r"[^\s#,\]}]+(?:[ \t]+[^\s#,\]}]+)*").match(text, start)
    end = match.end() if match else start
    return end, ""


def _render(image: str, style: str) -> str:
    if style == '"' or (style == "" and not _PLAIN_SAFE.fullmatch(image)):
        return '"' + image + '"'
    if style == "'":
        return "'" + image + "'"
    return image


def plan_bump(
    path: str,
    tag: str,
    repositories: set[str] | None = None,
    max_bytes: int | None = None,
) -> tuple[Edit | None, list[dict[str, str]]]:
    """The new text of ``path`` with its images at ``tag``.

    Returns ``(edit or None when nothing changes, skipped images)``; images
    whose repository is not in ``repositories`` (when given) are skipped.
    """
    if not is_tag(tag or ""):
        raise Refusal(f"tag {tag!r} is not a valid image tag ({TAG_RULE})")
    try:
        loaded = yamlio.load_one(path, max_bytes=max_bytes)
    except yamlio.YamlError as exc:
        raise Refusal(f"{exc.finding.text()}") from None
    errors = [f for f in loaded.findings if f.level == yamlio.ERROR]
    if errors:
        raise Refusal(f"{errors[0].text()}; fix the file first")
    if any(f.rule == "encoding" for f in loaded.findings):
        raise Refusal(f"{path} is not UTF-8; save it as UTF-8 first")
    data = loaded.documents[0] if loaded.documents else None
    sites = image_sites(data, path)
    text = loaded.text
    starts = _line_starts(text)
    replacements: list[tuple[int, int, str]] = []
    changes: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    for site in sites:
        if repositories is not None and repository_of(site.image) not in repositories:
            skipped.append({"file": path, "image": site.image})
            continue
        new = with_tag(site.image, tag)
        if new == site.image:
            continue
        line, col = site.pos
        offset = starts[line - 1] + col - 1
        end, style = _scalar_span(text, offset, path, line)
        replacements.append((offset, end, _render(new, style)))
        changes.append({"file": path, "from": site.image, "to": new})
    if not replacements:
        return None, skipped
    for offset, end, rendered in sorted(replacements, reverse=True):
        text = text[:offset] + rendered + text[end:]
    # The edit must change exactly the images, or nothing is written.
    _verify(path, text, data, changes)
    return Edit(path, text, changes), skipped


def _images_replaced(data: Any, mapping: dict[str, str]) -> Any:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key == "image" and isinstance(value, str) and value in mapping:
                out[key] = mapping[value]
            else:
                out[key] = _images_replaced(value, mapping)
        return out
    if isinstance(data, list):
        return [_images_replaced(item, mapping) for item in data]
    return data


def _verify(path: str, text: str, data: Any, changes: list[dict[str, str]]) -> None:
    try:
        again = yamlio.parse(text, path).documents
    except yamlio.YamlError as exc:
        raise Refusal(
            f"{path}: the edited file would not parse ({exc.finding.message}); "
            "nothing was written, edit the image by hand"
        ) from None
    wanted = _images_replaced(data, {c["from"]: c["to"] for c in changes})
    if len(again) != 1 or plain(again[0]) != plain(wanted):
        raise Refusal(
            f"{path}: the image could not be replaced without changing anything "
            "else; nothing was written, edit the image by hand"
        )


def write_text_atomic(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` as UTF-8 (keeping its BOM), atomically."""
    with open(path, "rb") as handle:
        bom = handle.read(3) == b"\xef\xbb\xbf"
    write_atomic(path, text.encode("utf-8-sig" if bom else "utf-8"))


def compose_repositories(path: str, max_bytes: int | None = None) -> set[str]:
    """The image repositories a docker-compose file builds."""
    try:
        loaded = yamlio.load_one(path, max_bytes=max_bytes)
    except yamlio.YamlError as exc:
        raise Refusal(exc.finding.text()) from None
    data = loaded.documents[0] if loaded.documents else None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        raise Refusal(f"{path} has no 'services' mapping: not a docker-compose file")
    built = set()
    for service in services.values():
        if not isinstance(service, dict) or not service.get("build"):
            continue
        image = service.get("image")
        if not isinstance(image, str):
            continue
        try:
            built.add(parse_compose_image(image).repository)
        except ImageRefError as exc:
            raise Refusal(
                f"{path}: image {image!r} is not an image reference: it {exc}; "
                "fix it first"
            ) from None
    if not built:
        raise Refusal(f"{path} builds no images (no service with build and image)")
    return built


def bump_files(
    paths: Sequence[str],
    tag: str,
    compose: str | None = None,
    max_bytes: int | None = None,
) -> dict[str, Any]:
    """Bump every file, all checked before any is written; the JSON report."""
    repositories = compose_repositories(compose, max_bytes) if compose else None
    edits: list[Edit] = []
    skipped: list[dict[str, str]] = []
    unchanged: list[str] = []
    for path in dict.fromkeys(paths):
        edit, passed = plan_bump(path, tag, repositories, max_bytes)
        skipped.extend(passed)
        if edit is None:
            unchanged.append(path)
        else:
            edits.append(edit)
    for edit in edits:
        write_text_atomic(edit.path, edit.text)
    return {
        "tag": tag,
        "changed": [change for edit in edits for change in edit.changes],
        "unchanged": unchanged,
        "skipped": skipped,
    }


def _bump_command(args: argparse.Namespace) -> int:
    print_json(bump_files(args.files, args.tag, args.compose, args.max_bytes))
    return 0


def configure_bump_image_tag(parser: argparse.ArgumentParser) -> None:
    """``dsp bump-image-tag --tag T [--compose FILE] [--max-bytes N] FILE...``."""
    parser.add_argument("--tag", required=True, help="the new image tag")
    parser.add_argument(
        "--compose",
        default=None,
        help="docker-compose.yaml: only bump images that it builds",
    )
    parser.add_argument(
        "--max-bytes",
        type=positive_int,
        default=None,
        help="largest component or compose file read, in bytes (default 1 MiB)",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="component.yaml")
    parser.set_defaults(func=_bump_command)
