"""The shared atomic write and strict JSON reader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from precommit_hooks.core import files


def test_write_atomic_creates_with_the_mode_open_gives(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.write_text("x")
    target = tmp_path / "new.json"
    files.write_atomic(target, b"{}\n")
    assert target.read_bytes() == b"{}\n"
    assert target.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def test_write_atomic_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old")
    target.chmod(0o750)
    files.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o750


def test_a_failed_write_leaves_the_target_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "cases.jsonl"
    target.write_bytes(b"original\n")

    def no_rename(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError):
        files.write_atomic(target, b"half")
    assert target.read_bytes() == b"original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": NaN}', "NaN is not a number JSON allows"),
        ('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": {"b": 1, "b": 1}}', "duplicate key 'b'"),
    ],
)
def test_strict_json_refuses_what_plain_json_lets_through(
    text: str, reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        files.loads_strict_json(text)


def test_strict_json_reads_ordinary_json() -> None:
    assert files.loads_strict_json(b'{"accuracy": 0.9, "per_class": [1, 2]}') == {
        "accuracy": 0.9,
        "per_class": [1, 2],
    }


def test_write_atomic_refuses_a_special_target_and_leaves_it(tmp_path):
    from precommit_hooks.core.findings import Refusal

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (fifo, tmp_path, Path("/dev/full")):
        with pytest.raises(Refusal, match="exists and is not a regular file"):
            files.write_atomic(target, b"x")
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]  # no temp left


def test_read_capped_checks_the_size_before_reading(tmp_path):
    from precommit_hooks.core.findings import Refusal

    big = tmp_path / "big.json"
    with open(big, "wb") as sparse:
        sparse.truncate(1 << 30)  # 1 GiB that is never read
    with pytest.raises(
        Refusal, match=r"1073741824 bytes is too large for a m \(limit 10"
    ):
        files.read_capped(big, 10, "m", "no m")
    with pytest.raises(Refusal, match=r"missing: no m; make it"):
        files.read_capped(tmp_path / "missing", 10, "m", "no m; make it")
    (tmp_path / "ok").write_bytes(b"0123456789")
    assert files.read_capped(tmp_path / "ok", 10, "m", "no m") == b"0123456789"


def test_staging_folder_leaves_nothing_behind_on_a_refusal(tmp_path):
    from precommit_hooks.core.findings import Refusal

    target = tmp_path / "a" / "b" / "out"
    with pytest.raises(Refusal):
        with files.staging_folder(target) as stage:
            assert stage.parent == target.parent and stage.is_dir()
            (stage / "half").write_bytes(b"x")
            raise Refusal("no")
    assert list(tmp_path.iterdir()) == []
    with files.staging_folder(target) as stage:
        (stage / "kept").write_bytes(b"x")
        os.replace(stage / "kept", tmp_path / "kept")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "kept"]
    assert list((tmp_path / "a" / "b").iterdir()) == []


def test_json_object_refuses_broken_json_and_non_objects_in_one_line() -> None:
    where = Path("m.json")
    assert files.json_object(b'{"a": 1}', where, "metrics") == {"a": 1}
    with pytest.raises(files.Refusal, match=r"^m.json: not valid metrics JSON \("):
        files.json_object('{"a": NaN}', where, "metrics")
    with pytest.raises(files.Refusal, match=r"^m.json: metrics must be a JSON object$"):
        files.json_object("[1]", where, "metrics")
    with pytest.raises(files.Refusal, match=r"^b:3: not valid JSON \(.*deep"):
        files.json_object("[" * 100_000, "b:3")
    with pytest.raises(files.Refusal, match=r"^b:3: each line is an object$"):
        files.json_object("1", "b:3", shape="each line is an object")


def test_json_or_none_gives_the_value_or_none() -> None:
    assert files.json_or_none('["a", 1]') == ["a", 1]
    assert files.json_or_none("[not json") is None
