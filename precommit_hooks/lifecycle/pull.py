"""``dsp model pull``: check everything, unpack beside ``--output``, then move it in.

The manifest's digest (against ``@sha256:...`` or ``--digest``), the config's
media type, size and JSON, each blob's size and digest (while streaming) and
each layer member's header (:mod:`.layers`) are checked in a temporary folder
beside ``--output``; only when all passed is the model moved into place by
renames.  A refusal leaves ``--output`` as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from precommit_hooks.core.files import (
    loads_strict_json,
    refuse_non_folder,
    staging_folder,
    write_atomic,
)
from precommit_hooks.core.findings import Refusal
from precommit_hooks.lifecycle import oci
from precommit_hooks.lifecycle.layers import (
    MODEL_DIR,
    MODEL_LAYER_MEDIA_TYPES,
    UnpackLimits,
    UnpackState,
    unpack_model,
)
from precommit_hooks.lifecycle.oci import (
    OCI_MANIFEST_MEDIA_TYPE,
    check_blob,
    sha256_digest,
    split_reference,
)
from precommit_hooks.lifecycle.ormb import (
    CONFIG_FILE,
    MAX_CONFIG_BYTES,
    ORMB_CONFIG_MEDIA_TYPE,
    parse_config,
)


def _refuse_bad_output(destination: Path) -> None:
    """Refuse an output that exists as something a pull must not replace."""
    refuse_non_folder(destination, "--output")
    inner = destination / MODEL_DIR
    if inner.is_symlink() or (inner.exists() and not inner.is_dir()):
        raise Refusal(f"{inner}: exists and is not a folder; move it away first")
    write_target = destination / CONFIG_FILE
    if write_target.is_symlink() or (
        write_target.exists() and not write_target.is_file()
    ):
        raise Refusal(f"{write_target}: exists and is not a regular file; move it away")


def _expected_digest(reference: str, tag: str, given: str | None) -> str | None:
    if given is not None:
        oci.check_digest(given, "--digest")
    if tag.startswith("sha256:"):
        if given and given != tag:
            raise Refusal(f"--digest {given} contradicts {reference!r}")
        return tag
    return given


def _fetch_manifest(
    registry: Any, base: str, reference: str, tag: str, expected: str | None
) -> tuple[dict[str, Any], str]:
    url = f"{base}/manifests/{tag}"
    data = oci.get_capped(
        registry, url, oci.MAX_MANIFEST_BYTES, "manifest", OCI_MANIFEST_MEDIA_TYPE
    )
    digest = sha256_digest(data)
    if expected and digest != expected:
        raise Refusal(
            f"{reference}: manifest digest {digest} is not the expected "
            f"{expected}; the tag was moved or the registry is lying"
        )
    try:
        manifest = loads_strict_json(data.decode("utf-8"))
        ok = isinstance(manifest["config"], dict) and isinstance(
            manifest["layers"], list
        )
        ok = ok and all(isinstance(layer, dict) for layer in manifest["layers"])
    except (ValueError, KeyError, TypeError, RecursionError):
        ok = False
    if not ok:
        raise Refusal(f"{reference}: not an OCI image manifest; do not use it")
    return manifest, digest


def _fetch_config(registry: Any, base: str, manifest: dict, reference: str) -> bytes:
    descriptor = manifest["config"]
    if descriptor.get("mediaType") != ORMB_CONFIG_MEDIA_TYPE:
        raise Refusal(
            f"{reference}: config media type {descriptor.get('mediaType')!r} "
            f"is not ORMB's {ORMB_CONFIG_MEDIA_TYPE}; not a model pushed by dsp/ORMB"
        )
    oci.descriptor_size(descriptor, MAX_CONFIG_BYTES, "model config", "nothing")
    digest = oci.check_digest(str(descriptor.get("digest")), "the config digest")
    data = oci.get_capped(
        registry, f"{base}/blobs/{digest}", descriptor["size"], "model config"
    )
    check_blob(data, descriptor, "config")
    parse_config(data, reference)
    return data


def _unpack_layers(
    registry: Any, base: str, layers: list, stage: Path, limits: UnpackLimits
) -> int:
    state = UnpackState(limits)
    count = 0
    for number, layer in enumerate(layers):
        if layer.get("mediaType") not in MODEL_LAYER_MEDIA_TYPES:
            continue
        what = f"model layer {number + 1}"
        oci.descriptor_size(layer, limits.max_bytes, what, "--max-unpacked-bytes")
        digest = oci.check_digest(str(layer.get("digest")), f"the {what} digest")
        blob = stage / f".layer-{number}"
        oci.download_blob(registry, f"{base}/blobs/{digest}", layer, blob, what)
        with open(blob, "rb") as source:
            count += len(unpack_model(source, stage, state))
        blob.unlink()
    return count


def _install(stage: Path, destination: Path) -> None:
    """Move the checked model from ``stage`` into ``destination`` by renames."""
    if not destination.exists():
        target = stage / ".install"
        target.mkdir()
        for name in (MODEL_DIR, CONFIG_FILE):
            os.replace(stage / name, target / name)
        os.replace(target, destination)
        return
    old = destination / MODEL_DIR
    if old.exists():
        os.replace(old, stage / ".replaced")  # removed with the stage
    os.replace(stage / MODEL_DIR, old)
    os.replace(stage / CONFIG_FILE, destination / CONFIG_FILE)


def pull_model(
    reference: str,
    destination: Path,
    expected_digest: str | None = None,
    insecure: bool = False,
    limits: UnpackLimits = UnpackLimits(),
) -> dict[str, Any]:
    """Fetch and check everything, unpack beside ``destination``, then move it in."""
    host, repository, tag = split_reference(reference)
    # Local mistakes are refused before anything is fetched.
    _refuse_bad_output(destination)
    expected = _expected_digest(reference, tag, expected_digest)
    registry = oci.client(host, insecure)
    base = f"{oci.scheme(host, insecure)}://{host}/v2/{repository}"
    manifest, digest = _fetch_manifest(registry, base, reference, tag, expected)
    blob = _fetch_config(registry, base, manifest, reference)
    with staging_folder(destination) as stage:
        if not _unpack_layers(registry, base, manifest["layers"], stage, limits):
            raise Refusal(
                f"{reference}: no model layer ({' or '.join(MODEL_LAYER_MEDIA_TYPES)}) "
                "with files; push the model with dsp model push"
            )
        write_atomic(stage / CONFIG_FILE, blob)
        files = sorted(
            destination / p.relative_to(stage)
            for p in (stage / MODEL_DIR).rglob("*")
            if p.is_file()
        )
        _install(stage, destination)
    annotations = manifest.get("annotations")
    return {
        "reference": reference,
        "digest": digest,
        "annotations": annotations if isinstance(annotations, dict) else {},
        "config": parse_config(blob, reference),
        "files": [str(p) for p in files],
    }
