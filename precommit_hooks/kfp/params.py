"""Pipeline parameters typed as the pipeline declares them.

The one door between ChatOps and kfp: :func:`compiled_input_specs` reads a
pipeline's declared inputs (compiling it in a subprocess) and
:func:`check_params` types values against them, for ``dsp parse-comment``
(values typed in a pull-request comment) and ``dsp pipeline run`` (values
from a file).  A value is accepted when it is, or reads as, the input's type
in KFP's IR (``NUMBER_INTEGER``, ...), and messages name the type in the
user's terms (``integer``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.text import is_number

# KFP's IR parameter types, as a user calls them.
USER_TYPES = {
    "STRING": "string",
    "NUMBER_INTEGER": "integer",
    "NUMBER_DOUBLE": "float",
    "BOOLEAN": "boolean",
    "LIST": "list",
    "STRUCT": "dict",
}

_INT = re.compile(r"[+-]?[0-9]{1,18}")


def user_type(input_type: str) -> str:
    """``integer`` for ``NUMBER_INTEGER``; unknown types as written, lowercased."""
    return USER_TYPES.get(input_type, input_type.lower())


def _as_json_text(value: Any, kind: type, what: str) -> Any:
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, kind):
            return parsed
    raise Refusal(f"{what} must be a JSON {user_type_of(kind)}, got {value!r}")


def user_type_of(kind: type) -> str:
    return "list" if kind is list else "object"


def _number(value: Any, what: str) -> float:
    if is_number(value):
        return float(value)
    if isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    raise Refusal(f"{what} must be a finite number, got {value!r}")


def typed_value(name: str, input_type: str, value: Any) -> Any:
    """``value`` converted to the pipeline input's IR type, or a refusal.

    Text is accepted when it reads as that type (``"206"`` for an integer);
    JSON values must already be of the type.
    """
    what = f"parameter {name!r} ({user_type(input_type)})"
    if input_type == "STRING":
        if isinstance(value, str):
            return value
        raise Refusal(f"{what} must be a string, got {json.dumps(value)}")
    if input_type == "NUMBER_INTEGER":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.fullmatch(value.strip()):
            return int(value)
        raise Refusal(f"{what} must be an integer (a whole number), got {value!r}")
    if input_type == "NUMBER_DOUBLE":
        return _number(value, what)
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
        f"parameter {name!r} is a {input_type.lower()} artifact input; artifacts "
        "cannot be passed as parameters"
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


def compiled_input_specs(
    path: str, output: str | None = None
) -> dict[str, dict[str, Any]]:
    """Compile the pipeline (in a subprocess) and read its inputs' specs.

    ``output`` also keeps the compiled pipeline YAML there (written atomically).
    """
    from precommit_hooks.kfp import compile as pipelines  # kfp only when asked

    compiled, found = pipelines.compile_pipeline(path, output=output)
    if compiled is None:
        reason = found[0].text() if found else "it does not compile"
        raise Refusal(f"the pipeline does not compile: {reason}")
    return pipelines.pipeline_input_specs(compiled)
