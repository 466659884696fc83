"""``dsp model push|pull``: models in an OCI registry, in ORMB's model format.

A pushed model is one OCI artifact:

* the config blob is ORMB's model configuration (media type
  ``application/vnd.caicloud.model.config.v1alpha1+json``, spec
  ``kleveross/ormb docs/spec-v1alpha1.md``): ``framework``, ``format``,
  ``size``, ``metrics`` (``{"validation": [{"name", "value"}]}``, values as
  strings as ORMB has them), ``hyperParameters`` (``[{"name", "value"}]``),
  ``training.git`` (repository and revision of the training code) and
  ``dataset.git`` (the lakeFS repository URI and the lakeFS commit it was read
  at: lakeFS commits are git-like, and ORMB's dataset has only a git field);
* one content layer, ``application/tar+gzip`` as ORMB pushes it: the model
  files under ``model/``, packed reproducibly (sorted, zero mtimes), so the
  same files always give the same layer digest;
* manifest annotations ``org.opencontainers.image.source``, ``.revision``
  and ``.created``.

``pull`` fetches the manifest, checks its digest (against ``@sha256:...`` or
``--digest`` when given), checks the config's media type and every blob's
digest and size, and only then unpacks the files (safely: no absolute paths,
no ``..``, no links).  The transport is the ``oras`` client; plain HTTP is used
for 127.0.0.1/localhost, or anywhere with ``--insecure``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Sequence

from precommit_hooks.core.files import write_atomic
from precommit_hooks.core.findings import (
    Refusal,
    json_problem,
    json_type_name,
    print_json,
    refuse_special_file,
)

ORMB_CONFIG_MEDIA_TYPE = "application/vnd.caicloud.model.config.v1alpha1+json"
ORMB_LAYER_MEDIA_TYPE = "application/tar+gzip"
OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
ANNOTATION_SOURCE = "org.opencontainers.image.source"
ANNOTATION_REVISION = "org.opencontainers.image.revision"
ANNOTATION_CREATED = "org.opencontainers.image.created"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
MODEL_DIR = "model"


# ------------------------------------------------------------------ ORMB config


def _named_values(data: dict[str, Any]) -> list[dict[str, str]]:
    """ORMB's ``[{"name", "value"}]`` with string values (JSON for non-strings)."""
    return [
        {"name": str(k), "value": v if isinstance(v, str) else json.dumps(v)}
        for k, v in data.items()
    ]


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    refuse_special_file(path, f"{what} JSON file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Refusal(f"{path}: no {what} file; train first or fix the path")
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is one
        raise Refusal(f"{path}: not valid {what} JSON ({json_problem(exc)})")
    if not isinstance(data, dict):
        raise Refusal(f"{path}: {what} must be a JSON object")
    return data


def ormb_config(
    *,
    framework: str,
    model_format: str,
    size: int,
    metrics: dict[str, Any] | None = None,
    hyperparameters: dict[str, Any] | None = None,
    git_repository: str | None = None,
    git_revision: str | None = None,
    dataset_repository: str | None = None,
    dataset_commit: str | None = None,
    author: str | None = None,
    description: str | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    """The ORMB model configuration for a pushed model.

    Only the top-level numeric metrics go in (booleans and nested objects such
    as ``per_class`` are left out), as the promotion gate reads them.
    """
    config: dict[str, Any] = {
        "created": created
        or dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "framework": framework,
        "format": model_format,
        "size": size,
    }
    if author:
        config["author"] = author
    if description:
        config["description"] = description
    if metrics:
        numeric = {
            k: v
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        config["metrics"] = {"validation": _named_values(numeric)}
    if hyperparameters:
        config["hyperParameters"] = _named_values(hyperparameters)
    if git_repository or git_revision:
        config["training"] = {
            "git": {
                k: v
                for k, v in (("repository", git_repository), ("revision", git_revision))
                if v
            }
        }
    if dataset_repository or dataset_commit:
        config["dataset"] = {
            "git": {
                k: v
                for k, v in (
                    ("repository", dataset_repository),
                    ("revision", dataset_commit),
                )
                if v
            }
        }
        if dataset_commit:
            config["labels"] = {"io.lakefs.commit": dataset_commit}
    return config


# ---------------------------------------------------------------------- packing


def pack_model(files: Sequence[Path]) -> bytes:
    """A reproducible tar.gz of ``files`` under ``model/`` (ORMB's layout)."""
    names = [f.name for f in files]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise Refusal(f"two model files are both named {sorted(duplicates)[0]!r}")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        folder = tarfile.TarInfo(MODEL_DIR)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, 0
        tar.addfile(folder)
        for path in sorted(files, key=lambda p: p.name):
            refuse_special_file(path, "model files")
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise Refusal(f"{path}: no such model file; train first")
            except IsADirectoryError:
                raise Refusal(f"{path}: is a folder; name the model files")
            info = tarfile.TarInfo(f"{MODEL_DIR}/{path.name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    # mtime=0 and no file name: the same files give the same bytes.
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def unpack_model(data: bytes, destination: Path) -> list[Path]:
    """Unpack a model layer; refuses links, absolute paths and ``..``."""
    written = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                raise Refusal(f"the model layer has an unsafe path {member.name!r}")
            if not (member.isfile() or member.isdir()):
                raise Refusal(f"the model layer has a link or device {member.name!r}")
        for member in members:
            target = destination.joinpath(*PurePosixPath(member.name).parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            write_atomic(target, source.read())
            written.append(target)
    return written


def _is_sha256(digest: str) -> bool:
    hex_part = digest.removeprefix("sha256:")
    return (
        digest.startswith("sha256:")
        and len(hex_part) == 64
        and all(c in "0123456789abcdef" for c in hex_part)
    )


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` as OCI writes digests."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ references


def split_reference(reference: str) -> tuple[str, str, str]:
    """``host[:port]/repo[:tag|@digest]`` -> (host, repository, tag or digest)."""
    if "/" not in reference:
        raise Refusal(
            f"{reference!r} is not a registry reference; write "
            "host[:port]/repository:tag, e.g. 127.0.0.1:5000/iris/model:v1"
        )
    host, rest = reference.split("/", 1)
    if "@" in rest:
        repository, tag = rest.split("@", 1)
        if not tag.startswith("sha256:") or len(tag) != 71:
            raise Refusal(f"{reference!r}: a digest is sha256: and 64 hex digits")
    elif ":" in rest.rsplit("/", 1)[-1]:
        repository, tag = rest.rsplit(":", 1)
    else:
        repository, tag = rest, "latest"
    if not repository or repository != repository.lower():
        raise Refusal(f"{reference!r}: the repository name must be non-empty lowercase")
    return host, repository, tag


def _plain_http(host: str, insecure: bool) -> bool:
    return insecure or host.split(":")[0] in LOOPBACK or host.startswith("[::1]")


def _client(host: str, insecure: bool) -> Any:
    """An ORAS client, after one quick probe of ``/v2/``.

    oras retries a failed connection with back-off for about two minutes; an
    unreachable registry should be one clear line at once instead.
    """
    import oras.client  # only when talking to a registry
    import requests

    url = f"{_scheme(host, insecure)}://{host}/v2/"
    try:
        requests.get(url, timeout=10)
    except requests.RequestException as exc:
        raise Refusal(
            f"cannot reach the registry at {url} ({type(exc).__name__}); is it "
            "running, and does it speak https (else --insecure)?"
        )
    return oras.client.OrasClient(hostname=host, insecure=_plain_http(host, insecure))


def _scheme(host: str, insecure: bool) -> str:
    return "http" if _plain_http(host, insecure) else "https"


def _get(client: Any, url: str, accept: str | None = None) -> bytes:
    import requests

    try:
        response = client.do_request(
            url, "GET", headers={"Accept": accept} if accept else {}
        )
    except requests.RequestException as exc:
        raise Refusal(f"cannot reach the registry ({type(exc).__name__}: {exc})")
    if response.status_code == 404:
        raise Refusal(f"{url}: not found in the registry")
    if response.status_code != 200:
        raise Refusal(f"{url}: the registry answered {response.status_code}")
    return response.content


# ---------------------------------------------------------------------- git


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


# ------------------------------------------------------------------ push / pull


def push_model(
    reference: str,
    model_files: Sequence[Path],
    config: dict[str, Any],
    annotations: dict[str, str],
    insecure: bool = False,
) -> dict[str, Any]:
    """Push the model layer and the ORMB config; return the digests."""
    import requests

    host, repository, tag = split_reference(reference)
    if tag.startswith("sha256:"):
        raise Refusal(f"{reference!r}: push to a tag, not a digest")
    layer = pack_model(model_files)
    config_bytes = json.dumps(config, indent=2, sort_keys=True).encode()
    with tempfile.TemporaryDirectory(prefix="dsp-model-") as tmp:
        layer_path = Path(tmp) / "model.tar.gz"
        layer_path.write_bytes(layer)
        config_path = Path(tmp) / "ormb-config.json"
        config_path.write_bytes(config_bytes)
        client = _client(host, insecure)
        try:
            response = client.push(
                target=f"{host}/{repository}:{tag}",
                files=[f"{layer_path}:{ORMB_LAYER_MEDIA_TYPE}"],
                manifest_config=f"{config_path}:{ORMB_CONFIG_MEDIA_TYPE}",
                manifest_annotations=annotations,
                disable_path_validation=True,
                quiet=True,
            )
        except requests.RequestException as exc:
            raise Refusal(
                f"cannot push to {host} ({type(exc).__name__}: {exc}); is the "
                "registry running, and does it speak https (else --insecure)?"
            )
        except ValueError as exc:  # oras raises ValueError for HTTP errors
            raise Refusal(f"the registry refused the push: {exc}")
    digest = response.headers.get("Docker-Content-Digest", "")
    return {
        "reference": f"{host}/{repository}:{tag}",
        "digest": digest,
        "config_digest": sha256_digest(config_bytes),
        "layer_digest": sha256_digest(layer),
        "size": len(layer),
    }


def _check_blob(data: bytes, descriptor: dict[str, Any], what: str) -> None:
    digest = sha256_digest(data)
    if digest != descriptor.get("digest"):
        raise Refusal(
            f"{what} digest mismatch: the manifest says {descriptor.get('digest')}, "
            f"the registry sent {digest}; do not use this model"
        )
    if descriptor.get("size") is not None and descriptor["size"] != len(data):
        raise Refusal(
            f"{what} size mismatch: the manifest says {descriptor['size']} bytes, "
            f"got {len(data)}"
        )


def pull_model(
    reference: str,
    destination: Path,
    expected_digest: str | None = None,
    insecure: bool = False,
) -> dict[str, Any]:
    """Fetch, check every digest, then unpack the model under ``destination``."""
    host, repository, tag = split_reference(reference)
    # Local mistakes are refused before anything is fetched.
    if destination.exists() and not destination.is_dir():
        raise Refusal(
            f"--output {destination} is a file, not a folder; name a folder to "
            "unpack the model into"
        )
    if expected_digest and not _is_sha256(expected_digest):
        raise Refusal(
            f"--digest {expected_digest!r} is not sha256:<64 hex digits>; copy the "
            "digest that dsp model push printed"
        )
    if tag.startswith("sha256:"):
        if expected_digest and expected_digest != tag:
            raise Refusal(f"--digest {expected_digest} contradicts {reference!r}")
        expected_digest = tag
    client = _client(host, insecure)
    base = f"{_scheme(host, insecure)}://{host}/v2/{repository}"
    manifest_bytes = _get(client, f"{base}/manifests/{tag}", OCI_MANIFEST_MEDIA_TYPE)
    digest = sha256_digest(manifest_bytes)
    if expected_digest and digest != expected_digest:
        raise Refusal(
            f"{reference}: manifest digest {digest} is not the expected "
            f"{expected_digest}; the tag was moved or the registry is lying"
        )
    try:
        manifest = json.loads(manifest_bytes)
        config_descriptor = manifest["config"]
        layers = manifest["layers"]
    except (ValueError, KeyError, TypeError):
        raise Refusal(f"{reference}: not an OCI image manifest")
    if config_descriptor.get("mediaType") != ORMB_CONFIG_MEDIA_TYPE:
        raise Refusal(
            f"{reference}: config media type {config_descriptor.get('mediaType')!r} "
            f"is not ORMB's {ORMB_CONFIG_MEDIA_TYPE}; not a model pushed by dsp/ORMB"
        )
    config_bytes = _get(client, f"{base}/blobs/{config_descriptor['digest']}")
    _check_blob(config_bytes, config_descriptor, "config")
    destination.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for layer in layers:
        if layer.get("mediaType") != ORMB_LAYER_MEDIA_TYPE:
            continue
        data = _get(client, f"{base}/blobs/{layer['digest']}")
        _check_blob(data, layer, "model layer")
        files += unpack_model(data, destination)
    if not files:
        raise Refusal(f"{reference}: no {ORMB_LAYER_MEDIA_TYPE} model layer")
    config = json.loads(config_bytes)
    write_atomic(destination / "ormb-config.json", config_bytes)
    return {
        "reference": reference,
        "digest": digest,
        "annotations": manifest.get("annotations", {}),
        "config": config,
        "files": [str(p) for p in files],
    }


# ------------------------------------------------------------------------- CLI


def configure_model(parser: argparse.ArgumentParser) -> None:
    """``dsp model push|pull``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    push = actions.add_parser(
        "push", help="push model files with an ORMB config", description=__doc__
    )
    push.add_argument("reference", help="host[:port]/repository:tag")
    push.add_argument(
        "--model",
        dest="models",
        type=Path,
        action="append",
        required=True,
        help="a model file (repeatable), e.g. artifacts/model.joblib",
    )
    push.add_argument("--metrics", type=Path, help="metrics.json (gate's metrics)")
    push.add_argument("--hyperparams", type=Path, help="hyperparams.json")
    push.add_argument("--framework", default="scikit-learn")
    push.add_argument(
        "--format",
        dest="model_format",
        default="SKLearn",
        help="ORMB format (SKLearn for *.joblib)",
    )
    push.add_argument("--git-repository", help="default: git remote origin's URL")
    push.add_argument("--git-revision", help="default: git rev-parse HEAD")
    push.add_argument(
        "--dataset-record",
        type=Path,
        help="the JSON record lakefs-download-file wrote (source, commit_id)",
    )
    push.add_argument("--dataset", help="the dataset URI, e.g. lakefs://repo/main/x")
    push.add_argument("--dataset-commit", help="the lakeFS commit the data was read at")
    push.add_argument("--author")
    push.add_argument("--description")
    push.add_argument(
        "--insecure", action="store_true", help="plain HTTP (automatic on 127.0.0.1)"
    )
    push.set_defaults(func=push_command)
    pull = actions.add_parser("pull", help="pull a model and check its digests")
    pull.add_argument("reference", help="host[:port]/repository:tag or @sha256:...")
    pull.add_argument("--output", type=Path, required=True, help="where to unpack")
    pull.add_argument("--digest", help="the manifest digest the push printed")
    pull.add_argument("--insecure", action="store_true")
    pull.set_defaults(func=pull_command)


def push_command(args: argparse.Namespace) -> int:
    """Build the ORMB config from the training outputs and git, then push."""
    cwd = Path.cwd()
    repository = args.git_repository or _git(
        ["config", "--get", "remote.origin.url"], cwd
    )
    revision = args.git_revision or _git(["rev-parse", "HEAD"], cwd)
    if not revision:
        raise Refusal(
            "no git revision: run inside the training code's git repository or "
            "pass --git-revision (a model must name the commit that trained it)"
        )
    dataset, dataset_commit = args.dataset, args.dataset_commit
    if args.dataset_record is not None:
        record = _read_json_object(args.dataset_record, "dataset record")
        for key in ("source", "commit_id"):
            # They become the config's dataset and a label: both must be text.
            if record.get(key) is not None and not isinstance(record[key], str):
                raise Refusal(
                    f"{args.dataset_record}: {key} must be a string, not "
                    f"{json_type_name(record[key])}; write the record as "
                    "lakefs-download-file does"
                )
        dataset = dataset or record.get("source")
        dataset_commit = dataset_commit or record.get("commit_id")
    config = ormb_config(
        framework=args.framework,
        model_format=args.model_format,
        size=sum(p.stat().st_size for p in args.models if p.is_file()),
        metrics=_read_json_object(args.metrics, "metrics") if args.metrics else None,
        hyperparameters=(
            _read_json_object(args.hyperparams, "hyper-parameters")
            if args.hyperparams
            else None
        ),
        git_repository=repository,
        git_revision=revision,
        dataset_repository=dataset,
        dataset_commit=dataset_commit,
        author=args.author,
        description=args.description,
    )
    annotations = {ANNOTATION_REVISION: revision, ANNOTATION_CREATED: config["created"]}
    if repository:
        annotations[ANNOTATION_SOURCE] = repository
    print_json(
        push_model(args.reference, args.models, config, annotations, args.insecure)
    )
    return 0


def pull_command(args: argparse.Namespace) -> int:
    """Pull, verify and unpack; print what was written."""
    result = pull_model(args.reference, args.output, args.digest, args.insecure)
    print_json({k: result[k] for k in ("reference", "digest", "annotations", "files")})
    return 0
