"""Benchmark: check-components-sync on a freshly baked project.

Bakes the default project with the real cookiecutter, then times the hook as
pre-commit runs it: a fresh interpreter running the console script
(``check-components-sync`` of this environment) in the project root, i.e.
``dsp components generate --check`` with interpreter start and imports
included. Prints every run and the median (target: under 1 s).

With --feast the project is baked with use_feast=yes (two step sources).

Run: .venv/bin/python tests/bench/bench_generate.py [--runs 10] [--feast]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.template import bake  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--feast", action="store_true", help="bake use_feast=yes")
    args = parser.parse_args()
    hook = Path(sys.executable).parent / "check-components-sync"
    with tempfile.TemporaryDirectory() as folder:
        project = bake(Path(folder), **({"use_feast": True} if args.feast else {}))
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = subprocess.run([str(hook)], cwd=project, capture_output=True)
            times.append(time.perf_counter() - start)
            if result.returncode != 0:
                print(result.stdout.decode(), result.stderr.decode(), file=sys.stderr)
                return 1
    print("runs (s):", " ".join(f"{t:.3f}" for t in times))
    print(f"check-components-sync median: {statistics.median(times):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
