"""Training writes every artifact, deterministically for a seed."""

import json

import joblib
import pytest

import {{ cookiecutter.package_name }}.train as training

ARTIFACTS = {
    "model",
    "hyperparams",
    "metrics",
    "baseline_metrics",
    "confusion_matrix",
    "operational",
    "confidently_wrong",
    "reference_profile",
}


def test_training_writes_every_artifact(trained):
    assert set(trained) == ARTIFACTS
    assert all(path.is_file() for path in trained.values())
    assert trained["confusion_matrix"].read_bytes().startswith(b"\x89PNG")
    model = joblib.load(trained["model"])
    assert sorted(model.classes_) == ["setosa", "versicolor", "virginica"]


def test_model_beats_its_baseline(trained):
    metrics = json.loads(trained["metrics"].read_text())
    baseline = json.loads(trained["baseline_metrics"].read_text())
    assert metrics["accuracy"] >= 0.9 > baseline["accuracy"]
    assert metrics["f1_macro"] > baseline["f1_macro"]


def test_hyperparams_are_saved(trained):
    saved = json.loads(trained["hyperparams"].read_text())
    assert saved == {"C": 1.0, "max_iter": 200, "seed": 42, "validation_fraction": 0.3}


def test_same_seed_gives_the_same_bytes(trained, tmp_path):
    again = training.run(tmp_path, training.Hyperparams())
    for name in ("metrics", "hyperparams", "baseline_metrics"):
        assert again[name].read_bytes() == trained[name].read_bytes()


def test_main_trains_with_the_given_hyperparameters(tmp_path, capsys):
    argv = ["--output-dir", str(tmp_path), "--C", "0.5", "--max-iter", "50"]
    assert training.main([*argv, "--seed", "7", "--validation-fraction", "0.4"]) == 0
    assert f"model: {tmp_path / 'model.joblib'}" in capsys.readouterr().out
    saved = json.loads((tmp_path / "hyperparams.json").read_text())
    assert saved == {"C": 0.5, "max_iter": 50, "seed": 7, "validation_fraction": 0.4}


def test_main_reports_unreadable_data_in_one_line(tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    assert training.main(["--output-dir", str(tmp_path), "--data", str(missing)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "missing.csv" in error
    assert error.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [["--C", "0"], ["--max-iter", "-1"], ["--validation-fraction", "1"]],
)
def test_main_refuses_out_of_range_hyperparameters(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        training.main(argv)
    assert exit_info.value.code == 2
    assert "must be" in capsys.readouterr().err
