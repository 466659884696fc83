"""Rules of both formats: key typos, unknown keys, the image and its tag."""

from __future__ import annotations

from precommit_hooks.core import yamldata
from precommit_hooks.core.findings import ERROR, WARNING
from precommit_hooks.core.images import ImageRefError, parse_image
from precommit_hooks.core.rules import rule
from precommit_hooks.core.text import closest

from precommit_hooks.hooks.check_components.model import (
    HOOK,
    TYPO_CUTOFF,
    Component,
    Context,
    key_pos,
    pos_of,
    unknown_keys,
)


def _typo_of(site, key) -> str | None:
    guess = closest(key, site.known, TYPO_CUTOFF)
    return guess if guess is not None and guess not in site.mapping else None


@rule(HOOK, "component-key-typo")
def key_typo(ctx: Context, component: Component) -> None:
    """A key that is a near miss of a key kfp knows, and that kfp ignores.

    kfp drops keys it does not know without a word, so ``implementaton:`` or
    ``defualt:`` silently loses what it holds. The finding is at the key's own
    line and names the key it resembles; rename it. The checks below it still
    run, on the value read as the key it resembles.
    """
    for site in component.key_sites:
        for key in unknown_keys(site):
            guess = _typo_of(site, key)
            if guess is not None:
                ctx.add(
                    key_pos(site.mapping, key),
                    "component-key-typo",
                    f"unknown key {key!r} in {site.where}; did you mean {guess!r}?",
                )


@rule(HOOK, "component-unknown-key", WARNING)
def unknown_key(ctx: Context, component: Component) -> None:
    """A key kfp does not know and that resembles none it does.

    kfp ignores it; the warning lists the keys that place accepts. Remove it
    (or move it under ``metadata.annotations``).
    """
    for site in component.key_sites:
        for key in unknown_keys(site):
            if _typo_of(site, key) is None:
                ctx.add(
                    key_pos(site.mapping, key),
                    "component-unknown-key",
                    f"unknown key {key!r} in {site.where} is ignored by kfp "
                    f"(known: {', '.join(site.known)}); remove it",
                    WARNING,
                )


@rule(HOOK, "component-image")
def image_present(ctx: Context, component: Component) -> None:
    """A container without an image, or one that is not an image reference.

    The image must be a string in Docker's grammar
    (``registry[:port]/name:tag`` or ``...@sha256:<64 hex>``): a space, an
    upper case repository name or a bad tag or digest cannot be pulled, so
    no run can start.
    """
    for container in component.containers:
        mapping = container.mapping
        if "image" not in mapping:
            ctx.add(
                pos_of(mapping, "image"),
                "component-image",
                "container has no image; add 'image: registry/name:tag'",
            )
            continue
        image = mapping["image"]
        if not isinstance(image, str):
            ctx.add(
                pos_of(mapping, "image"),
                "component-image",
                f"image must be a string, got {yamldata.type_name(image)}; "
                "write 'image: registry/name:tag'",
            )
        elif image.strip():
            try:
                parse_image(image)
            except ImageRefError as exc:
                ctx.add(
                    pos_of(mapping, "image"),
                    "component-image",
                    f"image {image!r} is not an image reference: it {exc}",
                )


def image_tag_problem(ref: str) -> str | None:
    """Why a valid image reference is not pinned (``:latest``, no tag), or None.

    An empty image is reported here too (kfp loads it; no run can start);
    an invalid reference is :func:`image_present`'s to report.
    """
    if not ref.strip():
        return "is empty: kfp loads it, but no run can start"
    try:
        parsed = parse_image(ref)
    except ImageRefError:
        return None
    if parsed.digest:
        return None
    if parsed.tag is None:
        return "has no tag, so it means ':latest'"
    if parsed.tag == "latest":
        return "uses the moving tag ':latest'"
    return None


@rule(HOOK, "component-image-tag", ERROR)
def image_tag(ctx: Context, component: Component) -> None:
    """An image with the moving tag ``:latest``, no tag at all, or empty.

    Runs are reproducible only with a pinned tag or digest. An error in a
    project folder (CI bumps the tag with ``dsp bump-image-tag``); a warning
    for a standalone component.
    """
    for container in component.containers:
        image = container.image
        problem = None if image is None else image_tag_problem(image)
        if problem is None:
            continue
        pos = pos_of(container.mapping, "image")
        if ctx.in_project:
            ctx.add(
                pos,
                "component-image-tag",
                f"image {image!r} {problem}; a project component pins its tag "
                "(CI bumps it with 'dsp bump-image-tag')",
            )
        else:
            ctx.add(
                pos,
                "component-image-tag",
                f"image {image!r} {problem}; pin a version tag or digest so runs "
                "are reproducible",
                WARNING,
            )
