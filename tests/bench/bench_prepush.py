"""Benchmark: the model-regression pre-push hook on the generated iris project.

Targets (issue 5): under 3 s wall cold, under 0.5 s cached.

Bakes the template with its defaults, trains the model, and times

* the hook's own entry point (``model-regression``, what pre-commit execs),
  cold (cache removed: the gate plus the project's runner in a fresh Python
  with scikit-learn) and cached (nothing changed: hashes only);
* the same through ``pre-commit run model-regression --hook-stage pre-push``
  (pre-commit's own start-up included), with the hook environment built once
  beforehand and not timed.

Run: /work/venv/bin/python tests/bench/bench_prepush.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

HOOK = Path(sys.executable).parent / "model-regression"
CONFIG = """\
repos:
  - repo: {repo}
    rev: {rev}
    hooks:
      - id: model-regression
        stages: [pre-push]
"""


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout


def series(label: str, runs: int, command, cwd, env, before=None) -> list[float]:
    times, out = [], ""
    for _ in range(runs):
        if before:
            before()
        elapsed, out = timed(command, cwd, env)
        times.append(elapsed)
    print(
        f"{label:<44} median {statistics.median(times):6.3f} s  "
        f"min {min(times):6.3f} s  max {max(times):6.3f} s  (n={runs})"
    )
    return times


def main() -> int:
    sys.path.insert(0, str(REPO))  # the tests' git helpers
    from tests.support.gitrepos import GIT_IDENTITY, commit_all, snapshot_working_tree

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--skip-pre-commit",
        action="store_true",
        help="time only the hook's entry point (no hook environment build)",
    )
    args = parser.parse_args()
    from cookiecutter.main import cookiecutter

    with tempfile.TemporaryDirectory(prefix="bench-prepush-") as tmp:
        tmp_path = Path(tmp)
        project = Path(
            cookiecutter(str(REPO), no_input=True, output_dir=str(tmp_path / "baked"))
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
        env.update(GIT_IDENTITY)
        env["PYTHONPATH"] = str(project / "src")
        env["DSP_PYTHON"] = sys.executable
        env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
        (package,) = [
            p.name for p in (project / "src").iterdir() if (p / "train.py").exists()
        ]
        subprocess.run(
            [sys.executable, "-m", f"{package}.train", "--output-dir", "artifacts"],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
        )
        hooks_repo = tmp_path / "hooks-repo"
        hooks_repo.mkdir()
        rev = snapshot_working_tree(hooks_repo)
        (project / ".pre-commit-config.yaml").write_text(
            CONFIG.format(repo=hooks_repo, rev=rev)
        )
        commit_all(project)
        cache = project / ".git" / "dsp"

        def clear() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        print(f"project: {project.name} (package {package}), cpus: {os.cpu_count()}")
        hook = [str(HOOK)]
        cold = series(
            "model-regression, cold (no cache)",
            args.runs,
            hook,
            project,
            env,
            before=clear,
        )
        cached = series(
            "model-regression, cached (nothing changed)",
            args.runs * 2,
            hook,
            project,
            env,
        )
        _, out = timed(hook, project, env)
        print("  cached run prints:", out.strip())
        if not args.skip_pre_commit:
            run = [
                sys.executable,
                "-m",
                "pre_commit",
                "run",
                "model-regression",
                "--hook-stage",
                "pre-push",
            ]
            start = time.perf_counter()
            clear()
            timed(run, project, env)  # builds the hook environment, not counted
            print(
                f"(pre-commit hook environment built in "
                f"{time.perf_counter() - start:.1f} s, not counted)"
            )
            series(
                "pre-commit run --hook-stage pre-push, cold",
                args.runs,
                run,
                project,
                env,
                before=clear,
            )
            series(
                "pre-commit run --hook-stage pre-push, cached",
                args.runs * 2,
                run,
                project,
                env,
            )
        print(
            f"targets: cold < 3 s -> {statistics.median(cold):.3f} s "
            f"({'met' if statistics.median(cold) < 3 else 'NOT met'}); "
            f"cached < 0.5 s -> {statistics.median(cached):.3f} s "
            f"({'met' if statistics.median(cached) < 0.5 else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
