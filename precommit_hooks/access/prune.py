"""What ``dsp onboard --prune-plan`` may delete: our member access, nothing else.

A Profile is never pruned (deleting it deletes its namespace and everything
in it), nor a resource without our labels for the profile, nor anything
outside the profile's namespace.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from precommit_hooks.access.manifests import ISTIO_API, RBAC_API, labels
from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.yamldata import type_name
from precommit_hooks.core.yamlio import YamlError, load

PRUNABLE = (
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("security.istio.io", "AuthorizationPolicy"),
)
PRUNE_ALLOWLIST = (f"{RBAC_API}/RoleBinding", f"{ISTIO_API}/AuthorizationPolicy")
LIVE_MAX_BYTES = 16 << 20


def identity(resource: dict[str, Any]) -> tuple[str, str, str, str]:
    """(API group, kind, namespace, name): the version is left out, since the
    cluster may serve a resource at another version than we rendered it."""
    group = str(resource.get("apiVersion", "")).rpartition("/")[0]
    meta = resource.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return (
        group,
        str(resource.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name", "")),
    )


def live_resources(path: str) -> list[dict[str, Any]]:
    """The resources in ``kubectl get -o yaml`` output (a ``List``) or documents."""
    try:
        loaded = load(path, max_bytes=LIVE_MAX_BYTES)
    except YamlError as exc:
        raise Refusal(exc.finding.text()) from None
    found: list[dict[str, Any]] = []
    for doc in loaded.documents:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise Refusal(
                f"{path}: expected Kubernetes resources, found {type_name(doc)}; "
                "pass the output of 'kubectl get ... -o yaml'"
            )
        items = doc.get("items") if str(doc.get("kind", "")).endswith("List") else [doc]
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and "kind" in item:
                found.append(item)
    return found


def is_ours(resource: dict[str, Any], profile: str) -> bool:
    """True when ``resource`` carries both of our labels for ``profile``."""
    meta = resource.get("metadata")
    marks = meta.get("labels") if isinstance(meta, dict) else None
    return isinstance(marks, dict) and all(
        marks.get(k) == v for k, v in labels(profile).items()
    )


def prune_plan(
    live: Iterable[dict[str, Any]], rendered: Sequence[dict[str, Any]], profile: str
) -> list[dict[str, str]]:
    """The live resources to delete: ours, prunable, and no longer rendered.

    A resource without our labels for ``profile`` (created by hand, by KFAM
    from the dashboard, by another profile's onboarding) is never listed, nor
    is a Profile, nor anything outside the profile's namespace.
    """
    keep = {identity(r) for r in rendered}
    plan = {}
    for resource in live:
        group, kind, namespace, name = key = identity(resource)
        if (
            (group, kind) not in PRUNABLE
            or namespace != profile
            or not is_ours(resource, profile)
        ):
            continue
        if key not in keep:
            plan[key] = {
                "apiVersion": str(resource.get("apiVersion")),
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "ref": f"{kind.lower()}.{group}/{name}",
            }
    return [plan[k] for k in sorted(plan)]


def owner_change(
    live: Iterable[dict[str, Any]], rendered: Sequence[dict[str, Any]]
) -> tuple[str, str] | None:
    """``(live owner, rendered owner)`` when applying would change the Profile's owner.

    Kubeflow's profile controller keeps a namespace only for the owner named in
    its ``owner`` annotation: a Profile whose owner changed fails to reconcile
    and the old owner keeps their admin access, so the change needs a cluster
    admin, not a silent apply.
    """
    profile = rendered[0]
    wanted = identity(profile)
    for resource in live:
        if identity(resource) != wanted:
            continue
        spec = resource.get("spec")
        owner = spec.get("owner") if isinstance(spec, dict) else None
        name = owner.get("name") if isinstance(owner, dict) else None
        if isinstance(name, str) and name != profile["spec"]["owner"]["name"]:
            return name, profile["spec"]["owner"]["name"]
    return None
