"""Benchmark: check-pipelines on N generated pipeline files, CPU and wall time.

Writes N small valid pipeline files (``workflows/p<i>_pipeline.py``, one
container component each) into a temporary folder and runs
``python -m precommit_hooks.hooks.check_pipelines FILES`` there, as pre-commit
would, ``--runs`` times.  Prints the median wall time and the median CPU time
of the hook and all its children (user + system, from RUSAGE_CHILDREN).

``--code DIR`` runs the package found in DIR instead of the installed one
(PYTHONPATH=DIR), to compare two versions with the same interpreter, e.g.
before (``--code /work/main``) and after (``--code .``).

Run: .venv/bin/python tests/bench/bench_pipelines.py [--files 100] [--runs 3]
     [--code DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIPELINE = """from kfp import dsl


@dsl.container_component
def say(message: str):
    return dsl.ContainerSpec(image="busybox:1.36", command=["echo"], args=[message])


@dsl.pipeline(name="p{index}")
def p{index}_pipeline(message: str = "hi {index}"):
    say(message=message)
"""


def write_pipelines(folder: Path, count: int) -> list[str]:
    """``count`` valid pipeline files under ``folder/workflows``; relative paths."""
    (folder / "workflows").mkdir()
    names = []
    for index in range(count):
        name = f"workflows/p{index}_pipeline.py"
        (folder / name).write_text(PIPELINE.format(index=index))
        names.append(name)
    return names


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(folder: Path, files: list[str], env: dict, jobs: int | None):
    """(wall seconds, CPU seconds) of one hook run; refuses a failing run."""
    command = [sys.executable, "-m", "precommit_hooks.hooks.check_pipelines"]
    if jobs:
        command += ["--jobs", str(jobs)]
    cpu, start = children_cpu(), time.perf_counter()
    result = subprocess.run(
        command + files, cwd=folder, env=env, capture_output=True, text=True
    )
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(f"the hook failed:\n{result.stdout}{result.stderr}")
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--code", default=None, help="folder holding precommit_hooks")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.code:
        env["PYTHONPATH"] = os.path.abspath(args.code)
    with tempfile.TemporaryDirectory(prefix="bench-pipelines-") as work:
        files = write_pipelines(Path(work), args.files)
        runs = [run_once(Path(work), files, env, args.jobs) for _ in range(args.runs)]
    walls, cpus = zip(*runs)
    print(
        f"check-pipelines, {args.files} files, {args.runs} runs "
        f"(code: {args.code or 'installed'}): median wall "
        f"{statistics.median(walls):.2f} s, median CPU {statistics.median(cpus):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
