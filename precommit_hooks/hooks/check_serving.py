"""The ``check-serving`` hook: KServe InferenceServices under ``serving/``.

The template serves the promoted model with a KServe ``InferenceService``
whose ``storageUri`` is an ``oci://`` reference to the model repository that
``dsp model promote`` pushes to.  This hook keeps that file deployable: the
right API and kind, a model format, an ``oci://`` storage URI with a tag or a
digest, a valid name, and the namespace of the project's Kubeflow profile
(``profiles.yaml``, found in the file's folder or above it).  Documents of
other kinds (a ServingRuntime, say) are left alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.findings import (
    Finding,
    emit,
    finding,
    hook_parser,
    run_checks,
)
from precommit_hooks.core.rules import rule, rules_of
from precommit_hooks.core.text import did_you_mean
from precommit_hooks.core.images import is_tag
from precommit_hooks.lifecycle.oci import DIGEST

HOOK = "check-serving"
API_VERSION = "serving.kserve.io/v1beta1"
KIND = "InferenceService"
# KServe's built-in serving runtimes (kserve/config/runtimes).
MODEL_FORMATS = (
    "sklearn",
    "xgboost",
    "lightgbm",
    "tensorflow",
    "pytorch",
    "onnx",
    "triton",
    "pmml",
    "paddle",
    "huggingface",
    "mlflow",
)
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
OCI_REPOSITORY = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$")


@dataclass
class Context:
    """One InferenceService document and where it came from."""

    path: str
    doc: Any
    namespace: str | None  # the profile's, when profiles.yaml was found
    profiles_problem: str | None = None
    found: list[Finding] = field(default_factory=list)


def _get(data: Any, *keys: str) -> tuple[Any, Any]:
    """(parent, value) of a key path; value None when any step is missing."""
    parent = None
    for key in keys:
        if not isinstance(data, dict):
            return parent, None
        parent, data = data, data.get(key)
    return parent, data


def _at(ctx: Context, parent: Any, key: str, rule_id: str, message: str) -> Finding:
    pos = yamldata.pos_of(parent, key) if parent is not None else None
    return finding(ctx.path, pos or yamldata.pos_of(ctx.doc, "kind"), rule_id, message)


@rule(HOOK, "serving-api")
def serving_api(ctx: Context) -> Iterator[Finding]:
    """An InferenceService is ``serving.kserve.io/v1beta1``.

    KServe serves ``v1beta1``; ``v1alpha2`` and other versions are not
    served by current releases, so the apply would fail on the cluster.
    """
    version = ctx.doc.get("apiVersion")
    if version != API_VERSION:
        yield _at(
            ctx,
            ctx.doc,
            "apiVersion",
            "serving-api",
            f"apiVersion {version!r} is not {API_VERSION}; write apiVersion: "
            f"{API_VERSION}",
        )


@rule(HOOK, "serving-name")
def serving_name(ctx: Context) -> Iterator[Finding]:
    """``metadata.name`` is a DNS-1035 label (a letter first, at most 63).

    KServe derives Service and host names from it and refuses names that
    start with a digit or hold characters outside ``[a-z0-9-]``.
    """
    parent, name = _get(ctx.doc, "metadata", "name")
    if not isinstance(name, str) or len(name) > 63 or not DNS_1035.match(name):
        yield _at(
            ctx,
            parent,
            "name",
            "serving-name",
            f"metadata.name {name!r} is not a DNS-1035 label; use lowercase "
            "letters, digits and '-', starting with a letter (at most 63)",
        )


@rule(HOOK, "serving-namespace")
def serving_namespace(ctx: Context) -> Iterator[Finding]:
    """``metadata.namespace`` is the project's Kubeflow profile (``profiles.yaml``).

    A profile's namespace is named after the profile; the model, its
    secrets and its users' access live there, so the InferenceService must
    too.  The profile is read from the nearest ``profiles.yaml`` in the
    file's folder or above it.
    """
    parent, namespace = _get(ctx.doc, "metadata", "namespace")
    if ctx.profiles_problem:
        yield _at(ctx, parent, "namespace", "serving-namespace", ctx.profiles_problem)
    elif namespace != ctx.namespace:
        yield _at(
            ctx,
            parent,
            "namespace",
            "serving-namespace",
            f"metadata.namespace {namespace!r} is not the profile's namespace "
            f"{ctx.namespace!r} (profiles.yaml); write namespace: {ctx.namespace}",
        )


@rule(HOOK, "serving-model-format")
def serving_model_format(ctx: Context) -> Iterator[Finding]:
    """``spec.predictor.model.modelFormat.name`` names a KServe runtime's format.

    KServe picks the serving runtime by this name; a model trained with
    scikit-learn and saved with joblib is ``sklearn``.
    """
    parent, name = _get(ctx.doc, "spec", "predictor", "model", "modelFormat", "name")
    if name not in MODEL_FORMATS:
        hint = did_you_mean(name, MODEL_FORMATS) if isinstance(name, str) else ""
        yield _at(
            ctx,
            parent,
            "name",
            "serving-model-format",
            f"spec.predictor.model.modelFormat.name {name!r} is not a KServe model "
            f"format{hint}; for a scikit-learn model write sklearn",
        )


def storage_uri_problem(uri: object) -> str | None:
    """Why ``uri`` is not ``oci://host/repository`` with a tag or digest."""
    if not isinstance(uri, str) or not uri.startswith("oci://"):
        return "is not an oci:// reference"
    rest = uri[len("oci://") :]
    host, _, path = rest.partition("/")
    if not host or not path:
        return "names no registry host and repository"
    if "@" in path:
        repository, ref = path.split("@", 1)
        bad_ref = None if DIGEST.match(ref) else "digest is not sha256:<64 hex>"
    elif ":" in path.rsplit("/", 1)[-1]:
        repository, ref = path.rsplit(":", 1)
        bad_ref = None if is_tag(ref) else f"tag {ref!r} is not a valid tag"
    else:
        return "has no tag or digest (:current, or @sha256:... to pin it)"
    if not OCI_REPOSITORY.match(repository):
        return f"repository {repository!r} is not a lowercase OCI repository name"
    return bad_ref


@rule(HOOK, "serving-storage-uri")
def serving_storage_uri(ctx: Context) -> Iterator[Finding]:
    """``spec.predictor.model.storageUri`` is ``oci://host/repo`` with a tag or digest.

    The model is the one ``dsp model promote`` pushed; KServe pulls it as an
    OCI artifact (modelcar).  A digest (``@sha256:...``) pins the served
    model; a tag (``:current``) follows promotions at the next rollout.
    """
    parent, uri = _get(ctx.doc, "spec", "predictor", "model", "storageUri")
    problem = storage_uri_problem(uri)
    if problem:
        yield _at(
            ctx,
            parent,
            "storageUri",
            "serving-storage-uri",
            f"spec.predictor.model.storageUri {uri!r} {problem}; write "
            "oci://<registry>/<repository>@sha256:<digest> (or :current)",
        )


def find_profiles(path: str) -> str | None:
    """The nearest ``profiles.yaml`` in ``path``'s folder or above it."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        for name in ("profiles.yaml", "profiles.yml"):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return candidate
        if os.path.isdir(os.path.join(folder, ".git")):
            return None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def profile_namespace(path: str, given: str | None) -> tuple[str | None, str | None]:
    """(namespace, problem) from ``given`` or the nearest profiles.yaml."""
    from precommit_hooks.access.profiles import load_profiles

    profiles_path = given or find_profiles(path)
    if profiles_path is None:
        return None, (
            "no profiles.yaml in this folder or above it; the namespace must be "
            "the profile's (pass --profiles PATH)"
        )
    profiles, _ = load_profiles(profiles_path)
    if profiles is None:
        return None, f"{profiles_path} is not valid; fix it first (check-profiles)"
    return profiles.name, None


def check_file(
    path: str, profiles: str | None = None, max_bytes: int | None = None
) -> list[Finding]:
    """All findings for one serving file."""
    try:
        loaded = yamlio.load(path, max_bytes=max_bytes)
    except yamlio.YamlError as exc:
        return [exc.finding]
    found = list(loaded.findings)
    services = [d for d in loaded.documents if isinstance(d, dict)]
    services = [d for d in services if d.get("kind") == KIND]
    if not services:
        return found + [
            finding(
                path,
                (1, 1),
                "serving-api",
                f"no kind: {KIND} document; write a KServe InferenceService",
            )
        ]
    namespace, problem = profile_namespace(path, profiles)
    for doc in services:
        ctx = Context(path, doc, namespace, problem)
        for each in rules_of(HOOK):
            found.extend(each.check(ctx))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """check-serving: validate KServe InferenceService files."""
    parser = hook_parser(HOOK, "Check KServe InferenceServices under serving/.")
    parser.add_argument(
        "--profiles", help="the profiles.yaml naming the namespace (default: nearest)"
    )
    args = parser.parse_args(argv)
    found = run_checks(
        args.filenames, lambda name: check_file(name, args.profiles, args.max_bytes)
    )
    return emit(found, args.format, args.strict)


if __name__ == "__main__":
    raise SystemExit(main())
