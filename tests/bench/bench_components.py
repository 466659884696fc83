"""Benchmark: check-components against a bare loop over kfp's loader.

Both sides check the same 264 corpus files in the same run, alternating, and
the script prints the median wall time of each and their ratio (target:
check-components at most 1.0x the bare loop).

* ``subprocess`` (default, what pre-commit pays): each run is a fresh
  interpreter, so both sides include interpreter start and the kfp import;
  ours runs ``python -m precommit_hooks.hooks.check_components FILES``, the loop runs
  ``kfp.components.load_component_from_file`` on each file (catching the
  errors of the 6 invalid ones).
* ``--in-process``: kfp imported once beforehand; only the loops are timed.

Run: /work/venv/bin/python tests/bench/bench_components.py [--runs 5] [--in-process]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "kfp-components"

BARE_LOOP = """
import sys
from kfp.components import load_component_from_file
rejected = 0
for path in sys.argv[1:]:
    try:
        load_component_from_file(path)
    except Exception:
        rejected += 1
print(rejected)
"""


def corpus_files() -> list[str]:
    """The component files listed in VERDICTS.tsv, in its order."""
    lines = (CORPUS / "VERDICTS.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [str(CORPUS / line.split("\t")[0]) for line in lines if line.strip()]


def time_subprocess(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    files = corpus_files()
    ours_times: list[float] = []
    kfp_times: list[float] = []
    if args.in_process:
        from kfp.components import load_component_from_file

        from precommit_hooks.hooks.check_components import check_components

        def ours() -> float:
            start = time.perf_counter()
            check_components(files)
            return time.perf_counter() - start

        def bare() -> float:
            start = time.perf_counter()
            for path in files:
                try:
                    load_component_from_file(path)
                except Exception:  # noqa: BLE001 - the 6 invalid files
                    pass
            return time.perf_counter() - start

    else:

        def ours() -> float:
            return time_subprocess(
                [sys.executable, "-m", "precommit_hooks.hooks.check_components", *files]
            )

        def bare() -> float:
            return time_subprocess([sys.executable, "-c", BARE_LOOP, *files])

    ours(), bare()  # warm the file cache and bytecode for both
    for run in range(args.runs):
        # Alternate who goes first so neither always gets the warmer machine.
        pair = (ours, bare) if run % 2 == 0 else (bare, ours)
        for side in pair:
            (ours_times if side is ours else kfp_times).append(side())
    ours_median = statistics.median(ours_times)
    kfp_median = statistics.median(kfp_times)
    mode = "in-process" if args.in_process else "subprocess (incl. start + kfp import)"
    print(f"files: {len(files)}; runs: {args.runs}; mode: {mode}")
    print(f"check-components  median {ours_median:.3f} s  {sorted(ours_times)}")
    print(f"bare kfp loop     median {kfp_median:.3f} s  {sorted(kfp_times)}")
    print(f"ratio: {ours_median / kfp_median:.2f}x (target <= 1.0x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
