"""The behavioural case runner: each case type, bad files, the command line."""

import json

import joblib
import pytest

from {{ cookiecutter.package_name }} import regression

SETOSA = {
    "sepal_length": 5.1,
    "sepal_width": 3.5,
    "petal_length": 1.4,
    "petal_width": 0.2,
}
VIRGINICA = {
    "sepal_length": 6.7,
    "sepal_width": 3.0,
    "petal_length": 5.8,
    "petal_width": 2.2,
}


def case(**fields):
    """A well-formed MFT case with `fields` replaced."""
    base = {
        "id": "c1",
        "type": "MFT",
        "input": SETOSA,
        "expected": "setosa",
        "capability": "typical flowers",
        "reason": "test",
        "added": "2026-01-01",
    }
    return {**base, **fields}


@pytest.fixture(scope="module")
def model(trained):
    return joblib.load(trained["model"])


@pytest.mark.parametrize(
    "fields, passed",
    [
        ({}, True),
        ({"expected": "virginica"}, False),
        ({"type": "INV", "input": {"base": SETOSA, "perturbed": SETOSA}}, True),
        ({"type": "INV", "input": {"base": SETOSA, "perturbed": VIRGINICA}}, False),
        (
            {
                "type": "DIR",
                "input": {"base": SETOSA, "changed": VIRGINICA},
                "expected": {"label": "virginica", "direction": "up"},
            },
            True,
        ),
        (
            {
                "type": "DIR",
                "input": {"base": SETOSA, "changed": VIRGINICA},
                "expected": {"label": "virginica", "direction": "down"},
            },
            False,
        ),
    ],
)
def test_run_case_verdicts(model, fields, passed):
    result = regression.run_case(model, case(**fields))
    assert result["id"] == "c1" and result["passed"] is passed
    assert result["detail"]


def test_unknown_label_fails_the_case_with_a_reason(model):
    result = regression.run_case(
        model,
        case(
            type="DIR",
            input={"base": SETOSA, "changed": VIRGINICA},
            expected={"label": "rose", "direction": "up"},
        ),
    )
    assert result["passed"] is False and "'rose' is not a class" in result["detail"]


@pytest.mark.parametrize(
    "bad, message",
    [
        ([1], r"\[1\] is not of type 'object'"),
        ({"id": "x"}, "'type' is a required property"),
        (case(type="XYZ"), "type must be one of MFT, INV, DIR, not 'XYZ'"),
        (case(type="INV"), 'INV input must be {"base": features, "perturbed"'),
        (
            case(type="DIR", input={"base": SETOSA, "changed": SETOSA}),
            'DIR expected must be {"label": class name',
        ),
        (case(added="27/11/2026"), "added must be an ISO date like 2026-11-27"),
    ],
)
def test_malformed_cases_name_the_line(tmp_path, bad, message):
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(case()) + "\n\n" + json.dumps(bad) + "\n")
    with pytest.raises(ValueError, match=f"cases.jsonl:3: {message}"):
        regression.load_cases(path)


def test_duplicate_ids_and_broken_json_are_refused(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(case()) + "\n" + json.dumps(case()) + "\n")
    with pytest.raises(ValueError, match="cases.jsonl:2: id 'c1' is used twice"):
        regression.load_cases(path)
    path.write_text("{not json\n")
    with pytest.raises(ValueError, match="cases.jsonl:1: not JSON"):
        regression.load_cases(path)


def test_main_writes_results_and_exits_0_even_when_cases_fail(
    trained, tmp_path, capsys
):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps(case()) + "\n" + json.dumps(case(id="c2", expected="virginica"))
    )
    output = tmp_path / "out" / "results.json"
    argv = ["--model", str(trained["model"]), "--cases", str(cases)]
    assert regression.main([*argv, "--output", str(output)]) == 0
    results = json.loads(output.read_text())["results"]
    assert [(r["id"], r["passed"]) for r in results] == [("c1", True), ("c2", False)]
    assert "2 case(s), 1 failed" in capsys.readouterr().out


def test_main_reports_a_missing_model_in_one_line(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(case()) + "\n")
    argv = ["--model", str(tmp_path / "none.joblib"), "--cases", str(cases)]
    assert regression.main([*argv, "--output", str(tmp_path / "r.json")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
