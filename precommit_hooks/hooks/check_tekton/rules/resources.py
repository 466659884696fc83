"""Rules on what a document is: a Kubernetes object of a kind Tekton serves."""

from __future__ import annotations

import re

from precommit_hooks.core import yamldata
from precommit_hooks.core.findings import WARNING
from precommit_hooks.core.rules import rule
from precommit_hooks.core.text import did_you_mean
from precommit_hooks.hooks.check_tekton.loader import (
    HOOK,
    KNOWN,
    NEWER,
    TEKTON,
    TRIGGERS,
    Context,
    Doc,
)
from precommit_hooks.hooks.check_tekton.tree import get, pos


def _tekton_group(doc: Doc) -> bool:
    return doc.api.split("/", 1)[0] in (TEKTON, TRIGGERS)


_PATHLIKE = re.compile(r"^[\w.\-/]+\.ya?ml$")


@rule(HOOK, "not-a-resource")
def not_a_resource(ctx: Context, doc: Doc) -> None:
    """A document that is not a Kubernetes object (a mapping with apiVersion and kind).

    A warning when the file holds only a path: a symbolic link checked out as a
    plain file (Git on a system without symbolic links does that).
    """
    data = doc.data
    if isinstance(data, dict):
        return
    if isinstance(data, str) and _PATHLIKE.match(data.strip()):
        ctx.report.add(
            doc,
            (1, 1),
            "not-a-resource",
            f"the file holds only the text {data.strip()!r}: a symbolic link "
            "checked out as a plain file? Restore the link or the content",
            WARNING,
        )
        return
    ctx.report.add(
        doc,
        doc.pos,
        "not-a-resource",
        f"a document must be a Kubernetes object (a mapping with apiVersion "
        f"and kind), got {yamldata.type_name(data)}",
    )


@rule(HOOK, "tekton-api")
def tekton_api(ctx: Context, doc: Doc) -> None:
    """An apiVersion or kind Tekton does not serve, or a resource without them.

    The message lists the versions Tekton serves (`tekton.dev/v1`,
    `triggers.tekton.dev/v1beta1`, ...), where a kind lives, or the closest kind.
    """
    data = doc.data
    if not isinstance(data, dict):
        return
    if not doc.api or not doc.kind:
        ctx.report.add(
            doc,
            doc.pos,
            "tekton-api",
            "document has no apiVersion and kind; every resource needs both",
        )
        return
    if doc.valid or not _tekton_group(doc):
        return
    api, kind = doc.api, doc.kind
    if api not in KNOWN:
        group = api.split("/", 1)[0]
        versions = sorted(v for v in KNOWN if v.startswith(group + "/"))
        ctx.report.add(
            doc,
            pos(data, "apiVersion"),
            "tekton-api",
            f"apiVersion {api!r} is not served by Tekton; use one of "
            f"{', '.join(versions)}",
        )
        return
    homes = sorted(v for v, kinds in KNOWN.items() if kind in kinds)
    fix = (
        f"; {kind} is served by {', '.join(homes)}"
        if homes
        else did_you_mean(kind, sorted(KNOWN[api]))
    )
    ctx.report.add(
        doc, pos(data, "kind"), "tekton-api", f"{api} has no kind {kind!r}{fix}"
    )


@rule(HOOK, "tekton-deprecated", WARNING)
def tekton_deprecated(ctx: Context, doc: Doc) -> None:
    """A kind served by an older apiVersion that has a newer home.

    For example a `tekton.dev/v1beta1` Pipeline: move to `tekton.dev/v1`.
    """
    newer = NEWER.get((doc.api, doc.kind)) if doc.tekton else None
    if newer:
        ctx.report.add(
            doc,
            pos(doc.data, "apiVersion"),
            "tekton-deprecated",
            f"{doc.api} {doc.kind} is deprecated; move to {newer}",
            WARNING,
        )


@rule(HOOK, "tekton-name")
def tekton_name(ctx: Context, doc: Doc) -> None:
    """A Tekton resource without `metadata.name` (nor `generateName`)."""
    if not doc.tekton or not _tekton_group(doc):
        return
    if get(doc.data, "metadata", "name") is None and not get(
        doc.data, "metadata", "generateName"
    ):
        ctx.report.add(
            doc,
            doc.data.pos,
            "tekton-name",
            f"{doc.kind} has no metadata.name; give it one",
        )
