"""Benchmark: the worst cases of `dsp model pull`, in time and peak memory.

Starts Debian's docker-registry, writes hostile models into it (a layer whose
tar header announces 9 GiB, 5,000 tiny members, a path 2,000 folders deep, a
config nested 100,000 deep) and a stub answering 500, then runs
``python -m precommit_hooks model pull`` on each in a fresh child and prints
its wall time, CPU time, peak memory (max RSS) and exit code, and what is left
in the output's folder (should be nothing).

Run: .venv/bin/python tests/bench/bench_model_pull.py
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.integration.test_registry_hostile import (  # noqa: E402
    _Answer500,
    put_model,
    tar_gz,
)
from tests.support.servers import docker_registry  # noqa: E402

# A fresh parent per pull, so that the peak memory is that pull's alone.
MEASURE = (
    "import resource, subprocess, sys, time; start = time.monotonic(); "
    "code = subprocess.run(sys.argv[1:], capture_output=True).returncode; "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(time.monotonic() - start, usage.ru_utime + usage.ru_stime, "
    "usage.ru_maxrss / 1024, code)"
)


def _run(reference: str, out: Path) -> tuple[float, float, float, int]:
    command = [sys.executable, "-m", "precommit_hooks", "model", "pull", reference]
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command, "--output", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu, rss, code = done.stdout.split()
    return float(wall), float(cpu), float(rss), int(code)


def main() -> int:
    cases = {
        "9 GiB announced": [tar_gz([], claimed=9 << 30)],
        "5,000 members": [tar_gz([(f"model/f{i}", b"") for i in range(5000)])],
        "2,000 folders deep": [tar_gz([("model/" + "a/" * 2000 + "f", b"x")])],
    }
    deep_config = b"[" * 100_000 + b"]" * 100_000
    with tempfile.TemporaryDirectory() as tmp, docker_registry(Path(tmp)) as host:
        references = {n: put_model(host, f"b{i}", l) for i, (n, l) in
                      enumerate(cases.items())}  # fmt: skip
        references["config 100,000 deep"] = put_model(
            host, "deep-config", [tar_gz([("model/m", b"m")])], deep_config
        )
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer500)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        references["registry answering 500"] = (
            f"127.0.0.1:{server.server_address[1]}/iris/model:v1"
        )
        print(f"{'case':26} {'wall s':>7} {'cpu s':>6} {'max RSS MB':>10} exit left")
        for name, reference in references.items():
            folder = Path(tmp) / "out" / name.replace(" ", "-")
            wall, cpu, rss, code = _run(reference, folder / "current")
            left = len(list(folder.rglob("*"))) if folder.exists() else 0
            print(f"{name:26} {wall:7.2f} {cpu:6.2f} {rss:10.0f} {code:4} {left}")
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
