"""train-ormb-component: an ORMB model directory from a CSV."""

import json

from {{ cookiecutter.package_name }} import data


def test_component_writes_an_ormb_model_directory(train_component, tmp_path, capsys):
    csv = data.write_csv(data.load_bundled(), tmp_path / "iris.csv")
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"source": "lakefs://r/main/iris.csv", "sha256": "1"}))
    model_dir, metrics = tmp_path / "model", tmp_path / "out" / "metrics.json"
    argv = ["--data", str(csv), "--data-record", str(record), "--seed", "3"]
    argv += ["--model-dir", str(model_dir), "--metrics", str(metrics)]
    assert train_component.main(argv) == 0
    assert f"model: {model_dir}" in capsys.readouterr().out
    assert (model_dir / "model" / "model.joblib").is_file()
    assert (model_dir / "evaluation" / "confusion_matrix.png").is_file()
    ormb = json.loads((model_dir / "ormbfile.yaml").read_text())
    assert ormb["format"] == "SKLearn" and ormb["framework"] == "scikit-learn"
    assert {"name": "seed", "value": "3"} in ormb["hyperParameters"]
    names = {metric["name"] for metric in ormb["metrics"]["validation"]}
    assert names == {"accuracy", "f1_macro", "precision_macro", "recall_macro"}
    assert ormb["dataset"] == {"git": {"repository": "lakefs://r/main/iris.csv"}}
    assert ormb["size"] == (model_dir / "model" / "model.joblib").stat().st_size
    assert ormb["apiVersion"] == "v1alpha1" and ormb["kind"] == "Model"
    assert json.loads(metrics.read_text())["accuracy"] > 0.9


def test_component_reports_missing_data_in_one_line(train_component, tmp_path, capsys):
    argv = ["--data", str(tmp_path / "none.csv"), "--data-record", str(tmp_path)]
    argv += ["--model-dir", str(tmp_path / "m"), "--metrics", str(tmp_path / "m.json")]
    assert train_component.main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1


def test_ormbfile_without_the_installed_project_has_no_author(
    train_component, monkeypatch
):
    about = train_component.package_metadata()
    assert about["description"] and about["author"]
    monkeypatch.setattr(train_component, "DISTRIBUTION", "no-such-distribution")
    described = train_component.ormbfile({"seed": 1}, {"accuracy": 1.0}, {}, 7)
    assert "author" not in described and "description" not in described
    assert described["metrics"] == {
        "validation": [{"name": "accuracy", "value": "1.0"}]
    }
