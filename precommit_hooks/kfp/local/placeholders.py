"""A step's command line with its placeholders filled, as KFP's launcher fills them.

A v1 ``component.yaml`` compiles to IR placeholders in the executor's
``command``/``args``: ``{inputValue: x}`` is ``{{$.inputs.parameters['x']}}``,
``{inputPath: x}`` is ``{{$.inputs.artifacts['x'].path}}``, ``{outputPath: x}``
is ``{{$.outputs.artifacts['x'].path}}`` (or ``.parameters['x'].output_file``
for a parameter output), and ``{if: ...}``/``{concat: ...}`` are JSON words
``{"IfPresent": ...}``/``{"Concat": [...]}``.  Values become text as the
launcher's ``PbValueToText`` does: numbers with Go's ``FormatFloat(v, 'f',
-1)`` (``1.0`` is ``1``), booleans ``true``/``false``, lists and structs JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from precommit_hooks.core.files import json_or_none
from precommit_hooks.core.findings import Refusal

PLACEHOLDER = re.compile(r"\{\{\$[^}]*\}\}")
IO = re.compile(
    r"\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']+)'\]"
    r"(?:\.(path|uri|output_file))?\}\}\Z"
)


@dataclass
class Bindings:
    """What a step's placeholders stand for in this run."""

    task: str
    parameters: dict[str, Any] = field(default_factory=dict)
    input_paths: dict[str, str] = field(default_factory=dict)
    output_paths: dict[str, str] = field(default_factory=dict)
    parameter_files: dict[str, str] = field(default_factory=dict)
    job: dict[str, str] = field(default_factory=dict)
    output_file: str = ""  # the executor output the step may write ({{$}})


def executor_input(bindings: Bindings) -> str:
    """``{{$}}``: the executor input JSON the launcher hands a step.

    Locally an artifact's URI is its path; ``outputFile`` is where the step
    may write its executor output (metadata of Metrics and the like).
    """

    def artifacts(paths: dict[str, str]) -> dict[str, Any]:
        return {
            name: {"artifacts": [{"name": name, "uri": path, "metadata": {}}]}
            for name, path in paths.items()
        }

    value = {
        "inputs": {
            "parameterValues": bindings.parameters,
            "artifacts": artifacts(bindings.input_paths),
        },
        "outputs": {
            "parameters": {
                name: {"outputFile": path}
                for name, path in bindings.parameter_files.items()
            },
            "artifacts": artifacts(bindings.output_paths),
            "outputFile": bindings.output_file,
        },
    }
    return json.dumps(value, sort_keys=True)


def as_text(value: Any) -> str:
    """A parameter value as the launcher writes it on a command line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = format(Decimal(repr(float(value))).normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _one(match: str, bindings: Bindings) -> str:
    """The text of one placeholder, or a refusal naming it."""
    if match == "{{$}}":
        return executor_input(bindings)
    io = IO.match(match)
    if io:
        direction, kind, name, attribute = io.groups()
        table = {
            ("inputs", "parameters", None): bindings.parameters,
            ("inputs", "artifacts", "path"): bindings.input_paths,
            ("inputs", "artifacts", "uri"): bindings.input_paths,
            ("outputs", "artifacts", "path"): bindings.output_paths,
            ("outputs", "artifacts", "uri"): bindings.output_paths,
            ("outputs", "parameters", "output_file"): bindings.parameter_files,
        }.get((direction, kind, attribute))
        if table is not None and name in table:
            value = table[name]
            return as_text(value) if table is bindings.parameters else str(value)
    key = match[4:-2]  # {{$.pipeline_job_name}} -> pipeline_job_name
    if key in bindings.job:
        return bindings.job[key]
    raise Refusal(
        f"step {bindings.task!r}: the placeholder {match} has no local value; "
        "local runs fill inputs, outputs and pipeline_job/task names"
    )


def fill(word: str, bindings: Bindings) -> str:
    """``word`` with every ``{{$...}}`` replaced."""
    return PLACEHOLDER.sub(lambda m: _one(m.group(0), bindings), word)


def expand(word: str, bindings: Bindings) -> list[str]:
    """The command-line words ``word`` stands for (IfPresent may give none)."""
    structure = _structure(word)
    if structure is None:
        return [fill(word, bindings)]
    return _expand_structure(structure, bindings)


def _structure(word: str) -> dict | None:
    value = json_or_none(word) if word.startswith('{"') else None
    if isinstance(value, dict) and set(value) & {"IfPresent", "Concat"}:
        return value
    return None


def _expand_structure(value: Any, bindings: Bindings) -> list[str]:
    if isinstance(value, str):
        return expand(value, bindings)
    if isinstance(value, list):
        return [word for item in value for word in _expand_structure(item, bindings)]
    if isinstance(value, dict) and "Concat" in value:
        return ["".join(_expand_structure(value["Concat"], bindings))]
    if isinstance(value, dict) and "IfPresent" in value:
        branch = value["IfPresent"]
        name = branch.get("InputName")
        present = name in bindings.parameters or name in bindings.input_paths
        chosen = branch.get("Then") if present else branch.get("Else")
        return _expand_structure(chosen, bindings) if chosen is not None else []
    raise Refusal(
        f"step {bindings.task!r}: cannot read the command-line structure "
        f"{json.dumps(value)[:80]}"
    )


def command_line(words: list[str], bindings: Bindings) -> list[str]:
    """Every word of an executor's ``command`` + ``args``, filled."""
    return [out for word in words for out in expand(word, bindings)]
