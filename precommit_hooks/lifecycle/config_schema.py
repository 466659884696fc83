"""``[tool.dsp.*]`` tables checked against the JSON Schemas shipped in ``schemas/``.

A schema says what a table may hold; each of its keywords carries the
one-line refusal a user reads (``x-messages``, keyed by the JSON Schema
keyword, ``*`` for any).  An unknown key gets a did-you-mean.  The first
problem is the refusal: a key's own problems before rules across keys,
shallowest first.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Iterable

from precommit_hooks.core.text import did_you_mean

# Which problem a person should read first at the same depth.
_PRIORITY = {"additionalProperties": 0, "type": 1, "required": 2}
# Rules across keys come after every problem with a key itself.
_ACROSS_KEYS = ("anyOf", "dependentRequired")


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``precommit_hooks/schemas/``."""
    text = resources.files("precommit_hooks").joinpath("schemas", name).read_text()
    return json.loads(text)


GUESS = '; did you mean "{}"?'  # config and cases messages quote JSON-style


def unknown_key_hint(key: str, allowed: Iterable[str]) -> str:
    """``'; did you mean "x"?'``, or the allowed keys when none is close."""
    names = sorted(allowed)
    return did_you_mean(key, names, form=GUESS) or "; allowed keys: " + ", ".join(names)


def _where(table: str, path: list[Any], on_value: bool) -> str:
    keys = [str(p) for p in path if not isinstance(p, int)]
    if on_value and keys:
        return f"[{'.'.join([table, *keys[:-1]])}] {keys[-1]}"
    return f"[{'.'.join([table, *keys])}]"


def _unknown_key(error: Any, table: str) -> str:
    allowed = error.schema.get("properties", {})
    unknown = next(k for k in error.instance if k not in allowed)
    where = _where(table, list(error.absolute_path), False)
    return f"{where} has an unknown key {unknown!r}" + unknown_key_hint(
        unknown, allowed
    )


def _message(error: Any, table: str) -> str:
    if error.validator == "additionalProperties" and error.schema.get("properties"):
        return _unknown_key(error, table)
    messages = error.schema.get("x-messages", {})
    template = messages.get(error.validator) or messages.get("*")
    on_value = error.validator not in ("required", "anyOf", "dependentRequired")
    where = _where(table, list(error.absolute_path), on_value)
    if template is None:  # a schema without a message for this keyword
        return f"{where}: {error.message}"
    return template.format(where=where, value=repr(error.instance))


def schema_problem(data: Any, schema_name: str, table: str) -> str | None:
    """The one-line problem of ``data`` (the table ``table``), or None."""
    import jsonschema  # only when a config is read

    schema = load_schema(schema_name)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(
        validator.iter_errors(data),
        key=lambda e: (
            e.validator in _ACROSS_KEYS,
            len(e.absolute_path),
            _PRIORITY.get(e.validator, 3),
        ),
    )
    return _message(errors[0], table) if errors else None
