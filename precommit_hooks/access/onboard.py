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
import os
import re
from typing import Any, Sequence

from precommit_hooks.access.manifests import (
    DEFAULT_PRINCIPALS,
    MAX_NAME,
    USERID_HEADER,
    ADMIN_ROLE,
    EDIT_ROLE,
    Member,
    Team,
    dump,
    file_name,
    render,
    selector,
)
from precommit_hooks.access.profiles import load_profiles
from precommit_hooks.access.prune import (
    PRUNE_ALLOWLIST,
    is_ours,
    live_resources,
    owner_change,
    prune_plan,
)
from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.findings import ERROR, Refusal, print_json, print_text
from precommit_hooks.core.findings import add_format_option
from precommit_hooks.core.text import is_dns_label
from precommit_hooks.core.yamlio import YamlError, load

_HEADER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def load_team(path: str) -> Team:
    """Read ``path`` through the profiles model that check-profiles uses.

    Refuses with check-profiles' reason (one line naming the file, position and
    fix) whatever it rejects: no admin, duplicate members (case-insensitive),
    someone both admin and contributor, a bad email or profile name.
    """
    profiles, found = load_profiles(path, size_hint="split it")
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
    written: list[str] = []
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
    add_format_option(
        parser,
        ("json", "names"),
        "with --prune-plan: JSON, or one kind.group/name a line for 'kubectl delete'",
    )
    parser.set_defaults(func=run_onboard)


def run_onboard(args: argparse.Namespace) -> int:
    """Render the manifests (stdout or ``--output``) or print the prune plan."""
    if args.namespace is not None and (
        len(args.namespace) > MAX_NAME or not is_dns_label(args.namespace)
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
