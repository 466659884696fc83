"""The generated lakefs-download-file component against a real S3 server.

moto's server mode stands for lakeFS's S3 gateway: a bucket is the lakeFS
repository and keys are ``<ref>/<path>``, as lakeFS serves them.  The component
is the one a baked project contains (not a copy).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json

import pytest
from tests.support.servers import moto_s3

COMMIT = "a" * 64  # lakeFS commit ids are hex SHA-256 digests
OTHER_COMMIT = "b" * 64
CSV_AT_COMMIT = (
    b"sepal_length,sepal_width,petal_length,petal_width,species\n"
    b"5.1,3.5,1.4,0.2,setosa\n"
)
CSV_ON_MAIN = CSV_AT_COMMIT + b"6.7,3.0,5.2,2.3,virginica\n"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    """moto's S3 server with the repository 'iris-data' at two refs."""
    import boto3

    with moto_s3() as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket="iris-data")
        client.put_object(
            Bucket="iris-data", Key=f"{COMMIT}/data/iris.csv", Body=CSV_AT_COMMIT
        )
        client.put_object(
            Bucket="iris-data", Key="main/data/iris.csv", Body=CSV_ON_MAIN
        )
        client.put_object(
            Bucket="iris-data", Key=f"{OTHER_COMMIT}/data/iris.csv", Body=CSV_ON_MAIN
        )
        yield endpoint


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    """boto3 reads credentials and region from the environment, as in a pod."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def component(baked_project):
    """The baked project's download.py, imported as a module."""
    path = (
        baked_project
        / "workflows"
        / "components"
        / "lakefs-download-file"
        / "src"
        / "download.py"
    )
    spec = importlib.util.spec_from_file_location("lakefs_download", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reads_at_a_commit_and_records_it(component, s3_endpoint, tmp_path):
    out = tmp_path / "data" / "iris.csv"
    record = component.download(
        f"lakefs://iris-data/{COMMIT}/data/iris.csv", out, endpoint_url=s3_endpoint
    )
    assert out.read_bytes() == CSV_AT_COMMIT
    assert record["commit_id"] == COMMIT
    assert record["repository"] == "iris-data" and record["ref"] == COMMIT
    assert record["path"] == "data/iris.csv"
    assert record["sha256"] == hashlib.sha256(CSV_AT_COMMIT).hexdigest()
    assert record["bytes"] == len(CSV_AT_COMMIT)


def test_a_branch_is_read_at_the_commit_it_resolves_to(
    component, s3_endpoint, tmp_path
):
    asked = []

    def resolve(repository, ref):
        asked.append((repository, ref))
        return OTHER_COMMIT

    record = component.download(
        "lakefs://iris-data/main/data/iris.csv",
        tmp_path / "iris.csv",
        endpoint_url=s3_endpoint,
        resolve_commit=resolve,
    )
    assert asked == [("iris-data", "main")]
    assert record["commit_id"] == OTHER_COMMIT and record["ref"] == "main"
    assert (tmp_path / "iris.csv").read_bytes() == CSV_ON_MAIN


def test_a_branch_without_a_resolver_records_no_commit(
    component, s3_endpoint, tmp_path
):
    record = component.download(
        "lakefs://iris-data/main/data/iris.csv",
        tmp_path / "iris.csv",
        endpoint_url=s3_endpoint,
    )
    assert record["commit_id"] is None and record["ref"] == "main"
    assert (tmp_path / "iris.csv").read_bytes() == CSV_ON_MAIN


def test_command_line_writes_file_and_record(component, s3_endpoint, tmp_path, capsys):
    code = component.main(
        [
            "--source",
            f"lakefs://iris-data/{COMMIT}/data/iris.csv",
            "--endpoint-url",
            s3_endpoint,
            "--output",
            str(tmp_path / "iris.csv"),
            "--record",
            str(tmp_path / "record.json"),
        ]
    )
    assert code == 0
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["commit_id"] == COMMIT
    assert json.loads(capsys.readouterr().out) == record


def test_missing_object_is_one_line_and_leaves_nothing(
    component, s3_endpoint, tmp_path, capsys
):
    code = component.main(
        [
            "--source",
            f"lakefs://iris-data/{COMMIT}/data/missing.csv",
            "--endpoint-url",
            s3_endpoint,
            "--output",
            str(tmp_path / "out" / "x.csv"),
            "--record",
            str(tmp_path / "record.json"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: cannot download 'lakefs://iris-data/")
    assert "NoSuchKey" in err and err.count("\n") == 1
    assert list((tmp_path / "out").iterdir()) == []  # no .part file left behind
    assert not (tmp_path / "record.json").exists()


def test_local_path_and_file_url(component, tmp_path):
    source = tmp_path / "local.csv"
    source.write_bytes(CSV_AT_COMMIT)
    for given in (str(source), source.as_uri()):
        record = component.download(given, tmp_path / "copy.csv")
        assert (tmp_path / "copy.csv").read_bytes() == CSV_AT_COMMIT
        assert record["commit_id"] is None and record["path"] == str(source)
