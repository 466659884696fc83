"""Reading the set of Tekton files of one run, and resolving references in it.

All files of one run form one set, together with the other YAML files in
their folders (pre-commit passes only the changed files; a changed
EventListener still has to find the TriggerTemplate beside it). Findings are
reported only for the files passed; the others are context.
"""

from __future__ import annotations

import os
import pickle
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Sequence

from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.findings import (
    ERROR,
    Finding,
    finding,
    internal_error_finding,
)

HOOK = "check-tekton"
LIVE_BYTES = 1 << 20  # YAML text whose data stays live (about 25 MB of objects)
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


class Source:
    """A file's text; its lines are split once, when a position needs them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines


@dataclass(eq=False)
class Doc:
    """One YAML document of the set: where it is, what it is, its data."""

    path: str
    data: Any
    source: Source  # shared by the documents of one file
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
    def lines(self) -> list[str]:
        return self.source.lines

    @property
    def tekton(self) -> bool:
        """A kind this check knows: served by a Tekton apiVersion."""
        return self.valid and self.api in KNOWN

    def source_at(self, pos: Any) -> str:
        """The scalar written at ``pos``, read from one line (never the file)."""
        if not pos or not 0 < pos[0] <= len(self.lines):
            return ""
        return yamldata.source_at(self.lines[pos[0] - 1], (1, pos[1]))


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


class _File:
    """The documents of one file: live, or packed (pickled and compressed)."""

    def __init__(self, path: str, reported: bool, docs: list[Doc], size: int):
        self.path, self.reported, self.size = path, reported, size
        self.docs: list[Doc] | None = docs
        self.packed: bytes | None = None

    def pack(self) -> None:
        if self.packed is None and self.docs is not None:
            text = self.docs[0].source.text if self.docs else ""
            state = (text, [doc.data for doc in self.docs])
            self.packed = zlib.compress(pickle.dumps(state, protocol=5), 1)
        self.docs = None

    def unpack(self) -> list[Doc]:
        if self.docs is None:
            text, datas = pickle.loads(zlib.decompress(self.packed or b""))
            self.docs = _documents(self.path, datas, Source(text), self.reported)
        return self.docs


def _documents(path: str, datas: list, source: Source, reported: bool) -> list[Doc]:
    docs = []
    for data in datas:
        doc = Doc(path, data, source, reported)
        identify(doc)
        docs.append(doc)
    return docs


class TektonSet:
    """Every document of a run, the valid ones indexed by kind and name.

    The data of at most ``live_bytes`` of YAML is kept as objects (about 25
    times the text); the rest is packed until a rule needs it, so a thousand
    files stay under 100 MB and small sets never pack anything.
    """

    def __init__(self, live_bytes: int | None = None) -> None:
        self.files: dict[str, _File] = {}  # in the order given
        self.by_kind: dict[str, dict[str, tuple[str, int]]] = {}
        self.live_bytes = LIVE_BYTES if live_bytes is None else live_bytes
        self._live: OrderedDict[str, _File] = OrderedDict()  # least recent first
        self._live_size = 0

    def add_file(self, path: str, reported: bool, docs: list[Doc], size: int):
        if path in self.files:
            return  # a file given twice is read once
        entry = self.files[path] = _File(path, reported, docs, size)
        for index, doc in enumerate(docs):
            if doc.valid and doc.kind and doc.name:
                self.by_kind.setdefault(doc.kind, {}).setdefault(
                    doc.name, (path, index)
                )
        self._make_live(entry)

    def _make_live(self, entry: _File) -> None:
        self._live[entry.path] = entry
        self._live_size += entry.size
        while self._live_size > self.live_bytes and len(self._live) > 1:
            _, oldest = self._live.popitem(last=False)  # each file once: linear
            oldest.pack()
            self._live_size -= oldest.size

    def docs_of(self, path: str) -> list[Doc]:
        """The documents of a file of the set (unpacked if need be)."""
        entry = self.files[path]
        if path in self._live:
            self._live.move_to_end(path)
            return entry.docs or []
        docs = entry.unpack()
        self._make_live(entry)
        return docs

    def live_first(self) -> list[str]:
        """Paths of the reported files, those whose data is live first."""
        paths = [p for p, f in self.files.items() if f.reported]
        return sorted(paths, key=lambda p: p not in self._live)

    def find(self, kind: Any, name: Any) -> Doc | None:
        if not isinstance(kind, str) or not isinstance(name, str):
            return None  # a malformed reference resolves to nothing
        where = self.by_kind.get(kind, {}).get(name)
        return self.docs_of(where[0])[where[1]] if where else None

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
        # None: an empty document between '---' lines
        datas = [data for data in loaded.documents if data is not None]
        docs = _documents(path, datas, Source(loaded.text), reported)
        tekton.add_file(path, reported, docs, len(loaded.text))
    return tekton, found
