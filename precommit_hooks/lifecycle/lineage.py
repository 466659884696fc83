"""``dsp model lineage``: where a model in the registry came from.

A model pushed by ``dsp model push`` or ``dsp model promote`` carries its
origin in its ORMB config: the lakeFS commit its data was read at
(``dataset.git``), the git revision of the training code (``training.git``)
and, when a pipeline trained it, the run (``training.pipelineRun``: the run
id and the pipeline version name).  This module reads those back, with the
manifest digest and every tag that points at it, and prints the chain::

    data      lakefs://iris/main/data/iris.csv @ 4f1c...
    code      https://github.com/acme/iris.git @ 9d2e...
    pipeline  run 6b0f... (version main-9d2e1a3)
    model     registry.example.com/iris/model@sha256:...
    tags      current, main-9d2e1a3

It also holds the small registry client :mod:`promote` uses to read and move
tags (the OCI distribution API: manifests by tag or digest, tags/list).  It
goes through :func:`.oci.client`, so it has the bounded requests and the
registry login (:mod:`.registry_login`) of ``dsp model push|pull``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from precommit_hooks.core.files import json_object
from precommit_hooks.core.findings import (
    Refusal,
    print_json,
    print_text,
    refuse_special_file,
)
from precommit_hooks.lifecycle import oci
from precommit_hooks.lifecycle.oci import (
    OCI_MANIFEST_MEDIA_TYPE,
    sha256_digest,
    split_reference,
)
from precommit_hooks.lifecycle.ormb_format import ORMB_CONFIG_MEDIA_TYPE

MANIFEST_TYPES = (
    OCI_MANIFEST_MEDIA_TYPE,
    "application/vnd.docker.distribution.manifest.v2+json",
)
MAX_TAGS = 1000  # tags compared with the model's digest; more is a hint to prune


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry stored it: its bytes, media type and digest."""

    data: bytes
    media_type: str
    digest: str

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.data)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise Refusal(f"manifest {self.digest} is not a JSON object")
        return value


class RegistryApi:
    """Manifests and tags of one registry host (the OCI distribution API)."""

    def __init__(self, host: str, insecure: bool = False) -> None:
        self.host = host
        self.base = f"{oci.scheme(host, insecure)}://{host}/v2"
        self.client = oci.client(host, insecure)  # probes, and logs in

    def _request(self, repository: str, url: str, method: str = "GET", **kw: Any):
        # The bounded client turns a failed request into one line (Refusal).
        return self.client.do_request(url, method, **kw)

    def manifest(self, repository: str, ref: str) -> Manifest | None:
        """The manifest at a tag or digest; None when the registry has none."""
        url = f"{self.base}/{repository}/manifests/{ref}"
        response = self._request(
            repository, url, headers={"Accept": ", ".join(MANIFEST_TYPES)}
        )
        if response.status_code == 404:
            return None
        _check_status(response, url)
        media_type = response.headers.get("Content-Type", OCI_MANIFEST_MEDIA_TYPE)
        return Manifest(
            response.content, media_type.split(";")[0], sha256_digest(response.content)
        )

    def digest(self, repository: str, ref: str) -> str | None:
        """The manifest digest a tag points at (a HEAD request); None if absent."""
        url = f"{self.base}/{repository}/manifests/{ref}"
        response = self._request(
            repository, url, "HEAD", headers={"Accept": ", ".join(MANIFEST_TYPES)}
        )
        if response.status_code == 404:
            return None
        _check_status(response, url)
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        found = self.manifest(repository, ref)  # a registry that omits the header
        return found.digest if found else None

    def tag(self, repository: str, tag: str, manifest: Manifest) -> None:
        """Point ``tag`` at ``manifest`` (a PUT of the same bytes: same digest)."""
        url = f"{self.base}/{repository}/manifests/{tag}"
        response = self._request(
            repository,
            url,
            "PUT",
            data=manifest.data,
            headers={"Content-Type": manifest.media_type},
        )
        _check_status(response, url, ok=(200, 201))

    def blob(self, repository: str, digest: str) -> bytes:
        """A blob, checked against its digest."""
        url = f"{self.base}/{repository}/blobs/{digest}"
        response = self._request(repository, url)
        _check_status(response, url)
        if sha256_digest(response.content) != digest:
            raise Refusal(f"{url}: the blob does not match its digest; do not use it")
        return response.content

    def tags(self, repository: str) -> list[str]:
        """The repository's tags (empty when it has none yet)."""
        url = f"{self.base}/{repository}/tags/list?n={MAX_TAGS}"
        response = self._request(repository, url)
        if response.status_code == 404:
            return []
        _check_status(response, url)
        try:
            tags = response.json().get("tags") or []
        except (ValueError, AttributeError):
            raise Refusal(f"{url}: the registry's tag list is not JSON")
        return sorted(t for t in tags if isinstance(t, str))


def _check_status(response: Any, url: str, ok: tuple[int, ...] = (200,)) -> None:
    if response.status_code not in ok:
        detail = " ".join(response.text.split())[:200]
        raise Refusal(
            f"{url}: the registry answered {response.status_code} ({detail}); check "
            "the reference and your permissions"
        )


def model_config(api: RegistryApi, repository: str, manifest: Manifest) -> dict:
    """The ORMB config a model manifest points at (media type and digest checked)."""
    descriptor = manifest.json().get("config")
    if not isinstance(descriptor, dict) or not isinstance(
        descriptor.get("digest"), str
    ):
        raise Refusal(f"manifest {manifest.digest} has no config descriptor")
    if descriptor.get("mediaType") != ORMB_CONFIG_MEDIA_TYPE:
        raise Refusal(
            f"manifest {manifest.digest}: config media type "
            f"{descriptor.get('mediaType')!r} is not ORMB's; not a model pushed by dsp"
        )
    try:
        config = json.loads(api.blob(repository, descriptor["digest"]))
    except ValueError:
        config = None
    if not isinstance(config, dict):
        raise Refusal(f"manifest {manifest.digest}: its ORMB config is not JSON")
    return config


def config_metrics(config: dict) -> dict[str, float]:
    """``metrics.validation`` of an ORMB config as numbers (ORMB stores text)."""
    values: dict[str, float] = {}
    validation = (config.get("metrics") or {}).get("validation") or []
    for item in validation if isinstance(validation, list) else []:
        try:
            values[str(item["name"])] = float(item["value"])
        except (KeyError, TypeError, ValueError):
            continue  # not a number: the gate only reads numbers
    return values


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object file (strict: no NaN, no duplicate keys), or one line."""
    refuse_special_file(path, f"{what} JSON file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Refusal(f"{path}: no {what} file; fix the path")
    return json_object(data, path, what)


def dataset_of_record(record: Path | None) -> tuple[str | None, str | None]:
    """(source, lakeFS commit) of the record lakefs-download-file wrote."""
    if record is None:
        return None, None
    data = read_json_object(record, "dataset record")
    values = [data.get(k) for k in ("source", "commit_id")]
    if any(v is not None and not isinstance(v, str) for v in values):
        raise Refusal(f"{record}: source and commit_id must be strings")
    return values[0], values[1]


def record_pipeline_run(config: dict, run_id: str | None, version: str) -> dict:
    """Record the pipeline run beside the git revision in an ORMB config."""
    run = {k: v for k, v in (("id", run_id), ("version", version)) if v}
    config.setdefault("training", {})["pipelineRun"] = run
    return config


def lineage(reference: str, insecure: bool = False) -> dict[str, Any]:
    """The chain for a model reference: data, code, pipeline run, digest, tags."""
    host, repository, ref = split_reference(reference)
    api = RegistryApi(host, insecure)
    manifest = api.manifest(repository, ref)
    if manifest is None:
        raise Refusal(
            f"{reference}: no such model in the registry; list the tags with "
            f"oras repo tags {host}/{repository}"
        )
    config = model_config(api, repository, manifest)
    tags = [
        tag
        for tag in api.tags(repository)
        if tag == ref or api.digest(repository, tag) == manifest.digest
    ]
    dataset = (config.get("dataset") or {}).get("git") or {}
    training = config.get("training") or {}
    run = training.get("pipelineRun") or {}
    return {
        "data": {
            "source": dataset.get("repository"),
            "commit": dataset.get("revision"),
        },
        "code": {
            "repository": (training.get("git") or {}).get("repository"),
            "revision": (training.get("git") or {}).get("revision"),
        },
        "pipeline_run": {"id": run.get("id"), "version": run.get("version")},
        "model": f"{host}/{repository}@{manifest.digest}",
        "digest": manifest.digest,
        "tags": tags,
        "metrics": config_metrics(config),
    }


def render_lineage(chain: dict[str, Any]) -> str:
    """The chain as aligned lines, unknown links as ``unknown``."""

    def at(what: str | None, where: str | None) -> str:
        return f"{what or 'unknown'} @ {where or 'unknown'}"

    run = chain["pipeline_run"]
    pipeline = (
        f"run {run['id'] or 'unknown'} (version {run['version'] or 'unknown'})"
        if run["id"] or run["version"]
        else "none recorded (pushed outside a pipeline)"
    )
    rows = [
        ("data", at(chain["data"]["source"], chain["data"]["commit"])),
        ("code", at(chain["code"]["repository"], chain["code"]["revision"])),
        ("pipeline", pipeline),
        ("model", chain["model"]),
        ("tags", ", ".join(chain["tags"]) or "none"),
    ]
    return "".join(f"{name:<9} {value}\n" for name, value in rows)


def configure_lineage(parser: argparse.ArgumentParser) -> None:
    """``dsp model lineage <ref>``."""
    parser.add_argument("reference", help="host[:port]/repository:tag or @sha256:...")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--insecure", action="store_true", help="plain HTTP (automatic on 127.0.0.1)"
    )
    parser.set_defaults(func=lineage_command)


def lineage_command(args: argparse.Namespace) -> int:
    chain = lineage(args.reference, args.insecure)
    if args.format == "json":
        print_json(chain)
    else:
        print_text(render_lineage(chain))
    return 0
