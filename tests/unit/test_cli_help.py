"""Every dsp command's --help explains itself: a line per option with its
default, and no reStructuredText markup from the docstrings it is built from."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from typing import Iterator

import pytest

from precommit_hooks import cli

MARKUP = re.compile(r"``|`|:(func|class|mod|meth|data|attr|exc|obj|ref):")


def parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and every nested subcommand's parser, with its command path."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, path + (name,))


def every_command() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = []
    for name in cli.COMMANDS:
        for path, parser in parsers(cli.build_parser(name)):
            if not path or path[0] == name:
                found.append((path, parser))
    return found


COMMANDS = every_command()


def test_the_walk_reaches_nested_commands():
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"model push", "model pull", "pipeline run", "regression record"} <= paths
    assert set(cli.COMMANDS) <= paths and len(paths) > len(cli.COMMANDS) + 5


@pytest.mark.parametrize(
    "path, parser", COMMANDS, ids=[" ".join(p) or "dsp" for p, _ in COMMANDS]
)
def test_help_has_no_markup_and_states_every_default(path, parser):
    text = parser.format_help()
    assert not MARKUP.search(text), MARKUP.search(text).group()
    assert "number_integer" not in text.lower()
    formatter = parser._get_formatter()
    for action in parser._actions:
        if action.default is argparse.SUPPRESS or isinstance(
            action, argparse._SubParsersAction
        ):
            continue  # --help, --version, the subcommand list
        line = " ".join(formatter._format_action(action).split())
        assert re.search(r"default|required", line, re.I), (path, line)
        assert line.count("(default") <= 1, line


def test_defaults_are_appended_only_where_the_help_is_silent():
    parser = cli.HelpParser(prog="x")
    parser.add_argument("--keep", type=int, default=5, help="versions kept")
    parser.add_argument("--tag", default="main", help="branch (default: main)")
    parser.add_argument("--fast", action="store_true", help="go fast")
    parser.add_argument("--name", help="see :func:`precommit_hooks.cli.main`")
    parser.add_argument("--host", required=True)
    parser.add_argument("--ratio", default="50%", help="share")
    text = " ".join(parser.format_help().split())
    assert "versions kept (default: 5)" in text
    assert "branch (default: main) --fast" in text  # not said twice
    assert "go fast (default: off)" in text
    assert "see main (default: none)" in text
    assert "--host HOST host (required)" in text
    assert "share (default: 50%)" in text


def test_an_option_without_help_and_a_metavar_per_value_gets_its_line():
    # nargs=2 names each value: the metavar is a tuple, not a string.
    parser = cli.HelpParser(prog="x")
    parser.add_argument("--set", nargs=2, metavar=("KEY", "VALUE"), default=None)
    text = " ".join(parser.format_help().split())
    assert "--set KEY VALUE key value (default: none)" in text


def test_descriptions_keep_their_paragraphs_and_lists():
    parser = cli.HelpParser(
        prog="x",
        description="One ``x``.\n\nA list:\n\n* first item\n* second item\n",
    )
    text = parser.format_help()
    assert "One 'x'.\n\nA list:\n\n* first item\n* second item\n" in text


@pytest.mark.parametrize("argv", [["model", "push", "--help"], ["onboard", "--help"]])
def test_real_command_prints_help_and_exits_0(argv):
    done = subprocess.run(
        [sys.executable, "-m", "precommit_hooks", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "(default:" in done.stdout and not MARKUP.search(done.stdout)
