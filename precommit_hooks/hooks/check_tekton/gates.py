"""Which tasks authorise the commenter, and which tasks wait for them."""

from __future__ import annotations

from typing import Any

from precommit_hooks.hooks.check_tekton.loader import TektonSet
from precommit_hooks.hooks.check_tekton.steps import Authorisation, authorisations
from precommit_hooks.hooks.check_tekton.tree import TASKS_RE, get, items, strings


def named_tasks(spec: Any) -> list[dict]:
    """The ``tasks`` (not ``finally``) of a pipeline spec that have a name."""
    return [
        t
        for t in items(get(spec, "tasks"))
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    ]


def task_authorisations(tekton: TektonSet, task: dict) -> list[Authorisation]:
    """The ``dsp authorize`` steps of a pipeline task, with task-level bypasses."""
    spec, _ = tekton.task_spec(task)
    if not isinstance(spec, dict):
        return []
    found = authorisations(spec)
    if task.get("onError") == "continue":
        why = "the pipeline task has onError: continue"
    elif task.get("when"):
        why = "it has 'when' expressions: skipped, the tasks after it still run"
    else:
        return found
    return [Authorisation(a.step, a.why or why) for a in found]


def pipeline_gates(
    tekton: TektonSet, tasks: list[dict]
) -> tuple[set[str], list[tuple[dict, Authorisation]]]:
    """Tasks whose ``dsp authorize`` fails the run, and the ones that do not."""
    gates: set[str] = set()
    bypassed: list[tuple[dict, Authorisation]] = []
    for task in tasks:
        for found in task_authorisations(tekton, task):
            if found.why is None:
                gates.add(task["name"])
            else:
                bypassed.append((task, found))
    return gates, bypassed


def dependencies(task: dict) -> set[str]:
    """Tasks this pipeline task waits for: runAfter and $(tasks.X...) uses."""
    after = {t for t in items(task.get("runAfter")) if isinstance(t, str)}
    for value, _ in strings(task):
        if "$(tasks." in value:
            after |= {match.group(1) for match in TASKS_RE.finditer(value)}
    return after


def after_gates(tasks: list[dict], gates: set[str]) -> set[str]:
    """Names of tasks that wait, directly or not, for one of ``gates``."""
    waiters: dict[str, list[str]] = {}
    for task in tasks:
        for before in dependencies(task):
            waiters.setdefault(before, []).append(task["name"])
    reached: set[str] = set()
    pending = list(gates)
    while pending:  # each task is visited once: linear in tasks and edges
        for name in waiters.get(pending.pop(), ()):
            if name not in reached:
                reached.add(name)
                pending.append(name)
    return reached


def run_authorises(tekton: TektonSet, run: dict) -> bool | None:
    """Whether a run really authorises first; None when what it runs is unseen."""
    spec = run.get("spec")
    if run.get("kind") == "TaskRun":
        task_spec, seen = tekton.task_spec(spec)
        if not seen:
            return None
        return any(a.why is None for a in authorisations(task_spec))
    pipeline = tekton.pipeline_spec(spec)
    if pipeline is None:
        return None
    gates, _ = pipeline_gates(tekton, named_tasks(pipeline))
    return bool(gates)


def template_authorises(tekton: TektonSet, template: Any) -> tuple[bool, bool]:
    """(every run a TriggerTemplate creates authorises, all of it was seen)."""
    spec = template.get("spec", template) if isinstance(template, dict) else None
    runs = [
        r
        for r in items(get(spec, "resourcetemplates"))
        if isinstance(r, dict) and r.get("kind") in ("PipelineRun", "TaskRun")
    ]
    verdicts = [run_authorises(tekton, run) for run in runs]
    if False in verdicts or not verdicts:
        return False, True
    return None not in verdicts, None not in verdicts
