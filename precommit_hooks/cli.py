"""The ``dsp`` command that the Tekton steps and developers call.

Each subcommand lives in the module that owns its logic; this file only maps
names to modules and imports the chosen one, so ``dsp version-name`` never pays
for importing kfp.  A module's ``configure_<name>(parser)`` adds its options
and sets ``func``; ``func(args)`` returns the exit code or raises
:class:`~precommit_hooks.core.findings.Refusal`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from precommit_hooks import __version__
from precommit_hooks.core.findings import EXIT_USAGE, UsageParser, run_guarded

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "version-name": (
        "kfp.versions",
        "name a KFP pipeline version after branch and commit",
    ),
    "parse-comment": (
        "access.chatops",
        "parse a /run-pipeline PR comment read on stdin",
    ),
    "authorize": ("access.chatops", "check a webhook event may start a pipeline run"),
    "bump-image-tag": ("kfp.images", "point component.yaml images at a new tag"),
    "pipeline": ("kfp.client", "upload, prune or run pipelines on KFP"),
    "gate": ("lifecycle.gate", "promotion gate: candidate metrics against a baseline"),
    "regression": (
        "lifecycle.regression",
        "behavioural regression cases: run, report, record",
    ),
    "model": (
        "lifecycle.registry",
        "push or pull a model to an OCI registry (ORMB format)",
    ),
    "onboard": (
        "access.onboard",
        "render Kubeflow Profile and access from profiles.yaml",
    ),
    "adopt": ("adopt.command", "bring the template into an existing repository"),
    "monitor": (
        "lifecycle.monitor.command",
        "check a production batch for drift, domain and freshness",
    ),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only ``command``'s module is imported."""
    # The docstring's first line without its reStructuredText quotes.
    description = __doc__.splitlines()[0].replace("``", "")
    parser = UsageParser(prog="dsp", description=description)
    parser.add_argument("--version", action="version", version=__version__)
    subs = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=UsageParser
    )
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(f"{__package__}.{module_name}")
            getattr(module, "configure_" + name.replace("-", "_"))(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return run_guarded(f"dsp {args.command}", lambda: args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
