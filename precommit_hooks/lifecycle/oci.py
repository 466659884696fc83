"""Talking to an OCI registry: references, digests, bounded requests, capped blobs.

The transport is the ``oras`` client, with two changes: every request has a
timeout, and a failed request is tried at most twice (GET and HEAD only, half
a second apart) instead of oras' five attempts with back-off that kept a pull
from a registry answering 500 busy for about two minutes.  Every fetch is
streamed against a byte cap taken from the manifest's descriptor, so a
registry cannot make ``dsp`` hold more than it announced.  The login (env
vars, else the docker config) is :mod:`.registry_login`'s, for every request.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from pathlib import Path
from typing import Any

from precommit_hooks.core.findings import Refusal
from precommit_hooks.lifecycle import registry_login

OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}\Z")
TIMEOUT = (5.0, 30.0)  # seconds to connect, seconds between bytes
ATTEMPTS = 2
RETRY_PAUSE = 0.5
CHUNK = 1 << 16
MAX_MANIFEST_BYTES = 4 << 20  # what the OCI distribution spec asks registries to take


def check_digest(value: str, where: str) -> str:
    """``value`` if it is ``sha256:`` and 64 lower-case hex digits, else refuse."""
    if not DIGEST.match(value):
        raise Refusal(
            f"{where} {value!r} is not sha256: and 64 lower-case hex digits; copy "
            "the digest that dsp model push printed"
        )
    return value


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` as OCI writes digests."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


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
        check_digest(tag, f"the digest in {reference!r},")
    elif ":" in rest.rsplit("/", 1)[-1]:
        repository, tag = rest.rsplit(":", 1)
    else:
        repository, tag = rest, "latest"
    if not repository or repository != repository.lower():
        raise Refusal(f"{reference!r}: the repository name must be non-empty lowercase")
    if any(not c.isprintable() or c.isspace() for c in reference):
        raise Refusal(f"{reference!r}: a reference has no spaces or control characters")
    return host, repository, tag


def plain_http(host: str, insecure: bool) -> bool:
    """Plain HTTP for loopback registries, or anywhere with ``--insecure``."""
    return insecure or host.split(":")[0] in LOOPBACK or host.startswith("[::1]")


def scheme(host: str, insecure: bool) -> str:
    """``http`` or ``https`` for ``host``."""
    return "http" if plain_http(host, insecure) else "https"


@functools.lru_cache(maxsize=None)
def _bounded_client_class() -> type:
    """oras' Registry with a timeout on every request and bounded retries."""
    import logging

    import oras.provider
    import requests

    # oras logs its login failures to stderr; dsp says each in its own one line.
    logging.getLogger("oras.logger").addHandler(logging.NullHandler())
    unwrapped = oras.provider.Registry.do_request.__wrapped__  # without oras' retry

    class BoundedRegistry(oras.provider.Registry):
        def __init__(self, hostname: str, insecure: bool, login: Any) -> None:
            super().__init__(hostname=hostname, insecure=insecure)
            # The auth backend shares this session: its requests are bounded too.
            self.session.request = functools.partial(
                self.session.request, timeout=TIMEOUT
            )
            self.login = login
            self.auth = registry_login.auth_backend(self, login)

        def do_request(self, url: str, method: str = "GET", *args: Any, **kw: Any):
            attempts = ATTEMPTS if method in ("GET", "HEAD") else 1
            for attempt in range(attempts):
                if attempt:
                    time.sleep(RETRY_PAUSE)
                try:
                    response = unwrapped(self, url, method, *args, **kw)
                except requests.RequestException as exc:
                    problem = f"cannot reach the registry ({type(exc).__name__})"
                    continue
                except ValueError:  # oras could not answer the login challenge
                    raise Refusal(registry_login.refused(self.hostname, self.login))
                if response.status_code == 401:
                    raise Refusal(registry_login.refused(self.hostname, self.login))
                if response.status_code < 500:
                    return response
                problem = f"the registry answered {response.status_code} to {method}"
            raise Refusal(
                f"{url}: {problem} after {attempts} attempt(s); is the registry "
                "running and healthy (and does it speak https, else --insecure)?"
            )

    return BoundedRegistry


def client(host: str, insecure: bool) -> Any:
    """An ORAS client for ``host`` with its login, after one probe of ``/v2/``.

    The probe answers the registry's challenge: a refused login or an
    unreachable registry is one line before any other request.
    """
    login = registry_login.find_login(host)
    registry = _bounded_client_class()(host, plain_http(host, insecure), login)
    registry.do_request(f"{scheme(host, insecure)}://{host}/v2/", "GET")
    return registry


def _check_status(response: Any, url: str) -> None:
    if response.status_code == 404:
        raise Refusal(f"{url}: not found in the registry")
    if response.status_code != 200:
        raise Refusal(f"{url}: the registry answered {response.status_code}")


def _chunks(registry: Any, url: str, accept: str | None, limit: int, what: str):
    """The body of ``url``, in chunks, refused as soon as it passes ``limit``."""
    import requests

    try:
        response = registry.do_request(
            url, "GET", headers={"Accept": accept} if accept else {}, stream=True
        )
    except ValueError as exc:
        raise Refusal(f"{url}: {exc}")
    with response:
        _check_status(response, url)
        received = 0
        try:
            for chunk in response.iter_content(CHUNK):
                received += len(chunk)
                if received > limit:
                    raise Refusal(
                        f"{url}: the {what} is larger than {limit} bytes (the size "
                        "the manifest announced, or the limit); do not use it"
                    )
                yield chunk
        except requests.RequestException as exc:
            raise Refusal(f"{url}: the download broke off ({type(exc).__name__})")


def get_capped(registry: Any, url: str, limit: int, what: str, accept=None) -> bytes:
    """The body of ``url``; refused when it is larger than ``limit`` bytes."""
    return b"".join(_chunks(registry, url, accept, limit, what))


def descriptor_size(descriptor: dict[str, Any], limit: int, what: str, opt: str) -> int:
    """The announced size of a blob, refused when absent, odd or over ``limit``."""
    size = descriptor.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise Refusal(f"the manifest gives the {what} no valid size; do not use it")
    if size > limit:
        raise Refusal(
            f"the {what} is {size} bytes, over the limit of {limit}; "
            f"raise {opt} if this model is really that large"
        )
    return size


def check_blob(data: bytes, descriptor: dict[str, Any], what: str) -> None:
    """Refuse ``data`` unless it has the descriptor's digest and size."""
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


def download_blob(
    registry: Any, url: str, descriptor: dict[str, Any], target: Path, what: str
) -> None:
    """Stream a blob to ``target``, checking its size and digest as it comes."""
    size = descriptor["size"]
    hasher = hashlib.sha256()
    received = 0
    with open(target, "xb") as out:
        for chunk in _chunks(registry, url, None, size, what):
            hasher.update(chunk)
            received += len(chunk)
            out.write(chunk)
    digest = "sha256:" + hasher.hexdigest()
    if digest != descriptor.get("digest") or received != size:
        raise Refusal(
            f"{what} digest mismatch: the manifest says {descriptor.get('digest')} "
            f"({size} bytes), the registry sent {digest} ({received} bytes); do not "
            "use this model"
        )


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file, read in chunks."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            hasher.update(chunk)
    return "sha256:" + hasher.hexdigest()
