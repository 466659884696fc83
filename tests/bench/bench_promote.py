"""Benchmarks of promotion and serving checks (a script, not collected by pytest).

    .venv/bin/python tests/bench/bench_promote.py [--runs 5]

1. check-serving on 200 InferenceService files beside one profiles.yaml: wall
   time of the console script as pre-commit starts it; target under 2 s.
2. ``dsp model promote`` of a generated, trained project to a local
   docker-registry (gate + the project's behavioural cases + push + tag move):
   median wall time of the command; target under 10 s.
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

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent

from tests.support.servers import docker_registry  # noqa: E402
from tests.support.template import bake  # noqa: E402

ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris-{n}
  namespace: iris
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: oci://harbor.example.com/dsp/iris-model:current
"""
PROFILES = "profiles:\n  name: iris\n  admins: [ada@example.com]\n"


def wall(command: list[str], cwd: Path, env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{command[0]} failed: {done.stderr.strip()[-500:]}")
    return elapsed


def bench_serving(folder: Path) -> bool:
    (folder / ".git").mkdir(parents=True)
    (folder / "profiles.yaml").write_text(PROFILES)
    serving = folder / "serving"
    serving.mkdir()
    files = []
    for n in range(200):
        path = serving / f"isvc-{n}.yaml"
        path.write_text(ISVC.format(n=n))
        files.append(str(path))
    seconds = wall([str(BIN / "check-serving"), *files], folder)
    print(f"check-serving, 200 files: {seconds:.2f} s (target < 2 s)")
    return seconds < 2


def bench_promote(folder: Path, runs: int) -> bool:
    project = bake(folder / "baked")
    env = dict(os.environ, PYTHONPATH=str(project / "src"), DSP_PYTHON=sys.executable)
    package = next(p.name for p in (project / "src").iterdir() if p.is_dir())
    wall(
        [sys.executable, "-m", f"{package}.train", "--output-dir", "artifacts"],
        project,
        env,
    )
    times = []
    (folder / "registry").mkdir()
    with docker_registry(folder / "registry") as host:
        for run in range(runs):
            sha = f"{run:07x}" + "0" * 33
            command = [str(BIN / "dsp"), "model", "promote", f"{host}/bench/model"]
            command += ["--model-dir", "artifacts", "--branch", "main", "--sha", sha]
            times.append(wall(command, project, env))
    median = statistics.median(times)
    print(f"dsp model promote, median of {runs}: {median:.2f} s (target < 10 s)")
    return median < 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ok = bench_serving(Path(tmp) / "project")
    with tempfile.TemporaryDirectory() as tmp:
        ok = bench_promote(Path(tmp), args.runs) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
