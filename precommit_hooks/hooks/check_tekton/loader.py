"""Reading the set of Tekton files of one run, and resolving references in it.

All files of one run form one set, together with the other YAML files in
their folders (pre-commit passes only the changed files; a changed
EventListener still has to find the TriggerTemplate beside it). Findings are
reported only for the files passed; the others are context.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import (
    ERROR,
    Finding,
    finding,
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


@dataclass(eq=False)
class Doc:
    """One YAML document of the set: where it is, what it is, its data."""

    path: str
    data: Any
    lines: list[str]  # the file's lines, split once and shared by its documents
    reported: bool
    api: str = ""
    kind: str = ""
    name: str = ""
    valid: bool = False  # a Kubernetes object Tekton (or another group) serves

    @property
    def pos(self) -> yamlio.Pos:
        return getattr(self.data, "pos", (1, 1))

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name or '(unnamed)'}"

    @property
    def tekton(self) -> bool:
        """A kind this check knows: served by a Tekton apiVersion."""
        return self.valid and self.api in KNOWN

    def source_at(self, pos: Any) -> str:
        """The scalar written at ``pos``, read from one line (never the file)."""
        if not pos or not 0 < pos[0] <= len(self.lines):
            return ""
        return yamlio.source_at(self.lines[pos[0] - 1], (1, pos[1]))


def identify(doc: Doc) -> None:
    """Fill api, kind, name and validity from the document's data."""
    data = doc.data
    if not isinstance(data, dict):
        return
    api, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        return
    doc.api, doc.kind = api, kind
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    doc.name = name if isinstance(name, str) else ""
    group = api.split("/", 1)[0]
    doc.valid = group not in (TEKTON, TRIGGERS) or kind in KNOWN.get(api, ())


@dataclass
class TektonSet:
    """Every document of a run, the valid ones indexed by kind and name."""

    docs: list[Doc] = field(default_factory=list)
    by_kind: dict[str, dict[str, Doc]] = field(default_factory=dict)

    def add(self, doc: Doc) -> None:
        self.docs.append(doc)
        if doc.valid and doc.kind and doc.name:
            self.by_kind.setdefault(doc.kind, {}).setdefault(doc.name, doc)

    def find(self, kind: Any, name: Any) -> Doc | None:
        if not isinstance(kind, str) or not isinstance(name, str):
            return None  # a malformed reference resolves to nothing
        return self.by_kind.get(kind, {}).get(name)

    def task_spec(self, task: Any) -> tuple[Any, bool]:
        """The spec a pipeline task or TaskRun runs (taskSpec or taskRef), and
        whether the set shows it."""
        if not isinstance(task, dict):
            return None, False
        if isinstance(task.get("taskSpec"), dict):
            return task["taskSpec"], True
        ref = task.get("taskRef")
        if isinstance(ref, dict) and not ref.get("resolver"):
            found = self.find(ref.get("kind") or "Task", ref.get("name"))
            if found is not None and isinstance(found.data.get("spec"), dict):
                return found.data["spec"], True
        return None, False

    def pipeline_spec(self, run_spec: Any) -> Any:
        """The pipeline a PipelineRun spec runs (pipelineSpec or pipelineRef)."""
        if not isinstance(run_spec, dict):
            return None
        if isinstance(run_spec.get("pipelineSpec"), dict):
            return run_spec["pipelineSpec"]
        ref = run_spec.get("pipelineRef")
        if not isinstance(ref, dict) or ref.get("resolver"):
            return None
        found = self.find(ref.get("kind") or "Pipeline", ref.get("name"))
        return found.data.get("spec") if found is not None else None


class Report:
    """Findings for the reported files only (context files stay silent)."""

    def __init__(self) -> None:
        self.found: list[Finding] = []

    def add(
        self, doc: Doc, pos: Any, rule: str, message: str, level: str = ERROR
    ) -> None:
        if doc.reported:
            self.found.append(finding(doc.path, pos or doc.pos, rule, message, level))


@dataclass
class Context:
    """What a rule gets besides the document: the whole set and the report."""

    tekton: TektonSet
    report: Report


def context_files(paths: Sequence[str]) -> list[str]:
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
    extra = context_files(paths) if context else []
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
        lines = loaded.text.splitlines()
        for data in loaded.documents:
            if data is None:
                continue  # an empty document between '---' lines
            doc = Doc(path, data, lines, reported)
            identify(doc)
            tekton.add(doc)
    return tekton, found
