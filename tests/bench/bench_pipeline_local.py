"""Benchmark: `make pipeline-local` of a freshly baked project, end to end.

Bakes the template with the default answers, writes the bundled iris data to
data/iris.csv and times `make pipeline-local DATA=data/iris.csv` as a user
runs it (a fresh process each time: compile, lay out images, both steps).
Prints the median and each run's seconds, and a floor: the two steps'
interpreters starting with their heavy imports (boto3; scikit-learn and
matplotlib), which no local runner can avoid.

With --feast the project is baked with use_feast=yes and the run reads the
features through Feast (its read-features step, no DATA); the floor adds the
Feast import.

    .venv/bin/python tests/bench/bench_pipeline_local.py [--runs 5] [--feast]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def bake(folder: Path, feast: bool = False) -> Path:
    """The project, with data/iris.csv written by its own package."""
    subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(REPO_ROOT)]
        + ["--output-dir", str(folder)]
        + (["use_feast=yes"] if feast else []),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (project,) = folder.iterdir()
    script = (
        "from iris_classifier.data import load_bundled, write_csv; "
        "write_csv(load_bundled(), 'data/iris.csv')"
    )
    env = {**os.environ, "PYTHONPATH": "src"}
    subprocess.run([sys.executable, "-c", script], cwd=project, check=True, env=env)
    return project


def time_run(project: Path, feast: bool = False) -> float:
    """Seconds for one `make pipeline-local` (this interpreter as .venv's)."""
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [
        "make",
        "pipeline-local",
        f"PYTHON={python}",
        f"DSP={python} -m precommit_hooks",
        *([] if feast else ["DATA=data/iris.csv"]),
    ]
    start = time.perf_counter()
    subprocess.run(
        command, cwd=project, check=True, env=env, capture_output=True, text=True
    )
    return time.perf_counter() - start


def time_imports(feast: bool = False) -> float:
    """The floor: the two steps' interpreter starts with their heavy imports."""
    start = time.perf_counter()
    first = "import feast, pandas" if feast else "import boto3"
    subprocess.run([sys.executable, "-c", first], check=True)
    subprocess.run(
        [sys.executable, "-c", "import sklearn.linear_model, matplotlib.pyplot"],
        check=True,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--feast", action="store_true", help="bake use_feast=yes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project = bake(Path(scratch), args.feast)
        runs = [time_run(project, args.feast) for _ in range(args.runs)]
        floor = [time_imports(args.feast) for _ in range(args.runs)]
    print(f"make pipeline-local: median {statistics.median(runs):.2f} s", end=" ")
    print(f"over {args.runs} runs ({', '.join(f'{r:.2f}' for r in runs)})")
    print(f"floor (step interpreters + imports): {statistics.median(floor):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
