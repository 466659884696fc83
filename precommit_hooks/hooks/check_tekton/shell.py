"""Does a step's ``dsp authorize`` fail the run when it refuses?

A small reader of POSIX shell: it splits a script into simple commands with
the operators between them, tracks ``set -e`` / ``set -o pipefail``, and
answers, for each ``dsp authorize`` command, why its failure would be
swallowed (``|| true``, ``set +e``, a condition, a pipe, the background...),
or nothing when a refusal stops the script with a non-zero status.
"""

from __future__ import annotations

import os
import re
import shlex
from functools import lru_cache
from dataclasses import dataclass, field

SHELLS = {"sh", "bash", "dash", "ash", "ksh", "zsh", "busybox"}
# Tekton runs a script without a shebang as "#!/bin/sh\nset -e\n" + script.
_OPENERS = {"if", "while", "until", "for", "case", "select", "{"}
_CLOSERS = {"fi", "done", "esac", "}"}
_CONTINUERS = {"then", "do", "else", "elif"}
_REDEFINED = re.compile(
    r"(?m)(^|[;&|{(\s])(function\s+dsp\b|dsp\s*\(\s*\)|alias\s+dsp=)"
)
_OPERATOR = re.compile(r"\|\||&&|;;|[<>]+&?|&[<>]|[;\n|&()]")


@dataclass
class Command:
    """One simple command: its words and what surrounds it."""

    words: list[str]
    depth: int
    negated: bool = False
    before: str = ""  # the operator that precedes it ('' at the start)
    after: str = ""  # the operator that follows it ('' at the end)


@dataclass
class _Reader:
    commands: list[Command] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)  # if, case, (, { ...
    negated: bool = False
    before: str = ""
    redirect: bool = False

    def word(self, word: str) -> None:
        if self.redirect:
            self.redirect = False  # the target of > or <, not a word
            return
        if not self.words:
            if word == "!":
                self.negated = True
                return
            if word in _OPENERS:
                self.open.append(word)
                return
            if word in _CLOSERS:
                self.open = self.open[:-1]
                return
            if word in _CONTINUERS:
                return
        self.words.append(word)

    def operator(self, op: str) -> None:
        if op[0] in "<>" or op[-1] in "<>" or op in ("<&", ">&"):
            self.redirect = True
            return
        if op == "(":
            self.end(";")
            self.open.append(op)
            return
        if op == ")":
            self.end(";")
            if self.open[-1:] == ["("]:  # else a case pattern's ')'
                self.open.pop()
            return
        self.end(";" if op in ("\n", ";;") else op)

    def end(self, op: str) -> None:
        if self.words:
            self.commands.append(
                Command(self.words, len(self.open), self.negated, self.before, op)
            )
            self.before = op
        elif op in ("||", "&&", "|"):
            self.before = op
        elif op in (";", "&"):
            self.before = ""
        self.words, self.negated = [], False


def split_commands(script: str) -> list[Command] | None:
    """The simple commands of a shell script, or None when it does not parse."""
    # Doubled newlines: shlex eats a comment's newline, the copy ends the command.
    text = script.replace("\\\n", " ").replace("\n", "\n\n")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    reader = _Reader()
    try:
        for token in lexer:
            if token and all(c in ";&|()<>\n" for c in token):
                for op in _OPERATOR.findall(token):
                    reader.operator(op)
            else:
                reader.word(token)
    except ValueError:  # no closing quotation
        return None
    reader.end("")
    return reader.commands


def _apply_set(words: list[str], state: dict[str, bool]) -> None:
    """Track ``set -e``, ``set +e``, ``set -o errexit``, ``set -o pipefail``."""
    args = words[1:]
    for index, arg in enumerate(args):
        if len(arg) < 2 or arg[0] not in "+-" or arg == "--":
            continue
        on = arg[0] == "-"
        if "e" in arg[1:]:
            state["errexit"] = on
        if "o" in arg[1:] and index + 1 < len(args):
            option = args[index + 1]
            if option in ("errexit", "pipefail"):
                state[option] = on


def _program(words: list[str]) -> list[str]:
    """The words after assignments and ``exec``/``command``/``env`` prefixes."""
    rest = list(words)
    while rest and (
        re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", rest[0])
        or rest[0] in ("exec", "command", "env")
    ):
        rest.pop(0)
    return rest


def is_authorize(words: list[str]) -> bool:
    """Whether a command runs ``dsp authorize``."""
    rest = _program(words)
    return (
        len(rest) >= 2 and os.path.basename(rest[0]) == "dsp" and rest[1] == "authorize"
    )


@lru_cache(maxsize=256)  # the same step is read by two rules, often many times
def authorize_verdicts(
    script: str, errexit: bool = False
) -> tuple[str | None, ...] | None:
    """For each ``dsp authorize`` in ``script``: None if its refusal fails the
    script, else why not. None overall when the script does not parse."""
    if "authorize" not in script:
        return ()  # no command can be dsp authorize: skip the tokenizer
    commands = split_commands(script)
    if commands is None:
        return None
    state = {"errexit": errexit, "pipefail": False}
    # A trap runs at exit wherever it is written, so it covers every command.
    traps = [_program(c.words) for c in commands if _program(c.words)[:1] == ["trap"]]
    trapped = [" ".join(t) for t in traps if _exits_cleanly(t)]
    verdicts: list[str | None] = []
    for index, command in enumerate(commands):
        program = _program(command.words)
        if program[:1] == ["set"]:
            _apply_set(program, state)
        if is_authorize(command.words):
            last = index == len(commands) - 1
            why = _why_not(command, commands[index + 1 :], state, last)
            if why is None and trapped:
                why = f"'{trapped[0]}' makes the script exit 0"
            if why is None and _REDEFINED.search(script):
                why = "the script redefines dsp (a function or an alias)"
            if why is None and {"-h", "--help"} & set(command.words):
                why = "with --help it only prints the usage and succeeds"
            verdicts.append(why)
    return tuple(verdicts)


def _exits_cleanly(words: list[str]) -> bool:
    action = words[1] if len(words) > 2 else ""
    return action.strip() in ("true", ":", "exit 0", "exit")


def _why_not(
    command: Command, following: list[Command], state: dict[str, bool], last: bool
) -> str | None:
    nxt = " ".join(following[0].words) if following else ""
    if command.depth > 0:
        return "it runs inside a condition, loop, function or subshell"
    if command.negated:
        return "'!' negates its status"
    if command.before in ("||", "&&"):
        return f"it runs only after '{command.before}', so it may not run at all"
    if command.after == "||":
        words = following[0].words if following else []
        if words[:1] == ["exit"] and words[1:2] != ["0"]:
            return None
        return f"'|| {nxt}' swallows its failure"
    if command.after == "|" and not state["pipefail"]:
        return f"it is piped into '{nxt}', whose status wins (set -o pipefail)"
    if command.after == "&":
        return "it runs in the background ('&')"
    if last and command.after in ("", ";"):
        return None
    if command.after == "&&":
        return "set -e ignores the failure of a command followed by '&&'"
    if not state["errexit"]:
        return f"the script goes on to '{nxt}' when it fails (add set -e)"
    return None


def shebang(script: str) -> tuple[str, list[str]] | None:
    """(interpreter, its flags) of a script's ``#!`` line; None without one."""
    if not script.startswith("#!"):
        return None
    parts = script[2:].split("\n", 1)[0].split()
    if parts and os.path.basename(parts[0]) == "env":
        parts = [p for p in parts[1:] if not p.startswith("-")][:1] + [
            p for p in parts[2:] if p.startswith("-")
        ]
    if not parts:
        return None
    return os.path.basename(parts[0]), parts[1:]


def shell_flags_set_errexit(flags: list[str]) -> bool:
    """Whether shell flags like ``-e``, ``-eu``, ``-ec`` turn errexit on."""
    return any(f.startswith("-") and "e" in f[1:] and f != "--" for f in flags)
