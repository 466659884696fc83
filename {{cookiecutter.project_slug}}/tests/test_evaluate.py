"""Evaluation: metrics layout, baseline, worst errors, costs and the plot."""

import json

import joblib
import numpy as np

from {{ cookiecutter.package_name }} import data
from {{ cookiecutter.package_name }} import evaluate

LABELS = ["setosa", "versicolor", "virginica"]


def test_top_level_numbers_are_the_metrics_and_details_are_nested():
    expected = ["setosa", "setosa", "versicolor", "virginica"]
    predicted = ["setosa", "versicolor", "versicolor", "virginica"]
    metrics = evaluate.classification_metrics(expected, predicted, LABELS)
    numeric = {k for k, v in metrics.items() if isinstance(v, (int, float))}
    assert numeric == {"accuracy", "f1_macro", "precision_macro", "recall_macro"}
    assert metrics["accuracy"] == 0.75
    assert metrics["per_class"]["setosa"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.666667,
        "support": 2,
    }
    assert metrics["confusion_matrix"] == {
        "labels": LABELS,
        "matrix": [[1, 1, 0], [0, 1, 0], [0, 0, 1]],
    }


def test_baseline_predicts_the_most_frequent_class():
    features = np.zeros((4, 4))
    train_labels = np.array(["setosa", "setosa", "setosa", "virginica"])
    labels = np.array(["setosa", "virginica", "virginica", "virginica"])
    metrics = evaluate.baseline_metrics(
        features, train_labels, features, labels, LABELS
    )
    assert metrics["accuracy"] == 0.25


def test_confidently_wrong_lists_the_surest_mistakes_first(trained):
    model = joblib.load(trained["model"])
    dataset = data.load_bundled()
    # Every label shifted by one class: every prediction is a mistake.
    shifted = np.array([LABELS[(LABELS.index(x) + 1) % 3] for x in dataset.labels])
    wrong = evaluate.confidently_wrong(model, dataset.features, shifted, limit=3)
    assert len(wrong) == 3
    confidences = [example["confidence"] for example in wrong]
    assert confidences == sorted(confidences, reverse=True)
    assert set(wrong[0]) == {"input", "expected", "predicted", "confidence"}
    assert set(wrong[0]["input"]) == set(data.FEATURES)
    assert wrong[0]["expected"] != wrong[0]["predicted"]


def test_confidently_wrong_is_empty_when_nothing_is_wrong(trained):
    model = joblib.load(trained["model"])
    features = np.array([[5.0, 3.4, 1.5, 0.2]])
    assert evaluate.confidently_wrong(model, features, np.array(["setosa"])) == []


def test_operational_stats_measure_time_latency_and_size(trained):
    stats = json.loads(trained["operational"].read_text())
    assert set(stats) == {"training_seconds", "prediction_latency_ms", "model_bytes"}
    assert stats["model_bytes"] == trained["model"].stat().st_size
    assert stats["training_seconds"] >= 0 and stats["prediction_latency_ms"] > 0


def test_writers_leave_no_temporary_file(tmp_path):
    evaluate.write_json(tmp_path / "a.json", {"b": 1, "a": [1]})
    evaluate.write_jsonl(tmp_path / "b.jsonl", [{"x": 1}, {"y": 2}])
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": [1], "b": 1}
    assert (tmp_path / "b.jsonl").read_text() == '{"x": 1}\n{"y": 2}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.jsonl"]
