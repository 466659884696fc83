"""The registry login of ``dsp``, against registries that ask for one.

Debian's docker-registry runs twice: with an htpasswd file (HTTP Basic, the
challenge of a plain distribution registry) and with token authentication
(the ``Bearer`` challenge of Harbor, GHCR or Docker Hub: a token per scope
from a token server, tests/support/token_auth.py).  ``dsp`` takes the login
from ``DSP_REGISTRY_USERNAME``/``DSP_REGISTRY_PASSWORD``, else the docker
config, and every refusal is one line.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.paths import TEMPLATE_SLUG_DIR
from tests.support.servers import docker_registry
from tests.support.token_auth import token_registry
from tests.unit.lifecycle.monitor_support import sample_rows, write_csv, write_reference

from precommit_hooks import cli

LOGIN = ("robot", "s3cret:with-colon")
ENV = ("DSP_REGISTRY_USERNAME", "DSP_REGISTRY_PASSWORD")
MONITOR_PY = TEMPLATE_SLUG_DIR / "workflows/components/monitor-model/src/monitor.py"


@pytest.fixture(scope="module", params=["basic", "bearer"])
def registry(request, tmp_path_factory) -> tuple[str, list[str]]:
    """The host, and the token requests the token server saw (bearer only)."""
    folder = tmp_path_factory.mktemp(f"{request.param}-registry")
    if request.param == "basic":
        with docker_registry(folder, LOGIN) as host:
            yield host, []
    else:
        with token_registry(folder, LOGIN) as (host, seen):
            yield host, seen


@pytest.fixture
def host(registry) -> str:
    return registry[0]


@pytest.fixture
def model(tmp_path, monkeypatch) -> Path:
    """A model folder with a reference profile; HOME without a docker config."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "model.joblib").write_bytes(b"a model")
    write_reference(folder)
    return folder


def _login(monkeypatch, username: str, password: str) -> None:
    monkeypatch.setenv(ENV[0], username)
    monkeypatch.setenv(ENV[1], password)


def _push(model: Path, reference: str) -> int:
    files = ["--model", str(model / "model.joblib")]
    files += ["--model", str(model / "reference_profile.json")]
    return cli.main(["model", "push", reference, *files, "--git-revision", "abc"])


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_env_login_pushes_pulls_and_reads_lineage(
    registry, host, model, monkeypatch, capsys
):
    _login(monkeypatch, *LOGIN)
    reference = f"{host}/iris/env:v1"
    assert _push(model, reference) == 0
    if registry[1]:  # a token for each scope the registry named
        scopes = [r.split("scope=")[-1] for r in registry[1] if "iris%2Fenv" in r]
        assert any("push" in scope for scope in scopes), registry[1]
    pulled = model.parent / "pulled"
    assert cli.main(["model", "pull", reference, "--output", str(pulled)]) == 0
    assert (pulled / "model" / "model.joblib").read_bytes() == b"a model"
    assert cli.main(["model", "lineage", reference]) == 0
    assert "tags      v1" in capsys.readouterr().out
    assert not (model.parent / "home").exists()  # no credentials written


def test_without_a_login_the_registry_is_named_with_the_env_vars(host, model, capsys):
    assert _push(model, f"{host}/iris/anonymous:v1") == 1
    assert _one_line(capsys) == (
        f"dsp model: the registry {host} asks for a login; set "
        f"DSP_REGISTRY_USERNAME and DSP_REGISTRY_PASSWORD (or docker login {host})\n"
    )


def test_a_wrong_password_is_one_line_and_nothing_is_written(
    host, model, monkeypatch, capsys
):
    _login(monkeypatch, LOGIN[0], "wrong")
    out = model.parent / "pulled"
    assert cli.main(["model", "pull", f"{host}/iris/env:v1", "--output", str(out)]) == 1
    err = _one_line(capsys)
    assert f"the registry {host} refused the login from DSP_REGISTRY_USERNAME/" in err
    assert "check DSP_REGISTRY_USERNAME and DSP_REGISTRY_PASSWORD" in err
    assert not out.exists()


def test_half_a_login_is_refused_before_the_network(model, monkeypatch, capsys):
    monkeypatch.setenv(ENV[0], "robot")
    assert _push(model, "127.0.0.1:9/iris/half:v1") == 1  # port 9: nothing there
    assert _one_line(capsys) == (
        "dsp model: DSP_REGISTRY_USERNAME is set but DSP_REGISTRY_PASSWORD is not; "
        "set both (the registry login) or neither\n"
    )


def _docker_config(home: Path, host: str, password: str) -> None:
    token = base64.b64encode(f"{LOGIN[0]}:{password}".encode()).decode()
    # docker login writes the host as given; localhost and 127.0.0.1 are one.
    name = host.replace("127.0.0.1", "localhost")
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(
        json.dumps({"auths": {name: {"auth": token}}})
    )


def test_the_docker_config_logs_in_and_the_env_vars_come_first(
    host, model, monkeypatch, capsys
):
    _docker_config(model.parent / "home", host, LOGIN[1])
    assert _push(model, f"{host}/iris/docker:v1") == 0
    capsys.readouterr()
    _login(monkeypatch, LOGIN[0], "wrong")  # over a docker config that works
    assert cli.main(["model", "lineage", f"{host}/iris/docker:v1"]) == 1
    assert "refused the login from DSP_REGISTRY_USERNAME" in _one_line(capsys)


def test_a_broken_docker_config_is_one_line(host, model, capsys):
    config = model.parent / "home" / ".docker" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text("{")
    assert _push(model, f"{host}/iris/broken:v1") == 1
    assert _one_line(capsys).startswith(
        f"dsp model: {config}: not a readable docker config (JSONDecodeError); fix it"
    )


def test_the_monitor_step_pulls_with_the_secrets_env_vars(
    host, model, monkeypatch, tmp_path
):
    """The template's monitor-model script, as the pipeline runs it: the
    registry secret's keys as env vars, no docker config."""
    _login(monkeypatch, *LOGIN)
    reference = f"{host}/iris/monitored:current"
    assert _push(model, reference) == 0
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.dsp.monitor]\n")
    batch = write_csv(tmp_path / "batch.csv", sample_rows(200)[0])
    out = tmp_path / "out"
    argv = ["--model-reference", reference, "--batch", str(batch)]
    argv += ["--config", str(config), "--data-date", "2999-01-01"]
    argv += ["--report", str(out / "report.json"), "--markdown", str(out / "md")]
    run = [sys.executable, str(MONITOR_PY), *argv]
    done = subprocess.run(run, capture_output=True, text=True, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "report.json").read_text())["passed"] is True
    monkeypatch.setenv(ENV[1], "wrong")
    done = subprocess.run(run, capture_output=True, text=True, env=dict(os.environ))
    assert done.returncode == 1
    assert f"the registry {host} refused the login" in done.stderr
