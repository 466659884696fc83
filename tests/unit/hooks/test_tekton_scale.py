"""check-tekton on hostile sizes, in a subprocess under hard limits.

As in tests/unit/core/test_yamlio.py: 200 MB of address space and 2 s of CPU;
a check that went quadratic would be killed and fail the test, so the bound is
enforced, not timed. (Wall-clock figures are for tests/bench/bench_tekton.py.)
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

from tests.unit.core.test_yamlio import run_hook

COUNT = 20_000


def task_file(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: big}\n"
        "spec:\n  params: [{name: declared}]\n  steps:\n" + steps
    )
    return path


def findings(result: subprocess.CompletedProcess, rule: str) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if line.endswith(f"[{rule}]")]


def test_twenty_thousand_undeclared_parameters_in_one_script(tmp_path):
    lines = "".join(f"      echo $(params.p{i})\n" for i in range(COUNT))
    path = task_file(
        tmp_path, "  - name: s\n    image: alpine:3.20\n    script: |\n" + lines
    )
    result = run_hook("tekton", path)
    assert result.returncode == 1, (result.returncode, result.stderr[-500:])
    undeclared = findings(result, "param-undeclared")
    assert len(undeclared) == COUNT
    # positions are exact: the last one is on the file's last line
    assert undeclared[-1].split(":")[1:3] == [str(9 + COUNT), "12"]
    assert len(findings(result, "script-injection")) == COUNT


def test_twenty_thousand_undeclared_parameters_in_separate_values(tmp_path):
    env = "".join(
        f"      - {{name: V{i}, value: $(params.p{i})}}\n" for i in range(COUNT)
    )
    path = task_file(
        tmp_path,
        "  - name: s\n    image: alpine:3.20\n    script: echo\n    env:\n" + env,
    )
    result = run_hook("tekton", path)
    undeclared = findings(result, "param-undeclared")
    assert len(undeclared) == COUNT
    assert undeclared[-1].split(":")[1] == str(10 + COUNT)


def test_run_after_chain_of_five_thousand_tasks_behind_an_authorisation(tmp_path):
    tasks = [
        "  - name: t0\n    taskSpec:\n      steps:\n"
        "        - {name: a, image: alpine:3.20, script: dsp authorize}\n"
    ]
    for i in range(1, 5000):
        tasks.append(
            f"  - name: t{i}\n    runAfter: [t{i - 1}]\n    taskSpec:\n"
            "      steps: [{name: s, image: alpine:3.20, script: echo}]\n"
        )
    tasks.append("  - name: stray\n    taskRef: {name: t}\n")
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: long}\n"
        "spec:\n  tasks:\n" + "".join(tasks)
    )
    result = run_hook("tekton", path)
    # only the task that does not wait for t0 is reported
    (stray,) = findings(result, "authorise-first")
    assert "'stray'" in stray


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def test_a_thousand_files_stay_under_a_hundred_megabytes(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from bench_tekton import generate
    finally:
        sys.path.pop(0)
    paths = generate(tmp_path, 1000)
    # The child reports its own high-water mark (VmHWM): Linux carries a
    # forked process's peak RSS across exec, so the rusage of a child of this
    # (large) test process would count pytest's memory as the hook's.
    hwm = tmp_path / "vmhwm"
    launcher = (
        "import atexit, re, runpy, sys\n"
        "def hwm():\n"
        "    status = open('/proc/self/status').read()\n"
        "    peak = re.search(r'VmHWM:\\s+(\\d+)', status)[1]\n"
        f"    open({str(hwm)!r}, 'w').write(peak)\n"
        "atexit.register(hwm)\n"
        "sys.argv = ['check-tekton'] + sys.argv[1:]\n"
        "runpy.run_module('precommit_hooks.hooks.check_tekton', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", launcher, *paths],
        capture_output=True,
        preexec_fn=_limits,
        timeout=120,
    )
    assert result.returncode == 0, (result.stdout[-500:], result.stderr[-500:])
    assert result.stdout == b""
    peak_kib = int(hwm.read_text())
    assert peak_kib < 100 * 1024, f"peak RSS {peak_kib // 1024} MB"


def test_packed_files_give_the_same_findings(corpus, monkeypatch):
    """With room for one live file, every reference crosses a packed file."""
    from precommit_hooks.hooks.check_tekton import check_files, loader
    from tests.support.paths import FIXTURES

    paths = [str(p) for p in sorted((corpus / "tekton-triggers").rglob("*.yaml"))]
    paths += [str(p) for p in sorted((FIXTURES / "tekton").rglob("*.yaml"))]
    roomy = check_files(paths)
    packs: list[str] = []
    pack = loader._File.pack
    monkeypatch.setattr(loader, "LIVE_BYTES", 1)
    monkeypatch.setattr(
        loader._File, "pack", lambda self: packs.append(self.path) or pack(self)
    )
    assert check_files(paths) == roomy
    assert len(packs) >= len(paths) - 1
    assert {f.rule for f in roomy} >= {"ref-unresolved", "comment-authorisation"}
