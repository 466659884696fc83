"""``dsp monitor`` on a model pushed to and pulled from a real registry.

The profile travels with the model (``dsp model push --model ...
--model reference_profile.json``); the pulled directory is the reference,
and the model's age comes from the ``created`` date of its ORMB config.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import threading

from precommit_hooks import cli
from tests.support.servers import docker_registry
from tests.unit.lifecycle.monitor_support import (
    FEATURES,
    sample_rows,
    write_csv,
    write_reference,
)


def test_a_pulled_model_is_monitored_with_its_created_date(tmp_path, capsys):
    trained = tmp_path / "artifacts"
    trained.mkdir()
    profile = write_reference(trained)
    model = trained / "model.joblib"
    model.write_bytes(b"a model")
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.dsp.monitor]\nmax_model_age_days = 1\n")
    rows, labels = sample_rows(200)
    good = write_csv(tmp_path / "good.csv", rows, {"prediction": list(labels)})
    moved = rows.copy()
    moved[:, FEATURES.index("petal_length")] += 10
    bad = write_csv(tmp_path / "bad.csv", moved)
    pulled = tmp_path / "pulled"
    (tmp_path / "registry").mkdir()
    with docker_registry(tmp_path / "registry") as host:
        reference = f"{host}/iris-model:current"
        push = ["model", "push", reference, "--model", str(model)]
        assert cli.main([*push, "--model", str(profile), "--git-revision", "abc"]) == 0
        assert cli.main(["model", "pull", reference, "--output", str(pulled)]) == 0
    capsys.readouterr()
    created = json.loads((pulled / "ormb-config.json").read_text())["created"]
    monitor = ["monitor", "--reference", str(pulled), "--config", str(config)]
    assert cli.main([*monitor, "--batch", str(good), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["freshness"]["model"]["date"] == created
    assert report["reference"].endswith("reference_profile.json")
    assert cli.main([*monitor, "--batch", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAIL petal_length: 100.0% of rows outside the training range" in out
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    assert cli.main([*monitor, "--batch", str(good), "--now", later.isoformat()]) == 1
    assert "FAIL model is 3.0 days old, over the 1-day limit" in capsys.readouterr().out
    # The profile came back byte for byte beside the model.
    assert (pulled / "model" / "reference_profile.json").read_bytes() == (
        profile.read_bytes()
    )


class LakeFSCommits(http.server.BaseHTTPRequestHandler):
    """lakeFS's ``GET /api/v1/repositories/{repo}/commits/{id}``, one commit.

    No lakeFS server runs here; this answers as its API does (the fields
    ``dsp monitor`` reads), and insists on the key pair.
    """

    seen: list[tuple[str, str]] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).seen.append((self.path, self.headers.get("Authorization", "")))
        if self.path != "/api/v1/repositories/iris/commits/c0ffee":
            self.send_error(404)
            return
        body = json.dumps({"id": "c0ffee", "creation_date": 1764547200}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_training_data_age_comes_from_its_lakefs_commit(
    tmp_path, capsys, monkeypatch
):
    trained = tmp_path / "artifacts"
    trained.mkdir()
    profile = write_reference(trained)
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.dsp.monitor]\nmax_data_age_days = 10\n")
    batch = write_csv(tmp_path / "b.csv", sample_rows(100)[0])
    pulled = tmp_path / "pulled"
    (tmp_path / "registry").mkdir()
    with docker_registry(tmp_path / "registry") as host:
        reference = f"{host}/iris-model:current"
        push = ["model", "push", reference, "--model", str(profile)]
        push += ["--git-revision", "abc", "--dataset", "lakefs://iris/main/iris.csv"]
        assert cli.main([*push, "--dataset-commit", "c0ffee"]) == 0
        assert cli.main(["model", "pull", reference, "--output", str(pulled)]) == 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LakeFSCommits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    monitor = ["monitor", "--reference", str(pulled), "--config", str(config)]
    monitor += ["--batch", str(batch), "--format", "json"]
    try:
        capsys.readouterr()
        when = ["--now", "2025-12-05T00:00:00Z"]
        assert cli.main([*monitor, *when, "--lakefs-endpoint", endpoint]) == 0
        data = json.loads(capsys.readouterr().out)["freshness"]["data"]
        assert data == {"date": "2025-12-01T00:00:00Z", "age_days": 4.0,
                        "limit_days": 10}  # fmt: skip
        path, authorization = LakeFSCommits.seen[-1]
        assert authorization == "Basic " + base64.b64encode(b"AKIA:secret").decode()
        later = ["--now", "2026-01-01T00:00:00Z"]
        assert cli.main([*monitor, *later, "--lakefs-endpoint", endpoint]) == 1
        assert "data is 31.0 days old" in capsys.readouterr().out
        (pulled / "ormb-config.json").write_text(
            json.dumps({"dataset": {"git": {"repository": "lakefs://iris",
                                            "revision": "dead"}}})
        )  # fmt: skip
        assert cli.main([*monitor, "--lakefs-endpoint", endpoint]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "commit dead of iris: HTTP 404" in err
    finally:
        server.shutdown()
        server.server_close()
    assert cli.main([*monitor, "--lakefs-endpoint", endpoint]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unreachable" in err
