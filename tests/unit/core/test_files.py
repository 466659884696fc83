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
