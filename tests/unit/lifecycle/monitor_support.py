"""Shared inputs of the monitor tests: a reference profile written by the
template's own ``profile.py`` from the real iris data, and batches."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

from tests.support.paths import TEMPLATE_SLUG_DIR

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
PROFILE_PY = TEMPLATE_SLUG_DIR / "src" / "{{cookiecutter.package_name}}" / "profile.py"


def template_profile_module():
    """The generated project's profile.py (plain Python, no template syntax)."""
    spec = importlib.util.spec_from_file_location("template_profile", PROFILE_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def iris() -> tuple[np.ndarray, np.ndarray]:
    data = load_iris()
    return data.data.astype(float), np.asarray(data.target_names)[data.target]


def write_reference(folder: Path, data: dict | None = None) -> Path:
    """reference_profile.json of all 150 flowers, as training writes it."""
    features, labels = iris()
    profile = template_profile_module().build_profile(
        features, labels, FEATURES, "species", data
    )
    path = folder / "reference_profile.json"
    path.write_text(json.dumps(profile))
    return path


def sample_rows(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` flowers drawn with replacement: the training distribution."""
    features, labels = iris()
    index = np.random.default_rng(seed).integers(0, len(labels), n)
    return features[index], labels[index]


def write_csv(path: Path, features, extra: dict[str, list] | None = None) -> Path:
    extra = extra or {}
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FEATURES + list(extra))
        for i, row in enumerate(np.asarray(features).tolist()):
            writer.writerow(row + [column[i] for column in extra.values()])
    return path


def write_jsonl(path: Path, features, extra: dict[str, list] | None = None) -> Path:
    extra = extra or {}
    with open(path, "w") as handle:
        for i, row in enumerate(np.asarray(features).tolist()):
            record = dict(zip(FEATURES, row))
            record.update({name: column[i] for name, column in extra.items()})
            handle.write(json.dumps(record) + "\n")
    return path
