"""check-tekton: lint Tekton Pipelines and Triggers files, in the spirit of tekton-lint.

All files of one run form one set, together with the other YAML files in their
folders (pre-commit passes only the changed files; a changed EventListener
still has to find the TriggerTemplate beside it). Findings are reported only
for the files passed. ``loader`` reads the set; each rule is a function in
``rules/`` registered with its id (the list: docs/rules.md).
"""

from __future__ import annotations

from typing import Sequence

from precommit_hooks.core.rules import Rule
from precommit_hooks.core.findings import (
    Finding,
    emit,
    hook_parser,
    internal_error_finding,
)
from precommit_hooks.hooks.check_tekton.loader import (
    Context,
    Doc,
    Report,
    TektonSet,
    load_set,
)
from precommit_hooks.hooks.check_tekton.rules import all_rules

__all__ = ["Doc", "TektonSet", "check_files", "check_set", "load_set", "main"]


def check_set(tekton: TektonSet) -> list[Finding]:
    """Run every rule over the set; findings only for the reported files."""
    ctx = Context(tekton, Report())
    rules = all_rules()
    order = {path: index for index, path in enumerate(tekton.files)}
    for path in tekton.live_first():  # live data first: fewer files to unpack
        for doc in tekton.docs_of(path):
            _check_doc(ctx, rules, doc)
    # back in the order the files were given (a stable sort keeps each file's)
    return sorted(ctx.report.found, key=lambda found: order.get(found.path, 0))


def _check_doc(ctx: Context, rules: list[Rule], doc: Doc) -> None:
    for registered in rules:
        try:
            registered.check(ctx, doc)
        except Exception as exc:  # noqa: BLE001 - one rule never stops the run
            ctx.report.found.append(internal_error_finding(doc.path, exc, doc.pos))
            return


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
