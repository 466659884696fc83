"""Hostile models and registries against `dsp model pull|push` (issue #12).

Each hostile artifact is written straight into the real registry (Debian's
docker-registry) through the distribution API, then pulled by ``dsp`` in a
child process under hard limits (200 MB of address space, 2 s of CPU): a
pull that blew up memory or time would be killed and fail the test.  Every
refusal is one line, exit 1, and leaves ``--output`` (and its folder) as it
was.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from tests.support.servers import docker_registry, free_port

from precommit_hooks.lifecycle.ormb import ORMB_CONFIG_MEDIA_TYPE

MEMORY_LIMIT = 200 * 1024 * 1024
CPU_SECONDS = 2
GOOD_CONFIG = json.dumps({"framework": "scikit-learn", "format": "SKLearn"}).encode()


@pytest.fixture(scope="module")
def oci_registry(tmp_path_factory) -> str:
    with docker_registry(tmp_path_factory.mktemp("registry")) as host:
        yield host


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def dsp(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m precommit_hooks ARGS`` under the limits."""
    return subprocess.run(
        [sys.executable, "-m", "precommit_hooks", *args],
        capture_output=True,
        text=True,
        preexec_fn=_limits,
        timeout=60,  # wall-clock guard only; the CPU limit is the real bound
        cwd=cwd,
    )


def assert_refused(result: subprocess.CompletedProcess, message: str) -> None:
    """Exit 1, one line on stderr naming the problem, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0], lines[0]
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(host: str, repository: str, data: bytes) -> dict:
    """Upload a blob monolithically; return its descriptor."""
    start = urllib.request.Request(
        f"http://{host}/v2/{repository}/blobs/uploads/", method="POST"
    )
    with urllib.request.urlopen(start, timeout=10) as response:
        location = response.headers["Location"]
    if location.startswith("/"):
        location = f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    put = urllib.request.Request(
        f"{location}{sep}digest={_digest(data)}", data=data, method="PUT"
    )
    put.add_header("Content-Type", "application/octet-stream")
    urllib.request.urlopen(put, timeout=10).close()
    return {"digest": _digest(data), "size": len(data)}


def put_model(
    host: str,
    tag: str,
    layers: list[bytes],
    config: bytes = GOOD_CONFIG,
    media_type: str = "application/tar+gzip",
) -> str:
    """Write a model artifact with these raw layers; return ``host/repo:tag``."""
    repository = "hostile/model"
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": ORMB_CONFIG_MEDIA_TYPE,
            **put_blob(host, repository, config),
        },
        "layers": [
            {"mediaType": media_type, **put_blob(host, repository, layer)}
            for layer in layers
        ],
    }
    request = urllib.request.Request(
        f"http://{host}/v2/{repository}/manifests/{tag}",
        data=json.dumps(manifest).encode(),
        method="PUT",
    )
    request.add_header("Content-Type", manifest["mediaType"])
    urllib.request.urlopen(request, timeout=10).close()
    return f"{host}/{repository}:{tag}"


def tar_gz(members: list[tuple[str, bytes]], claimed: int | None = None) -> bytes:
    """A tar.gz of files; ``claimed`` writes a header size larger than the data."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    if claimed is not None:  # one header announcing ``claimed`` bytes, then little
        info = tarfile.TarInfo("model/zeros.bin")
        info.size = claimed
        header = info.tobuf(format=tarfile.PAX_FORMAT)
        return gzip.compress(header + bytes(4096), mtime=0)
    return gzip.compress(raw.getvalue(), mtime=0)


def _layer_overwriting() -> list[bytes]:
    return [
        tar_gz([("model/model.joblib", b"the model")]),
        tar_gz([("model/model.joblib", b"another model")]),
    ]


HOSTILE_LAYERS = {
    # 8 GiB announced in one header: refused before a byte is written.
    "zip-bomb": ([tar_gz([], claimed=9 << 30)], "unpacks to more than"),
    "many-members": (
        [tar_gz([(f"model/f{i}", b"") for i in range(5_000)])],
        "more than 1000 files",
    ),
    "deep-path": (
        [tar_gz([("model/" + "a/" * 2000 + "f", b"x")])],
        "2002 folders deep",
    ),
    "not-gzip": ([os.urandom(2048)], "is not a gzip-compressed tar"),
    "gzip-not-tar": ([gzip.compress(b"just text" * 100)], "not a gzip-compressed"),
    "outside": ([tar_gz([("etc/cron.d/x", b"x")])], "outside the model folder"),
    "dotdot": ([tar_gz([("model/../../x", b"x")])], "unsafe path"),
    "overwrite": (_layer_overwriting(), "would overwrite 'model/model.joblib'"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_LAYERS))
def test_hostile_layers_are_refused_and_nothing_is_written(
    oci_registry, tmp_path, case
):
    layers, message = HOSTILE_LAYERS[case]
    reference = put_model(oci_registry, case, layers)
    out = tmp_path / "models" / "current"
    assert_refused(dsp("model", "pull", reference, "--output", str(out)), message)
    assert list(tmp_path.iterdir()) == []  # not even models/ or a staging folder


def test_a_refused_pull_leaves_the_previous_model_untouched(oci_registry, tmp_path):
    out = tmp_path / "current"
    (out / "model").mkdir(parents=True)
    (out / "model" / "model.joblib").write_bytes(b"the previous model")
    (out / "ormb-config.json").write_text("{}")
    before = sorted((p.relative_to(tmp_path), p.read_bytes()) for p in _files(tmp_path))
    reference = put_model(oci_registry, "overwrite-again", _layer_overwriting())
    assert_refused(dsp("model", "pull", reference, "--output", str(out)), "overwrite")
    after = sorted((p.relative_to(tmp_path), p.read_bytes()) for p in _files(tmp_path))
    assert after == before


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_limits_can_be_raised_and_lowered(oci_registry, tmp_path):
    reference = put_model(
        oci_registry,
        "ten-files",
        [tar_gz([(f"model/f{i}", b"12345") for i in range(10)])],
    )
    out = tmp_path / "out"
    assert_refused(
        dsp("model", "pull", reference, "--output", str(out), "--max-members", "5"),
        "raise --max-members",
    )
    assert_refused(
        dsp(
            "model",
            "pull",
            reference,
            "--output",
            str(out),
            "--max-unpacked-bytes",
            "20",
        ),
        "raise --max-unpacked-bytes",
    )
    assert not out.exists()
    done = dsp("model", "pull", reference, "--output", str(out), "--max-members", "11")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / "model").iterdir()) == [
        f"f{i}" for i in sorted(range(10), key=str)
    ]
    deep = put_model(
        oci_registry, "deep-40", [tar_gz([("model/" + "d/" * 40 + "f", b"")])]
    )
    assert_refused(
        dsp("model", "pull", deep, "--output", str(tmp_path / "d")), "--max-depth"
    )
    ok = dsp(
        "model", "pull", deep, "--output", str(tmp_path / "d"), "--max-depth", "41"
    )
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize(
    "config, message",
    [
        (b"not json at all", "model config is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        (b"[1, 2]", "must be a JSON object, not array"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b'{"size": 1' + b"0" * 5000 + b"}", "model config is not valid JSON"),
    ],
)
def test_hostile_configs_are_refused(oci_registry, tmp_path, config, message):
    reference = put_model(
        oci_registry, f"config-{len(config)}", [tar_gz([("model/m", b"m")])], config
    )
    out = tmp_path / "out"
    assert_refused(dsp("model", "pull", reference, "--output", str(out)), message)
    assert list(tmp_path.iterdir()) == []


def test_special_outputs_are_refused_never_replaced(oci_registry, tmp_path):
    reference = put_model(oci_registry, "fine", [tar_gz([("model/m", b"m")])])
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for output in (str(fifo), "/dev/full"):
        assert_refused(
            dsp("model", "pull", reference, "--output", output),
            "is a file, not a folder",
        )
    assert fifo.is_fifo()
    inner = tmp_path / "out"
    inner.mkdir()
    os.mkfifo(inner / "ormb-config.json")
    assert_refused(
        dsp("model", "pull", reference, "--output", str(inner)), "not a regular file"
    )
    assert (inner / "ormb-config.json").is_fifo()


def test_upper_case_digests_are_refused_the_same_way_everywhere(tmp_path):
    upper = "sha256:" + "AB" * 32
    ref = f"127.0.0.1:{free_port()}/iris/model"
    by_option = dsp("model", "pull", f"{ref}:v1", "--output", "o", "--digest", upper)
    by_reference = dsp("model", "pull", f"{ref}@{upper}", "--output", "o")
    for result in (by_option, by_reference):
        assert_refused(result, "is not sha256: and 64 lower-case hex digits")


class _Answer500(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_POST = do_PUT = do_GET

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def broken_registry():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer500)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_registry_answering_500_fails_within_seconds(broken_registry, tmp_path):
    start = time.monotonic()
    result = dsp("model", "pull", f"{broken_registry}/iris/model:v1", "--output", "o")
    assert_refused(result, "the registry answered 500 to GET after 2 attempt(s)")
    model = tmp_path / "m.joblib"
    model.write_bytes(b"m")
    pushed = dsp(
        "model",
        "push",
        f"{broken_registry}/iris/model:v1",
        "--model",
        str(model),
        "--git-revision",
        "abc",
    )
    assert_refused(pushed, "the registry answered 500")
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(
    "extra, metrics, message",
    [
        ([], '{"accuracy": NaN}', "NaN is not a number JSON allows"),
        (
            [],
            '{"accuracy": 1' + "0" * 400 + "}",
            "not a finite number a float can hold",
        ),
        (
            ["--git-revision", "abc\nInjected: yes"],
            "{}",
            "--git-revision 'abc\\nInjected",
        ),
        (["--author", "a\x1b[31m"], "{}", "--author"),
    ],
)
def test_push_refuses_bad_metrics_and_control_characters(
    tmp_path, extra, metrics, message
):
    (tmp_path / "m.joblib").write_bytes(b"m")
    (tmp_path / "metrics.json").write_text(metrics)
    ref = f"127.0.0.1:{free_port()}/iris/model:v1"  # never reached
    args = ["model", "push", ref, "--model", "m.joblib", "--metrics", "metrics.json"]
    revision = [] if "--git-revision" in extra else ["--git-revision", "abc"]
    assert_refused(dsp(*args, *revision, *extra, cwd=tmp_path), message)


def test_push_refuses_a_metrics_file_over_the_cap_before_reading_it(tmp_path):
    (tmp_path / "m.joblib").write_bytes(b"m")
    with open(tmp_path / "metrics.json", "wb") as sparse:
        sparse.truncate(11 << 20)  # 11 MB that reading would have to hold
    ref = f"127.0.0.1:{free_port()}/iris/model:v1"
    args = ["model", "push", ref, "--model", "m.joblib", "--metrics", "metrics.json"]
    result = dsp(*args, "--git-revision", "abc", cwd=tmp_path)
    assert_refused(result, "too large for a metrics JSON file (limit 10485760 bytes)")


def test_a_pull_over_an_existing_model_replaces_its_folder_whole(
    oci_registry, tmp_path
):
    out = tmp_path / "current"
    (out / "model").mkdir(parents=True)
    (out / "model" / "stale.bin").write_bytes(b"from the previous model")
    (out / "notes.txt").write_text("kept")
    reference = put_model(oci_registry, "fresh", [tar_gz([("model/m.joblib", b"new")])])
    done = dsp("model", "pull", reference, "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / "model").iterdir()) == ["m.joblib"]
    assert (out / "notes.txt").read_text() == "kept"
    assert json.loads((out / "ormb-config.json").read_text())["format"] == "SKLearn"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current"]  # no stage left
