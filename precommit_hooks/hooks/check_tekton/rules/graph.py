"""Rules on a pipeline's task graph: unique names, runAfter, $(tasks.X...)."""

from __future__ import annotations

from precommit_hooks.core.rules import rule
from precommit_hooks.core.text import did_you_mean
from precommit_hooks.hooks.check_tekton.loader import HOOK, Context, Doc
from precommit_hooks.hooks.check_tekton.tree import (
    TASKS_RE,
    items,
    match_pos,
    pipeline_specs,
    pipeline_tasks,
    pos,
    strings,
)


def _named(spec: dict, groups: tuple[str, ...] = ("tasks", "finally")) -> list[dict]:
    return [
        task
        for task, group in pipeline_tasks(spec)
        if group in groups and isinstance(task.get("name"), str)
    ]


@rule(HOOK, "task-duplicate")
def task_duplicate(ctx: Context, doc: Doc) -> None:
    """Two tasks of one pipeline (`tasks` and `finally` together) with one name."""
    for spec, _, _ in pipeline_specs(doc):
        seen: set[str] = set()
        for task in _named(spec):
            name = task["name"]
            if name in seen:
                ctx.report.add(
                    doc,
                    pos(task, "name"),
                    "task-duplicate",
                    f"pipeline task {name!r} is defined twice; task names are unique",
                )
            seen.add(name)


@rule(HOOK, "run-after")
def run_after(ctx: Context, doc: Doc) -> None:
    """`runAfter` naming no task of the pipeline, or `runAfter` on a `finally` task.

    Finally tasks run after all tasks anyway; the message gives the closest
    task name for a typo.
    """
    for spec, _, _ in pipeline_specs(doc):
        task_names = {task["name"] for task in _named(spec, ("tasks",))}
        choices = sorted(task_names)
        for task, group in pipeline_tasks(spec):
            after = task.get("runAfter")
            if after is not None and group == "finally":
                ctx.report.add(
                    doc,
                    pos(task, "runAfter"),
                    "run-after",
                    f"finally task {task.get('name')!r} has runAfter; finally tasks "
                    "run after all tasks: remove it",
                )
                continue
            for index, target in enumerate(items(after)):
                if isinstance(target, str) and target not in task_names:
                    ctx.report.add(
                        doc,
                        pos(after, index),
                        "run-after",
                        f"runAfter {target!r} of task {task.get('name')!r} names no "
                        "task of this pipeline" + did_you_mean(target, choices),
                    )


@rule(HOOK, "task-ref")
def task_ref(ctx: Context, doc: Doc) -> None:
    """`$(tasks.X...)` naming no task of the pipeline."""
    for spec, _, _ in pipeline_specs(doc):
        names = {task["name"] for task in _named(spec)} | {"status"}
        for task, _ in pipeline_tasks(spec):
            for value, at in strings(task):
                if "$(tasks." not in value:
                    continue
                for match in TASKS_RE.finditer(value):
                    if match.group(1) not in names:
                        ctx.report.add(
                            doc,
                            match_pos(doc, at, value, match.start()),
                            "task-ref",
                            f"$(tasks.{match.group(1)}...) in task "
                            f"{task.get('name')!r} names no task of this pipeline",
                        )
