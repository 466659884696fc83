"""The ``dsp`` command that the Tekton steps and developers call.

Each subcommand lives in the module that owns its logic; this file only maps
names to modules and imports the chosen one, so ``dsp version-name`` never pays
for importing kfp.  A module's ``configure_<name>(parser)`` adds its options
and sets ``func``; ``func(args)`` returns the exit code or raises
:class:`~precommit_hooks.core.findings.Refusal`.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import re
import sys
import textwrap
from typing import Any, Sequence

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
    "authorize": (
        "access.authorize",
        "check a webhook event may start a pipeline run",
    ),
    "bump-image-tag": ("kfp.images", "point component.yaml images at a new tag"),
    "pipeline": ("kfp.client", "upload, prune or run pipelines on KFP"),
    "gate": ("lifecycle.gate", "promotion gate: candidate metrics against a baseline"),
    "regression": (
        "lifecycle.regression",
        "behavioural regression cases: run, report, record",
    ),
    "model": (
        "lifecycle.promote",
        "push, pull or promote a model in an OCI registry (ORMB format); lineage",
    ),
    "onboard": (
        "access.onboard",
        "render Kubeflow Profile and access from profiles.yaml",
    ),
    "adopt": ("adopt.command", "bring the template into an existing repository"),
    "components": (
        "kfp.generate.command",
        "generate component.yaml files from the project's @step functions",
    ),
    "monitor": (
        "lifecycle.monitor.command",
        "check a production batch for drift, domain and freshness",
    ),
}


# reStructuredText written in docstrings and help: :func:`x`, ``x``, `x`.
_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``|`([^`]+)`")


def plain_text(text: str) -> str:
    """``text`` without reStructuredText markup: roles bare, literals quoted."""
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1], text)
    return _LITERAL.sub(lambda m: "'" + (m.group(1) or m.group(2)) + "'", text)


def default_text(action: argparse.Action) -> str:
    """What an option does when not given, in words: ``(default: main)``."""
    if isinstance(action, (argparse._SubParsersAction, _CHOICE)):
        return ""
    if not action.option_strings:  # a positional argument
        return "" if action.nargs in ("?", "*", argparse.REMAINDER) else "(required)"
    if action.required:
        return "(required)"
    value = action.default
    if isinstance(action, argparse._StoreTrueAction):
        return "(default: off)"
    if isinstance(action, argparse._StoreFalseAction):
        return "(default: on)"
    if value is None or value == "" or value == []:
        return "(default: none)"
    return f"(default: {value})"


_CHOICE = argparse._SubParsersAction._ChoicesPseudoAction


class _PlainHelp:
    """Mixed into any argparse formatter: no markup, every option's default said.

    A mixin over argparse's HelpFormatter: mypy sees neither the base class's
    methods through ``super()`` ([misc]) nor its private ``_prog``, ``_width``
    and ``_current_indent`` ([attr-defined]), hence the targeted ignores below.
    """

    def _format_text(self, text: str) -> str:
        text = plain_text(text)
        if isinstance(self, argparse.RawDescriptionHelpFormatter):
            return super()._format_text(text)  # type: ignore[misc]
        if "%(prog)" in text:
            text = text % {"prog": self._prog}  # type: ignore[attr-defined]
        current = self._current_indent  # type: ignore[attr-defined]
        width = max(self._width - current, 11)  # type: ignore[attr-defined]
        indent = " " * current
        return (
            "\n\n".join(
                _fill(part, width, indent)
                for part in re.split(r"\n\s*\n", text.strip())
            )
            + "\n\n"
        )

    def _format_action(self, action: argparse.Action) -> str:
        if action.help is None or (action.help and not action.help.strip()):
            if not isinstance(action, (argparse._SubParsersAction, _CHOICE)):
                # An option without help still gets a line: its name and default.
                action = copy.copy(action)
                metavar = action.metavar  # a tuple when nargs names each value
                if isinstance(metavar, tuple):
                    metavar = " ".join(metavar)
                name = (metavar or action.dest).replace("_", " ").lower()
                said = default_text(action).replace("%", "%%")
                action.help = f"{name} {said}".strip()
        return super()._format_action(action)  # type: ignore[misc]

    def _expand_help(self, action: argparse.Action) -> str:
        text = plain_text(super()._expand_help(action))  # type: ignore[misc]
        if action.default is argparse.SUPPRESS:  # --help, --version
            return text
        said = "default" in text.lower() or "required" in text.lower()
        extra = "" if said else default_text(action)
        return f"{text} {extra}" if extra else text


def _fill(paragraph: str, width: int, indent: str) -> str:
    """One paragraph wrapped; a list (``* item`` lines) keeps one item a line."""
    items = re.split(r"\n\s*(?=[*-] )", paragraph)
    return "\n".join(
        textwrap.fill(
            " ".join(item.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent
            + ("  " if item.lstrip()[:2] in ("* ", "- ") else ""),
            break_on_hyphens=False,
            break_long_words=False,
        )
        for item in items
    )


class HelpParser(UsageParser):
    """The parser of ``dsp`` and all its subcommands (nested ones inherit it)."""

    def _get_formatter(self) -> argparse.HelpFormatter:
        kind: type = type(self.formatter_class)  # the metaclass, to make a class
        base: Any = self.formatter_class
        if not issubclass(base, _PlainHelp):
            base = kind("Plain" + base.__name__, (_PlainHelp, base), {})
        return base(prog=self.prog)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; only ``command``'s module is imported."""
    # The docstring's first line without its reStructuredText quotes.
    description = __doc__.splitlines()[0].replace("``", "")
    parser = HelpParser(prog="dsp", description=description)
    parser.add_argument("--version", action="version", version=__version__)
    subs = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=HelpParser
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
