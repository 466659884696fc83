"""Benchmark: check-tekton on N generated Tekton files, in a fresh interpreter.

Each file is one small, realistic project slice: a Pipeline of 4 tasks (the
first runs ``dsp authorize``, the others wait for it), a Task, an
EventListener on issue_comment events with its binding and template. All N
files are passed at once, as pre-commit does with ``require_serial``. For
each N the script prints wall seconds, CPU seconds (user + system of the
child) and the child's peak RSS, and the findings it printed (expected 0).

Run: .venv/bin/python tests/bench/bench_tekton.py [--sizes 100 1000] [--src DIR]
(``--src`` puts another checkout's ``precommit_hooks`` first on the path,
to compare a before and an after.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SLICE = """\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {{name: run-{i}}}
spec:
  params: [{{name: event}}, {{name: revision}}]
  tasks:
    - name: authorize
      params: [{{name: event, value: $(params.event)}}]
      taskSpec:
        params: [{{name: event}}]
        steps:
          - name: check
            image: python:3.12.7-slim
            env: [{{name: EVENT, value: $(params.event)}}]
            script: |
              #!/bin/sh
              set -eu
              printf '%s' "$EVENT" > /tmp/event.json
              dsp authorize --payload /tmp/event.json --profiles profiles.yaml
    - name: clone
      runAfter: [authorize]
      taskRef: {{name: step-{i}}}
      params: [{{name: revision, value: $(params.revision)}}]
    - name: build
      runAfter: [clone]
      taskRef: {{name: step-{i}}}
      params: [{{name: revision, value: $(tasks.clone.results.sha)}}]
    - name: upload
      runAfter: [build]
      taskRef: {{name: step-{i}}}
---
apiVersion: tekton.dev/v1
kind: Task
metadata: {{name: step-{i}}}
spec:
  params: [{{name: revision, default: main}}]
  results: [{{name: sha}}]
  steps:
    - name: run
      image: alpine:3.20
      args: ["$(params.revision)"]
      script: |
        set -e
        echo "$1" | tee $(results.sha.path)
---
apiVersion: triggers.tekton.dev/v1beta1
kind: EventListener
metadata: {{name: listener-{i}}}
spec:
  triggers:
    - name: comments
      interceptors:
        - ref: {{name: github}}
          params:
            - {{name: secretRef, value: {{secretName: s, secretKey: k}}}}
            - {{name: eventTypes, value: [issue_comment]}}
        - ref: {{name: cel}}
          params:
            - name: filter
              value: body.action == 'created' && has(body.issue.pull_request)
      bindings: [{{ref: binding-{i}}}]
      template: {{ref: template-{i}}}
---
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerBinding
metadata: {{name: binding-{i}}}
spec:
  params: [{{name: event, value: $(body)}}]
---
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerTemplate
metadata: {{name: template-{i}}}
spec:
  params: [{{name: event}}]
  resourcetemplates:
    - apiVersion: tekton.dev/v1
      kind: PipelineRun
      metadata: {{generateName: run-{i}-}}
      spec:
        pipelineRef: {{name: run-{i}}}
        params: [{{name: event, value: $(tt.params.event)}}]
"""


def generate(folder: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        path = folder / f"slice-{i:05d}.yaml"
        path.write_text(SLICE.format(i=i), encoding="utf-8")
        paths.append(str(path))
    return paths


def run(paths: list[str], src: str | None) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, output lines) of one check-tekton run."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    command = [sys.executable, "-m", "precommit_hooks.hooks.check_tekton", *paths]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        cwd = os.path.dirname(paths[0])  # not this checkout: -m puts cwd first
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
        # wait4 instead of wait(): the child's own CPU time and peak RSS
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = len(out.read().splitlines())
        if child.returncode not in (0, 1):
            raise SystemExit(f"check-tekton failed: {err.read().decode()[-500:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, lines  # ru_maxrss is in KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--src", help="a checkout whose precommit_hooks to run")
    args = parser.parse_args()
    for count in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            paths = generate(Path(tmp), count)
            wall, cpu, rss, lines = run(paths, args.src)
        print(
            f"N={count:5d} files: wall {wall:6.2f} s  CPU {cpu:6.2f} s  "
            f"peak RSS {rss:6.1f} MB  findings {lines}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
