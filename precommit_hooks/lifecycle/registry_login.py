"""The registry login of every ``dsp`` command that talks to an OCI registry.

One place decides which credentials ``dsp model push|pull|promote|lineage``
and ``dsp monitor --model-reference`` send, in this order:

1. the env vars ``DSP_REGISTRY_USERNAME`` and ``DSP_REGISTRY_PASSWORD`` (both
   or neither): what a pipeline step gets from a Kubernetes secret;
2. the docker config ``~/.docker/config.json`` (inline ``auths`` or a
   credential helper), as ``docker login``/``oras login`` write it;
3. none: anonymous, as a public registry allows.

The login answers either challenge a registry sends: ``Basic`` (a registry
with an htpasswd file, such as CNCF distribution's) gets the credentials on
every request once it asked; ``Bearer`` (Harbor, GHCR, Docker Hub) gets a
token from the realm with them, as oras does.  A registry that still answers
401 refuses the login: one line names the registry and the env vars.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any, Mapping

from precommit_hooks.core.findings import Refusal

USERNAME_ENV = "DSP_REGISTRY_USERNAME"
PASSWORD_ENV = "DSP_REGISTRY_PASSWORD"


@dataclass(frozen=True)
class Login:
    """Credentials for one registry: ``token`` is base64 of ``user:password``."""

    token: str
    source: str


def _env_login(environ: Mapping[str, str]) -> Login | None:
    username, password = environ.get(USERNAME_ENV), environ.get(PASSWORD_ENV)
    if not username and not password:
        return None
    if not username or not password:
        missing, present = (
            (USERNAME_ENV, PASSWORD_ENV) if password else (PASSWORD_ENV, USERNAME_ENV)
        )
        raise Refusal(
            f"{present} is set but {missing} is not; set both (the registry "
            "login) or neither"
        )
    token = base64.b64encode(f"{username}:{password}".encode("utf-8")).decode()
    return Login(token, f"{USERNAME_ENV}/{PASSWORD_ENV}")


def _docker_login(host: str) -> Login | None:
    """The docker config's login for ``host``, read the way oras reads it."""
    import oras.auth.token
    import oras.auth.utils
    import oras.utils

    path = oras.utils.find_docker_config()
    if path is None:
        return None
    reader = oras.auth.token.TokenAuth()
    try:
        reader._auth_config = oras.auth.utils.load_configs()
    except (OSError, ValueError, AttributeError) as exc:
        raise Refusal(
            f"{path}: not a readable docker config ({type(exc).__name__}); fix it, "
            f"or set {USERNAME_ENV} and {PASSWORD_ENV}"
        )
    for name in oras.utils.iter_localhosts(host):
        if reader._load_auth(name):
            return Login(reader._basic_auth, path)
    return None


def find_login(host: str, environ: Mapping[str, str] | None = None) -> Login | None:
    """The credentials for ``host``: the env vars, else the docker config, else none."""
    found = _env_login(os.environ if environ is None else environ)
    return found if found is not None else _docker_login(host)


def refused(host: str, login: Login | None) -> str:
    """The one line for a registry that will not take our login (or none)."""
    if login is None:
        return (
            f"the registry {host} asks for a login; set {USERNAME_ENV} and "
            f"{PASSWORD_ENV} (or docker login {host})"
        )
    return (
        f"the registry {host} refused the login from {login.source} (or it "
        f"has no rights there); check {USERNAME_ENV} and {PASSWORD_ENV} (or "
        f"docker login {host})"
    )


def auth_backend(registry: Any, login: Login | None) -> Any:
    """oras' token backend for ``registry``, answering Basic challenges too."""
    import oras.auth.token

    class DspAuth(oras.auth.token.TokenAuth):
        basic = False  # set once the registry asked for Basic

        def load_configs(self, container: Any, configs: Any = None) -> None:
            """The login is decided once, by :func:`find_login`: keep it."""

        def get_auth_header(self) -> dict[str, str]:
            if self.basic:
                return {"Authorization": f"Basic {self._basic_auth}"}
            return super().get_auth_header()

        def authenticate_request(self, original: Any, headers: Any, refresh=False):
            challenge = original.headers.get("Www-Authenticate", "")
            if not challenge.lower().startswith("basic"):
                # A token is for one scope: a challenge naming another wants a new one.
                fresh = refresh or "scope=" in challenge
                return super().authenticate_request(original, headers, fresh)
            if login is None:
                return headers, False
            # oras sends get_auth_header() with every later request when a
            # token is set: the Basic credentials go with each one from now.
            self.basic, self.token = True, "basic"
            return {**(headers or {}), **self.get_auth_header()}, True

    backend = DspAuth()
    backend.session = registry.session
    backend.prefix = registry.prefix
    backend._tls_verify = registry._tls_verify
    if login is not None:  # else oras asks a Bearer realm for an anonymous token
        backend._basic_auth = login.token
    return backend
