"""Evaluate a classifier: metrics, a baseline, plots, costs and its worst errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from statistics import median

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from .atomic import atomic_writer
from .data import FEATURES

DIGITS = 6  # rounding keeps metrics.json byte-identical across platforms


def classification_metrics(
    expected: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict:
    """Top-level numbers are the gated metrics; details sit under nested keys."""
    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0
    )
    return {
        "accuracy": round(float(accuracy_score(expected, predicted)), DIGITS),
        "f1_macro": round(
            float(
                f1_score(
                    expected, predicted, labels=labels, average="macro", zero_division=0
                )
            ),
            DIGITS,
        ),
        "precision_macro": round(float(np.mean(precision)), DIGITS),
        "recall_macro": round(float(np.mean(recall)), DIGITS),
        "per_class": {
            label: {
                "precision": round(float(precision[i]), DIGITS),
                "recall": round(float(recall[i]), DIGITS),
                "f1": round(float(f1[i]), DIGITS),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion_matrix": {
            "labels": labels,
            "matrix": confusion_matrix(expected, predicted, labels=labels).tolist(),
        },
    }


def baseline_metrics(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    features: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
) -> dict:
    """The metrics of always predicting the most frequent training class."""
    dummy = DummyClassifier(strategy="most_frequent").fit(train_features, train_labels)
    return classification_metrics(labels, dummy.predict(features), classes)


def confidently_wrong(
    model, features: np.ndarray, labels: np.ndarray, limit: int = 5
) -> list[dict]:
    """The misclassified examples the model was surest of, surest first."""
    probabilities = model.predict_proba(features)
    classes = list(model.classes_)
    predicted = [classes[i] for i in probabilities.argmax(axis=1)]
    wrong = [
        {
            "input": dict(zip(FEATURES, (float(v) for v in row))),
            "expected": str(label),
            "predicted": str(guess),
            "confidence": round(float(probabilities[i].max()), DIGITS),
        }
        for i, (row, label, guess) in enumerate(zip(features, labels, predicted))
        if guess != label
    ]
    wrong.sort(key=lambda example: -example["confidence"])
    return wrong[:limit]


def operational_stats(
    model, features: np.ndarray, training_seconds: float, model_path: Path
) -> dict:
    """What the model costs to run: training time, latency of one row, size."""
    latencies = []
    for row in features[:20]:
        start = time.perf_counter()
        model.predict(row.reshape(1, -1))
        latencies.append((time.perf_counter() - start) * 1000)
    return {
        "training_seconds": round(training_seconds, 4),
        "prediction_latency_ms": round(median(latencies), 4),
        "model_bytes": Path(model_path).stat().st_size,
    }


def plot_confusion_matrix(matrix: list[list[int]], labels: Sequence[str], path: Path):
    """Save the confusion matrix as a PNG (headless: matplotlib's Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(4.5, 4))
    image = axes.imshow(np.asarray(matrix), cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=30)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("expected")
    for row, counts in enumerate(matrix):
        for column, count in enumerate(counts):
            axes.text(column, row, str(count), ha="center", va="center")
    figure.colorbar(image)
    figure.tight_layout()
    write_atomically(path, lambda stream: figure.savefig(stream, format="png"))
    pyplot.close(figure)


def write_atomically(path: Path, write) -> Path:
    """Call `write(stream)` on a binary stream that replaces `path` when done.

    The file gets the mode `open()` would give it, never mkstemp's 0600, so a
    model server or a colleague can read what training wrote.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as stream:
        write(stream)
    return path


def write_json(path: Path, data: object) -> Path:
    """Write `data` as sorted, indented JSON, atomically."""
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    return write_atomically(path, lambda stream: stream.write(text.encode()))


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    """Write one JSON object a line, atomically."""
    text = "".join(json.dumps(record, sort_keys=True) + "\n" for record in records)
    return write_atomically(path, lambda stream: stream.write(text.encode()))
