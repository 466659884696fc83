"""Pipeline version names, and which KFP versions to upload or prune.

Users find a pipeline version in the KFP UI by branch and commit:
``feature/lakefs-ormb-lakefs-c8eb41f`` on a branch and, on the default
branch, ``GAIA-demo-example-pipeline-main-d6fd662`` (the pipeline's name in
front, because the default branch's versions are the ones people run).  That
is the version's ``display_name``.  Its ``name`` is the same text made
DNS-1123 safe, because KFP's Kubernetes-native store keeps versions as
Kubernetes objects.

Everything here is a plain function of its arguments: no kfp import, no
server.  ``dsp pipeline`` (:mod:`precommit_hooks.kfp.client`) asks these
functions what to do and only then talks to KFP.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from precommit_hooks.core.findings import Refusal, print_json

SHORT_SHA = 7
MAX_NAME = 127  # KFP's limit for names in its Kubernetes-native store
MAX_BRANCH = 255
MAX_PIPELINE = 128

_HEX = re.compile(r"^[0-9a-fA-F]{7,64}$")
_UNSAFE = re.compile(r"[^a-z0-9.]+")
_SEPARATOR_RUNS = re.compile(r"[-.]*-[-.]*|\.{2,}")


@dataclass(frozen=True)
class VersionName:
    """A pipeline version's two names: as users read it, and DNS-1123 safe."""

    display_name: str
    name: str


@dataclass(frozen=True)
class PipelineVersion:
    """What the plans need to know about a version that exists in KFP."""

    version_id: str
    display_name: str
    name: str = ""
    created_at: str = ""  # ISO 8601; sorts in time order as text


def short_sha(sha: str) -> str:
    """The 7-character abbreviation of a commit SHA (lowercase hex)."""
    if not isinstance(sha, str) or not _HEX.match(sha.strip()):
        raise Refusal(
            f"commit {sha!r} is not a hexadecimal SHA of 7 to 64 characters; "
            "pass the full commit SHA (git rev-parse HEAD)"
        )
    return sha.strip().lower()[:SHORT_SHA]


def _check_text(what: str, value: str, limit: int) -> str:
    if not value or not value.strip():
        raise Refusal(f"{what} is empty; pass the {what}")
    if len(value) > limit:
        raise Refusal(f"{what} is {len(value)} characters long; at most {limit}")
    bad = next((c for c in value if c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise Refusal(
            f"{what} {value!r} contains {bad!r} (U+{ord(bad):04X}); "
            "names of branches and pipelines have no spaces or control characters"
        )
    return value


def branch_name(branch: str) -> str:
    """The branch as users see it (``refs/heads/`` dropped), validated."""
    branch = _check_text("branch", branch, MAX_BRANCH)
    if branch.startswith("refs/heads/"):
        branch = branch[len("refs/heads/") :]
        _check_text("branch", branch, MAX_BRANCH)
    return branch


def display_prefix(
    branch: str, pipeline: str | None = None, default_branch: str = "main"
) -> str:
    """Everything of the display name before ``-<short sha>``."""
    branch = branch_name(branch)
    if pipeline is not None and branch == branch_name(default_branch):
        return f"{_check_text('pipeline', pipeline, MAX_PIPELINE)}-{branch}"
    return branch


def dns_safe(display_name: str, sha: str) -> str:
    """``display_name`` as a DNS-1123 name that still ends in the short SHA.

    Lowercase; every run of characters outside ``[a-z0-9.]`` becomes one
    ``-``; runs of separators collapse to one; at most 127 characters, cut
    from the front part so the short SHA stays at the end.
    """
    tail = short_sha(sha)
    head = display_name[: -len(tail)] if display_name.endswith(tail) else display_name
    head = _UNSAFE.sub("-", head.lower())
    head = _SEPARATOR_RUNS.sub(lambda m: "-" if "-" in m.group() else ".", head)
    head = head.strip("-.")
    head = head[: MAX_NAME - len(tail) - 1].rstrip("-.")
    return f"{head}-{tail}" if head else tail


def version_name(
    branch: str, sha: str, pipeline: str | None = None, default_branch: str = "main"
) -> VersionName:
    """The version's names for a commit on a branch (deterministic).

    ``display_name`` is ``<branch>-<short sha>``, and on the default branch
    ``<pipeline>-<branch>-<short sha>`` when the pipeline is named.
    """
    display = f"{display_prefix(branch, pipeline, default_branch)}-{short_sha(sha)}"
    return VersionName(display_name=display, name=dns_safe(display, sha))


def is_version_of(
    version: PipelineVersion,
    branch: str,
    pipeline: str | None = None,
    default_branch: str = "main",
) -> bool:
    """True when the version was named by :func:`version_name` for this branch.

    Exact match on ``<prefix>-<7 hex>``: branch ``feature/x`` does not claim
    ``feature/x-y-<sha>``.
    """
    prefix = display_prefix(branch, pipeline, default_branch)
    pattern = re.compile(re.escape(prefix) + r"-[0-9a-f]{%d}" % SHORT_SHA)
    return bool(pattern.fullmatch(version.display_name or ""))


def existing_version(
    versions: Iterable[PipelineVersion], wanted: VersionName
) -> PipelineVersion | None:
    """The version already uploaded under ``wanted``'s names, if any.

    Uploading it again would fail or duplicate it: a repeat is a no-op.
    """
    for version in versions:
        if version.display_name == wanted.display_name or (
            version.name and version.name == wanted.name
        ):
            return version
    return None


def versions_to_prune(
    versions: Sequence[PipelineVersion],
    *,
    branch: str,
    keep: int,
    pipeline: str,
    default_branch: str = "main",
    sha: str | None = None,
) -> list[PipelineVersion]:
    """The versions of ``branch`` to delete so that ``keep`` remain.

    Only versions named for this branch are candidates; the pipeline's own
    first version (named like the pipeline, which KFP creates with it) is
    never deleted.  With ``sha``, that commit's version counts as the newest
    kept one whether or not it is uploaded yet, so pruning before uploading
    leaves ``keep`` versions after the upload.  Newest first by creation time.
    """
    if keep < 0:
        raise Refusal(f"--keep {keep} is negative; pass 0 or more")
    branch = branch_name(branch)
    if keep == 0 and branch == branch_name(default_branch):
        raise Refusal(
            f"--keep 0 would delete every version of the default branch "
            f"{branch!r}; keep at least 1"
        )
    current = version_name(branch, sha, pipeline, default_branch) if sha else None
    candidates = [
        v
        for v in versions
        if v.display_name != pipeline
        and is_version_of(v, branch, pipeline, default_branch)
        and not (current and existing_version([v], current))
    ]
    candidates.sort(key=lambda v: (v.created_at, v.display_name), reverse=True)
    kept = max(keep - (1 if current else 0), 0)
    return candidates[kept:]


def _print_version_name(args: argparse.Namespace) -> int:
    names = version_name(args.branch, args.sha, args.pipeline, args.default_branch)
    print_json({"name": names.name, "display_name": names.display_name})
    return 0


def configure_version_name(parser: argparse.ArgumentParser) -> None:
    """``dsp version-name --branch B --sha S [--pipeline P] [--default-branch]``."""
    parser.add_argument("--branch", required=True, help="branch (or refs/heads/...)")
    parser.add_argument("--sha", required=True, help="commit SHA (7 to 64 hex)")
    parser.add_argument(
        "--pipeline",
        default=None,
        help="pipeline name, put in front of the version on the default branch",
    )
    parser.add_argument("--default-branch", default="main", help="default: main")
    parser.set_defaults(func=_print_version_name)


def version_from_api(version: Any) -> PipelineVersion:
    """A :class:`PipelineVersion` from a kfp_server_api object or a dict."""

    def field(key: str) -> Any:
        if isinstance(version, dict):
            return version.get(key)
        return getattr(version, key, None)

    created = field("created_at")
    if hasattr(created, "isoformat"):
        created = created.isoformat()
    return PipelineVersion(
        version_id=str(field("pipeline_version_id") or ""),
        display_name=str(field("display_name") or ""),
        name=str(field("name") or ""),
        created_at=str(created or ""),
    )
