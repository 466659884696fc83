"""Load the iris measurements: scikit-learn's bundled copy, or a CSV file."""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
TARGET = "species"


@dataclass(frozen=True)
class Dataset:
    """Feature rows (centimetres, in FEATURES order) and their class names."""

    features: np.ndarray
    labels: np.ndarray


def load_bundled() -> Dataset:
    """The 150 iris flowers shipped with scikit-learn (no download)."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    return Dataset(iris.data.astype(float), np.asarray(iris.target_names)[iris.target])


def load_csv(path: str | os.PathLike) -> Dataset:
    """Rows of a CSV file whose header names FEATURES and `species`."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [name for name in (*FEATURES, TARGET) if name not in header]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)};"
                f" the header must name {', '.join((*FEATURES, TARGET))}"
            )
        rows = []
        for row in reader:
            try:
                rows.append([float(row[name]) for name in FEATURES])
            except ValueError as error:
                raise ValueError(
                    f"{path}:{reader.line_num}: {error}; measurements are numbers in cm"
                ) from None
            rows[-1].append(row[TARGET])
    if not rows:
        raise ValueError(f"{path}: no rows after the header; add the measurements")
    return Dataset(
        np.array([row[:-1] for row in rows], dtype=float),
        np.array([row[-1] for row in rows]),
    )


def load_dataset(path: str | os.PathLike | None = None) -> Dataset:
    """The CSV at `path`, or the bundled iris data when no path is given."""
    return load_bundled() if path is None else load_csv(path)


def features_row(features: Mapping[str, float]) -> list[float]:
    """One model input row from a feature mapping (the regression cases' format)."""
    missing = [name for name in FEATURES if name not in features]
    if missing:
        raise ValueError(f"features {dict(features)} lack {', '.join(missing)}")
    return [float(features[name]) for name in FEATURES]


def write_csv(dataset: Dataset, path: str | os.PathLike) -> Path:
    """Write `dataset` as CSV (the format `load_csv` reads), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow((*FEATURES, TARGET))
        for row, label in zip(dataset.features, dataset.labels):
            writer.writerow([*(f"{value:g}" for value in row), label])
    os.replace(temporary, path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Export the bundled iris data as CSV, e.g. to upload it to lakeFS."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("output", type=Path, help="CSV file to write")
    args = parser.parse_args(argv)
    print(write_csv(load_bundled(), args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
