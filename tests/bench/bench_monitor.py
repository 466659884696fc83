"""Benchmark: ``dsp monitor`` on 100,000 rows x 20 features.

Target (issue 13): under 1 s.

Writes a reference profile (101 quantiles of 100,000 normal rows per
feature, three classes) and a batch of 100,000 fresh rows from the same
distribution as CSV and as JSON lines, with a prediction column, then times

* the whole command in a fresh Python (``dsp monitor ...``: start-up, the
  numpy import, reading, statistics, report), wall clock;
* the command in this process (``cli.main``), imports already paid.

Each is reported as wall clock and as CPU time (user + system: for the
fresh process, its ``getrusage`` children's time), because on a shared,
loaded machine the wall clock measures the neighbours as much as the command.

Run: .venv/bin/python tests/bench/bench_monitor.py [--runs 5] [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLASSES = ("a", "b", "c")


def write_inputs(folder: Path, rows: int, features: int) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(7)
    names = [f"f{i:02d}" for i in range(features)]
    levels = [i / 100 for i in range(101)]
    train = rng.normal(size=(rows, features))
    profile = {
        "format": "dsp-reference-profile/1",
        "rows": rows,
        "quantile_levels": levels,
        "features": {
            name: {
                "min": float(col.min()),
                "max": float(col.max()),
                "quantiles": np.quantile(col, levels).tolist(),
            }
            for name, col in zip(names, train.T)
        },
        "target": "y",
        "classes": {c: 1 / 3 for c in CLASSES},
    }
    reference = folder / "reference_profile.json"
    reference.write_text(json.dumps(profile))
    batch = rng.normal(size=(rows, features)).round(6)
    predictions = rng.choice(CLASSES, size=rows)
    csv_path = folder / "batch.csv"
    with open(csv_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names + ["prediction"])
        for row, prediction in zip(batch.tolist(), predictions):
            writer.writerow(row + [prediction])
    jsonl_path = folder / "batch.jsonl"
    with open(jsonl_path, "w") as handle:
        for row, prediction in zip(batch.tolist(), predictions):
            record = dict(zip(names, row), prediction=str(prediction))
            handle.write(json.dumps(record) + "\n")
    return reference, csv_path, jsonl_path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_fresh(reference: Path, batch: Path, runs: int) -> tuple[list, list]:
    dsp = Path(sys.executable).parent / "dsp"
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), children_cpu()
        done = subprocess.run(
            [
                str(dsp),
                "monitor",
                "--reference",
                str(reference),
                "--batch",
                str(batch),
                "--config",
                "/nonexistent/pyproject.toml",
            ],
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - start)
        cpu.append(children_cpu() - start_cpu)
        if done.returncode != 0:
            raise SystemExit(
                f"dsp monitor exited {done.returncode}: {done.stdout}" f"{done.stderr}"
            )
    return times, cpu


def time_in_process(reference: Path, batch: Path, runs: int) -> tuple[list, list]:
    from contextlib import redirect_stdout
    from io import StringIO

    from precommit_hooks.cli import main

    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        with redirect_stdout(StringIO()):
            code = main(
                [
                    "monitor",
                    "--reference",
                    str(reference),
                    "--batch",
                    str(batch),
                    "--config",
                    "/nonexistent/pyproject.toml",
                ]
            )
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert code == 0, code
    return times, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reference, csv_path, jsonl_path = write_inputs(
            Path(tmp), args.rows, args.features
        )
        print(
            f"{args.rows} rows x {args.features} features, {args.runs} runs, "
            f"CSV {csv_path.stat().st_size >> 20} MiB"
        )
        for label, batch in (("CSV", csv_path), ("JSON lines", jsonl_path)):
            for how, timer in (
                ("fresh process", time_fresh),
                ("in process", time_in_process),
            ):
                wall, cpu = timer(reference, batch, args.runs)
                print(
                    f"{label:10s} {how:13s}: wall median "
                    f"{statistics.median(wall):.3f} s (min {min(wall):.3f}), "
                    f"CPU median {statistics.median(cpu):.3f} s "
                    f"(min {min(cpu):.3f})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
