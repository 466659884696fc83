"""ref-unresolved: a reference that no file of the set defines."""

from __future__ import annotations

from typing import Any, Iterator

from precommit_hooks.core.findings import WARNING
from precommit_hooks.core.rules import rule
from precommit_hooks.core.text import did_you_mean
from precommit_hooks.hooks.check_tekton.loader import HOOK, Context, Doc
from precommit_hooks.hooks.check_tekton.tree import get, items, pos, triggers

Ref = tuple[str, Any, Any, str]  # kind, name, position, what refers


def _trigger_refs(doc: Doc) -> Iterator[Ref]:
    for trigger, where in triggers(doc):
        for index, binding in enumerate(items(trigger.get("bindings"))):
            if isinstance(binding, dict) and "ref" in binding:
                kind = binding.get("kind") or "TriggerBinding"
                what = f"binding #{index + 1} of {where}"
                yield kind, binding["ref"], pos(binding, "ref"), what
        if "triggerRef" in trigger:
            yield "Trigger", trigger["triggerRef"], pos(trigger, "triggerRef"), where
        template = trigger.get("template")
        if isinstance(template, dict) and not isinstance(template.get("spec"), dict):
            key = "ref" if "ref" in template else "name"
            what = f"template of {where}"
            yield "TriggerTemplate", template.get(key), pos(template, key), what


def _run_refs(doc: Doc) -> Iterator[Ref]:
    if not doc.tekton or doc.kind not in ("PipelineRun", "TaskRun"):
        return
    for key, kind in (("pipelineRef", "Pipeline"), ("taskRef", "Task")):
        ref = get(doc.data, "spec", key)
        if isinstance(ref, dict) and "name" in ref and not ref.get("resolver"):
            yield kind, ref["name"], pos(ref, "name"), doc.label


@rule(HOOK, "ref-unresolved")
def ref_unresolved(ctx: Context, doc: Doc) -> None:
    """A binding, template, trigger, pipeline or task reference that no file defines.

    An error when the set defines others of that kind (so a typo, with a "did
    you mean"); a warning when it defines none (they live in the cluster), and
    always for `ClusterTriggerBinding`. References through a resolver are not
    followed.
    """
    for kind, name, at, what in [*_trigger_refs(doc), *_run_refs(doc)]:
        if not isinstance(name, str) or not isinstance(kind, str):
            continue  # tekton-type reports a kind that is not text
        if ctx.tekton.find(kind, name) is not None:
            continue
        known = sorted(ctx.tekton.by_kind.get(kind, {}))
        if known and not kind.startswith("Cluster"):
            ctx.report.add(
                doc,
                at,
                "ref-unresolved",
                f"{what} refers to {kind} {name!r}, which none of the files defines"
                + did_you_mean(name, known)
                + f"; defined: {', '.join(known[:5])}",
            )
        else:
            ctx.report.add(
                doc,
                at,
                "ref-unresolved",
                f"{what} refers to {kind} {name!r}, which none of the checked files "
                "defines; make sure it exists in the cluster",
                WARNING,
            )
