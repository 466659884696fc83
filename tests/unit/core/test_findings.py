"""The shared guards every hook and command runs under."""

from __future__ import annotations

import pytest

from precommit_hooks.core.findings import (
    Refusal,
    check_guarded,
    run_checks,
    run_guarded,
)


def test_a_crashing_check_becomes_a_finding_on_its_file_and_the_rest_go_on() -> None:
    def check(name: str) -> list:
        if name == "bad.yaml":
            raise KeyError("spec")
        return []

    (found,) = run_checks(["bad.yaml", "good.yaml"], check)
    assert (found.path, found.rule, found.level) == (
        "bad.yaml",
        "internal-error",
        "error",
    )
    assert "KeyError" in found.message and "please report this file" in found.message


def test_recursion_in_a_check_is_a_depth_finding() -> None:
    def deep(name: str) -> list:
        raise RecursionError("maximum recursion depth exceeded")

    (found,) = check_guarded("deep.yaml", deep)
    assert found.rule == "yaml-depth"


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (Refusal("metrics.json: not JSON"), "dsp gate: metrics.json: not JSON\n"),
        (
            NotADirectoryError(20, "Not a directory", "out/x.json"),
            "dsp gate: out/x.json: not a directory; check the path (and its "
            "folders) and retry\n",
        ),
        (
            TypeError("boom"),
            "dsp gate: internal error (TypeError: boom); please report it with the "
            "command you ran\n",
        ),
    ],
)
def test_run_guarded_turns_every_failure_into_one_line(
    monkeypatch: pytest.MonkeyPatch, error: Exception, line: str
) -> None:
    monkeypatch.delenv("DSP_DEBUG", raising=False)
    told: list[str] = []

    def action() -> int:
        raise error

    assert run_guarded("dsp gate", action, told.append) == 1
    assert told == [line]


def test_run_guarded_passes_the_exit_code_and_interrupts() -> None:
    assert run_guarded("dsp gate", lambda: 0) == 0
    assert run_guarded("dsp gate", lambda: None) == 0

    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_guarded("dsp gate", interrupted) == 130


def test_dsp_debug_re_raises_a_bug_but_not_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DSP_DEBUG", "1")

    def bug() -> int:
        raise TypeError("boom")

    def refused() -> int:
        raise Refusal("no")

    with pytest.raises(TypeError):
        run_guarded("model-regression", bug, lambda text: None)
    assert run_guarded("model-regression", refused, lambda text: None) == 1


def test_value_kind_and_json_type_name_name_every_kind() -> None:
    from precommit_hooks.core.findings import json_type_name, value_kind

    values = (None, False, 1, 1.0, "", {}, [], b"")
    assert [value_kind(v) for v in values] == [
        "null",
        "boolean",
        "integer",
        "number",
        "string",
        "mapping",
        "list",
        "bytes",
    ]
    assert [json_type_name(v) for v in values] == [
        "null",
        "boolean",
        "number",
        "number",
        "string",
        "object",
        "array",
        "bytes",
    ]


def test_add_format_option_defaults_to_the_first_choice() -> None:
    from precommit_hooks.core.findings import UsageParser, add_format_option

    parser = UsageParser(prog="x")
    add_format_option(parser, ("json", "names"))
    assert parser.parse_args([]).format == "json"
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["--format", "yaml"])
    assert exc.value.code == 2
