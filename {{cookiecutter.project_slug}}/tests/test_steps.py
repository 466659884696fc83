"""The pipeline steps, their marks, and the entry point that runs them."""

import json

import pytest

from {{ cookiecutter.package_name }} import (
    run_step,
    steps,
)
from {{ cookiecutter.package_name }}.data import (
    load_bundled,
    write_csv,
)
from {{ cookiecutter.package_name }}.markers import (
    OutputPath,
    step,
)

TARGET = f"{steps.__name__}:profile_data"


@pytest.fixture
def iris_csv(tmp_path):
    return write_csv(load_bundled(), tmp_path / "iris.csv")


def test_profile_data_counts_rows_classes_and_ranges(iris_csv, tmp_path):
    output = tmp_path / "profile.json"
    steps.profile_data(iris_csv, output)
    profile = json.loads(output.read_text())
    assert profile["rows"] == 150
    assert profile["classes"] == {"setosa": 50, "versicolor": 50, "virginica": 50}
    assert profile["features"]["petal_length"]["min"] == 1.0
    assert profile["features"]["petal_length"]["max"] == 6.9


def test_profile_data_refuses_too_few_rows(iris_csv, tmp_path):
    with pytest.raises(ValueError, match="150 rows, fewer than min_rows=151"):
        steps.profile_data(iris_csv, tmp_path / "profile.json", min_rows=151)


def test_step_marks_with_or_without_options():
    assert steps.profile_data.__step__ == {"name": None, "description": None}

    @step(name="go-far", description="Far.")
    def go(out: OutputPath()) -> None:
        """Go."""

    assert go.__step__ == {"name": "go-far", "description": "Far."}


def test_run_step_runs_a_step_from_its_command_line(iris_csv, tmp_path):
    output = tmp_path / "out" / "profile.json"
    argv = [TARGET, "--data", str(iris_csv), "--profile", str(output)]
    assert run_step.main([*argv, "--min-rows", "10"]) == 0
    assert json.loads(output.read_text())["rows"] == 150


def test_a_failing_step_is_one_line_and_exit_1(iris_csv, tmp_path, capsys):
    argv = [TARGET, "--data", str(iris_csv), "--profile", str(tmp_path / "p.json")]
    assert run_step.main([*argv, "--min-rows", "1000"]) == 1
    assert capsys.readouterr().err.startswith(f"{TARGET}: {iris_csv}: 150 rows")


def test_run_step_without_a_step_prints_the_usage(capsys):
    assert run_step.main([]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m ")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_module:go", "cannot import 'no_such_module'"),
        (f"{steps.__name__}:json", "no @step function 'json'"),
    ],
)
def test_unknown_steps_are_refused(target, message):
    with pytest.raises(SystemExit, match=message):
        run_step.main([target])


def test_values_are_converted_to_their_annotated_types(iris_csv, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        run_step.main([TARGET, "--data", str(iris_csv), "--min-rows", "x"])
    assert exit_info.value.code == 2  # argparse: the int is refused, not passed on


@pytest.mark.parametrize(
    ("text", "value"),
    [("True", True), ("true", True), ("1", True), ("False", False), ("no", False)],
)
def test_booleans_read_as_kfp_passes_them(text, value):
    assert run_step.parse_bool(text) is value


def test_a_non_boolean_is_refused():
    with pytest.raises(Exception, match="'maybe' is not true or false"):
        run_step.parse_bool("maybe")
