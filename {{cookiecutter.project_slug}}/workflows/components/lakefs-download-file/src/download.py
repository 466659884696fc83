"""KFP component: download one file from lakeFS, or a local path, and record it.

Sources:
    lakefs://<repository>/<ref>/<path>   read through lakeFS's S3 gateway
                                         (bucket = repository, key = <ref>/<path>)
    file:///absolute/path or a path      read from the local disk (local work)

Besides the file, a JSON record names what was read (`source`, `repository`,
`ref`, `path`, `commit_id`, `sha256`, `bytes`), so a model can name its exact
data. A branch ref is resolved to its commit through the lakeFS API first and
the object is read at that commit, so the record and the bytes agree.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

# lakeFS commit ids are hex SHA-256 digests.
COMMIT_ID = re.compile(r"[0-9a-f]{64}\Z")


def parse_source(source: str) -> dict:
    """Split a source into repository, ref and path (lakeFS) or a local path."""
    parts = urlsplit(source)
    if parts.scheme == "lakefs":
        ref, _, path = parts.path.lstrip("/").partition("/")
        if not (parts.netloc and ref and path):
            raise ValueError(
                f"source {source!r} is not lakefs://<repository>/<ref>/<path>"
            )
        return {"repository": parts.netloc, "ref": ref, "path": path}
    if parts.scheme == "file":
        return {"local": unquote(parts.path)}
    if parts.scheme and len(parts.scheme) > 1:  # "C:" is a drive, not a scheme
        raise ValueError(
            f"source {source!r}: use lakefs://<repository>/<ref>/<path>,"
            " file:///path or a local path"
        )
    return {"local": source}


def lakefs_commit_resolver(
    endpoint_url: str, access_key: str, secret_key: str
) -> Callable[[str, str], str]:
    """A function (repository, ref) -> commit id that asks the lakeFS API."""
    token = base64.b64encode(f"{access_key}:{secret_key}".encode()).decode()

    def resolve(repository: str, ref: str) -> str:
        url = (
            f"{endpoint_url.rstrip('/')}/api/v1/repositories/{quote(repository)}"
            f"/refs/{quote(ref, safe='')}/commits?amount=1"
        )
        request = urllib.request.Request(
            url, headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["results"][0]["id"]

    return resolve


def s3_client(endpoint_url: str):
    """A boto3 S3 client for lakeFS's S3 gateway (credentials from the env)."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url)


def download(
    source: str,
    destination: str | os.PathLike,
    *,
    endpoint_url: str | None = None,
    client=None,
    resolve_commit: Callable[[str, str], str] | None = None,
) -> dict:
    """Copy `source` to `destination` atomically and return the record of it."""
    where = parse_source(source)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, suffix=".part")
    record = {"source": source, "repository": None, "ref": None, "path": None}
    try:
        with os.fdopen(handle, "wb") as stream:
            if "local" in where:
                with open(where["local"], "rb") as local:
                    shutil.copyfileobj(local, stream)
                record.update(path=where["local"], commit_id=None)
            else:
                ref = where["ref"]
                commit_id = ref if COMMIT_ID.match(ref) else None
                if commit_id is None and resolve_commit is not None:
                    commit_id = resolve_commit(where["repository"], ref)
                client = client or s3_client(endpoint_url)
                body = client.get_object(
                    Bucket=where["repository"],
                    Key=f"{commit_id or ref}/{where['path']}",
                )["Body"]
                shutil.copyfileobj(body, stream)
                record.update(where, commit_id=commit_id)
        os.replace(temporary, destination)
    except BaseException:
        os.unlink(temporary)
        raise
    content = destination.read_bytes()
    record.update(sha256=hashlib.sha256(content).hexdigest(), bytes=len(content))
    return record


def main(argv: Sequence[str] | None = None) -> int:
    """The component's command line; exit 1 with one line when it cannot read."""
    parser = argparse.ArgumentParser(description="Download one file from lakeFS.")
    parser.add_argument("--source", required=True)
    parser.add_argument("--endpoint-url", default="")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--record", type=Path, required=True)
    args = parser.parse_args(argv)
    resolver = None
    if args.endpoint_url and os.environ.get("AWS_ACCESS_KEY_ID"):
        resolver = lakefs_commit_resolver(
            args.endpoint_url,
            os.environ["AWS_ACCESS_KEY_ID"],
            os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        )
    try:
        record = download(
            args.source,
            args.output,
            endpoint_url=args.endpoint_url or None,
            resolve_commit=resolver,
        )
    except Exception as error:  # one line for the pipeline log, not a traceback
        print(f"error: cannot download {args.source!r}: {error}", file=sys.stderr)
        return 1
    args.record.parent.mkdir(parents=True, exist_ok=True)
    args.record.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(json.dumps(record, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
