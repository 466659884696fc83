"""``dsp authorize``: may this webhook event start a pipeline run?

A new comment (``issue_comment`` ``created``) on a pull request, by someone
listed in ``profiles.yaml`` with their ``github`` login who is an OWNER,
MEMBER or COLLABORATOR of the repository; optionally the webhook's
``X-Hub-Signature-256`` is verified over the raw body first.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
from typing import Any

from precommit_hooks.core.findings import (
    Refusal,
    json_problem,
    print_json,
    refuse_special_file,
)
from precommit_hooks.core.yamldata import get_in

MAX_PAYLOAD_BYTES = 25 << 20  # GitHub's own cap on webhook payloads
ALLOWED_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR")

_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")


def verify_signature(body: bytes, signature: str, secret: bytes) -> None:
    """Check GitHub's ``X-Hub-Signature-256`` over the raw body (constant time)."""
    if not secret:
        raise Refusal("the webhook secret is empty; set the secret's variable")
    match = _SIGNATURE.fullmatch((signature or "").strip())
    if not match:
        raise Refusal(
            "the signature is not 'sha256=<64 hex digits>' "
            "(GitHub's X-Hub-Signature-256 header)"
        )
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(1)):
        raise Refusal(
            "the webhook signature does not match the body: not sent by GitHub "
            "with this secret"
        )


def pull_request_number(event: dict) -> int:
    """The pull request's number: a positive integer, or a one-line refusal."""
    issue = event.get("issue")
    if not isinstance(issue, dict) or "number" not in issue:
        raise Refusal("the payload has no issue number (issue.number)")
    number = issue["number"]
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        shown = json.dumps(number)[:40]
        raise Refusal(
            f"issue.number {shown} is not a pull request number: it must be a "
            "positive integer; pass GitHub's issue_comment payload unchanged"
        )
    if not issue.get("pull_request"):
        raise Refusal(
            f"#{number} is an issue, not a pull request: comment on the pull request"
        )
    return number


def authorize_event(event: Any, profiles: Any) -> dict[str, Any]:
    """``{"pr", "commenter", "repo"}`` when the event may start a run.

    ``profiles`` is a loaded :class:`precommit_hooks.access.profiles.Profiles`.
    """
    if not isinstance(event, dict) or not isinstance(event.get("comment"), dict):
        raise Refusal("the payload is not an issue_comment event (no 'comment')")
    action = event.get("action")
    if action != "created":
        raise Refusal(
            f"the comment was {action}, not created: only a new comment starts a "
            "run; post a new comment"
        )
    number = pull_request_number(event)
    login = get_in(event, "comment", "user", "login")
    if not isinstance(login, str) or not login:
        raise Refusal("the payload names no commenter (comment.user.login)")
    sender = get_in(event, "sender", "login")
    if sender is not None and sender != login:
        raise Refusal(f"the sender {sender!r} is not the commenter {login!r}")
    if get_in(event, "comment", "user", "type") == "Bot":
        raise Refusal(f"{login!r} is a bot; only people start pipeline runs")
    association = event["comment"].get("author_association")
    if association not in ALLOWED_ASSOCIATIONS:
        raise Refusal(
            f"{login!r} is {association or 'not associated'} on this repository; "
            f"only {', '.join(ALLOWED_ASSOCIATIONS)} may run pipelines"
        )
    member = profiles.by_github(login)
    if member is None:
        raise Refusal(
            f"{login!r} is not in {profiles.path or 'profiles.yaml'}; an admin adds "
            "them as {email, github} under admins or contributors"
        )
    repo = get_in(event, "repository", "full_name")
    if not isinstance(repo, str):
        raise Refusal("the payload has no repository.full_name")
    return {"pr": number, "commenter": login, "repo": repo}


def _read_capped(path: str, what: str) -> bytes:
    refuse_special_file(path, f"{what} file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PAYLOAD_BYTES + 1)
    except OSError as exc:
        raise Refusal(f"cannot read the {what} {path}: {exc.strerror}") from None
    if len(data) > MAX_PAYLOAD_BYTES:
        raise Refusal(f"the {what} {path} is over {MAX_PAYLOAD_BYTES} bytes")
    return data


def _json_payload(data: bytes, path: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is one
        raise Refusal(
            f"{path} is not a JSON webhook payload: {json_problem(exc)}"
        ) from None


# No file given yet; a payload that is JSON null is an event, and refused as one.
_NO_EVENT = object()


def _authorize_command(args: argparse.Namespace) -> int:
    from precommit_hooks.access.profiles import load_profiles

    signed = (args.body_file, args.signature, args.secret_env)
    if any(signed) and not all(signed):
        raise Refusal(
            "to verify the signature pass --body-file, --signature and --secret-env"
        )
    event: Any = _NO_EVENT
    if args.body_file:
        raw = _read_capped(args.body_file, "signed body")
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            raise Refusal(f"the variable {args.secret_env} holding the secret is unset")
        verify_signature(raw, args.signature, secret.encode("utf-8"))
        event = _json_payload(raw, args.body_file)
    if args.payload:
        payload = _json_payload(_read_capped(args.payload, "payload"), args.payload)
        if event is not _NO_EVENT and payload != event:
            raise Refusal(f"{args.payload} is not the signed body {args.body_file}")
        event = payload
    if event is _NO_EVENT:
        raise Refusal("pass the event with --payload (or --body-file)")
    profiles, found = load_profiles(args.profiles, size_hint="split it")
    if profiles is None:
        first = found[0].text() if found else f"{args.profiles}: unreadable"
        raise Refusal(f"profiles file refused: {first}")
    print_json(authorize_event(event, profiles))
    return 0


def configure_authorize(parser: argparse.ArgumentParser) -> None:
    """``dsp authorize --payload event.json --profiles profiles.yaml [...]``."""
    parser.add_argument("--payload", help="the webhook event (JSON file)")
    parser.add_argument("--profiles", required=True, help="profiles.yaml to trust")
    parser.add_argument("--body-file", help="the raw request body GitHub signed")
    parser.add_argument("--signature", help="X-Hub-Signature-256 header value")
    parser.add_argument(
        "--secret-env", help="environment variable holding the webhook secret"
    )
    parser.set_defaults(func=_authorize_command)
