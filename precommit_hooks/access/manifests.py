"""The Kubeflow access ``dsp onboard`` renders: a Profile and, per member,
a RoleBinding and an Istio AuthorizationPolicy.

Kubeflow's multi-user model is the target: a ``Profile`` (a namespace with one
owner, the first admin) and, for every other member, the ``RoleBinding`` and
Istio ``AuthorizationPolicy`` that Kubeflow documents for adding contributors
by hand (the same names and ``role``/``user`` annotations that its access
management, KFAM, reads).  Every resource carries our labels, so the onboarding
step can prune exactly the ones it made and no longer renders.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.text import DNS_1123_MAX
from precommit_hooks.core.yamlbuild import dump_documents

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "dsp-onboard"
PROFILE_LABEL = "dsp-onboard/profile"

PROFILE_API = "kubeflow.org/v1"
RBAC_API = "rbac.authorization.k8s.io/v1"
ISTIO_API = "security.istio.io/v1beta1"

# KFAM's role annotation -> the ClusterRole bound: admins after the owner, contributors
ADMIN_ROLE = "admin"
EDIT_ROLE = "edit"
CLUSTER_ROLES = {ADMIN_ROLE: "kubeflow-admin", EDIT_ROLE: "kubeflow-edit"}

USERID_HEADER = "kubeflow-userid"
# The callers Kubeflow documents for a contributor's AuthorizationPolicy:
# the Istio ingress gateway (notebooks, dashboard) and the KFP UI.
DEFAULT_PRINCIPALS = (
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
    "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
)

# A DNS-1123 label: valid for every kind we render, and as a label value.
MAX_NAME = DNS_1123_MAX
_UNSAFE = re.compile(r"[^a-z0-9]+")
# An email whose KFAM name can be read back unambiguously: one '@', no '.' or '-'
# before it, only lowercase letters, digits and dots after it.
_PLAIN_EMAIL = re.compile(r"[a-z0-9]+@[a-z0-9]+(\.[a-z0-9]+)+")
_HASH_CHARS = 8


@dataclass(frozen=True)
class Member:
    """One person with access: the email as written and their KFAM role."""

    email: str
    role: str


@dataclass(frozen=True)
class Team:
    """What onboarding needs from profiles.yaml: the profile, its owner, the rest."""

    name: str
    owner: str
    members: tuple[Member, ...]


def resource_name(email: str, role: str) -> str:
    """KFAM's ``user-<safe-email>-clusterrole-<role>``, made unique and a DNS label.

    ``<safe-email>`` is the email lowercased with every run of other characters
    replaced by ``-``, as Kubeflow documents.  That loses information (case,
    ``+``, ``.`` against ``-`` and where the ``@`` was), so unless the email is
    plain (``[a-z0-9]+@`` and a lowercase dotted domain, which reads back
    unambiguously) an 8-hex-digit hash of the lowercased email is added, and
    the safe part is shortened to keep the name within 63 characters.
    """
    suffix = f"-clusterrole-{role}"
    safe = _UNSAFE.sub("-", email.lower()).strip("-")
    name = f"user-{safe}{suffix}"
    if _PLAIN_EMAIL.fullmatch(email) and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:_HASH_CHARS]
    room = MAX_NAME - len("user-") - len(suffix) - len(digest) - 1
    head = safe[:room].rstrip("-")
    return f"user-{head}-{digest}{suffix}" if head else f"user-{digest}{suffix}"


def labels(profile: str) -> dict[str, str]:
    """The labels that mark a resource as ``dsp onboard``'s for ``profile``."""
    return {MANAGED_BY_LABEL: MANAGED_BY, PROFILE_LABEL: profile}


def selector(profile: str) -> str:
    """The ``kubectl -l`` selector for our resources of ``profile``."""
    return ",".join(f"{k}={v}" for k, v in labels(profile).items())


def render(
    team: Team,
    namespace: str | None = None,
    *,
    userid_header: str = USERID_HEADER,
    userid_prefix: str = "",
    principals: Sequence[str] = DEFAULT_PRINCIPALS,
) -> list[dict[str, Any]]:
    """The Profile, then each member's RoleBinding and AuthorizationPolicy.

    Members come out sorted by role, then email (case-insensitive), so their
    order in profiles.yaml never changes the output.  ``namespace`` overrides
    the profile name (Kubeflow names the namespace after the profile).
    """
    profile = namespace or team.name
    resources: list[dict[str, Any]] = [
        {
            "apiVersion": PROFILE_API,
            "kind": "Profile",
            "metadata": {"name": profile, "labels": labels(profile)},
            "spec": {"owner": {"kind": "User", "name": team.owner}},
        }
    ]
    members = sorted(team.members, key=lambda m: (m.role, m.email.casefold(), m.email))
    names: dict[str, str] = {}
    for member in members:
        name = resource_name(member.email, member.role)
        if name in names:  # cannot happen for distinct emails short of a hash collision
            raise Refusal(
                f"{member.email!r} and {names[name]!r} map to the same resource "
                f"name {name!r}; report this"
            )
        names[name] = member.email
        resources.append(_role_binding(member, name, profile))
        user = userid_prefix + member.email
        resources.append(
            _authorization_policy(
                member, name, profile, userid_header, user, principals
            )
        )
    return resources


def _metadata(member: Member, name: str, profile: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": profile,
        "labels": labels(profile),
        "annotations": {"role": member.role, "user": member.email},
    }


def _role_binding(member: Member, name: str, profile: str) -> dict[str, Any]:
    """The member's RoleBinding to kubeflow-admin or kubeflow-edit."""
    return {
        "apiVersion": RBAC_API,
        "kind": "RoleBinding",
        "metadata": _metadata(member, name, profile),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": CLUSTER_ROLES[member.role],
        },
        "subjects": [
            {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "User",
                "name": member.email,
            }
        ],
    }


def _authorization_policy(
    member: Member,
    name: str,
    profile: str,
    header: str,
    user: str,
    principals: Sequence[str],
) -> dict[str, Any]:
    """The member's Istio AuthorizationPolicy: these callers, this user header."""
    rule = {
        "from": [{"source": {"principals": list(principals)}}],
        "when": [{"key": f"request.headers[{header}]", "values": [user]}],
    }
    return {
        "apiVersion": ISTIO_API,
        "kind": "AuthorizationPolicy",
        "metadata": _metadata(member, name, profile),
        "spec": {"rules": [rule]},
    }


def dump(resources: Iterable[dict[str, Any]]) -> str:
    """Multi-document YAML, every document opened by ``---``; same input, same bytes."""
    return dump_documents(resources)


def file_name(resource: dict[str, Any]) -> str:
    """``<kind>-<name>.yaml``: one file per resource in ``--output``."""
    return f"{resource['kind'].lower()}-{resource['metadata']['name']}.yaml"
