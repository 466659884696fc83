"""lakefs-download-file: local sources, lakeFS through the S3 gateway, the CLI."""

import hashlib
import io
import json

import pytest

COMMIT = "a" * 64


class FakeGateway:
    """Stands in for lakeFS's S3 gateway: remembers what was asked for."""

    def __init__(self, content: bytes):
        self.content = content
        self.requests = []

    def get_object(self, Bucket, Key):
        self.requests.append((Bucket, Key))
        return {"Body": io.BytesIO(self.content)}


@pytest.mark.parametrize("prefix", ["", "file://"])
def test_local_source_is_copied_and_hashed(download_component, tmp_path, prefix):
    source = tmp_path / "iris.csv"
    source.write_bytes(b"a,b\n1,2\n")
    target = tmp_path / "out" / "data.csv"
    record = download_component.download(f"{prefix}{source}", target)
    assert target.read_bytes() == b"a,b\n1,2\n"
    assert record["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert record["commit_id"] is None and record["bytes"] == 8


def test_lakefs_commit_ref_is_read_through_the_gateway(download_component, tmp_path):
    gateway = FakeGateway(b"x,y\n")
    source = f"lakefs://iris-data/{COMMIT}/data/iris.csv"
    record = download_component.download(source, tmp_path / "f", client=gateway)
    assert gateway.requests == [("iris-data", f"{COMMIT}/data/iris.csv")]
    assert record["commit_id"] == COMMIT and record["repository"] == "iris-data"
    assert record["ref"] == COMMIT and record["path"] == "data/iris.csv"


def test_branch_is_resolved_and_read_at_its_commit(download_component, tmp_path):
    gateway = FakeGateway(b"x,y\n")
    record = download_component.download(
        "lakefs://iris-data/main/iris.csv",
        tmp_path / "f",
        client=gateway,
        resolve_commit=lambda repository, ref: COMMIT,
    )
    assert gateway.requests == [("iris-data", f"{COMMIT}/iris.csv")]
    assert record["ref"] == "main" and record["commit_id"] == COMMIT


def test_branch_without_resolver_is_read_at_the_branch(download_component, tmp_path):
    gateway = FakeGateway(b"x")
    record = download_component.download(
        "lakefs://iris-data/main/iris.csv", tmp_path / "f", client=gateway
    )
    assert gateway.requests == [("iris-data", "main/iris.csv")]
    assert record["commit_id"] is None


def test_default_client_talks_to_the_endpoint(download_component):
    client = download_component.s3_client("http://127.0.0.1:1")
    assert client.meta.endpoint_url == "http://127.0.0.1:1"


def test_resolver_asks_the_lakefs_api(download_component, monkeypatch):
    seen = {}

    def fake_urlopen(request, timeout):
        seen["url"], seen["auth"] = request.full_url, request.get_header(
            "Authorization"
        )
        return io.BytesIO(json.dumps({"results": [{"id": COMMIT}]}).encode())

    monkeypatch.setattr(download_component.urllib.request, "urlopen", fake_urlopen)
    resolve = download_component.lakefs_commit_resolver("http://lakefs/", "AK", "SK")
    assert resolve("iris-data", "main") == COMMIT
    assert seen["url"] == (
        "http://lakefs/api/v1/repositories/iris-data/refs/main/commits?amount=1"
    )
    assert seen["auth"] == "Basic QUs6U0s="


@pytest.mark.parametrize(
    "source", ["lakefs://iris-data/main", "s3://bucket/key", "lakefs:///main/x"]
)
def test_unsupported_sources_are_refused(download_component, tmp_path, source):
    with pytest.raises(ValueError, match="lakefs://<repository>/<ref>/<path>"):
        download_component.download(source, tmp_path / "f")
    assert list(tmp_path.iterdir()) == []


def test_failed_read_leaves_no_partial_file(download_component, tmp_path):
    with pytest.raises(FileNotFoundError):
        download_component.download(str(tmp_path / "missing"), tmp_path / "o" / "f")
    assert list((tmp_path / "o").iterdir()) == []


def test_main_writes_the_file_and_its_record(download_component, tmp_path, capsys):
    source = tmp_path / "iris.csv"
    source.write_text("a\n")
    record = tmp_path / "record" / "record.json"
    argv = ["--source", str(source), "--output", str(tmp_path / "out.csv")]
    assert download_component.main([*argv, "--record", str(record)]) == 0
    assert (
        json.loads(record.read_text())["sha256"] == hashlib.sha256(b"a\n").hexdigest()
    )
    assert json.loads(capsys.readouterr().out)["source"] == str(source)


def test_main_uses_the_api_when_credentials_are_set(
    download_component, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AK")
    made = []
    monkeypatch.setattr(
        download_component,
        "lakefs_commit_resolver",
        lambda *args: made.append(args) or (lambda repository, ref: COMMIT),
    )
    monkeypatch.setattr(
        download_component, "s3_client", lambda endpoint: FakeGateway(b"z")
    )
    argv = ["--source", "lakefs://iris-data/main/x.csv", "--endpoint-url", "http://l"]
    argv += ["--output", str(tmp_path / "x.csv"), "--record", str(tmp_path / "r.json")]
    assert download_component.main(argv) == 0
    assert made == [("http://l", "AK", "")]
    assert json.loads((tmp_path / "r.json").read_text())["commit_id"] == COMMIT


def test_main_reports_a_failure_in_one_line(download_component, tmp_path, capsys):
    argv = ["--source", str(tmp_path / "missing"), "--output", str(tmp_path / "o")]
    assert download_component.main([*argv, "--record", str(tmp_path / "r")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: cannot download") and error.count("\n") == 1
