"""Every behavioural regression case passes on a freshly trained model.

The cases live in `regression_cases.jsonl` beside this file, one JSON object a
line, and only grow: when a failure mode is found, append a case for it.
"""

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import regression

CASES = Path(__file__).with_name("regression_cases.jsonl")
CASE_IDS = [case["id"] for case in regression.load_cases(CASES)]


@pytest.fixture(scope="module")
def results(trained, tmp_path_factory):
    """Every case's verdict, from the project's own runner."""
    output = tmp_path_factory.mktemp("regression") / "results.json"
    argv = ["--model", str(trained["model"]), "--cases", str(CASES)]
    assert regression.main([*argv, "--output", str(output)]) == 0
    return {r["id"]: r for r in json.loads(output.read_text())["results"]}


def test_there_are_cases_of_every_type():
    kinds = {case["type"] for case in regression.load_cases(CASES)}
    assert kinds == set(regression.CASE_TYPES)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_case_passes(results, case_id):
    assert results[case_id]["passed"], results[case_id]["detail"]
