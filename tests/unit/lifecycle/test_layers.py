"""The model layer: reproducible packing, and an unpacker that checks each header."""

from __future__ import annotations

import io
import tarfile

import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.lifecycle.layers import (
    UnpackLimits,
    UnpackState,
    pack_model,
    unpack_model,
)


def _layer(*members: tarfile.TarInfo, data: bytes = b"") -> io.BytesIO:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for info in members:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    raw.seek(0)
    return raw


def _member(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, size
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "/etc/passwd"
    return info


def test_packing_is_reproducible_and_round_trips(tmp_path):
    (tmp_path / "b.joblib").write_bytes(b"bee")
    (tmp_path / "a.json").write_text("{}")
    files = [tmp_path / "b.joblib", tmp_path / "a.json"]
    pack_model(files, tmp_path / "one.tar.gz")
    pack_model(list(reversed(files)), tmp_path / "two.tar.gz")
    assert (tmp_path / "one.tar.gz").read_bytes() == (
        tmp_path / "two.tar.gz"
    ).read_bytes()
    root = tmp_path / "stage"
    root.mkdir()
    with open(tmp_path / "one.tar.gz", "rb") as layer:
        written = unpack_model(layer, root, UnpackState())
    assert sorted(p.name for p in written) == ["a.json", "b.joblib"]
    assert (root / "model" / "b.joblib").read_bytes() == b"bee"


def test_the_kserve_layout_lands_in_the_same_folder(tmp_path):
    layer = _layer(_member("models/model.joblib", size=3), data=b"abc")
    unpack_model(layer, tmp_path, UnpackState())
    assert (tmp_path / "model" / "model.joblib").read_bytes() == b"abc"


@pytest.mark.parametrize(
    "member, message",
    [
        (_member("../evil"), "unsafe path"),
        (_member("/abs"), "unsafe path"),
        (_member("model/link", tarfile.SYMTYPE), "link or device"),
        (_member("model/hard", tarfile.LNKTYPE), "link or device"),
        (_member("model/dev", tarfile.CHRTYPE), "link or device"),
        (_member("model/fifo", tarfile.FIFOTYPE), "link or device"),
        (_member("elsewhere/x"), "outside the model folder"),
        (_member("model/" + "x" * 300), "name over 255 bytes"),
        (_member("model/a\nb"), "control character"),
    ],
)
def test_unsafe_members_are_refused_before_writing(tmp_path, member, message):
    with pytest.raises(Refusal, match=message):
        unpack_model(_layer(member), tmp_path, UnpackState())
    assert list(tmp_path.iterdir()) == []


def test_a_member_inside_a_file_or_twice_is_refused(tmp_path):
    layer = _layer(_member("model/a"), _member("model/a/b"))
    with pytest.raises(Refusal, match="inside a file"):
        unpack_model(layer, tmp_path / "one", UnpackState())
    layer = _layer(_member("model/a"), _member("model/a"))
    with pytest.raises(Refusal, match="would overwrite 'model/a'"):
        unpack_model(layer, tmp_path / "two", UnpackState())


def test_caps_are_checked_on_the_header_before_the_data(tmp_path):
    state = UnpackState(UnpackLimits(max_bytes=10))
    layer = _layer(_member("model/big", size=11), data=b"x" * 11)
    with pytest.raises(Refusal, match="more than 10 bytes; raise --max-unpacked-bytes"):
        unpack_model(layer, tmp_path, state)
    assert not (tmp_path / "model" / "big").exists()
    state = UnpackState(UnpackLimits(max_depth=2))
    with pytest.raises(Refusal, match="3 folders deep .limit 2.; raise --max-depth"):
        unpack_model(_layer(_member("model/a/b/c")), tmp_path, state)


def test_caps_count_across_layers(tmp_path):
    state = UnpackState(UnpackLimits(max_members=2))
    unpack_model(_layer(_member("model/a"), _member("model/b")), tmp_path, state)
    with pytest.raises(Refusal, match="more than 2 files and folders"):
        unpack_model(_layer(_member("model/c")), tmp_path, state)


def test_a_layer_that_is_not_a_gzipped_tar_is_one_refusal(tmp_path):
    for data in (b"\x00" * 10, b"plain text", b"\x1f\x8b\x08\x00garbage"):
        with pytest.raises(Refusal, match="not a gzip-compressed tar"):
            unpack_model(io.BytesIO(data), tmp_path, UnpackState())
