"""Rules on who may start a run from a pull-request comment."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from precommit_hooks.core.findings import WARNING
from precommit_hooks.core.rules import rule
from precommit_hooks.hooks.check_tekton import cel
from precommit_hooks.hooks.check_tekton.gates import (
    after_gates,
    named_tasks,
    pipeline_gates,
    template_authorises,
)
from precommit_hooks.hooks.check_tekton.interceptors import (
    cel_filters,
    comment_triggered,
    owners_checked,
)
from precommit_hooks.hooks.check_tekton.loader import HOOK, Context, Doc
from precommit_hooks.hooks.check_tekton.tree import pipeline_specs, pos, triggers


@lru_cache(maxsize=1024)
def _filter_verdict(expression: str) -> bool | str:
    """True/False: whether it admits only trusted commenters; text: why it
    does not parse."""
    try:
        return cel.filter_authorises(expression)
    except cel.CelSyntaxError as exc:
        return str(exc)


@rule(HOOK, "cel-syntax")
def cel_syntax(ctx: Context, doc: Doc) -> None:
    """A CEL interceptor filter that does not parse (read with cel-python).

    The interceptor would reject every event, so the trigger never runs.
    """
    for trigger, where in triggers(doc):
        for expression, at in cel_filters(trigger):
            verdict = _filter_verdict(expression)
            if isinstance(verdict, str):
                ctx.report.add(
                    doc,
                    at,
                    "cel-syntax",
                    f"the CEL filter of {where} does not parse ({verdict}); the "
                    "interceptor rejects every event: fix the expression",
                )


def _template(ctx: Context, trigger: dict) -> tuple[Any, bool]:
    """The template a trigger uses: (data or None, whether the set shows it)."""
    template = trigger.get("template")
    if not isinstance(template, dict):
        return None, False
    if isinstance(template.get("spec"), dict):
        return template["spec"], True
    found = ctx.tekton.find(
        "TriggerTemplate", template.get("ref", template.get("name"))
    )
    return (found.data, True) if found else (None, False)


@rule(HOOK, "comment-authorisation")
def comment_authorisation(ctx: Context, doc: Doc) -> None:
    """A trigger on `issue_comment` events that does not authorise the commenter.

    Authorisation is one of: every run the trigger creates has a task whose
    `dsp authorize` step fails the run on a refusal (see `authorise-first`);
    the GitHub interceptor's `githubOwners`; or a top-level `&&` conjunct of a
    CEL filter that admits only `body.comment.author_association` OWNER,
    MEMBER or COLLABORATOR (`==` or `in [...]`, or a disjunction of those).
    The word `author_association` in a CEL comment or a string, a `!=`, or a
    comparison beside `|| true` does not count. A warning when part of what the
    trigger runs is not in the checked files.
    """
    for trigger, where in triggers(doc):
        if not comment_triggered(trigger) or owners_checked(trigger):
            continue
        if any(_filter_verdict(f) is True for f, _ in cel_filters(trigger)):
            continue
        template, seen = _template(ctx, trigger)
        authorised, complete = (
            template_authorises(ctx.tekton, template) if seen else (False, False)
        )
        if authorised:
            continue
        message = (
            f"{where} runs on issue_comment events but no step authorises the "
            "commenter; add a task that runs 'dsp authorize' before anything "
            "else, or the GitHub interceptor's githubOwners check"
        )
        if complete:
            ctx.report.add(doc, trigger.pos, "comment-authorisation", message)
        else:
            ctx.report.add(
                doc,
                trigger.pos,
                "comment-authorisation",
                message + " (some of what it runs is not in the checked files)",
                WARNING,
            )


@rule(HOOK, "authorise-first")
def authorise_first(ctx: Context, doc: Doc) -> None:
    """In a pipeline that runs `dsp authorize`, a task that does not wait for
    it, or a `dsp authorize` whose refusal does not fail the run.

    A task that does not wait for the authorisation (through `runAfter` or
    `$(tasks.X.results...)`, directly or not) runs for any commenter; `finally`
    tasks are exempt, they report the outcome. The authorisation must be able
    to fail the run: not followed by `|| true`, `|| :` or `|| exit 0`, not
    after `set +e` or without `set -e` when more commands follow (a script
    without a shebang gets `set -e` from Tekton), not in a condition, a pipe,
    a subshell or the background, not under a `trap ... exit 0`, not with
    `--help`, not after the script redefines `dsp`, not in a step
    with `onError: continue` nor a task with `when` expressions.
    """
    for spec, _, _ in pipeline_specs(doc):
        tasks = named_tasks(spec)
        gates, bypassed = pipeline_gates(ctx.tekton, tasks)
        for task, found in bypassed:
            step = found.step.get("name")
            where = f"step {step!r} of task" if isinstance(step, str) else "task"
            inline = isinstance(task.get("taskSpec"), dict)
            ctx.report.add(
                doc,
                getattr(found.step, "pos", None) if inline else pos(task, "name"),
                "authorise-first",
                f"{where} {task['name']!r} of {doc.label} runs dsp authorize, but "
                f"a refusal does not fail the run: {found.why}; let it fail the "
                "step (set -e, no '|| true', no onError: continue)",
            )
        if not gates:
            continue
        after = after_gates(tasks, gates)
        gate_names = ", ".join(repr(g) for g in sorted(gates))
        for task in tasks:
            if task["name"] not in gates and task["name"] not in after:
                ctx.report.add(
                    doc,
                    pos(task, "name"),
                    "authorise-first",
                    f"task {task['name']!r} of {doc.label} does not run after the "
                    f"authorisation ({gate_names}), so it runs for any commenter; "
                    f"add runAfter: [{sorted(gates)[0]}] (directly or through a "
                    "task that does)",
                )
