"""Rules on the GitHub interceptor: signatures and the owners check."""

from __future__ import annotations

from precommit_hooks.core.rules import rule
from precommit_hooks.hooks.check_tekton.interceptors import (
    ci_get,
    enabled,
    github_interceptors,
)
from precommit_hooks.hooks.check_tekton.loader import HOOK, Context, Doc
from precommit_hooks.hooks.check_tekton.tree import triggers


@rule(HOOK, "github-secret")
def github_secret(ctx: Context, doc: Doc) -> None:
    """A GitHub interceptor without `secretRef` (it accepts unsigned payloads
    from anyone), or with one lacking `secretName`/`secretKey`."""
    for trigger, where in triggers(doc):
        for _, params, at in github_interceptors(trigger):
            secret = ci_get(params, "secretRef")
            if secret is None:
                ctx.report.add(
                    doc,
                    at,
                    "github-secret",
                    f"GitHub interceptor in {where} has no secretRef, so it accepts "
                    "unsigned payloads from anyone; add params secretRef "
                    "{secretName, secretKey} naming the webhook secret",
                )
            elif not (
                isinstance(secret, dict)
                and ci_get(secret, "secretName")
                and ci_get(secret, "secretKey")
            ):
                ctx.report.add(
                    doc,
                    at,
                    "github-secret",
                    f"GitHub interceptor in {where}: secretRef needs both secretName "
                    "and secretKey",
                )


@rule(HOOK, "github-owners-skipped")
def github_owners_skipped(ctx: Context, doc: Doc) -> None:
    """`addChangedFiles` together with `githubOwners` in one GitHub interceptor.

    For pull_request and push events the interceptor returns after adding the
    changed files and never runs the owners check: use two interceptors or two
    triggers.
    """
    for trigger, where in triggers(doc):
        for _, params, at in github_interceptors(trigger):
            owners = ci_get(params, "githubOwners")
            if enabled(owners) and enabled(ci_get(params, "addChangedFiles")):
                ctx.report.add(
                    doc,
                    at,
                    "github-owners-skipped",
                    f"GitHub interceptor in {where} enables addChangedFiles and "
                    "githubOwners: for pull_request and push events it returns "
                    "after adding the changed files and never runs the owners "
                    "check; use two interceptors or two triggers",
                )


@rule(HOOK, "github-owners-token")
def github_owners_token(ctx: Context, doc: Doc) -> None:
    """`githubOwners` with a `checkType` other than `none` and no
    `personalAccessToken`: every check fails."""
    for trigger, where in triggers(doc):
        for _, params, at in github_interceptors(trigger):
            owners = ci_get(params, "githubOwners")
            if not enabled(owners):
                continue
            check = ci_get(owners, "checkType")
            if check != "none" and not ci_get(owners, "personalAccessToken"):
                ctx.report.add(
                    doc,
                    at,
                    "github-owners-token",
                    f"githubOwners in {where} checks {check or 'members'} (checkType "
                    f"{check!r}) without a personalAccessToken: every check fails; "
                    "add personalAccessToken or set checkType: none",
                )
