"""param-undeclared: a parameter reference its scope does not declare."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from precommit_hooks.core.rules import rule
from precommit_hooks.core.text import did_you_mean
from precommit_hooks.hooks.check_tekton.loader import HOOK, Context, Doc
from precommit_hooks.hooks.check_tekton.tree import (
    PARAM_RE,
    TT_PARAM_RE,
    get,
    names,
    param_refs,
    pipeline_specs,
    pipeline_tasks,
    task_specs,
)


def _undeclared(
    ctx: Context,
    doc: Doc,
    refs: Iterable[tuple[str, Any, str]],
    declared: set[str],
    wording: tuple[Callable[[str], str], str],
) -> None:
    """A param-undeclared finding per reference to a name not in ``declared``;
    ``wording`` is what the use is called and how to fix it."""
    uses, fix = wording
    choices = sorted(declared)
    for name, at, written in refs:
        if name not in declared:
            ctx.report.add(
                doc,
                at,
                "param-undeclared",
                f"{written}) uses {uses(name)}" + did_you_mean(name, choices) + fix,
            )


def _check(ctx: Context, doc: Doc, node: Any, declared: set[str], scope: str):
    _undeclared(
        ctx,
        doc,
        param_refs(PARAM_RE, node, doc),
        declared,
        (
            lambda name: f"parameter {name!r} that {scope} does not declare",
            "; add it to the params or fix the name",
        ),
    )


def _trigger_template(ctx: Context, doc: Doc) -> None:
    templates = get(doc.data, "spec", "resourcetemplates")
    _undeclared(
        ctx,
        doc,
        param_refs(TT_PARAM_RE, templates, doc),
        names(get(doc.data, "spec", "params")),
        (
            lambda name: f"{name!r}, which the TriggerTemplate does not declare",
            "; add it to spec.params",
        ),
    )


@rule(HOOK, "param-undeclared")
def param_undeclared(ctx: Context, doc: Doc) -> None:
    """`$(params.x)` not declared in its scope, or `$(tt.params.x)` not declared
    by the TriggerTemplate.

    Scopes: a Task, a Pipeline, and embedded specs, which inherit the
    parameters of their pipeline or run (Tekton >= 0.42). Triggers leaves an
    undeclared reference unreplaced, so the run sees the text `$(tt.params.x)`.
    """
    for spec, inherited, scope in pipeline_specs(doc):
        declared = names(spec.get("params")) | inherited
        for task, _ in pipeline_tasks(spec):
            outer = {k: v for k, v in task.items() if k != "taskSpec"}
            _check(ctx, doc, outer, declared, scope)
        rest = {
            k: v for k, v in spec.items() if k not in ("params", "tasks", "finally")
        }
        _check(ctx, doc, rest, declared, scope)
    for spec, inherited, scope in task_specs(doc):
        declared = names(spec.get("params")) | inherited
        body = {k: v for k, v in spec.items() if k != "params"}
        _check(ctx, doc, body, declared, scope)
    if doc.tekton and doc.kind == "TriggerTemplate":
        _trigger_template(ctx, doc)
