"""Real servers for the tests, started on 127.0.0.1 with a free port, then stopped.

* :func:`docker_registry`: Debian's ``docker-registry`` (CNCF distribution),
  storage in a temporary folder, plain HTTP; with ``login=(user, password)``
  it asks for that login (an htpasswd file, HTTP Basic).
* :func:`moto_s3`: moto's server mode, standing for lakeFS's S3 gateway.

Both are context managers; the test modules wrap them in session fixtures.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, alive=lambda: True, timeout: float = START_TIMEOUT) -> None:
    """Poll ``url`` until it answers (any HTTP status), or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server for {url} exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


REGISTRY_CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""
HTPASSWD_CONFIG = """\
auth:
  htpasswd:
    realm: dsp-tests
    path: {path}
"""


def bcrypt_hash(password: str) -> str:
    """A bcrypt hash (the only kind distribution's htpasswd reads)."""
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # libxcrypt's bcrypt; the module is gone from Python 3.13

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))
    except (ImportError, AttributeError):
        pass
    try:
        import bcrypt
    except ImportError:
        pytest.fail("no bcrypt for the registry's htpasswd: pip install bcrypt")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


@contextmanager
def docker_registry(
    workdir: Path, login: tuple[str, str] | None = None, auth: str = ""
) -> Iterator[str]:
    """Run ``docker-registry serve``; yields ``127.0.0.1:PORT``.

    ``auth`` is the config's ``auth:`` section as YAML text (token auth: see
    tests/support/token_auth.py); ``login`` writes an htpasswd one instead.
    """
    exe = shutil.which("docker-registry")
    if exe is None:
        pytest.fail(
            "docker-registry is not installed: apt-get install docker-registry "
            "(.ci/run does it)"
        )
    port = free_port()
    config = workdir / "registry.yml"
    text = REGISTRY_CONFIG.format(root=workdir / "storage", port=port)
    if login is not None:
        htpasswd = workdir / "htpasswd"
        htpasswd.write_text(f"{login[0]}:{bcrypt_hash(login[1])}\n")
        text += HTPASSWD_CONFIG.format(path=htpasswd)
    config.write_text(text + auth)
    log = open(workdir / "registry.log", "wb")
    process = subprocess.Popen(
        [exe, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        try:
            wait_for_http(
                f"http://127.0.0.1:{port}/v2/", alive=lambda: process.poll() is None
            )
        except RuntimeError as exc:
            log.flush()
            tail = (workdir / "registry.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"{exc}\n{tail}")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def moto_s3() -> Iterator[str]:
    """Run moto's threaded server; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        wait_for_http(f"http://127.0.0.1:{port}/moto-api/")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
