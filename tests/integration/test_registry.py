"""dsp model push|pull against a real OCI registry (Debian's docker-registry)."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import urllib.request
from pathlib import Path

import pytest
from tests.support.servers import docker_registry, free_port

from precommit_hooks import cli

from precommit_hooks.lifecycle.oci import (
    OCI_MANIFEST_MEDIA_TYPE,
    check_blob,
    sha256_digest,
    split_reference,
)
from precommit_hooks.lifecycle.ormb import ORMB_CONFIG_MEDIA_TYPE
from precommit_hooks.lifecycle.pull import pull_model
from precommit_hooks.core.findings import Refusal

ORIGIN = "https://github.com/acme/iris-classifier.git"


@pytest.fixture(scope="session")
def oci_registry(tmp_path_factory) -> str:
    """``127.0.0.1:PORT`` of a docker-registry running for this session."""
    with docker_registry(tmp_path_factory.mktemp("registry")) as host:
        yield host


@pytest.fixture
def trained(tmp_path, monkeypatch) -> Path:
    """A git repository with training outputs, as the generated project has."""
    root = tmp_path / "project"
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True)
    (artifacts / "model.joblib").write_bytes(bytes(range(256)) * 40)
    (artifacts / "metrics.json").write_text(
        json.dumps(
            {
                "accuracy": 0.9667,
                "f1_macro": 0.9665,
                "per_class": {"setosa": {}},
                "calibrated": True,
            }
        )
    )
    (artifacts / "hyperparams.json").write_text('{"C": 1.0, "max_iter": 200}')
    (artifacts / "data.json").write_text(
        json.dumps(
            {
                "source": "lakefs://iris-data/main/iris.csv",
                "commit_id": "c" * 64,
                "sha256": "0" * 64,
            }
        )
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(
        [*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=root, check=True
    )
    subprocess.run(["git", "remote", "add", "origin", ORIGIN], cwd=root, check=True)
    monkeypatch.chdir(root)
    return root


def _head(root: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _push(ref: str, capsys, *extra: str) -> dict:
    code = cli.main(
        [
            "model",
            "push",
            ref,
            "--model",
            "artifacts/model.joblib",
            "--metrics",
            "artifacts/metrics.json",
            "--hyperparams",
            "artifacts/hyperparams.json",
            "--dataset-record",
            "artifacts/data.json",
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _manifest(host: str, repository: str, tag: str) -> dict:
    request = urllib.request.Request(
        f"http://{host}/v2/{repository}/manifests/{tag}",
        headers={"Accept": OCI_MANIFEST_MEDIA_TYPE},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_push_writes_ormb_config_and_annotations(oci_registry, trained, capsys):
    pushed = _push(f"{oci_registry}/iris/model:v1", capsys)
    assert pushed["digest"].startswith("sha256:")
    manifest = _manifest(oci_registry, "iris/model", "v1")
    assert manifest["config"]["mediaType"] == ORMB_CONFIG_MEDIA_TYPE
    assert manifest["config"]["digest"] == pushed["config_digest"]
    # KServe's OCI storage takes this layer type, with the files under models/.
    assert [layer["mediaType"] for layer in manifest["layers"]] == [
        "application/vnd.oci.image.layer.v1.tar+gzip"
    ]
    assert manifest["layers"][0]["digest"] == pushed["layer_digest"]
    with urllib.request.urlopen(
        f"http://{oci_registry}/v2/iris/model/blobs/{pushed['layer_digest']}"
    ) as response:
        layer = tarfile.open(fileobj=io.BytesIO(response.read()), mode="r:gz")
    assert layer.getnames() == ["models", "models/model.joblib"]
    annotations = manifest["annotations"]
    assert annotations["org.opencontainers.image.source"] == ORIGIN
    assert annotations["org.opencontainers.image.revision"] == _head(trained)
    with urllib.request.urlopen(
        f"http://{oci_registry}/v2/iris/model/blobs/{pushed['config_digest']}"
    ) as response:
        config = json.load(response)
    assert config["framework"] == "scikit-learn" and config["format"] == "SKLearn"
    assert config["size"] == 256 * 40
    assert config["metrics"] == {
        "validation": [
            {"name": "accuracy", "value": "0.9667"},
            {"name": "f1_macro", "value": "0.9665"},
        ]
    }
    assert config["hyperParameters"] == [
        {"name": "C", "value": "1.0"},
        {"name": "max_iter", "value": "200"},
    ]
    assert config["training"] == {
        "git": {"repository": ORIGIN, "revision": _head(trained)}
    }
    assert config["dataset"] == {
        "git": {"repository": "lakefs://iris-data/main/iris.csv", "revision": "c" * 64}
    }


def test_pull_round_trip_checks_digests(oci_registry, trained, tmp_path, capsys):
    pushed = _push(f"{oci_registry}/iris/model:round-trip", capsys)
    out = tmp_path / "pulled"
    code = cli.main(
        [
            "model",
            "pull",
            f"{oci_registry}/iris/model:round-trip",
            "--output",
            str(out),
            "--digest",
            pushed["digest"],
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert result["digest"] == pushed["digest"]
    assert (out / "model" / "model.joblib").read_bytes() == (
        trained / "artifacts" / "model.joblib"
    ).read_bytes()
    config = json.loads((out / "ormb-config.json").read_text())
    assert config["training"]["git"]["revision"] == _head(trained)
    # Pulled files get the mode open() would give (mkstemp alone gives 0600).
    reference = tmp_path / "reference"
    reference.write_text("x")
    for pulled in (out / "model" / "model.joblib", out / "ormb-config.json"):
        assert pulled.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777
    by_digest = pull_model(
        f"{oci_registry}/iris/model@{pushed['digest']}", tmp_path / "by-digest"
    )
    assert by_digest["digest"] == pushed["digest"]


def test_same_files_give_the_same_layer(oci_registry, trained, capsys):
    first = _push(f"{oci_registry}/iris/model:a", capsys)
    second = _push(f"{oci_registry}/iris/model:b", capsys)
    assert first["layer_digest"] == second["layer_digest"]


def test_pull_refuses_a_moved_tag(oci_registry, trained, tmp_path, capsys):
    old = _push(f"{oci_registry}/iris/model:moving", capsys)
    (trained / "artifacts" / "model.joblib").write_bytes(b"retrained")
    new = _push(f"{oci_registry}/iris/model:moving", capsys)
    assert new["digest"] != old["digest"]
    with pytest.raises(Refusal, match="is not the expected sha256:"):
        pull_model(f"{oci_registry}/iris/model:moving", tmp_path / "x", old["digest"])
    assert not (tmp_path / "x").exists()  # nothing unpacked before the check


def test_pull_refuses_an_artifact_that_is_not_a_model(oci_registry, tmp_path):
    import oras.client

    note = tmp_path / "note.txt"
    note.write_text("not a model")
    oras.client.OrasClient(hostname=oci_registry, insecure=True).push(
        target=f"{oci_registry}/iris/notes:v1",
        files=[str(note)],
        disable_path_validation=True,
        quiet=True,
    )
    with pytest.raises(Refusal, match="is not ORMB's application/vnd.caicloud"):
        pull_model(f"{oci_registry}/iris/notes:v1", tmp_path / "out")


def test_pull_missing_tag_and_unreachable_registry(oci_registry, tmp_path):
    with pytest.raises(Refusal, match="not found in the registry"):
        pull_model(f"{oci_registry}/iris/model:nope", tmp_path / "o")
    with pytest.raises(Refusal, match="cannot reach the registry"):
        pull_model(f"127.0.0.1:{free_port()}/iris/model:v1", tmp_path / "o")


def test_push_needs_a_git_revision(oci_registry, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.joblib").write_bytes(b"m")
    code = cli.main(
        ["model", "push", f"{oci_registry}/x/y:v1", "--model", "model.joblib"]
    )
    assert code == 1
    assert "no git revision" in capsys.readouterr().err
    code = cli.main(
        [
            "model",
            "push",
            f"{oci_registry}/x/y:v1",
            "--model",
            "missing.joblib",
            "--git-revision",
            "abc",
        ]
    )
    assert code == 1
    assert "missing.joblib: no such model file" in capsys.readouterr().err


def test_push_refuses_pipes_and_folders_as_inputs_before_pushing(trained, fifo, capsys):
    # Unreachable registry: each refusal must come before anything is sent.
    ref = f"127.0.0.1:{free_port()}/iris/model:v1"
    base = ["model", "push", ref, "--git-revision", "abc", "--model"]
    for extra, what in (
        ([str(fifo)], "model files"),
        (["artifacts/model.joblib", "--metrics", "artifacts"], "metrics JSON file"),
        (["artifacts/model.joblib", "--metrics", str(fifo)], "metrics JSON file"),
        (
            ["artifacts/model.joblib", "--hyperparams", "artifacts"],
            "hyper-parameters JSON file",
        ),
        (
            ["artifacts/model.joblib", "--dataset-record", str(fifo)],
            "dataset record JSON file",
        ),
    ):
        assert cli.main([*base, *extra]) == 1
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith(f"dsp model: {extra[-1]}: ")
        assert err.endswith(f"; name the {what}\n")
    deep = trained / "artifacts" / "metrics.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert cli.main([*base, "artifacts/model.joblib", "--metrics", str(deep)]) == 1
    assert capsys.readouterr().err == (
        f"dsp model: {deep}: not valid metrics JSON (nested too deep to read; "
        "flatten it)\n"
    )


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"source": 5, "commit_id": "c" * 64}, "source must be a string, not number"),
        ({"source": "lakefs://r/main/x", "commit_id": ["c"]}, "commit_id must be a "),
    ],
)
def test_push_refuses_a_dataset_record_of_the_wrong_types(
    trained, capsys, record, reason
):
    (trained / "artifacts" / "data.json").write_text(json.dumps(record))
    ref = f"127.0.0.1:{free_port()}/iris/model:v1"  # refused before any request
    argv = ["model", "push", ref, "--model", "artifacts/model.joblib"]
    assert cli.main([*argv, "--dataset-record", "artifacts/data.json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"dsp model: artifacts/data.json: {reason}")


def test_pull_refuses_a_bad_output_or_digest_before_fetching(tmp_path):
    ref = f"127.0.0.1:{free_port()}/iris/model:v1"
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(Refusal, match=r"--output .*a-file is a file, not a folder"):
        pull_model(ref, a_file)
    assert a_file.read_text() == "x"
    with pytest.raises(Refusal, match=r"--digest 'xyz' is not sha256: and 64 lower"):
        pull_model(ref, tmp_path / "out", expected_digest="xyz")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "reference, message",
    [
        ("model:v1", "not a registry reference"),
        ("127.0.0.1:5000/Iris/Model:v1", "must be non-empty lowercase"),
        ("127.0.0.1:5000/iris/model@sha256:abc", "64 lower-case hex digits"),
        ("127.0.0.1:5000/iris/model@sha256:" + "A" * 64, "64 lower-case hex digits"),
        ("127.0.0.1:5000/iris/model:v1\n", "no spaces or control characters"),
    ],
)
def test_bad_references(reference, message):
    with pytest.raises(Refusal, match=message):
        split_reference(reference)


def test_reference_parts():
    assert split_reference("127.0.0.1:5000/iris/model") == (
        "127.0.0.1:5000",
        "iris/model",
        "latest",
    )
    assert split_reference("h.example.com/a/b:v2")[2] == "v2"


def test_blob_digest_and_size_checks():
    data = b"model bytes"
    good = {"digest": sha256_digest(data), "size": len(data)}
    check_blob(data, good, "layer")
    with pytest.raises(Refusal, match="layer digest mismatch"):
        check_blob(b"tampered!!!", good, "layer")
    with pytest.raises(Refusal, match="size mismatch"):
        check_blob(data, {**good, "size": 3}, "layer")


def test_pull_reads_the_older_ormb_layout(oci_registry, tmp_path):
    from tests.integration.test_registry_hostile import put_model, tar_gz

    reference = put_model(
        oci_registry, "ormb-layout", [tar_gz([("model/model.joblib", b"old")])]
    )
    pulled = pull_model(reference, tmp_path / "out")
    assert pulled["files"] == [str(tmp_path / "out" / "model" / "model.joblib")]
    assert (tmp_path / "out" / "model" / "model.joblib").read_bytes() == b"old"


def test_kserve_downloads_the_pushed_model_and_it_predicts(
    oci_registry, trained, tmp_path, capsys, monkeypatch
):
    """KServe's own storage code (kserve-storage) fetches what dsp pushed."""
    import joblib
    from kserve_storage import Storage
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(features, labels)
    joblib.dump(model, trained / "artifacts" / "model.joblib")
    _push(f"{oci_registry}/iris/model:kserve", capsys)
    monkeypatch.setenv("KSERVE_OCI_INSECURE_REGISTRY", "true")
    monkeypatch.setenv("KSERVE_OCI_DOCKER_CONFIG", str(tmp_path / "no-config.json"))
    served = Storage.download(
        f"oci://{oci_registry}/iris/model:kserve", str(tmp_path / "served")
    )
    assert sorted(p.name for p in Path(served).iterdir()) == ["model.joblib"]
    fetched = joblib.load(Path(served) / "model.joblib")
    assert list(fetched.predict(features[:3])) == list(model.predict(features[:3]))
    assert (fetched.predict(features) == labels).mean() > 0.9
