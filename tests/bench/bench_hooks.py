"""Benchmarks of the file hooks (a script, not collected by pytest).

    /work/venv/bin/python tests/bench/bench_hooks.py [--runs 15]

1. check-profiles on one file beside check-jsonschema validating the same file
   against the shipped, equivalent JSON Schema: median wall time of each
   command, interleaved in the same run; target ratio <= 0.5.
2. Each file hook on 200 files of its kind in a generated repository
   (profiles, components copied from the corpus, Tekton files), and
   check-pipelines on the pipelines of a 200-file repository (two pipeline
   files among 198 others, as a project has): target under 2 s each.

Every figure is a wall time of the console script as pre-commit would start
it (interpreter start-up and imports included).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from precommit_hooks.access.profiles import schema_path  # the installed package

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
BIN = Path(sys.executable).parent
FIXTURES = REPO / "tests" / "fixtures"


def wall(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True)
    return time.perf_counter() - start, done.returncode


def bench_profiles(runs: int, folder: Path) -> bool:
    path = folder / "profiles.yaml"
    shutil.copy(FIXTURES / "profiles" / "profiles.yaml", path)
    ours = [str(BIN / "check-profiles"), str(path)]
    theirs = [
        str(BIN / "check-jsonschema"),
        "--schemafile",
        schema_path(),
        str(path),
    ]
    for command in (ours, theirs):  # both must accept the file
        _, code = wall(command)
        assert code == 0, command
    times: dict[str, list[float]] = {"check-profiles": [], "check-jsonschema": []}
    for _ in range(runs):
        times["check-profiles"].append(wall(ours)[0])
        times["check-jsonschema"].append(wall(theirs)[0])
    ours_median = statistics.median(times["check-profiles"])
    theirs_median = statistics.median(times["check-jsonschema"])
    ratio = ours_median / theirs_median
    print(f"1. one profiles.yaml, median of {runs} interleaved runs")
    print(f"   check-profiles    {ours_median * 1000:7.1f} ms")
    print(f"   check-jsonschema  {theirs_median * 1000:7.1f} ms")
    verdict = "ok" if ratio <= 0.5 else "OVER TARGET"
    print(f"   ratio             {ratio:7.2f}   (target <= 0.50: {verdict})")
    return ratio <= 0.5


def make_repository(root: Path) -> dict[str, list[str]]:
    """200 files per file hook, and a 200-file project with two pipelines."""
    files: dict[str, list[str]] = {}
    good = (FIXTURES / "profiles" / "profiles.yaml").read_text()
    files["check-profiles"] = []
    for i in range(200):
        path = root / "teams" / f"team-{i:03d}" / "profiles.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(good.replace("name: iris", f"name: team-{i:03d}"))
        files["check-profiles"].append(str(path))

    components = sorted((CORPUS / "kfp-components").rglob("component.yaml"))
    files["check-components"] = []
    for i in range(200):
        path = root / "components" / f"c{i:03d}" / "component.yaml"
        path.parent.mkdir(parents=True)
        shutil.copy(components[i % len(components)], path)
        files["check-components"].append(str(path))

    tekton = root / ".tekton"
    tekton.mkdir()
    sources = sorted((FIXTURES / "tekton" / "good").glob("*.yaml"))
    sources += sorted((CORPUS / "tekton-triggers").rglob("*.yaml"))
    files["check-tekton"] = []
    for i in range(200):
        path = tekton / f"resource-{i:03d}.yaml"
        shutil.copy(sources[i % len(sources)], path)
        files["check-tekton"].append(str(path))

    project = root / "project"
    (project / "workflows").mkdir(parents=True)
    pipeline = (
        "from kfp import dsl\n\n\n@dsl.component\ndef step(x: int) -> int:\n"
        "    return x + 1\n\n\n@dsl.pipeline(name='{name}')\n"
        "def {name}_pipeline(x: int = 1):\n    step(x=step(x=x).output)\n"
    )
    files["check-pipelines"] = []
    for name in ("train", "evaluate"):
        path = project / "workflows" / f"{name}_pipeline.py"
        path.write_text(pipeline.format(name=name))
        files["check-pipelines"].append(str(path))
    for i in range(198):
        (project / f"module_{i:03d}.py").write_text(f"VALUE = {i}\n")
    return files


def bench_repository(root: Path) -> bool:
    files = make_repository(root)
    print("2. each hook on its files of a generated repository (target < 2 s)")
    ok = True
    for hook, paths in files.items():
        seconds, code = wall([str(BIN / hook), *paths], cwd=root)
        within = seconds < 2.0
        ok &= within
        print(
            f"   {hook:<17} {len(paths):3d} files  {seconds:6.2f} s  exit {code}"
            f"  ({'ok' if within else 'OVER TARGET'})"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "one").mkdir()
        first = bench_profiles(args.runs, folder / "one")
        (folder / "repo").mkdir()
        second = bench_repository(folder / "repo")
    return 0 if first and second else 1


if __name__ == "__main__":
    raise SystemExit(main())
