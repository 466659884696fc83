"""A registry with token authentication, as Harbor, GHCR and Docker Hub have.

Debian's docker-registry (CNCF distribution) checks JSON web tokens signed by
a key whose certificate is in its ``rootcertbundle``; a small token server
here issues them, for the requested scope, to one user and password (HTTP
Basic on the token request), and to nobody else.  The registry answers every
request without a good token with ``401`` and a ``Bearer realm=...,scope=...``
challenge, which is the flow a client must follow.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

from tests.support.servers import docker_registry

SERVICE = "dsp-tests"
ISSUER = "dsp-tests-token-server"
TOKEN_CONFIG = """\
auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {bundle}
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signing_key(folder: Path) -> tuple[Any, bytes]:
    """An RSA key and its self-signed certificate (DER), the PEM in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    (folder / "token-root.pem").write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
    )
    return key, cert.public_bytes(serialization.Encoding.DER)


def issue(key: Any, cert_der: bytes, subject: str, scopes: list[str]) -> str:
    """An RS256 token granting ``scopes`` (``repository:NAME:ACTIONS``)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    access = []
    for scope in scopes:
        kind, name, actions = scope.split(":", 2)  # repository:iris/model:pull
        access.append({"type": kind, "name": name, "actions": actions.split(",")})
    now = int(time.time())
    header = {
        "typ": "JWT",
        "alg": "RS256",
        "x5c": [base64.b64encode(cert_der).decode()],
    }
    claims = {
        "iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300,
        "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access,
    }  # fmt: skip
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


class TokenServer(BaseHTTPRequestHandler):
    """``GET /token?service=&scope=``: a token for the one login, else 401."""

    key: Any
    cert_der: bytes
    login: tuple[str, str]
    requests: list[str]

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        self.requests.append(self.path)
        expected = "Basic " + base64.b64encode(":".join(self.login).encode()).decode()
        if url.path != "/token" or self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        scopes = parse_qs(url.query).get("scope", [])
        token = issue(self.key, self.cert_der, self.login[0], " ".join(scopes).split())
        body = json.dumps({"token": token, "access_token": token}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def token_registry(workdir: Path, login: tuple[str, str]) -> Iterator[tuple[str, list]]:
    """A registry with token auth; yields its host and the token requests seen."""
    key, cert_der = signing_key(workdir)
    seen: list[str] = []
    handler = type(
        "Tokens", (TokenServer,),
        {"key": key, "cert_der": cert_der, "login": login, "requests": seen},
    )  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    auth = TOKEN_CONFIG.format(
        realm=f"http://127.0.0.1:{server.server_address[1]}/token",
        service=SERVICE,
        issuer=ISSUER,
        bundle=workdir / "token-root.pem",
    )
    try:
        with docker_registry(workdir, auth=auth) as host:
            yield host, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
