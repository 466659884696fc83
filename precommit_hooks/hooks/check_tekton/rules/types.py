"""tekton-type: names YAML 1.1 reads as something other than text."""

from __future__ import annotations

from typing import Any

from precommit_hooks.core import yamldata
from precommit_hooks.core.rules import rule
from precommit_hooks.hooks.check_tekton.loader import HOOK, Context, Doc
from precommit_hooks.hooks.check_tekton.tree import (
    get,
    items,
    pipeline_specs,
    pipeline_tasks,
    pos,
    task_specs,
    triggers,
)


def _require_string(ctx: Context, doc: Doc, container: Any, key: Any, what: str):
    """A finding when ``container[key]`` is not text, e.g. an unquoted ``no``."""
    value = container[key]
    if isinstance(value, str):
        return
    at = pos(container, key)
    written = doc.source_at(at)
    scalar = value is None or isinstance(value, (bool, int, float))
    why = (
        f"YAML reads the unquoted {written} as {yamldata.type_name(value)}; "
        f"quote it: '{written}'"
        if scalar and written and written[0] not in "'\"[{"
        else f"got {yamldata.type_name(value)}"
    )
    ctx.report.add(doc, at, "tekton-type", f"{what} must be a string; {why}")


def _param_names(ctx: Context, doc: Doc, params: Any) -> None:
    for param in items(params):
        if isinstance(param, dict) and "name" in param:
            _require_string(ctx, doc, param, "name", "a parameter name")


def _pipeline_names(ctx: Context, doc: Doc, spec: dict) -> None:
    _param_names(ctx, doc, spec.get("params"))
    for task, _ in pipeline_tasks(spec):
        if "name" in task:
            _require_string(ctx, doc, task, "name", "a task name")
        after = task.get("runAfter")
        for index in range(len(items(after))):
            _require_string(ctx, doc, after, index, "a runAfter entry")


def _binding_kinds(ctx: Context, doc: Doc) -> None:
    for trigger, where in triggers(doc):
        for index, binding in enumerate(items(trigger.get("bindings"))):
            if not isinstance(binding, dict) or not isinstance(binding.get("ref"), str):
                continue
            kind = binding.get("kind") or "TriggerBinding"
            if not isinstance(kind, str):
                ctx.report.add(
                    doc,
                    pos(binding, "ref"),
                    "tekton-type",
                    f"binding #{index + 1} of {where}: kind must be a string, "
                    f"got {yamldata.type_name(kind)}",
                )


@rule(HOOK, "tekton-type")
def tekton_type(ctx: Context, doc: Doc) -> None:
    """A resource, task, parameter or runAfter name that YAML 1.1 reads as a
    boolean or number (`name: no`, `name: 0123`), with the quoted fix; a
    binding kind that is not text.
    """
    if doc.api and doc.kind and not doc.name:
        metadata = get(doc.data, "metadata")
        if isinstance(metadata, dict) and metadata.get("name") is not None:
            _require_string(ctx, doc, metadata, "name", "metadata.name")
    for spec, _, _ in pipeline_specs(doc):
        _pipeline_names(ctx, doc, spec)
    for spec, _, _ in task_specs(doc):
        _param_names(ctx, doc, spec.get("params"))
    _binding_kinds(ctx, doc)
