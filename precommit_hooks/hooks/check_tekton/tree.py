"""Walking the data of a Tekton document: values, strings, positions, scopes."""

from __future__ import annotations

import bisect
import re
from typing import Any, Iterator

from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.yamldata import get_in as get  # noqa: F401 - rules use it
from precommit_hooks.hooks.check_tekton.loader import Doc

_NAME = r"[A-Za-z0-9_-]+"
_QUOTED = r"\[\s*(?:'([^']+)'|\"([^\"]+)\")\s*\]"
PARAM_RE = re.compile(rf"\$\(params(?:\.({_NAME})|{_QUOTED})")
TT_PARAM_RE = re.compile(rf"\$\(tt\.params(?:\.({_NAME})|{_QUOTED})")
TASKS_RE = re.compile(rf"\$\(tasks\.({_NAME})\.")


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def pos(container: Any, key: Any) -> yamlio.Pos | None:
    return yamldata.pos_of(container, key)


def names(params: Any) -> set[str]:
    """Declared parameter names of a ``params`` list."""
    return {
        p["name"]
        for p in items(params)
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }


def strings(node: Any, at: Any = None) -> Iterator[tuple[str, Any]]:
    """Every string value under ``node`` with its position (keys excluded)."""
    pending: list[tuple[Any, Any]] = [(node, at)]
    while pending:  # a stack, not recursion: depth is the YAML reader's to cap
        current, where = pending.pop()
        if isinstance(current, str):
            yield current, where
        elif isinstance(current, dict):
            pending.extend(
                (value, pos(current, key))
                for key, value in reversed(list(current.items()))
            )
        elif isinstance(current, list):
            pending.extend(
                (current[i], pos(current, i)) for i in range(len(current) - 1, -1, -1)
            )


_NEWLINES: list = [None, []]  # the last scalar's newline offsets, found once


def _lines_before(value: str, offset: int) -> int:
    """Newlines in ``value[:offset]``, indexed once per scalar (not per match)."""
    if _NEWLINES[0] is not value:
        _NEWLINES[:] = [value, [m.start() for m in re.finditer("\n", value)]]
    return bisect.bisect_left(_NEWLINES[1], offset)


def match_pos(doc: Doc, at: Any, value: str, offset: int) -> Any:
    """Line and column of ``value[offset]`` (exact inside block scalars)."""
    if not at:
        return at
    block = doc.source_at(at)[:1] in ("|", ">")
    before = _lines_before(value, offset) if "\n" in value else 0
    if not block and not before:
        return at
    line = at[0] + before + (1 if block else 0)
    if 0 < line <= len(doc.lines):
        end = value.find("\n", offset, offset + 20)
        token = value[offset : end if end >= 0 else offset + 20]
        col = doc.lines[line - 1].find(token)
        return (line, col + 1 if col >= 0 else 1)
    return at


def param_refs(
    regex: re.Pattern[str], node: Any, doc: Doc
) -> Iterator[tuple[str, Any, str]]:
    """(name, position, text) of each parameter reference under ``node``."""
    for value, at in strings(node):
        if "$(" not in value:
            continue
        for match in regex.finditer(value):
            name = next(g for g in match.groups() if g)
            yield name, match_pos(doc, at, value, match.start()), match.group(0)


def runs(doc: Doc) -> list[tuple[str, Any]]:
    """(kind, spec) of the PipelineRun/TaskRun a document is or templates."""
    if doc.kind in ("PipelineRun", "TaskRun"):
        return [(doc.kind, doc.data.get("spec"))]
    if doc.kind != "TriggerTemplate":
        return []
    return [
        (r["kind"], r.get("spec"))
        for r in items(get(doc.data, "spec", "resourcetemplates"))
        if isinstance(r, dict) and r.get("kind") in ("PipelineRun", "TaskRun")
    ]


def pipeline_specs(doc: Doc) -> Iterator[tuple[dict, set[str], str]]:
    """(spec, parameters it inherits, scope) of each pipeline in a document."""
    if not doc.tekton:
        return
    if doc.kind == "Pipeline" and isinstance(doc.data.get("spec"), dict):
        yield doc.data["spec"], set(), f"the {doc.label}"
    for kind, spec in runs(doc):
        if kind == "PipelineRun" and isinstance(get(spec, "pipelineSpec"), dict):
            yield spec["pipelineSpec"], names(spec.get("params")), "the pipelineSpec"


def pipeline_tasks(spec: dict) -> Iterator[tuple[dict, str]]:
    """(task, "tasks" or "finally") of a pipeline spec."""
    for group in ("tasks", "finally"):
        for task in items(spec.get(group)):
            if isinstance(task, dict):
                yield task, group


def task_specs(doc: Doc) -> Iterator[tuple[dict, set[str], str]]:
    """(spec, parameters it inherits, scope) of each task spec in a document."""
    if not doc.tekton:
        return
    if doc.kind in ("Task", "ClusterTask") and isinstance(doc.data.get("spec"), dict):
        yield doc.data["spec"], set(), f"the {doc.label}"
    for kind, spec in runs(doc):
        if kind == "TaskRun" and isinstance(get(spec, "taskSpec"), dict):
            yield spec["taskSpec"], names(spec.get("params")), "the taskSpec"
    for spec, inherited, _ in pipeline_specs(doc):
        declared = names(spec.get("params")) | inherited
        for task, _ in pipeline_tasks(spec):
            if isinstance(task.get("taskSpec"), dict):
                # Pipeline params propagate into embedded specs (Tekton >= 0.42).
                scope = f"task {task.get('name')!r} (nor its pipeline)"
                yield task["taskSpec"], declared | names(task.get("params")), scope


def triggers(doc: Doc) -> Iterator[tuple[yamldata.PosDict, str]]:
    """(trigger, where) of an EventListener's triggers or a Trigger's spec."""
    if not doc.tekton:
        return
    if doc.kind == "Trigger" and isinstance(doc.data.get("spec"), yamldata.PosDict):
        yield doc.data["spec"], doc.label
    if doc.kind != "EventListener":
        return
    for index, trigger in enumerate(items(get(doc.data, "spec", "triggers"))):
        if isinstance(trigger, yamldata.PosDict):
            name = trigger.get("name")
            yield trigger, f"trigger {name or '#' + str(index + 1)!s} of {doc.label}"
