"""The date of a lakeFS commit: how old the data a model was trained on is.

A pushed model names its data (ORMB config ``dataset.git``: the lakeFS URI and
the commit it was read at); lakeFS's API gives that commit's
``creation_date``.  The credentials are the lakeFS key pair the pipeline's
download step uses (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, or
``LAKEFS_ACCESS_KEY_ID``/``LAKEFS_SECRET_ACCESS_KEY``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import urllib.error
import urllib.request
from typing import Mapping
from urllib.parse import quote

from precommit_hooks.core.findings import Refusal

TIMEOUT = 30
KEY_PAIRS = (
    ("LAKEFS_ACCESS_KEY_ID", "LAKEFS_SECRET_ACCESS_KEY"),
    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
)


def _authorization(environ: Mapping[str, str]) -> dict[str, str]:
    for key_id, secret in KEY_PAIRS:
        if environ.get(key_id) and environ.get(secret):
            pair = f"{environ[key_id]}:{environ[secret]}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    return {}


def commit_date(
    endpoint: str,
    repository: str,
    commit: str,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The ISO 8601 UTC creation date of ``commit`` in ``repository``.

    ``repository`` may be a ``lakefs://repo/ref/path`` URI: its first part is
    the repository.
    """
    name = repository.removeprefix("lakefs://").split("/")[0]
    url = (
        f"{endpoint.rstrip('/')}/api/v1/repositories/{quote(name, safe='')}"
        f"/commits/{quote(commit, safe='')}"
    )
    headers = _authorization(os.environ if environ is None else environ)
    request = urllib.request.Request(url, headers=headers)
    where = f"lakeFS at {endpoint}: commit {commit} of {name}"
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        hint = {401: "; set the lakeFS key pair", 404: "; no such commit"}
        raise Refusal(f"{where}: HTTP {exc.code}{hint.get(exc.code, '')}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Refusal(f"{where}: unreachable ({reason}); check --lakefs-endpoint")
    except ValueError:
        raise Refusal(f"{where}: the answer is not JSON; is this lakeFS's API?")
    created = data.get("creation_date") if isinstance(data, dict) else None
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        raise Refusal(f"{where}: no creation_date in the answer")
    when = dt.datetime.fromtimestamp(created, dt.timezone.utc)
    return when.isoformat().replace("+00:00", "Z")
