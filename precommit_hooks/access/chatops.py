"""``/run-pipeline`` pull-request comments: who may run, and what to run.

A comment is untrusted text from the internet.  It never reaches a shell:
Tekton hands it to ``dsp parse-comment`` as a file on stdin, and everything
here is parsed in Python with fixed caps, so the worst a comment can do is be
refused with a reason.  The grammar, on the comment's first line only::

    /run-pipeline <file>.py [params=<objects>] [name=value ...]

``<file>`` is a ``.py`` file under ``workflows/`` (``example_pipeline.py`` or
``workflows/example_pipeline.py``); ``<objects>`` is one or more
``{"name": ..., "value": ...}`` JSON objects separated by commas, optionally
inside ``[...]``, read with a JSON decoder (never split on spaces); a plain
``name=value`` token is a parameter too.  With ``--repo`` the file must exist
there, and every name must be an input of the pipeline (read from its
compiled spec) with a value that fits the input's type.

``dsp authorize`` decides who: a new comment (``issue_comment`` ``created``)
on a pull request, by someone listed in ``profiles.yaml`` with their
``github`` login who is an OWNER, MEMBER or COLLABORATOR of the repository;
optionally it also verifies the webhook's ``X-Hub-Signature-256``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from precommit_hooks.core.findings import (
    Refusal,
    json_problem,
    print_json,
    refuse_special_file,
)

COMMAND = "/run-pipeline"
MAX_COMMENT_BYTES = 4096  # the EventListener's CEL filter uses the same cap
MAX_LINE_CHARS = 2048
MAX_PATH_CHARS = 200
MAX_PARAMS = 32
MAX_NAME_CHARS = 64
MAX_VALUE_CHARS = 1024
MAX_PAYLOAD_BYTES = 25 << 20  # GitHub's own cap on webhook payloads
WORKFLOWS = "workflows"
SHELL_METACHARACTERS = "`$;|&<>\\"
ALLOWED_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")

# Characters phones and word processors substitute for ASCII ones.  A command
# that looks right but is not must say why it was refused, not vanish.
_LOOK_ALIKES = {
    "\u00a0": " ",
    "\u00ad": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2043": "-",
    "\u2212": "-",
    "\ufe58": "-",
    "\ufe63": "-",
    "\uff0d": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\uff02": '"',
    "\u2044": "/",
    "\u2215": "/",
    "\uff0f": "/",
    "\uff1d": "=",
    "\u2000": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u3000": " ",
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


def parse_comment(body: str) -> RunRequest:
    """Parse a ``/run-pipeline`` comment; refuse anything else with the reason.

    Checks the text only; :func:`check_against_repo` checks the file and the
    parameters against the repository.
    """
    line = first_line(body)
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
    end = index
    while end < len(line) and line[end] not in " \t":
        end += 1
    request = RunRequest(pipeline_path(line[index:end]))
    index = end
    while True:
        index = _skip_spaces(line, index)
        if index >= len(line):
            return request
        if line.startswith("params=", index):
            objects, index = _params_objects(line, index + len("params="))
            for number, item in enumerate(objects, 1):
                where = f"params object {number}"
                if not isinstance(item, dict) or set(item) != {"name", "value"}:
                    raise Refusal(
                        f'{where} must be {{"name": ..., "value": ...}} with just '
                        f"those two keys, found {json.dumps(item)[:80]}"
                    )
                _add_param(request.params, item["name"], item["value"], where)
            if index < len(line) and line[index] not in " \t":
                raise Refusal(
                    f"unexpected {line[index:index + 20]!r} after params at column "
                    f"{index + 1}; separate the objects with ', '"
                )
            continue
        match = _NAME.match(line, index)
        if not match or not line.startswith("=", match.end()):
            token = line[index:].split(None, 1)[0]
            raise Refusal(
                f"unexpected {token[:40]!r} at column {index + 1}; write parameters "
                'as name=value or params={"name": ..., "value": ...}'
            )
        name, index = match.group(), match.end() + 1
        where = f"parameter {name}"
        if index < len(line) and line[index] in '"[{':
            value, index = _json_at(line, index, f"the value of {name!r}")
            if index < len(line) and line[index] not in " \t":
                raise Refusal(
                    f"unexpected {line[index:index + 20]!r} after the value of "
                    f"{name!r} at column {index + 1}"
                )
        else:
            end = index
            while end < len(line) and line[end] not in " \t":
                end += 1
            value, index = line[index:end], end
        _add_param(request.params, name, value, where)


# --- values against the pipeline's inputs ------------------------------------


def _as_json_text(value: Any, kind: type, what: str) -> Any:
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, kind):
            return parsed
    raise Refusal(f"{what} must be a JSON {kind.__name__}, got {value!r}")


def typed_value(name: str, input_type: str, value: Any) -> Any:
    """``value`` converted to the pipeline input's IR type, or a refusal.

    Text from a comment is accepted when it reads as that type (``"206"`` for
    an integer); JSON values must already be of the type.
    """
    what = f"parameter {name!r} ({input_type.lower()})"
    if input_type == "STRING":
        if isinstance(value, str):
            return value
        raise Refusal(f"{what} must be a string, got {json.dumps(value)}")
    if input_type == "NUMBER_INTEGER":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.fullmatch(value.strip()):
            return int(value)
        raise Refusal(f"{what} must be a whole number, got {value!r}")
    if input_type == "NUMBER_DOUBLE":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and len(value) <= 40:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return number
        raise Refusal(f"{what} must be a finite number, got {value!r}")
    if input_type == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise Refusal(f"{what} must be true or false, got {value!r}")
    if input_type == "LIST":
        return _as_json_text(value, list, what)
    if input_type == "STRUCT":
        return _as_json_text(value, dict, what)
    raise Refusal(
        f"parameter {name!r} is a {input_type} artifact input; artifacts cannot be "
        "passed in a comment"
    )


def check_params(
    params: dict[str, Any], specs: dict[str, dict[str, Any]], pipeline: str
) -> dict[str, Any]:
    """Typed values for ``params``; every name an input, every required input set."""
    known = ", ".join(sorted(specs)) or "none"
    typed: dict[str, Any] = {}
    for name, value in params.items():
        if name not in specs:
            raise Refusal(
                f"unknown parameter {name!r}: {pipeline} has the inputs {known}"
            )
        typed[name] = typed_value(name, str(specs[name]["type"]), value)
    missing = [
        name
        for name, spec in sorted(specs.items())
        if name not in params and not spec.get("optional") and "default" not in spec
    ]
    if missing:
        raise Refusal(
            f"{pipeline} needs a value for {', '.join(map(repr, missing))} "
            "(no default); add it as name=value"
        )
    return typed


def resolve_pipeline(repo: str, pipeline: str) -> str:
    """The pipeline file inside ``repo``, refusing symlinks that lead outside."""
    root = os.path.realpath(os.path.join(repo, WORKFLOWS))
    if not os.path.isdir(root):
        raise Refusal(f"{repo} has no {WORKFLOWS}/ folder; is --repo the checkout?")
    candidate = os.path.join(repo, pipeline)
    real = os.path.realpath(candidate)
    if os.path.commonpath([root, real]) != root:
        raise Refusal(
            f"{pipeline} resolves to {real}, outside {WORKFLOWS}/ "
            "(a symbolic link?); name a file inside workflows/"
        )
    if not os.path.isfile(real):
        raise Refusal(
            f"{pipeline} does not exist in the pull request's checkout; "
            "check the file name"
        )
    return real


def pipeline_input_specs_of(
    path: str, output: str | None = None
) -> dict[str, dict[str, Any]]:
    """Compile the pipeline (in a subprocess) and read its inputs' specs.

    ``output`` also keeps the compiled pipeline YAML there (written atomically).
    """
    from precommit_hooks.kfp import compile as pipelines

    compiled, found = pipelines.compile_pipeline(path, output=output)
    if compiled is None:
        reason = found[0].text() if found else "it does not compile"
        raise Refusal(f"the pipeline does not compile: {reason}")
    return pipelines.pipeline_input_specs(compiled)


def check_against_repo(
    request: RunRequest,
    repo: str,
    read_inputs: Callable[[str], dict[str, dict[str, Any]]] = pipeline_input_specs_of,
) -> RunRequest:
    """The request with its file checked in ``repo`` and its values typed."""
    real = resolve_pipeline(repo, request.pipeline)
    specs = read_inputs(real)
    check_params(request.params, specs, request.pipeline)
    return request


def _check_output_file(path: str) -> None:
    """Refuse an output path that cannot take a file: a folder, or no folder."""
    if os.path.isdir(path):
        raise Refusal(
            f"--compiled-output {path}: is a folder; name the YAML file to write"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise Refusal(
            f"--compiled-output {path}: the folder {folder} does not exist or is a "
            "file; create the folder first"
        )


def _parse_comment_command(args: argparse.Namespace) -> int:
    if args.compiled_output and not args.repo:
        raise Refusal("--compiled-output needs --repo (the checkout to compile)")
    if args.compiled_output:  # refused now, not after a compile of many seconds
        _check_output_file(args.compiled_output)
    if sys.stdin is None:  # started with stdin closed (<&-)
        raise Refusal("no comment on stdin; pipe the comment body into the command")
    data = sys.stdin.buffer.read(MAX_COMMENT_BYTES + 1)
    if len(data) > MAX_COMMENT_BYTES:
        raise Refusal(
            f"the comment is over the {MAX_COMMENT_BYTES}-byte limit; "
            "post a short comment with just the /run-pipeline line"
        )
    try:
        body = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(f"the comment is not UTF-8 text (byte {exc.start})") from None
    request = parse_comment(body)
    if args.repo:
        output = os.path.abspath(args.compiled_output) if args.compiled_output else None
        check_against_repo(
            request, args.repo, lambda path: pipeline_input_specs_of(path, output)
        )
    print_json(request.as_json())
    return 0


def configure_parse_comment(parser: argparse.ArgumentParser) -> None:
    """``dsp parse-comment [--repo DIR]``: the comment body on stdin."""
    parser.add_argument(
        "--repo",
        default=None,
        help="checkout to check the pipeline file and its inputs against",
    )
    parser.add_argument(
        "--compiled-output",
        default=None,
        help="with --repo: also write the compiled pipeline YAML to this file",
    )
    parser.set_defaults(func=_parse_comment_command)


# --- who may run --------------------------------------------------------------


def verify_signature(body: bytes, signature: str, secret: bytes) -> None:
    """Check GitHub's ``X-Hub-Signature-256`` over the raw body (constant time)."""
    if not secret:
        raise Refusal("the webhook secret is empty; set the secret's variable")
    match = _SIGNATURE.fullmatch((signature or "").strip())
    if not match:
        raise Refusal(
            "the signature is not 'sha256=<64 hex digits>' "
            "(GitHub's X-Hub-Signature-256 header)"
        )
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(1)):
        raise Refusal(
            "the webhook signature does not match the body: not sent by GitHub "
            "with this secret"
        )


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def authorize_event(event: Any, profiles: Any) -> dict[str, Any]:
    """``{"pr", "commenter", "repo"}`` when the event may start a run.

    ``profiles`` is a loaded :class:`precommit_hooks.access.profiles.Profiles`.
    """
    if not isinstance(event, dict) or not isinstance(event.get("comment"), dict):
        raise Refusal("the payload is not an issue_comment event (no 'comment')")
    action = event.get("action")
    if action != "created":
        raise Refusal(
            f"the comment was {action}, not created: only a new comment starts a "
            "run; post a new comment"
        )
    issue = event.get("issue")
    number = _get(event, "issue", "number")
    if not isinstance(issue, dict) or not isinstance(number, int):
        raise Refusal("the payload has no issue number")
    if not issue.get("pull_request"):
        raise Refusal(
            f"#{number} is an issue, not a pull request: comment on the pull request"
        )
    login = _get(event, "comment", "user", "login")
    if not isinstance(login, str) or not login:
        raise Refusal("the payload names no commenter (comment.user.login)")
    sender = _get(event, "sender", "login")
    if sender is not None and sender != login:
        raise Refusal(f"the sender {sender!r} is not the commenter {login!r}")
    if _get(event, "comment", "user", "type") == "Bot":
        raise Refusal(f"{login!r} is a bot; only people start pipeline runs")
    association = event["comment"].get("author_association")
    if association not in ALLOWED_ASSOCIATIONS:
        raise Refusal(
            f"{login!r} is {association or 'not associated'} on this repository; "
            f"only {', '.join(ALLOWED_ASSOCIATIONS)} may run pipelines"
        )
    member = profiles.by_github(login)
    if member is None:
        raise Refusal(
            f"{login!r} is not in {profiles.path or 'profiles.yaml'}; an admin adds "
            "them as {email, github} under admins or contributors"
        )
    repo = _get(event, "repository", "full_name")
    if not isinstance(repo, str):
        raise Refusal("the payload has no repository.full_name")
    return {"pr": number, "commenter": login, "repo": repo}


def _read_capped(path: str, what: str) -> bytes:
    refuse_special_file(path, f"{what} file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PAYLOAD_BYTES + 1)
    except OSError as exc:
        raise Refusal(f"cannot read the {what} {path}: {exc.strerror}") from None
    if len(data) > MAX_PAYLOAD_BYTES:
        raise Refusal(f"the {what} {path} is over {MAX_PAYLOAD_BYTES} bytes")
    return data


def _json_payload(data: bytes, path: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is one
        raise Refusal(
            f"{path} is not a JSON webhook payload: {json_problem(exc)}"
        ) from None


# No file given yet; a payload that is JSON null is an event, and refused as one.
_NO_EVENT = object()


def _authorize_command(args: argparse.Namespace) -> int:
    from precommit_hooks.access.profiles import load_profiles

    signed = (args.body_file, args.signature, args.secret_env)
    if any(signed) and not all(signed):
        raise Refusal(
            "to verify the signature pass --body-file, --signature and --secret-env"
        )
    event: Any = _NO_EVENT
    if args.body_file:
        raw = _read_capped(args.body_file, "signed body")
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            raise Refusal(f"the variable {args.secret_env} holding the secret is unset")
        verify_signature(raw, args.signature, secret.encode("utf-8"))
        event = _json_payload(raw, args.body_file)
    if args.payload:
        payload = _json_payload(_read_capped(args.payload, "payload"), args.payload)
        if event is not _NO_EVENT and payload != event:
            raise Refusal(f"{args.payload} is not the signed body {args.body_file}")
        event = payload
    if event is _NO_EVENT:
        raise Refusal("pass the event with --payload (or --body-file)")
    profiles, found = load_profiles(args.profiles)
    if profiles is None:
        first = found[0].text() if found else f"{args.profiles}: unreadable"
        raise Refusal(f"profiles file refused: {first}")
    print_json(authorize_event(event, profiles))
    return 0


def configure_authorize(parser: argparse.ArgumentParser) -> None:
    """``dsp authorize --payload event.json --profiles profiles.yaml [...]``."""
    parser.add_argument("--payload", help="the webhook event (JSON file)")
    parser.add_argument("--profiles", required=True, help="profiles.yaml to trust")
    parser.add_argument("--body-file", help="the raw request body GitHub signed")
    parser.add_argument("--signature", help="X-Hub-Signature-256 header value")
    parser.add_argument(
        "--secret-env", help="environment variable holding the webhook secret"
    )
    parser.set_defaults(func=_authorize_command)
