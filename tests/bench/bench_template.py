"""Benchmark: `cookiecutter <repo> --no-input` beside cookiecutter's own floor.

The floor is cookiecutter rendering a one-file template with no hooks, built in
a temporary folder in the same run; both are timed as the CLI a user runs
(a fresh process each time). Prints the medians and their ratio (target <= 2x).

    /work/venv/bin/python tests/bench/bench_template.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_floor_template(folder: Path) -> Path:
    """A one-variable, one-file template without hooks."""
    template = folder / "floor-template"
    (template / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (template / "cookiecutter.json").write_text(json.dumps({"project_slug": "floor"}))
    (template / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "# {{ cookiecutter.project_slug }}\n"
    )
    return template


def time_bake(template: Path, output: Path) -> float:
    """Seconds for one `cookiecutter --no-input` run into a fresh folder."""
    output.mkdir()
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(template)]
    start = time.perf_counter()
    subprocess.run(
        [*command, "--output-dir", str(output)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> int:
    """Time both bakes alternately and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        floor_template = make_floor_template(scratch)
        floor, ours = [], []
        for run in range(args.runs):
            # Alternate so that machine load hits both alike.
            floor.append(time_bake(floor_template, scratch / f"floor-{run}"))
            ours.append(time_bake(REPO_ROOT, scratch / f"ours-{run}"))
    floor_median, ours_median = statistics.median(floor), statistics.median(ours)
    print(f"runs: {args.runs}")
    print(f"floor (one-file template, no hooks): median {floor_median:.3f} s")
    print(f"dsp-template --no-input:             median {ours_median:.3f} s")
    print(f"ratio: {ours_median / floor_median:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
