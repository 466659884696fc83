"""The shared text helpers: suggestions, limits, numbers, names, tables."""

from __future__ import annotations

import argparse

import pytest

from precommit_hooks.core.text import (
    closest,
    did_you_mean,
    file_path,
    is_dns_label,
    is_number,
    positive_int,
    text_table,
)


def test_did_you_mean_suggests_only_near_misses() -> None:
    assert closest("contributers", ["contributors", "admins"]) == "contributors"
    assert did_you_mean("admns", ["admins"]) == " (did you mean 'admins'?)"
    assert did_you_mean("zzz", ["admins"]) == ""


@pytest.mark.parametrize(
    "text,ok", [("1", True), ("0", False), ("-1", False), ("2.5", False), ("x", False)]
)
def test_positive_int(text: str, ok: bool) -> None:
    if ok:
        assert positive_int(text) == int(text)
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="positive integer"):
            positive_int(text)


@pytest.mark.parametrize(
    "value,ok",
    [
        (1, True),
        (0.5, True),
        (True, False),
        (float("nan"), False),
        (float("inf"), False),
        (10**400, False),
        ("1", False),
    ],
)
def test_is_number(value: object, ok: bool) -> None:
    assert is_number(value) is ok


def test_dns_label() -> None:
    assert is_dns_label("team-a1")
    assert not is_dns_label("Team")
    assert not is_dns_label("-a")
    assert not is_dns_label("a" * 64)


def test_text_table_aligns_columns() -> None:
    assert text_table(["a", "bb"], [["xxx", 1]]) == "a    bb\nxxx  1\n"


def test_clip_cuts_only_long_lines() -> None:
    from precommit_hooks.core.text import clip

    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "abc..."


def test_did_you_mean_fills_a_form_of_the_callers_wording() -> None:
    assert did_you_mean("comand", ["command"], form='; did you mean "{}"?') == (
        '; did you mean "command"?'
    )
    assert did_you_mean("zzz", ["command"], form="{}") == ""


def test_file_path_refuses_an_empty_value() -> None:
    assert str(file_path("data/batch.csv")) == "data/batch.csv"
    for empty in ("", "  "):
        with pytest.raises(argparse.ArgumentTypeError, match="is empty; name a file"):
            file_path(empty)
