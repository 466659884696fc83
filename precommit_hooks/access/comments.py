"""The ``/run-pipeline`` pull-request comment grammar.

A comment is untrusted text from the internet.  It never reaches a shell:
Tekton hands it to ``dsp parse-comment`` as a file on stdin, and everything
here is parsed in Python with fixed caps, so the worst a comment can do is be
refused with a reason.  The grammar, on the comment's first line only::

    /run-pipeline <file>.py [params=<objects>] [name=value ...]

``<file>`` is a ``.py`` file under ``workflows/`` (``example_pipeline.py`` or
``workflows/example_pipeline.py``); ``<objects>`` is one or more
``{"name": ..., "value": ...}`` JSON objects separated by commas, optionally
inside ``[...]``, read with a JSON decoder (never split on spaces); a plain
``name=value`` token is a parameter too.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from precommit_hooks.core.findings import Refusal

COMMAND = "/run-pipeline"
MAX_COMMENT_BYTES = 4096  # the EventListener's CEL filter uses the same cap
MAX_LINE_CHARS = 2048
MAX_PATH_CHARS = 200
MAX_PARAMS = 32
MAX_NAME_CHARS = 64
MAX_VALUE_CHARS = 1024
WORKFLOWS = "workflows"
SHELL_METACHARACTERS = "`$;|&<>\\"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")

# Characters phones and word processors substitute for ASCII ones.  A command
# that looks right but is not must say why it was refused, not vanish.
_LOOK_ALIKES = {
    **dict.fromkeys("\u00a0\u2000\u2002\u2003\u2009\u202f\u3000", " "),
    **dict.fromkeys(
        "\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d", "-"
    ),
    **dict.fromkeys("\u2018\u2019", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u2033\uff02", '"'),
    **dict.fromkeys("\u2044\u2215\uff0f", "/"),
    **dict.fromkeys("\uff1d", "="),
}


@dataclass
class RunRequest:
    """What a comment asks for: a pipeline file and its parameters."""

    pipeline: str  # "workflows/<file>.py", relative to the repository
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """What ``dsp parse-comment`` prints."""
        return {"pipeline": self.pipeline, "params": dict(self.params)}


# --- the comment grammar ------------------------------------------------------


def _char_name(char: str) -> str:
    return unicodedata.name(char, "unnamed character")


def first_line(body: str) -> str:
    """The comment's first line, after the size caps; the rest never counts."""
    if not isinstance(body, str):
        raise Refusal("the comment body is not text")
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > MAX_COMMENT_BYTES:
        raise Refusal(
            f"the comment is {size} bytes, over the {MAX_COMMENT_BYTES}-byte limit; "
            "post a short comment with just the /run-pipeline line"
        )
    line = re.split(r"\r\n|\r|\n", body, maxsplit=1)[0]
    if len(line) > MAX_LINE_CHARS:
        raise Refusal(
            f"the /run-pipeline line is {len(line)} characters, "
            f"over the {MAX_LINE_CHARS}-character limit"
        )
    return line


def _refuse_look_alikes(line: str) -> None:
    for index, char in enumerate(line):
        if char in _LOOK_ALIKES:
            raise Refusal(
                f"the comment has {char!r} ({_char_name(char)}, U+{ord(char):04X}) "
                f"at column {index + 1} where a plain {_LOOK_ALIKES[char]!r} is "
                "expected; retype it (phones and editors substitute look-alikes)"
            )
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp") and char != "\t":
            raise Refusal(
                f"the comment has the invisible character U+{ord(char):04X} "
                f"({_char_name(char)}) at column {index + 1}; remove it"
            )


def _plain(text: str) -> str:
    """``text`` with look-alikes as their ASCII originals and invisibles dropped."""
    return "".join(
        _LOOK_ALIKES.get(c, c) for c in text if unicodedata.category(c) != "Cf"
    )


def pipeline_path(token: str) -> str:
    """``workflows/<file>.py`` from the comment's token, checked as text."""
    if len(token) > MAX_PATH_CHARS:
        raise Refusal(
            f"the pipeline path is {len(token)} characters; at most {MAX_PATH_CHARS}"
        )
    if token.startswith(("/", "\\", "~")) or re.match(r"[A-Za-z]:", token):
        raise Refusal(
            f"pipeline {token!r} is an absolute path; name a file under "
            f"{WORKFLOWS}/, e.g. example_pipeline.py"
        )
    parts = token.replace("\\", "/").split("/")
    if ".." in parts or "." in parts:
        raise Refusal(
            f"pipeline {token!r} steps out with '..' or '.'; name a file under "
            f"{WORKFLOWS}/ directly"
        )
    if not _PATH.fullmatch(token):
        raise Refusal(
            f"pipeline {token!r} has characters other than letters, digits, "
            "'_', '-', '.' and '/'; name a file under workflows/"
        )
    if not token.endswith(".py"):
        raise Refusal(
            f"pipeline {token!r} is not a .py file; name the pipeline's Python "
            "file, e.g. example_pipeline.py"
        )
    relative = token[len(WORKFLOWS) + 1 :] if parts[0] == WORKFLOWS else token
    return f"{WORKFLOWS}/{relative}"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_no_constants)


MAX_JSON_DEPTH = 16


def _json_depth(line: str, index: int) -> int:
    """The deepest bracket nesting from ``index`` on, strings skipped.

    Checked before decoding so the refusal does not depend on the
    interpreter's recursion limit (which other libraries may raise).
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in line[index:]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                break
    return deepest


def _json_at(line: str, index: int, what: str) -> tuple[Any, int]:
    if _json_depth(line, index) > MAX_JSON_DEPTH:
        raise Refusal(
            f"{what} at column {index + 1} is nested too deeply "
            f"(more than {MAX_JSON_DEPTH} levels)"
        )
    try:
        value, end = _DECODER.raw_decode(line, index)
    except RecursionError:
        raise Refusal(f"{what} at column {index + 1} is nested too deeply") from None
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):
            raise Refusal(f"{what} at column {index + 1}: {exc}") from None
        raise Refusal(
            f"{what} at column {index + 1} is not valid JSON ({exc.msg} at column "
            f'{exc.pos + 1}); write params={{"name": "x", "value": "1"}}'
        ) from None
    return value, end


def _skip_spaces(line: str, index: int) -> int:
    while index < len(line) and line[index] in " \t":
        index += 1
    return index


def _params_objects(line: str, index: int) -> tuple[list[Any], int]:
    """The objects after ``params=``: ``{...}, {...}`` or ``[{...}, ...]``."""
    if index >= len(line) or line[index] in " \t":
        raise Refusal('params= is empty; write params={"name": "x", "value": "1"}')
    if line[index] == "[":
        return _json_at(line, index, "params")  # '[' always decodes to a list
    objects: list[Any] = []
    while True:
        if index >= len(line) or line[index] != "{":
            found = line[index : index + 20] or "the end of the line"
            raise Refusal(
                f'params expects a {{"name": ..., "value": ...}} object at column '
                f"{index + 1}, found {found!r}"
            )
        value, index = _json_at(line, index, "params")
        objects.append(value)
        after = _skip_spaces(line, index)
        if after < len(line) and line[after] == ",":
            index = _skip_spaces(line, after + 1)
            continue
        return objects, index


def _refuse_shell_text(value: Any, name: str, where: str) -> None:
    """Refuse shell metacharacters in any string inside ``value``.

    The comment never reaches a shell here, but a pipeline's components may
    put a parameter into ``sh -c``; a run from a comment must not be the way in.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_shell_text(key, name, where)
            _refuse_shell_text(item, name, where)
    elif isinstance(value, list):
        for item in value:
            _refuse_shell_text(item, name, where)
    elif isinstance(value, str):
        bad = next(
            (c for c in value if c in SHELL_METACHARACTERS or not c.isprintable()),
            None,
        )
        if bad is not None:
            raise Refusal(
                f"{where}: the value of {name!r} contains {bad!r}; values may not "
                f"contain {' '.join(SHELL_METACHARACTERS)} or control characters "
                "(pipeline components may hand them to a shell)"
            )


def _add_param(params: dict[str, Any], name: Any, value: Any, where: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise Refusal(
            f"{where}: parameter name {name!r} is not a Python identifier "
            "(letters, digits, '_'); use the pipeline function's argument name"
        )
    if len(name) > MAX_NAME_CHARS:
        raise Refusal(f"{where}: parameter name is over {MAX_NAME_CHARS} characters")
    if name in params:
        raise Refusal(f"{where}: parameter {name!r} is given twice; give it once")
    if len(params) >= MAX_PARAMS:
        raise Refusal(f"more than {MAX_PARAMS} parameters; pass at most {MAX_PARAMS}")
    if value is None or isinstance(value, float) and not math.isfinite(value):
        raise Refusal(f"{where}: parameter {name!r} has no usable value ({value!r})")
    _refuse_shell_text(value, name, where)
    size = len(json.dumps(value, ensure_ascii=False))
    if size > MAX_VALUE_CHARS:
        raise Refusal(
            f"{where}: the value of {name!r} is {size} characters; "
            f"at most {MAX_VALUE_CHARS}"
        )
    params[name] = value


def _command_start(body: str, line: str) -> int:
    """Where the pipeline file starts, after ``/run-pipeline``; else a refusal."""
    if not line.startswith(COMMAND):
        if line.lstrip().startswith(COMMAND):
            raise Refusal(f"{COMMAND} must be at the very start of the first line")
        if COMMAND in body:
            raise Refusal(
                f"{COMMAND} must start the comment's first line; only the first "
                "line is read"
            )
        if line.startswith("/") or _plain(line[:40]).startswith(COMMAND):
            _refuse_look_alikes(line)
        raise Refusal(
            f"the comment does not start with {COMMAND}; "
            f"write {COMMAND} <file>.py [params=...]"
        )
    _refuse_look_alikes(line)
    rest = line[len(COMMAND) :]
    if rest and rest[0] not in " \t":
        word = rest.split(None, 1)[0]
        raise Refusal(
            f"unknown command {COMMAND + word!r}; write {COMMAND} <file>.py "
            "with a space after the command"
        )
    index = _skip_spaces(line, len(COMMAND))
    if index >= len(line):
        raise Refusal(
            f"{COMMAND} needs the pipeline file: {COMMAND} <file>.py [params=...]"
        )
    return index


def _token_end(line: str, index: int) -> int:
    while index < len(line) and line[index] not in " \t":
        index += 1
    return index


def _params_token(line: str, index: int, params: dict[str, Any]) -> int:
    """Read ``params=<objects>`` at ``index``; where the next token may start."""
    objects, index = _params_objects(line, index + len("params="))
    for number, item in enumerate(objects, 1):
        where = f"params object {number}"
        if not isinstance(item, dict) or set(item) != {"name", "value"}:
            raise Refusal(
                f'{where} must be {{"name": ..., "value": ...}} with just '
                f"those two keys, found {json.dumps(item)[:80]}"
            )
        _add_param(params, item["name"], item["value"], where)
    if index < len(line) and line[index] not in " \t":
        raise Refusal(
            f"unexpected {line[index:index + 20]!r} after params at column "
            f"{index + 1}; separate the objects with ', '"
        )
    return index


def _name_value_token(line: str, index: int, params: dict[str, Any]) -> int:
    """Read ``name=value`` (a JSON value or a bare word) at ``index``."""
    match = _NAME.match(line, index)
    if not match or not line.startswith("=", match.end()):
        token = line[index:].split(None, 1)[0]
        raise Refusal(
            f"unexpected {token[:40]!r} at column {index + 1}; write parameters "
            'as name=value or params={"name": ..., "value": ...}'
        )
    name, index = match.group(), match.end() + 1
    if index < len(line) and line[index] in '"[{':
        value, index = _json_at(line, index, f"the value of {name!r}")
        if index < len(line) and line[index] not in " \t":
            raise Refusal(
                f"unexpected {line[index:index + 20]!r} after the value of "
                f"{name!r} at column {index + 1}"
            )
    else:
        end = _token_end(line, index)
        value, index = line[index:end], end
    _add_param(params, name, value, f"parameter {name}")
    return index


def parse_comment(body: str) -> RunRequest:
    """Parse a ``/run-pipeline`` comment; refuse anything else with the reason.

    Checks the text only; :func:`precommit_hooks.access.chatops.check_against_repo`
    checks the file and the parameters against the repository.
    """
    line = first_line(body)
    index = _command_start(body, line)
    end = _token_end(line, index)
    request = RunRequest(pipeline_path(line[index:end]))
    index = end
    while True:
        index = _skip_spaces(line, index)
        if index >= len(line):
            return request
        if line.startswith("params=", index):
            index = _params_token(line, index, request.params)
        else:
            index = _name_value_token(line, index, request.params)
