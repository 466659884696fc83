"""Steps of Tekton task specs: the code they run, and what reaches it.

A step runs code in two ways: a ``script`` (its shebang names the
interpreter; none means ``sh`` with ``set -e``), or a ``command``/``args``
list, of which a shell's ``-c`` argument is again code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Iterator

from precommit_hooks.hooks.check_tekton import shell

# Values from a parameter or the webhook event, substituted as text.
INJECTED_RE = re.compile(
    r"\$\((?:(?:tt\.|inputs\.)?params(?:\.[A-Za-z0-9_.\-]+|\[[^\]]*\])[^)]*"
    r"|(?:body|extensions)(?:[.\[][^)]*)?)\)"
)
_INTERPRETERS = shell.SHELLS | {"python", "python3", "perl", "ruby", "node"}


@dataclass
class Code:
    """Code a step runs: the text, where it is written, and how it runs."""

    step: dict
    text: str
    container: Any  # the mapping or list holding the text
    key: Any
    interpreter: str  # a basename: sh, bash, python3, ...
    errexit: bool


def specs_with_steps(node: Any) -> Iterator[dict]:
    """Every mapping with a list of ``steps`` under ``node`` (any embedding)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            if isinstance(current.get("steps"), list):
                yield current
            pending.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            pending.extend(reversed(current))


def steps_of(spec: dict, sidecars: bool = False) -> Iterator[dict]:
    keys = ("steps", "sidecars") if sidecars else ("steps",)
    for key in keys:
        steps = spec.get(key)
        for step in steps if isinstance(steps, list) else ():
            if isinstance(step, dict):
                yield step


def _script_code(step: dict) -> Code | None:
    script = step.get("script")
    if not isinstance(script, str):
        return None
    bang = shell.shebang(script)
    if bang is None:
        return Code(step, script, step, "script", "sh", True)
    name, flags = bang
    return Code(
        step, script, step, "script", name, shell.shell_flags_set_errexit(flags)
    )


def _dash_c_code(step: dict) -> Code | None:
    """The ``-c`` argument of ``command: [sh, -c]`` (with ``args``) or alike."""
    command = step.get("command")
    if not isinstance(command, list) or not command:
        return None
    args = step.get("args")
    if not isinstance(args, list):
        args = []
    words = [(command, i) for i in range(len(command))] + [
        (args, i) for i in range(len(args))
    ]
    program = command[0]
    if not isinstance(program, str):
        return None
    name = os.path.basename(program)
    if name not in _INTERPRETERS:
        return None
    flags: list[str] = []
    for index, (holder, key) in enumerate(words[1:], start=1):
        word = holder[key]
        if not isinstance(word, str) or not word.startswith("-"):
            return None
        flags.append(word)
        if "c" in word[1:] and index + 1 < len(words):
            holder, key = words[index + 1]
            text = holder[key]
            if not isinstance(text, str):
                return None
            errexit = shell.shell_flags_set_errexit(flags)
            return Code(step, text, holder, key, name, errexit)
    return None


def code_of(step: dict) -> list[Code]:
    """The code a step runs: its script and/or a shell's ``-c`` argument."""
    found = [_script_code(step), _dash_c_code(step)]
    return [code for code in found if code is not None]


def direct_authorize(step: dict) -> bool:
    """``command: [dsp, authorize, ...]`` (or ``[dsp]`` with ``args``)."""
    command = step.get("command")
    args = step.get("args")
    words = (command if isinstance(command, list) else []) + (
        args if isinstance(args, list) else []
    )
    return (
        len(words) >= 2
        and all(isinstance(w, str) for w in words[:2])
        and os.path.basename(words[0]) == "dsp"
        and words[1] == "authorize"
    )


@dataclass
class Authorisation:
    """A step that runs ``dsp authorize``: None for ``why`` when a refusal
    fails the run, else the reason it does not."""

    step: dict
    why: str | None


def authorisations(spec: dict) -> list[Authorisation]:
    """Every ``dsp authorize`` in the steps of a task spec, with its verdict."""
    found: list[Authorisation] = []
    for step in steps_of(spec):
        continues = step.get("onError") == "continue"
        verdicts: list[str | None] = []
        if direct_authorize(step):
            verdicts.append(None)
        for code in code_of(step):
            if code.interpreter not in shell.SHELLS:
                continue  # other languages: not read, so never a gate
            read = shell.authorize_verdicts(code.text, code.errexit)
            if read is None and "authorize" in code.text:
                read = ("the script does not parse as shell (an unclosed quote?)",)
            verdicts += list(read or ())
        for why in verdicts:
            if continues:
                why = "the step has onError: continue"
            found.append(Authorisation(step, why))
    return found
