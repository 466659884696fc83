"""Benchmarks of profiles.yaml at scale (a script, not collected by pytest).

    .venv/bin/python tests/bench/bench_access.py [--contributors 10000]

1. check-profiles on a profiles.yaml of N contributors (``{email, github}``);
2. ``dsp onboard`` of the same file to stdout, and with ``--output DIR``;
3. check-profiles on a 700 KB file of 60,000 unknown keys.

Every figure is the wall time of the console script (interpreter start-up and
imports included), the best of ``--runs``; targets: each under 2 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def profiles_text(contributors: int) -> str:
    """A valid profiles.yaml with ``contributors`` people besides two admins."""
    lines = [
        "profiles:",
        "  name: big-team",
        "  admins:",
        "    - alice@example.com",
        "    - ann@example.com",
        "  contributors:",
    ]
    for index in range(contributors):
        lines.append(f"    - email: user{index}@example.com")
        lines.append(f"      github: user-{index}")
    return "\n".join(lines) + "\n"


def unknown_keys_text(keys: int) -> str:
    """A profiles.yaml whose profile holds ``keys`` unknown keys (about 700 KB)."""
    lines = ["profiles:", "  name: big-team", "  admins: [alice@example.com]"]
    lines += [f"  x{index}: 1" for index in range(keys)]
    return "\n".join(lines) + "\n"


def best(command: list[str], runs: int) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(command, capture_output=True).returncode
        times.append(time.perf_counter() - start)
    return min(times), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributors", type=int, default=10_000)
    parser.add_argument("--unknown-keys", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = folder / "profiles.yaml"
        big.write_text(profiles_text(args.contributors))
        unknown = folder / "unknown" / "profiles.yaml"
        unknown.parent.mkdir()
        unknown.write_text(unknown_keys_text(args.unknown_keys))
        cases = [
            (
                f"check-profiles, {args.contributors} contributors",
                [str(BIN / "check-profiles"), str(big)],
                0,
            ),
            (
                f"dsp onboard (stdout), {args.contributors} contributors",
                [str(BIN / "dsp"), "onboard", "--profiles", str(big)],
                0,
            ),
            (
                f"dsp onboard --output, {args.contributors} contributors",
                [
                    str(BIN / "dsp"),
                    "onboard",
                    "--profiles",
                    str(big),
                    "--output",
                    str(folder / "out"),
                ],
                0,
            ),
            (
                f"check-profiles, {args.unknown_keys} unknown keys "
                f"({unknown.stat().st_size // 1024} KB)",
                [
                    str(BIN / "check-profiles"),
                    "--max-bytes",
                    str(4 << 20),
                    str(unknown),
                ],
                1,
            ),
        ]
        ok = True
        for label, command, expected in cases:
            seconds, code = best(command, args.runs)
            ok &= code == expected and seconds < 2
            print(f"{label}: {seconds:.2f} s (exit {code}, expected {expected})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
