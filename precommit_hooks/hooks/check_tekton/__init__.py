"""check-tekton: lint Tekton Pipelines and Triggers files, in the spirit of tekton-lint.

All files of one run form one set, together with the other YAML files in their
folders (pre-commit passes only the changed files; a changed EventListener
still has to find the TriggerTemplate beside it).  Findings are reported only
for the files passed.  Rules (ids are stable):

``tekton-api``           apiVersion/kind Tekton does not serve (error)
``tekton-deprecated``    a v1beta1/v1alpha1 kind that has a newer API (warning)
``tekton-name``          no ``metadata.name`` (nor ``generateName`` for runs)
``tekton-type``          a name that YAML read as a boolean or number (``no``)
``not-a-resource``       a document that is not a Kubernetes object
``task-duplicate``       two pipeline tasks with one name
``run-after``            ``runAfter`` names a task the pipeline lacks
``task-ref``             ``$(tasks.X...)`` names a task the pipeline lacks
``param-undeclared``     ``$(params.x)`` / ``$(tt.params.x)`` not declared in scope
``ref-unresolved``       a binding, template, trigger, pipeline or task ref
                         that no file defines (error when the set defines others
                         of that kind, so a typo; warning when none: they live
                         in the cluster)
``github-secret``        a GitHub interceptor without a usable ``secretRef``
``github-owners-skipped`` ``addChangedFiles`` with ``githubOwners``: the owners
                         check never runs for pull requests
``github-owners-token``  ``githubOwners`` checking members without a token
``comment-authorisation`` an ``issue_comment`` trigger with no authorisation step
``authorise-first``      a pipeline task that does not wait for the task that
                         runs ``dsp authorize``
``image-latest``         ``:latest`` or untagged image (warning, as tekton-lint)
``cel-syntax``           a CEL interceptor filter that does not parse
``script-injection``     a parameter or event value pasted into a step's code
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from precommit_hooks.core import yamlio
from precommit_hooks.hooks.check_tekton import cel
from precommit_hooks.hooks.check_tekton.steps import (
    INJECTED_RE,
    Authorisation,
    Code,
    authorisations,
    code_of,
    steps_of,
    task_specs,
)
from precommit_hooks.core.findings import (
    ERROR,
    WARNING,
    Finding,
    emit,
    finding,
    hook_parser,
    internal_error_finding,
)

TEKTON = "tekton.dev"
TRIGGERS = "triggers.tekton.dev"

_PIPELINE_KINDS = {"Pipeline", "Task", "PipelineRun", "TaskRun"}
_TRIGGER_KINDS = {
    "EventListener",
    "TriggerBinding",
    "ClusterTriggerBinding",
    "TriggerTemplate",
    "Trigger",
}
# apiVersion -> kinds it serves; kinds with a newer home map to that version.
KNOWN: dict[str, set[str]] = {
    "tekton.dev/v1": _PIPELINE_KINDS | {"StepAction"},
    "tekton.dev/v1beta1": _PIPELINE_KINDS
    | {"ClusterTask", "CustomRun", "StepAction", "VerificationPolicy"},
    "tekton.dev/v1alpha1": {
        "Run",
        "PipelineResource",
        "Condition",
        "VerificationPolicy",
        "StepAction",
    },
    # Newer Triggers releases serve ClusterInterceptor in v1beta1 as well.
    "triggers.tekton.dev/v1beta1": _TRIGGER_KINDS
    | {"ClusterInterceptor", "Interceptor"},
    "triggers.tekton.dev/v1alpha1": _TRIGGER_KINDS
    | {"ClusterInterceptor", "Interceptor"},
}
NEWER: dict[tuple[str, str], str] = {
    **{("tekton.dev/v1beta1", k): "tekton.dev/v1" for k in _PIPELINE_KINDS},
    **{
        ("triggers.tekton.dev/v1alpha1", k): "triggers.tekton.dev/v1beta1"
        for k in _TRIGGER_KINDS
    },
    ("tekton.dev/v1beta1", "ClusterTask"): "tekton.dev/v1 Task (with a resolver)",
    ("tekton.dev/v1alpha1", "Run"): "tekton.dev/v1beta1 CustomRun",
    ("tekton.dev/v1alpha1", "PipelineResource"): "tekton.dev/v1 Task steps",
    ("tekton.dev/v1alpha1", "Condition"): "tekton.dev/v1 when expressions",
}

_NAME = r"[A-Za-z0-9_-]+"
_QUOTED = r"\[\s*(?:'([^']+)'|\"([^\"]+)\")\s*\]"
PARAM_RE = re.compile(rf"\$\(params(?:\.({_NAME})|{_QUOTED})")
TT_PARAM_RE = re.compile(rf"\$\(tt\.params(?:\.({_NAME})|{_QUOTED})")
TASKS_RE = re.compile(rf"\$\(tasks\.({_NAME})\.")
_PATHLIKE = re.compile(r"^[\w.\-/]+\.ya?ml$")


@dataclass
class Doc:
    """One YAML document of the set."""

    path: str
    data: Any
    text: str
    reported: bool
    api: str = ""
    kind: str = ""
    name: str = ""

    @property
    def pos(self) -> yamlio.Pos:
        return getattr(self.data, "pos", (1, 1))


@dataclass
class TektonSet:
    """Every document of a run, indexed by kind and name for reference checks."""

    docs: list[Doc] = field(default_factory=list)
    by_kind: dict[str, dict[str, Doc]] = field(default_factory=dict)

    def add(self, doc: Doc) -> None:
        self.docs.append(doc)
        if doc.kind and doc.name:
            self.by_kind.setdefault(doc.kind, {}).setdefault(doc.name, doc)

    def find(self, kind: Any, name: Any) -> Doc | None:
        if not isinstance(kind, str) or not isinstance(name, str):
            return None  # a malformed reference resolves to nothing
        return self.by_kind.get(kind, {}).get(name)


class _Report:
    """Findings for the reported files only (context files stay silent)."""

    def __init__(self) -> None:
        self.found: list[Finding] = []

    def add(
        self, doc: Doc, pos: Any, rule: str, message: str, level: str = ERROR
    ) -> None:
        if doc.reported:
            self.found.append(finding(doc.path, pos or doc.pos, rule, message, level))


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _pos(container: Any, key: Any) -> yamlio.Pos | None:
    return yamlio.pos_of(container, key)


def _require_string(
    report: "_Report", doc: "Doc", container: Any, key: Any, what: str
) -> bool:
    """False (and a finding) when ``container[key]`` is not text, e.g. ``no``."""
    value = container[key]
    if isinstance(value, str):
        return True
    pos = _pos(container, key)
    written = yamlio.source_at(doc.text, pos)
    scalar = value is None or isinstance(value, (bool, int, float))
    why = (
        f"YAML reads the unquoted {written} as {yamlio.type_name(value)}; "
        f"quote it: '{written}'"
        if scalar and written and written[0] not in "'\"[{"
        else f"got {yamlio.type_name(value)}"
    )
    report.add(doc, pos, "tekton-type", f"{what} must be a string; {why}")
    return False


def _check_param_names(report: "_Report", doc: "Doc", params: Any) -> None:
    for index, param in enumerate(_items(params)):
        if isinstance(param, dict) and "name" in param:
            _require_string(report, doc, param, "name", "a parameter name")


def _strings(node: Any, pos: Any = None) -> Iterator[tuple[str, Any]]:
    """Every string value under ``node`` with its position (keys excluded)."""
    if isinstance(node, str):
        yield node, pos
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, _pos(node, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, _pos(node, index))


def _match_pos(text: str, pos: Any, value: str, offset: int) -> Any:
    """Line and column of ``value[offset]`` when ``value`` is a block scalar."""
    if not pos:
        return pos
    block = yamlio.source_at(text, pos)[:1] in ("|", ">")
    if not block and "\n" not in value[:offset]:
        return pos
    line = pos[0] + value[:offset].count("\n") + (1 if block else 0)
    lines = text.splitlines()
    if 0 < line <= len(lines):
        token = value[offset:].split("\n", 1)[0][:20]
        col = lines[line - 1].find(token)
        return (line, col + 1 if col >= 0 else 1)
    return pos


def _names(params: Any) -> set[str]:
    """Declared parameter names of a ``params`` list."""
    return {
        p["name"]
        for p in _items(params)
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    }


def _param_refs(regex: re.Pattern[str], node: Any, text: str):
    for value, pos in _strings(node):
        if "$(" not in value:
            continue
        for match in regex.finditer(value):
            name = next(g for g in match.groups() if g)
            yield name, _match_pos(text, pos, value, match.start()), match.group(0)


def _check_params(
    report: _Report, doc: Doc, node: Any, declared: set[str], scope: str
) -> None:
    for name, pos, written in _param_refs(PARAM_RE, node, doc.text):
        if name not in declared:
            hint = difflib.get_close_matches(name, sorted(declared), n=1)
            report.add(
                doc,
                pos,
                "param-undeclared",
                f"{written}) uses parameter {name!r} that {scope} does not declare"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + "; add it to the params or fix the name",
            )


# --- Pipelines and Tasks -------------------------------------------------


def _check_task_spec(
    report: _Report, doc: Doc, spec: Any, inherited: set[str], scope: str
) -> None:
    """A Task (or embedded taskSpec): its ``$(params.x)`` must be declared."""
    if not isinstance(spec, dict):
        return
    _check_param_names(report, doc, spec.get("params"))
    declared = _names(spec.get("params")) | inherited
    body = {k: v for k, v in spec.items() if k != "params"}
    _check_params(report, doc, body, declared, scope)


def _check_pipeline_spec(
    report: _Report, doc: Doc, spec: Any, inherited: set[str], scope: str
) -> None:
    """Pipeline task graph: names, runAfter, $(tasks.X), params in scope."""
    if not isinstance(spec, dict):
        return
    _check_param_names(report, doc, spec.get("params"))
    declared = _names(spec.get("params")) | inherited
    tasks = _items(spec.get("tasks"))
    final = _items(spec.get("finally"))
    seen: dict[str, Any] = {}
    for group in (tasks, final):
        for index, task in enumerate(group):
            if not isinstance(task, dict) or "name" not in task:
                continue
            if not _require_string(report, doc, task, "name", "a task name"):
                continue
            name = task["name"]
            if name in seen:
                report.add(
                    doc,
                    task.pos_of("name"),
                    "task-duplicate",
                    f"pipeline task {name!r} is defined twice; task names are unique",
                )
            seen[name] = task
    task_names = {
        t["name"]
        for t in tasks
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    }
    for group, label in ((tasks, "tasks"), (final, "finally")):
        for task in group:
            if not isinstance(task, dict):
                continue
            after = task.get("runAfter")
            if after is not None and label == "finally":
                report.add(
                    doc,
                    task.pos_of("runAfter"),
                    "run-after",
                    f"finally task {task.get('name')!r} has runAfter; finally tasks "
                    "run after all tasks: remove it",
                )
            for index, target in enumerate(_items(after)):
                if not _require_string(report, doc, after, index, "a runAfter entry"):
                    continue
                if label == "tasks" and target not in task_names:
                    hint = difflib.get_close_matches(str(target), task_names, n=1)
                    report.add(
                        doc,
                        after.pos_of(index),
                        "run-after",
                        f"runAfter {target!r} of task {task.get('name')!r} names no "
                        "task of this pipeline"
                        + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                    )
            for value, pos in _strings(task):
                for match in TASKS_RE.finditer(value):
                    target = match.group(1)
                    if target not in seen and target != "status":
                        report.add(
                            doc,
                            _match_pos(doc.text, pos, value, match.start()),
                            "task-ref",
                            f"$(tasks.{target}...) in task {task.get('name')!r} names "
                            "no task of this pipeline",
                        )
            outer = {k: v for k, v in task.items() if k != "taskSpec"}
            _check_params(report, doc, outer, declared, scope)
            if isinstance(task.get("taskSpec"), dict):
                # Pipeline params propagate into embedded specs (Tekton >= 0.42).
                passed = _names(task.get("params"))
                _check_task_spec(
                    report,
                    doc,
                    task["taskSpec"],
                    declared | passed,
                    f"task {task.get('name')!r} (nor its pipeline)",
                )
    rest = {k: v for k, v in spec.items() if k not in ("params", "tasks", "finally")}
    _check_params(report, doc, rest, declared, scope)


def _task_dependencies(task: dict) -> set[str]:
    """Tasks this pipeline task waits for: runAfter and $(tasks.X...) uses."""
    after = {t for t in _items(task.get("runAfter")) if isinstance(t, str)}
    for value, _ in _strings(task):
        after |= {match.group(1) for match in TASKS_RE.finditer(value)}
    return after


def _task_spec_of(tekton: "TektonSet", task: dict) -> tuple[Any, bool]:
    """The spec a pipeline task runs (inline or by taskRef), and whether seen."""
    if isinstance(task.get("taskSpec"), dict):
        return task["taskSpec"], True
    ref = task.get("taskRef")
    if isinstance(ref, dict) and not ref.get("resolver"):
        found = tekton.find(ref.get("kind") or "Task", ref.get("name"))
        if found is not None:
            return _get(found.data, "spec"), True
    return None, False


def _task_authorisations(tekton: "TektonSet", task: dict) -> list[Authorisation]:
    """The ``dsp authorize`` steps of a pipeline task, with task-level bypasses."""
    spec, _ = _task_spec_of(tekton, task)
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


def _after_gates(tasks: list[dict], gates: set[str]) -> set[str]:
    """Names of tasks that wait, directly or not, for one of ``gates``."""
    waiters: dict[str, list[str]] = {}
    for task in tasks:
        for before in _task_dependencies(task):
            waiters.setdefault(before, []).append(task["name"])
    reached: set[str] = set()
    pending = list(gates)
    while pending:  # each task is visited once: linear in tasks and edges
        for name in waiters.get(pending.pop(), ()):
            if name not in reached:
                reached.add(name)
                pending.append(name)
    return reached


def _pipeline_gates(
    tekton: "TektonSet", tasks: list[dict]
) -> tuple[set[str], list[tuple[dict, Authorisation]]]:
    """Tasks whose ``dsp authorize`` fails the run, and the ones that do not."""
    gates: set[str] = set()
    bypassed: list[tuple[dict, Authorisation]] = []
    for task in tasks:
        for found in _task_authorisations(tekton, task):
            if found.why is None:
                gates.add(task["name"])
            else:
                bypassed.append((task, found))
    return gates, bypassed


def _named_tasks(spec: Any) -> list[dict]:
    return [
        t
        for t in _items(_get(spec, "tasks"))
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    ]


def _check_authorise_first(refs: "_Refs", doc: Doc, spec: Any, label: str) -> None:
    """In a pipeline that authorises, every task runs after the authorisation.

    A task that does not wait for it runs for any commenter, authorised or not
    (``finally`` tasks are exempt: they report the outcome).
    """
    if not isinstance(spec, dict):
        return
    tasks = _named_tasks(spec)
    gates, bypassed = _pipeline_gates(refs.tekton, tasks)
    for task, found in bypassed:
        step = found.step.get("name")
        where = f"step {step!r} of task" if isinstance(step, str) else "task"
        inline = isinstance(task.get("taskSpec"), dict)
        refs.report.add(
            doc,
            found.step.pos if inline else task.pos_of("name"),
            "authorise-first",
            f"{where} {task['name']!r} of {label} runs dsp authorize, but a "
            f"refusal does not fail the run: {found.why}; let it fail the step "
            "(set -e, no '|| true', no onError: continue)",
        )
    if not gates:
        return
    after = _after_gates(tasks, gates)
    gate_names = ", ".join(repr(g) for g in sorted(gates))
    for task in tasks:
        if task["name"] not in gates and task["name"] not in after:
            refs.report.add(
                doc,
                task.pos_of("name"),
                "authorise-first",
                f"task {task['name']!r} of {label} does not run after the "
                f"authorisation ({gate_names}), so it runs for any commenter; "
                f"add runAfter: [{sorted(gates)[0]}] (directly or through a task "
                "that does)",
            )


def _check_run(report: _Report, doc: Doc, spec: Any, kind: str) -> None:
    """PipelineRun/TaskRun with an embedded spec: params propagate from the run."""
    if not isinstance(spec, dict):
        return
    run_params = _names(spec.get("params"))
    if kind == "PipelineRun" and isinstance(spec.get("pipelineSpec"), dict):
        _check_pipeline_spec(
            report, doc, spec["pipelineSpec"], run_params, "the pipelineSpec"
        )
    if kind == "TaskRun" and isinstance(spec.get("taskSpec"), dict):
        _check_task_spec(report, doc, spec["taskSpec"], run_params, "the taskSpec")


# --- Triggers ----------------------------------------------------------------


def _interceptor_params(interceptor: dict) -> dict[str, Any]:
    """name -> value of an interceptor's params (v1beta1) or legacy fields."""
    values: dict[str, Any] = {}
    for param in _items(interceptor.get("params")):
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            values[param["name"]] = param.get("value")
    return values


def _ci_get(mapping: Any, key: str) -> Any:
    """Case-insensitive lookup: Go's JSON decoding ignores the case of field names."""
    if not isinstance(mapping, dict):
        return None
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == key.lower():
            return v
    return None


def _enabled(value: Any) -> bool:
    return _ci_get(value, "enabled") is True


def _github_interceptors(interceptors: Any) -> Iterator[tuple[dict, dict, Any]]:
    """(interceptor, params, position) for every GitHub interceptor in a list."""
    for index, interceptor in enumerate(_items(interceptors)):
        if not isinstance(interceptor, dict):
            continue
        pos = _pos(interceptors, index)
        if isinstance(interceptor.get("github"), dict):  # legacy form
            yield interceptor, interceptor["github"], pos
        elif _get(interceptor, "ref", "name") == "github":
            yield interceptor, _interceptor_params(interceptor), pos


def _event_types(params: dict) -> list[str]:
    return [e for e in _items(_ci_get(params, "eventTypes")) if isinstance(e, str)]


def _check_github(report: _Report, doc: Doc, trigger: dict, where: str) -> None:
    for _, params, pos in _github_interceptors(trigger.get("interceptors")):
        secret = _ci_get(params, "secretRef")
        if secret is None:
            report.add(
                doc,
                pos,
                "github-secret",
                f"GitHub interceptor in {where} has no secretRef, so it accepts "
                "unsigned payloads from anyone; add params secretRef "
                "{secretName, secretKey} naming the webhook secret",
            )
        elif not (
            isinstance(secret, dict)
            and _ci_get(secret, "secretName")
            and _ci_get(secret, "secretKey")
        ):
            report.add(
                doc,
                pos,
                "github-secret",
                f"GitHub interceptor in {where}: secretRef needs both secretName "
                "and secretKey",
            )
        owners = _ci_get(params, "githubOwners")
        changed = _ci_get(params, "addChangedFiles")
        if _enabled(owners) and _enabled(changed):
            report.add(
                doc,
                pos,
                "github-owners-skipped",
                f"GitHub interceptor in {where} enables addChangedFiles and "
                "githubOwners: for pull_request and push events it returns after "
                "adding the changed files and never runs the owners check; use two "
                "interceptors or two triggers",
            )
        if _enabled(owners):
            check = _ci_get(owners, "checkType")
            token = _ci_get(owners, "personalAccessToken")
            if check != "none" and not token:
                report.add(
                    doc,
                    pos,
                    "github-owners-token",
                    f"githubOwners in {where} checks {check or 'members'} (checkType "
                    f"{check!r}) without a personalAccessToken: every check fails; "
                    "add personalAccessToken or set checkType: none",
                )


def _comment_triggered(trigger: dict) -> bool:
    for _, params, _ in _github_interceptors(trigger.get("interceptors")):
        if "issue_comment" in _event_types(params):
            return True
    for value, _ in _strings(trigger.get("interceptors")):
        if "issue_comment" in value:
            return True
    return False


def _cel_filters(trigger: dict) -> Iterator[tuple[str, Any]]:
    """(filter, position) of every CEL interceptor of a trigger."""
    interceptors = trigger.get("interceptors")
    for index, interceptor in enumerate(_items(interceptors)):
        if not isinstance(interceptor, dict):
            continue
        if isinstance(interceptor.get("cel"), dict):  # legacy form
            params: Any = interceptor["cel"]
        elif _get(interceptor, "ref", "name") == "cel":
            params = _interceptor_params(interceptor)
        else:
            continue
        value = _ci_get(params, "filter")
        if isinstance(value, str):
            yield value, _pos(interceptors, index)


def _owners_check(report: "_Report", doc: Doc, trigger: dict, where: str) -> bool:
    """githubOwners, or a CEL filter that admits only trusted commenters.

    A filter that does not parse is a ``cel-syntax`` finding (and no check)."""
    trusted = any(
        _enabled(_ci_get(params, "githubOwners"))
        for _, params, _ in _github_interceptors(trigger.get("interceptors"))
    )
    for expression, pos in _cel_filters(trigger):
        try:
            trusted = cel.filter_authorises(expression) or trusted
        except cel.CelSyntaxError as exc:
            report.add(
                doc,
                pos,
                "cel-syntax",
                f"the CEL filter of {where} does not parse ({exc}); the "
                "interceptor rejects every event: fix the expression",
            )
    return trusted


def _runs_of(template: Any) -> list[dict]:
    """The PipelineRuns and TaskRuns a TriggerTemplate (or its spec) creates."""
    spec = template.get("spec", template) if isinstance(template, dict) else None
    return [
        r
        for r in _items(_get(spec, "resourcetemplates"))
        if isinstance(r, dict) and r.get("kind") in ("PipelineRun", "TaskRun")
    ]


def _run_authorises(tekton: TektonSet, run: dict) -> bool | None:
    """Whether a run really authorises first; None when what it runs is unseen."""
    spec = _get(run, "spec")
    if run.get("kind") == "TaskRun":
        task_spec, seen = _task_spec_of(tekton, spec if isinstance(spec, dict) else {})
        if not seen:
            return None
        found = authorisations(task_spec) if isinstance(task_spec, dict) else []
        return any(a.why is None for a in found)
    pipeline = _get(spec, "pipelineSpec")
    if not isinstance(pipeline, dict):
        ref = _get(spec, "pipelineRef")
        if not isinstance(ref, dict) or ref.get("resolver"):
            return None
        found_doc = tekton.find(ref.get("kind") or "Pipeline", ref.get("name"))
        if found_doc is None:
            return None
        pipeline = _get(found_doc.data, "spec")
    gates, _ = _pipeline_gates(tekton, _named_tasks(pipeline))
    return bool(gates)


def _template_authorises(tekton: TektonSet, template: Any) -> tuple[bool, bool]:
    """(every run it creates authorises, everything it runs was seen)."""
    verdicts = [_run_authorises(tekton, run) for run in _runs_of(template)]
    if False in verdicts or not verdicts:
        return False, True
    return None not in verdicts, None not in verdicts


class _Refs:
    """Resolves references against the set, deciding error or warning."""

    def __init__(self, tekton: TektonSet, report: _Report) -> None:
        self.tekton = tekton
        self.report = report

    def check(self, doc: Doc, kind: str, name: Any, pos: Any, what: str) -> Doc | None:
        if not isinstance(name, str):
            return None
        if not isinstance(kind, str):
            self.report.add(
                doc,
                pos,
                "tekton-type",
                f"{what}: kind must be a string, got {yamlio.type_name(kind)}",
            )
            return None
        found = self.tekton.find(kind, name)
        if found is not None:
            return found
        known = sorted(self.tekton.by_kind.get(kind, {}))
        hint = difflib.get_close_matches(name, known, n=1)
        if known and not kind.startswith("Cluster"):
            self.report.add(
                doc,
                pos,
                "ref-unresolved",
                f"{what} refers to {kind} {name!r}, which none of the files defines"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; defined: {', '.join(known[:5])}",
            )
        else:
            self.report.add(
                doc,
                pos,
                "ref-unresolved",
                f"{what} refers to {kind} {name!r}, which none of the checked files "
                "defines; make sure it exists in the cluster",
                WARNING,
            )
        return None


def _template_of(refs: _Refs, doc: Doc, trigger: dict, where: str) -> tuple[Any, bool]:
    """The template a trigger uses: (data or None, whether we could see it)."""
    template = trigger.get("template")
    if not isinstance(template, dict):
        return None, False
    if isinstance(template.get("spec"), dict):
        return template["spec"], True
    name = template.get("ref", template.get("name"))
    found = refs.check(
        doc,
        "TriggerTemplate",
        name,
        template.pos_of("ref" if "ref" in template else "name"),
        f"template of {where}",
    )
    return (found.data, True) if found else (None, False)


def _check_trigger(refs: _Refs, doc: Doc, trigger: Any, where: str) -> None:
    """One EventListener trigger or a Trigger's spec."""
    if not isinstance(trigger, dict):
        return
    report = refs.report
    bindings = trigger.get("bindings")
    for index, binding in enumerate(_items(bindings)):
        if isinstance(binding, dict) and "ref" in binding:
            kind = binding.get("kind") or "TriggerBinding"
            refs.check(
                doc,
                kind,
                binding["ref"],
                binding.pos_of("ref"),
                f"binding #{index + 1} of {where}",
            )
    if "triggerRef" in trigger:
        refs.check(
            doc, "Trigger", trigger["triggerRef"], trigger.pos_of("triggerRef"), where
        )
    _check_github(report, doc, trigger, where)
    template, seen = _template_of(refs, doc, trigger, where)
    trusted = _owners_check(report, doc, trigger, where)
    if _comment_triggered(trigger) and not trusted:
        authorised, complete = (
            _template_authorises(refs.tekton, template) if seen else (False, False)
        )
        if not authorised:
            message = (
                f"{where} runs on issue_comment events but no step authorises the "
                "commenter; add a task that runs 'dsp authorize' before anything "
                "else, or the GitHub interceptor's githubOwners check"
            )
            if complete:
                report.add(doc, trigger.pos, "comment-authorisation", message)
            else:
                report.add(
                    doc,
                    trigger.pos,
                    "comment-authorisation",
                    message + " (some of what it runs is not in the checked files)",
                    WARNING,
                )


def _check_trigger_template(report: _Report, doc: Doc, spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    declared = _names(spec.get("params"))
    templates = spec.get("resourcetemplates")
    for name, pos, written in _param_refs(TT_PARAM_RE, templates, doc.text):
        if name not in declared:
            hint = difflib.get_close_matches(name, sorted(declared), n=1)
            report.add(
                doc,
                pos,
                "param-undeclared",
                f"{written}) uses {name!r}, which the TriggerTemplate does not declare"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + "; add it to spec.params",
            )
    for resource in _items(templates):
        if isinstance(resource, dict) and resource.get("kind") in (
            "PipelineRun",
            "TaskRun",
        ):
            _check_run(report, doc, resource.get("spec"), resource["kind"])


# --- Documents ---------------------------------------------------------------


def _image_findings(report: _Report, doc: Doc) -> None:
    for image, pos in _images(doc.data):
        if "$(" in image or "@sha256:" in image or "@" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        if tag is None or tag == "latest":
            what = "':latest'" if tag else "no tag (so ':latest')"
            report.add(
                doc,
                pos,
                "image-latest",
                f"image {image!r} has {what}: the run changes when the image "
                "does; pin a version tag or a digest",
                WARNING,
            )


def _images(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield value, node.pos_of(key)
            else:
                yield from _images(value)
    elif isinstance(node, list):
        for value in node:
            yield from _images(value)


def _identify(report: _Report, doc: Doc) -> bool:
    """Fill api/kind/name; False when the document is no Kubernetes object."""
    data = doc.data
    if not isinstance(data, dict):
        if isinstance(data, str) and _PATHLIKE.match(data.strip()):
            report.add(
                doc,
                (1, 1),
                "not-a-resource",
                f"the file holds only the text {data.strip()!r}: a symbolic link "
                "checked out as a plain file? Restore the link or the content",
                WARNING,
            )
        else:
            report.add(
                doc,
                doc.pos,
                "not-a-resource",
                f"a document must be a Kubernetes object (a mapping with apiVersion "
                f"and kind), got {yamlio.type_name(data)}",
            )
        return False
    api, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        report.add(
            doc,
            doc.pos,
            "tekton-api",
            "document has no apiVersion and kind; every resource needs both",
        )
        return False
    doc.api, doc.kind = api, kind
    name = _get(data, "metadata", "name")
    doc.name = name if isinstance(name, str) else ""
    if name is not None and not doc.name:
        _require_string(report, doc, data["metadata"], "name", "metadata.name")
    group = api.split("/", 1)[0]
    if group not in (TEKTON, TRIGGERS):
        return True
    if api not in KNOWN:
        versions = sorted(v for v in KNOWN if v.startswith(group + "/"))
        report.add(
            doc,
            data.pos_of("apiVersion"),
            "tekton-api",
            f"apiVersion {api!r} is not served by Tekton; use one of "
            f"{', '.join(versions)}",
        )
        return False
    if kind not in KNOWN[api]:
        hint = difflib.get_close_matches(kind, sorted(KNOWN[api]), n=1)
        homes = sorted(v for v, kinds in KNOWN.items() if kind in kinds)
        fix = (
            f"; {kind} is served by {', '.join(homes)}"
            if homes
            else (f" (did you mean {hint[0]!r}?)" if hint else "")
        )
        report.add(
            doc,
            data.pos_of("kind"),
            "tekton-api",
            f"{api} has no kind {kind!r}{fix}",
        )
        return False
    newer = NEWER.get((api, kind))
    if newer:
        report.add(
            doc,
            data.pos_of("apiVersion"),
            "tekton-deprecated",
            f"{api} {kind} is deprecated; move to {newer}",
            WARNING,
        )
    if name is None and not _get(data, "metadata", "generateName"):
        report.add(
            doc,
            data.pos,
            "tekton-name",
            f"{kind} has no metadata.name; give it one",
        )
    return True


def check_set(tekton: TektonSet) -> list[Finding]:
    """Run every rule over the set; findings only for the reported files."""
    report = _Report()
    refs = _Refs(tekton, report)
    for doc in tekton.docs:
        if not doc.reported:
            continue
        try:
            _check_doc(refs, doc)
        except Exception as exc:  # noqa: BLE001 - one document never stops the run
            report.found.append(internal_error_finding(doc.path, exc, doc.pos))
    return report.found


def _script_injection(report: _Report, doc: Doc, label: str) -> None:
    """A parameter or event value substituted into code a step runs."""
    for spec in task_specs(doc.data):
        for step in steps_of(spec, sidecars=True):
            for code in code_of(step):
                for match in INJECTED_RE.finditer(code.text):
                    _report_injection(report, doc, label, code, match)


def _report_injection(
    report: _Report, doc: Doc, label: str, code: Code, match: re.Match
) -> None:
    written = match.group(0)
    what = "script" if code.key == "script" else f"{code.interpreter} -c argument"
    step = code.step.get("name")
    owner = f"step {step!r}" if isinstance(step, str) else "a step"
    pos = _match_pos(doc.text, _pos(code.container, code.key), code.text, match.start())
    report.add(
        doc,
        pos,
        "script-injection",
        f"{written} is pasted into the {what} of {owner} of {label}, so a "
        "crafted value runs as code; pass it through env (env: [{name: VALUE, "
        f"value: '{written}'}}] and use \"$VALUE\"), a file or args",
    )


def _check_doc(refs: _Refs, doc: Doc) -> None:
    report = refs.report
    _image_findings(report, doc)
    if not doc.kind or doc.api not in KNOWN:
        return
    label = f"{doc.kind} {doc.name or '(unnamed)'}"
    _script_injection(report, doc, label)
    spec = doc.data.get("spec")
    if doc.kind in ("Task", "ClusterTask"):
        _check_task_spec(report, doc, spec, set(), f"the {label}")
    elif doc.kind == "Pipeline":
        _check_pipeline_spec(report, doc, spec, set(), f"the {label}")
        _check_authorise_first(refs, doc, spec, label)
    elif doc.kind in ("PipelineRun", "TaskRun"):
        _check_run(report, doc, spec, doc.kind)
        for key, kind in (("pipelineRef", "Pipeline"), ("taskRef", "Task")):
            ref = _get(spec, key)
            if isinstance(ref, dict) and "name" in ref and not ref.get("resolver"):
                refs.check(doc, kind, ref["name"], ref.pos_of("name"), label)
    elif doc.kind == "TriggerTemplate":
        _check_trigger_template(report, doc, spec)
    elif doc.kind == "EventListener":
        triggers = _get(spec, "triggers")
        for index, trigger in enumerate(_items(triggers)):
            name = trigger.get("name") if isinstance(trigger, dict) else None
            where = f"trigger {name or '#' + str(index + 1)!s} of {label}"
            _check_trigger(refs, doc, trigger, where)
    elif doc.kind == "Trigger":
        _check_trigger(refs, doc, spec, label)


def _context_files(paths: Sequence[str]) -> list[str]:
    """The other YAML files in the folders of ``paths`` (read, never reported)."""
    given = {os.path.abspath(p) for p in paths}
    extra: list[str] = []
    for folder in sorted({os.path.dirname(os.path.abspath(p)) for p in paths}):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            full = os.path.join(folder, name)
            if (
                name.endswith((".yaml", ".yml"))
                and full not in given
                and os.path.isfile(full)
            ):
                extra.append(full)
    return extra


def load_set(
    paths: Sequence[str], max_bytes: int | None = None, context: bool = True
) -> tuple[TektonSet, list[Finding]]:
    """Read the files (and, with ``context``, their neighbours) into one set."""
    tekton = TektonSet()
    found: list[Finding] = []
    scratch = _Report()
    extra = _context_files(paths) if context else []
    for path, reported in [(p, True) for p in paths] + [(p, False) for p in extra]:
        try:
            loaded = yamlio.load(path, max_bytes=max_bytes)
        except yamlio.YamlError as exc:
            if reported:
                found.append(exc.finding)
            continue
        except Exception as exc:  # noqa: BLE001 - a hook never shows a traceback
            if reported:
                found.append(internal_error_finding(path, exc))
            continue
        if reported:
            found.extend(loaded.findings)
        for data in loaded.documents:
            if data is None:
                continue  # an empty document between '---' lines
            doc = Doc(path, data, loaded.text, reported)
            if _identify(scratch, doc):
                tekton.add(doc)
    found.extend(scratch.found)
    return tekton, found


def check_files(
    paths: Sequence[str], max_bytes: int | None = None, context: bool = True
) -> list[Finding]:
    """All findings for the files, checked as one set."""
    tekton, found = load_set(paths, max_bytes, context)
    return found + check_set(tekton)


def main(argv: Sequence[str] | None = None) -> int:
    """check-tekton: lint Tekton Pipelines and Triggers files."""
    parser = hook_parser(
        "check-tekton", "Lint Tekton Pipelines and Triggers resources as one set."
    )
    parser.add_argument(
        "--no-context",
        action="store_true",
        help="resolve references only among the files given, not their folders",
    )
    args = parser.parse_args(argv)
    found = check_files(args.filenames, args.max_bytes, not args.no_context)
    return emit(found, args.format, args.strict)


if __name__ == "__main__":
    raise SystemExit(main())
