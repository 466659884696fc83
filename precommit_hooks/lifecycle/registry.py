"""``dsp model push|pull``: models in an OCI registry, in ORMB's model format.

A pushed model is one OCI artifact that KServe can serve:

* the config blob is ORMB's model configuration (:mod:`.ormb_format`);
* one content layer of media type ``application/vnd.oci.image.layer.v1.tar+gzip``
  with the model files under ``models/``, as KServe's OCI storage reads it,
  packed reproducibly (:mod:`.layers`);
* manifest annotations ``org.opencontainers.image.source``, ``.revision``
  and ``.created``.

``pull`` (:mod:`.pull`) reads this layout and the older one (an
``application/tar+gzip`` layer with the files under ``model/``, as ORMB
pushes), checks everything first and unpacks beside ``--output``.  The
transport (:mod:`.oci`) bounds every request in time and retries.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Sequence

from precommit_hooks.core.files import json_object, read_capped
from precommit_hooks.core.findings import (
    Refusal,
    json_type_name,
    print_json,
)
from precommit_hooks.core.text import positive_int
from precommit_hooks.lifecycle import oci
from precommit_hooks.lifecycle.layers import (
    KSERVE_LAYER_MEDIA_TYPE,
    KSERVE_MODEL_DIR,
    UnpackLimits,
    pack_model,
)
from precommit_hooks.lifecycle.oci import sha256_digest, split_reference
from precommit_hooks.lifecycle.ormb import (
    CONFIG_FILE,
    ORMB_CONFIG_MEDIA_TYPE,
    config_bytes,
    numeric_metrics,
    ormb_config,
)
from precommit_hooks.lifecycle.pull import pull_model

ANNOTATION_SOURCE = "org.opencontainers.image.source"
ANNOTATION_REVISION = "org.opencontainers.image.revision"
ANNOTATION_CREATED = "org.opencontainers.image.created"
MAX_JSON_BYTES = 10 << 20  # metrics, hyper-parameters, dataset record


def _read_json_object(path: Path, what: str) -> dict[str, Any]:
    data = read_capped(
        path,
        MAX_JSON_BYTES,
        f"{what} JSON file",
        f"no {what} file; train first or fix the path",
    )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text; a {what} file is JSON")
    return json_object(text, path, what)


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


# ------------------------------------------------------------------------- push


def push_model(
    reference: str,
    model_files: Sequence[Path],
    config: dict[str, Any],
    annotations: dict[str, str],
    insecure: bool = False,
) -> dict[str, Any]:
    """Push the model layer and the ORMB config; return the digests."""
    host, repository, tag = split_reference(reference)
    if tag.startswith("sha256:"):
        raise Refusal(f"{reference!r}: push to a tag, not a digest")
    blob = config_bytes(config)
    with tempfile.TemporaryDirectory(prefix="dsp-model-") as tmp:
        layer_path = Path(tmp) / "model.tar.gz"
        pack_model(model_files, layer_path, KSERVE_MODEL_DIR)
        config_path = Path(tmp) / CONFIG_FILE
        config_path.write_bytes(blob)
        registry = oci.client(host, insecure)
        try:
            response = registry.push(
                target=f"{host}/{repository}:{tag}",
                files=[f"{layer_path}:{KSERVE_LAYER_MEDIA_TYPE}"],
                manifest_config=f"{config_path}:{ORMB_CONFIG_MEDIA_TYPE}",
                manifest_annotations=annotations,
                disable_path_validation=True,
                quiet=True,
            )
        except ValueError as exc:  # oras raises ValueError for HTTP errors
            raise Refusal(
                f"the registry refused the push: {' '.join(str(exc).split())}"
            )
        layer_digest = oci.file_digest(layer_path)
        size = layer_path.stat().st_size
    return {
        "reference": f"{host}/{repository}:{tag}",
        "digest": response.headers.get("Docker-Content-Digest", ""),
        "config_digest": sha256_digest(blob),
        "layer_digest": layer_digest,
        "size": size,
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
    defaults = UnpackLimits()
    for option, default, what in (
        ("--max-unpacked-bytes", defaults.max_bytes, "bytes the model unpacks to"),
        ("--max-members", defaults.max_members, "files and folders in the model"),
        ("--max-depth", defaults.max_depth, "folders in a model file's path"),
    ):
        pull.add_argument(
            option, type=positive_int, default=default, help=f"most {what} ({default})"
        )
    pull.set_defaults(func=pull_command)


def _one_line(value: str | None, what: str) -> str | None:
    """Text that goes into the config and annotations is one printable line."""
    if value is not None and not value.isprintable():
        raise Refusal(
            f"{what} {value[:80]!r} has a control character (a newline?); "
            "pass it as one line of printable text"
        )
    return value


def _dataset(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The dataset URI and lakeFS commit, from the options or the record."""
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
    return dataset, dataset_commit


def _push_config(args: argparse.Namespace, repository: str | None, revision: str):
    dataset, dataset_commit = _dataset(args)
    metrics = None
    if args.metrics:
        metrics = _read_json_object(args.metrics, "metrics")
        numeric_metrics(metrics, str(args.metrics))
    texts = {
        "--git-repository": repository,
        "--git-revision": revision,
        "--dataset": dataset,
        "--dataset-commit": dataset_commit,
        "--author": args.author,
        "--description": args.description,
        "--framework": args.framework,
        "--format": args.model_format,
    }
    for option, value in texts.items():
        _one_line(value, option)
    return ormb_config(
        framework=args.framework,
        model_format=args.model_format,
        size=sum(p.stat().st_size for p in args.models if p.is_file()),
        metrics=metrics,
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
    config = _push_config(args, repository, revision)
    annotations = {ANNOTATION_REVISION: revision, ANNOTATION_CREATED: config["created"]}
    if repository:
        annotations[ANNOTATION_SOURCE] = repository
    print_json(
        push_model(args.reference, args.models, config, annotations, args.insecure)
    )
    return 0


def pull_command(args: argparse.Namespace) -> int:
    """Pull, verify and unpack; print what was written."""
    limits = UnpackLimits(args.max_unpacked_bytes, args.max_members, args.max_depth)
    result = pull_model(args.reference, args.output, args.digest, args.insecure, limits)
    print_json({k: result[k] for k in ("reference", "digest", "annotations", "files")})
    return 0
