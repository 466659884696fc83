"""``dsp onboard``: ``profiles.yaml`` becomes the Kubeflow profile and its access.

Kubeflow's multi-user model is the target: a ``Profile`` (a namespace with one
owner, the first admin) and, for every other member, the ``RoleBinding`` and
Istio ``AuthorizationPolicy`` that Kubeflow documents for adding contributors
by hand (the same names and ``role``/``user`` annotations that its access
management, KFAM, reads).  Every resource carries our labels, so the onboarding
step can prune exactly the ones it made and no longer renders (a removed
person loses access) and never touches anything else.

The rendering and the prune plan are plain functions, tested without a cluster;
the Tekton onboarding pipeline runs them and ``kubectl``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.yamlbuild import dump_documents
from precommit_hooks.core.findings import ERROR, Refusal, print_json, print_text
from precommit_hooks.access.profiles import load_profiles
from precommit_hooks.core.yamlio import YamlError, load, type_name

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

# What the prune may delete: member access only.  A Profile is never pruned,
# since deleting it deletes its namespace and everything in it.
PRUNABLE = (
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("security.istio.io", "AuthorizationPolicy"),
)
PRUNE_ALLOWLIST = (f"{RBAC_API}/RoleBinding", f"{ISTIO_API}/AuthorizationPolicy")

MAX_NAME = 63  # a DNS-1123 label: valid for every kind we render, and as a label value
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_UNSAFE = re.compile(r"[^a-z0-9]+")
# An email whose KFAM name can be read back unambiguously: one '@', no '.' or '-'
# before it, only lowercase letters, digits and dots after it.
_PLAIN_EMAIL = re.compile(r"[a-z0-9]+@[a-z0-9]+(\.[a-z0-9]+)+")
_HASH_CHARS = 8
_HEADER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
LIVE_MAX_BYTES = 16 << 20


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


# --- profiles.yaml -------------------------------------------------------


def load_team(path: str) -> Team:
    """Read ``path`` through the profiles model that check-profiles uses.

    Refuses with check-profiles' reason (one line naming the file, position and
    fix) whatever it rejects: no admin, duplicate members (case-insensitive),
    someone both admin and contributor, a bad email or profile name.
    """
    profiles, found = load_profiles(path)
    errors = sorted(f for f in found if f.level == ERROR)
    if profiles is None or errors:
        first = errors[0].text() if errors else f"{path}: not a valid profiles file"
        more = (
            f" (and {len(errors) - 1} more; run check-profiles)" if errors[1:] else ""
        )
        raise Refusal(first + more)
    members = [Member(m.email, ADMIN_ROLE) for m in profiles.admins[1:]]
    members += [Member(m.email, EDIT_ROLE) for m in profiles.contributors]
    return Team(name=profiles.name, owner=profiles.owner.email, members=tuple(members))


# --- rendering -----------------------------------------------------------


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
    marks = labels(profile)
    resources: list[dict[str, Any]] = [
        {
            "apiVersion": PROFILE_API,
            "kind": "Profile",
            "metadata": {"name": profile, "labels": dict(marks)},
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
        metadata = {
            "name": name,
            "namespace": profile,
            "labels": dict(marks),
            "annotations": {"role": member.role, "user": member.email},
        }
        resources.append(
            {
                "apiVersion": RBAC_API,
                "kind": "RoleBinding",
                "metadata": metadata,
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
        )
        resources.append(
            {
                "apiVersion": ISTIO_API,
                "kind": "AuthorizationPolicy",
                "metadata": {
                    **metadata,
                    "labels": dict(marks),
                    "annotations": dict(metadata["annotations"]),
                },
                "spec": {
                    "rules": [
                        {
                            "from": [{"source": {"principals": list(principals)}}],
                            "when": [
                                {
                                    "key": f"request.headers[{userid_header}]",
                                    "values": [userid_prefix + member.email],
                                }
                            ],
                        }
                    ]
                },
            }
        )
    return resources


def dump(resources: Iterable[dict[str, Any]]) -> str:
    """Multi-document YAML, every document opened by ``---``; same input, same bytes."""
    return dump_documents(resources)


def file_name(resource: dict[str, Any]) -> str:
    """``<kind>-<name>.yaml``: one file per resource in ``--output``."""
    return f"{resource['kind'].lower()}-{resource['metadata']['name']}.yaml"


def _file_is_ours(path: str, profile: str) -> bool:
    """True when every document in ``path`` is a resource of ours for ``profile``."""
    try:
        docs = load(path).documents
    except YamlError:
        return False
    return bool(docs) and all(isinstance(d, dict) and is_ours(d, profile) for d in docs)


def write_manifests(
    resources: Sequence[dict[str, Any]], directory: str
) -> dict[str, list[str]]:
    """Write one file per resource into ``directory``, each atomically.

    Files that an earlier run wrote for this profile (every document carries
    our labels) and that are no longer rendered are removed, so
    ``kubectl apply -f DIR`` never re-applies a removed person; any other file
    is left alone.
    """
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise Refusal(f"--output {directory!r} is not a directory; name a directory")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise Refusal(
            f"--output {directory!r}: cannot create the directory ({exc.strerror})"
        ) from None
    profile = resources[0]["metadata"]["name"]
    wanted = {file_name(r): r for r in resources}
    # A folder where a file goes would stop the writes half-way: refuse first.
    for name in sorted(wanted):
        target = os.path.join(directory, name)
        if os.path.lexists(target) and not os.path.isfile(target):
            raise Refusal(
                f"--output {directory!r}: {name} is a folder or special file where "
                "the manifest goes; move it away (nothing was written)"
            )
    written = []
    for name, resource in sorted(wanted.items()):
        try:
            write_atomic(os.path.join(directory, name), dump([resource]).encode())
        except OSError as exc:
            raise Refusal(
                f"--output {directory!r}: cannot write {name} ({exc.strerror}); "
                f"files written before it: {', '.join(written) or 'none'}"
            ) from None
        written.append(name)
    removed = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name in wanted or not name.endswith(".yaml") or not os.path.isfile(path):
            continue
        if _file_is_ours(path, profile):
            os.unlink(path)
            removed.append(name)
    return {"written": written, "removed": removed}


# --- pruning -------------------------------------------------------------


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


# --- the command ---------------------------------------------------------


def configure_onboard(parser: argparse.ArgumentParser) -> None:
    """Options of ``dsp onboard``."""
    parser.add_argument(
        "--profiles", required=True, metavar="FILE", help="the project's profiles.yaml"
    )
    parser.add_argument(
        "--namespace",
        metavar="N",
        help="profile (and so namespace) to render, default profiles.name",
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        help="write one file per resource into DIR (and print a JSON summary)",
    )
    parser.add_argument(
        "--userid-header",
        default=USERID_HEADER,
        metavar="NAME",
        help=f"the header carrying the user's id (default {USERID_HEADER})",
    )
    parser.add_argument(
        "--userid-prefix",
        default="",
        metavar="PREFIX",
        help="what precedes the email in that header (default none)",
    )
    parser.add_argument(
        "--principal",
        action="append",
        dest="principals",
        metavar="P",
        help="a caller the AuthorizationPolicies admit (repeatable; default the Istio "
        "ingress gateway and ml-pipeline-ui)",
    )
    parser.add_argument(
        "--prune-plan",
        action="store_true",
        help="list the live resources to delete instead of rendering (refused "
        "when the profile's owner would change)",
    )
    parser.add_argument(
        "--current",
        metavar="FILE",
        help="with --prune-plan: 'kubectl get ... -l <selector> -o yaml' output",
    )
    parser.add_argument(
        "--format",
        choices=("json", "names"),
        default="json",
        help="with --prune-plan: JSON, or one kind.group/name a line "
        "for 'kubectl delete'",
    )
    parser.set_defaults(func=run_onboard)


def run_onboard(args: argparse.Namespace) -> int:
    """Render the manifests (stdout or ``--output``) or print the prune plan."""
    if args.namespace is not None and (
        len(args.namespace) > MAX_NAME or not _DNS_LABEL.fullmatch(args.namespace)
    ):
        raise Refusal(
            f"--namespace {args.namespace!r} is not a DNS-1123 label; "
            "use lowercase letters, digits and '-', at most 63"
        )
    if not _HEADER.fullmatch(args.userid_header):
        raise Refusal(
            f"--userid-header {args.userid_header!r} is not an HTTP header name; "
            "use letters, digits and '-'"
        )
    if args.prune_plan != bool(args.current):
        raise Refusal(
            "--prune-plan and --current FILE go together: pass both or neither"
        )
    team = load_team(args.profiles)
    resources = render(
        team,
        args.namespace,
        userid_header=args.userid_header,
        userid_prefix=args.userid_prefix,
        principals=tuple(args.principals or DEFAULT_PRINCIPALS),
    )
    profile = resources[0]["metadata"]["name"]
    if args.prune_plan:
        live = live_resources(args.current)
        change = owner_change(live, resources)
        if change:
            raise Refusal(
                f"{args.profiles}: the first admin of profile {profile!r} changed from "
                f"{change[0]!r} to {change[1]!r}; Kubeflow does not hand an existing "
                "namespace to a new owner: put the old owner first again, or have a "
                f"cluster admin run 'kubectl annotate namespace {profile} "
                f"owner={change[1]} --overwrite' and re-run onboarding"
            )
        plan = prune_plan(live, resources, profile)
        if args.format == "names":
            print_text("".join(item["ref"] + "\n" for item in plan))
        else:
            print_json(
                {"namespace": profile, "selector": selector(profile), "delete": plan}
            )
        return 0
    if args.output:
        files = write_manifests(resources, args.output)
        print_json(
            {
                "profile": profile,
                "namespace": profile,
                "selector": selector(profile),
                "prune_allowlist": list(PRUNE_ALLOWLIST),
                **files,
            }
        )
        return 0
    print_text(dump(resources))
    return 0
