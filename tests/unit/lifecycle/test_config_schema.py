"""[tool.dsp.gate] and [tool.dsp.regression] checked by the shipped JSON Schemas."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.lifecycle.config_schema import load_schema, schema_problem
from precommit_hooks.lifecycle.gate_config import parse_gate_config
from precommit_hooks.lifecycle.regression import parse_regression_config

PATH = Path("/p/pyproject.toml")


@pytest.mark.parametrize(
    "name", ["tool-dsp-gate.schema.json", "tool-dsp-regression.schema.json"]
)
def test_the_shipped_schemas_are_valid_json_schemas(name):
    jsonschema.Draft202012Validator.check_schema(load_schema(name))


@pytest.mark.parametrize(
    "table, message",
    [
        ({"comand": ["x"]}, "has an unknown key 'comand'; did you mean \"command\"?"),
        ({"zzz": 1}, "unknown key 'zzz'; allowed keys: cases, command, model"),
        ({"command": ["python"]}, "has a command but no results; name the JSON"),
        ({"command": []}, "command must be a non-empty list of strings"),
        ({"command": ["python", ""], "results": "r"}, "command must be a non-empty"),
        ({"timeout": float("inf")}, "timeout must be a number of seconds between 0"),
        ({"timeout": float("nan")}, "timeout must be a number of seconds between 0"),
        ({"timeout": 0}, "between 0 and 86400, not 0"),
        ({"cases": ""}, "[tool.dsp.regression] cases must be a path string, not ''"),
        ([1], "[tool.dsp.regression] must be a table"),
    ],
)
def test_regression_tables_are_refused_in_one_line(table, message):
    with pytest.raises(Refusal) as refused:
        parse_regression_config(table, PATH.parent, PATH)
    text = str(refused.value)
    assert text.startswith(f"{PATH}: ") and message in text and "\n" not in text


def test_gate_problems_shallowest_first_and_named_by_their_table():
    gate = {"ties": "maybe", "metrics": {"acc": {"greater_is_better": 1}}}
    problem = schema_problem(gate, "tool-dsp-gate.schema.json", "tool.dsp.gate")
    assert problem == '[tool.dsp.gate] ties must be "pass" or "fail", not \'maybe\''
    data = {"tool": {"dsp": {"gate": {"metrics": {"acc": {"greater_is_better": 1}}}}}}
    with pytest.raises(Refusal) as refused:
        parse_gate_config(data, PATH)
    assert str(refused.value) == (
        f"{PATH}: [tool.dsp.gate.metrics.acc] greater_is_better must be true or "
        "false, not 1"
    )
    data["tool"]["dsp"]["gate"]["metrics"] = {}
    with pytest.raises(Refusal, match=r"no \[tool.dsp.gate.metrics.<metric>\] rules"):
        parse_gate_config(data, PATH)


def test_the_case_schema_is_valid_and_decides_the_case_findings():
    from precommit_hooks.lifecycle.cases import parse_cases

    jsonschema.Draft202012Validator.check_schema(
        load_schema("regression-case.schema.json")
    )
    base = {
        "id": "c1",
        "type": "DIR",
        "input": {"base": {"x": 1}, "changed": {"x": 2}},
        "expected": {"label": "a", "direction": "sideways"},
        "capability": "c",
        "reason": "r",
        "added": "2026-02-30",
    }
    _, found = parse_cases(json.dumps(base), "cases.jsonl")
    assert [f.rule for f in found] == ["case-date"]
    assert found[0].message == (
        "case 'c1': added must be an ISO date like 2026-11-27, not '2026-02-30'; "
        'DIR expected must be {"label": class name, "direction": "up" or "down"}, '
        'not {"label": "a", "direction": "sideways"}'
    )
    huge = {
        **base,
        "added": "2026-02-28",
        "expected": {"label": "a", "direction": "up"},
    }
    huge["input"] = {"base": {"x": 10**400}, "changed": {"x": 2}}
    _, found = parse_cases(json.dumps(huge), "cases.jsonl")
    assert [f.rule for f in found] == ["case-input"]
    assert "input.base.x must be a finite number, not 10000000000000000000..." in (
        found[0].message
    )
