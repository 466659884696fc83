"""Train the iris classifier and write the model beside its evaluation.

Run it as `make train`, or with options (`--help` lists them all):

    python -m {{ cookiecutter.package_name }}.train
        --output-dir artifacts --seed 42 --C 1.0
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from . import evaluate
from .data import FEATURES, TARGET, Dataset, load_dataset
from .profile import build_profile


@dataclass(frozen=True)
class Hyperparams:
    """Everything that decides the model; saved with every training."""

    C: float = 1.0  # inverse regularisation strength of the logistic regression
    max_iter: int = 200
    seed: int = 42
    validation_fraction: float = 0.3


def build_model(hyperparams: Hyperparams) -> Pipeline:
    """Standardised features into a multinomial logistic regression."""
    return make_pipeline(
        StandardScaler(),
        LogisticRegression(
            C=hyperparams.C,
            max_iter=hyperparams.max_iter,
            random_state=hyperparams.seed,
        ),
    )


def run(
    output_dir: Path, hyperparams: Hyperparams, data: Path | None = None
) -> dict[str, Path]:
    """Train on `data` (bundled iris when None) and write every artifact."""
    dataset: Dataset = load_dataset(data)
    train_x, valid_x, train_y, valid_y = train_test_split(
        dataset.features,
        dataset.labels,
        test_size=hyperparams.validation_fraction,
        random_state=hyperparams.seed,
        stratify=dataset.labels,
    )
    model = build_model(hyperparams)
    start = time.perf_counter()
    model.fit(train_x, train_y)
    training_seconds = time.perf_counter() - start

    output_dir = Path(output_dir)
    classes = [str(label) for label in model.classes_]
    metrics = evaluate.classification_metrics(valid_y, model.predict(valid_x), classes)
    paths = {"model": output_dir / "model.joblib"}
    output_dir.mkdir(parents=True, exist_ok=True)
    evaluate.write_atomically(paths["model"], lambda stream: joblib.dump(model, stream))
    paths["hyperparams"] = evaluate.write_json(
        output_dir / "hyperparams.json", asdict(hyperparams)
    )
    paths["metrics"] = evaluate.write_json(output_dir / "metrics.json", metrics)
    paths["baseline_metrics"] = evaluate.write_json(
        output_dir / "baseline_metrics.json",
        evaluate.baseline_metrics(train_x, train_y, valid_x, valid_y, classes),
    )
    paths["confusion_matrix"] = output_dir / "confusion_matrix.png"
    evaluate.plot_confusion_matrix(
        metrics["confusion_matrix"]["matrix"], classes, paths["confusion_matrix"]
    )
    paths["operational"] = evaluate.write_json(
        output_dir / "operational.json",
        evaluate.operational_stats(model, valid_x, training_seconds, paths["model"]),
    )
    # What monitoring compares production inputs with (`dsp monitor`).
    paths["reference_profile"] = evaluate.write_json(
        output_dir / "reference_profile.json",
        build_profile(train_x, train_y, FEATURES, TARGET),
    )
    paths["confidently_wrong"] = evaluate.write_jsonl(
        output_dir / "confidently_wrong.jsonl",
        evaluate.confidently_wrong(model, valid_x, valid_y),
    )
    return paths


def positive(kind):
    """An argparse type: a number of `kind` greater than zero."""

    def parse(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
        return value

    return parse


def fraction(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1."""
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line: where to write, and the hyper-parameters."""
    defaults = Hyperparams()
    parser = argparse.ArgumentParser(description="Train the iris classifier.")
    parser.add_argument("--output-dir", type=Path, default=Path("artifacts"))
    parser.add_argument(
        "--data", type=Path, help="CSV with the iris columns (default: bundled iris)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--C", type=positive(float), default=defaults.C)
    parser.add_argument("--max-iter", type=positive(int), default=defaults.max_iter)
    parser.add_argument(
        "--validation-fraction", type=fraction, default=defaults.validation_fraction
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Train, write the artifacts and print where they are."""
    args = parse_args(argv)
    hyperparams = Hyperparams(
        C=args.C,
        max_iter=args.max_iter,
        seed=args.seed,
        validation_fraction=args.validation_fraction,
    )
    try:
        paths = run(args.output_dir, hyperparams, args.data)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
