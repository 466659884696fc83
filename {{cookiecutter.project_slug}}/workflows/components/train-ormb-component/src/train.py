"""KFP component: train the iris classifier and write an ORMB model directory.

The directory follows ORMB's layout (https://github.com/kleveross/ormb):
`ormbfile.yaml` describing the model, and `model/` holding it. Training and
evaluation are the project's own package, so the pipeline trains exactly like
`make train`; the evaluation files sit beside the model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path

from {{ cookiecutter.package_name }} import (
    evaluate,
    ormb_format,
    train as training,
)

DISTRIBUTION = "{{ cookiecutter.project_slug }}"

MODEL_FILES = ("model.joblib",)


def package_metadata() -> dict:
    """The project's description and author ({} when it is not installed)."""
    try:
        about = metadata(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout, e.g. PYTHONPATH=src
        return {}
    return {"description": about["Summary"], "author": about["Author-email"]}


def ormbfile(hyperparams: dict, metrics: dict, data_record: dict, size: int) -> dict:
    """ORMB's model description, built as `dsp model push` builds its config."""
    about = package_metadata()
    config = ormb_format.model_config(
        framework="scikit-learn",
        model_format="SKLearn",
        size=size,
        metrics=metrics,
        hyperparameters=hyperparams,
        dataset_repository=data_record.get("source"),
        dataset_commit=data_record.get("commit_id"),
        author=about.get("author"),
        description=about.get("description"),
    )
    return ormb_format.ormbfile(config)


def run(
    data: Path,
    data_record: Path,
    model_dir: Path,
    metrics_path: Path,
    hyperparams: training.Hyperparams,
) -> Path:
    """Train on `data` and lay the result out as an ORMB model directory."""
    model_dir = Path(model_dir)
    paths = training.run(model_dir / "evaluation", hyperparams, data)
    (model_dir / "model").mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        shutil.move(model_dir / "evaluation" / name, model_dir / "model" / name)
    metrics = json.loads(paths["metrics"].read_text())
    hyper = json.loads(paths["hyperparams"].read_text())
    record = json.loads(Path(data_record).read_text())
    # JSON is YAML: the file stays readable by ORMB without a YAML writer here.
    size = sum((model_dir / "model" / name).stat().st_size for name in MODEL_FILES)
    described = ormbfile(hyper, metrics, record, size)
    evaluate.write_json(model_dir / "ormbfile.yaml", described)
    Path(metrics_path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths["metrics"], metrics_path)
    return model_dir


def main(argv: Sequence[str] | None = None) -> int:
    """The component's command line."""
    defaults = training.Hyperparams()
    parser = argparse.ArgumentParser(description="Train and write an ORMB model.")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--data-record", type=Path, required=True)
    parser.add_argument("--C", type=training.positive(float), default=defaults.C)
    parser.add_argument(
        "--max-iter", type=training.positive(int), default=defaults.max_iter
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--metrics", type=Path, required=True)
    args = parser.parse_args(argv)
    hyperparams = training.Hyperparams(C=args.C, max_iter=args.max_iter, seed=args.seed)
    try:
        run(args.data, args.data_record, args.model_dir, args.metrics, hyperparams)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"model: {args.model_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
