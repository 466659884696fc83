"""Placeholders (``{inputValue: x}``, ``{{$.inputs.parameters['x']}}``) resolve."""

from __future__ import annotations

import re
from typing import Any, Iterator

from precommit_hooks.core import yamldata
from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components.model import (
    HOOK,
    Component,
    Container,
    Context,
    Pos,
    key_pos,
    mapping_at,
    pos_of,
    suggestion,
)

INPUT_PLACEHOLDERS = (
    "inputValue",
    "inputPath",
    "inputUri",
    "isPresent",
    "inputMetadata",
    "inputOutputPortName",
)
OUTPUT_PLACEHOLDERS = ("outputPath", "outputUri")
OTHER_PLACEHOLDERS = ("concat", "if", "executorInput", "outputMetadata")
ALL_PLACEHOLDERS = INPUT_PLACEHOLDERS + OUTPUT_PLACEHOLDERS + OTHER_PLACEHOLDERS
_V2_PLACEHOLDER = re.compile(
    r"\{\{\$\.(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\]"
)
RULE = "component-placeholder"


def _roots(container: dict) -> Iterator[tuple[Any, Pos | None]]:
    """The command, args and env values of a v1 container, with positions."""
    for key in ("command", "args"):
        if isinstance(container.get(key), list):
            yield container[key], pos_of(container, key)
    env = container.get("env")
    if isinstance(env, dict):
        for name, value in env.items():
            yield value, pos_of(env, name)


def if_arguments(container: dict) -> Iterator[dict]:
    """Every ``{if: {...}}`` argument mapping in a v1 container."""
    stack = [value for value, _ in _roots(container)]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict) and len(value) == 1:
            ((kind, arg),) = value.items()
            if kind == "if" and isinstance(arg, dict):
                yield arg
                stack.extend(arg[k] for k in ("cond", "then", "else") if k in arg)
            elif kind == "concat":
                stack.append(arg)


class _V1Walk:
    """Walks command/args/env of a v1 container and checks each placeholder."""

    def __init__(self, ctx: Context, component: Component) -> None:
        self.ctx, self.inputs, self.outputs = ctx, component.inputs, component.outputs

    def walk(self, value: Any, pos: Pos | None) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.walk(item, yamldata.pos_of(value, index) or pos)
            return
        if not isinstance(value, dict):
            return
        if len(value) != 1:
            shown = ", ".join(map(str, value)) or "an empty mapping"
            self.ctx.add(
                pos, RULE, f"a placeholder is a mapping with one key, got {shown}"
            )
            return
        ((kind, arg),) = value.items()
        arg_pos = pos_of(value, kind) or pos
        if kind in INPUT_PLACEHOLDERS:
            self.reference(kind, arg, arg_pos, "input")
        elif kind in OUTPUT_PLACEHOLDERS:
            self.reference(kind, arg, arg_pos, "output")
        elif kind == "concat":
            if not isinstance(arg, list):
                got = yamldata.type_name(arg)
                self.ctx.add(arg_pos, RULE, f"concat takes a list, got {got}")
            self.walk(arg, arg_pos)
        elif kind == "if":
            self.if_placeholder(arg, arg_pos)
        elif kind not in OTHER_PLACEHOLDERS:
            self.ctx.add(
                key_pos(value, kind),
                RULE,
                f"unknown placeholder {{{kind}: ...}}"
                + suggestion(kind, ALL_PLACEHOLDERS),
            )

    def if_placeholder(self, arg: Any, pos: Pos | None) -> None:
        if not isinstance(arg, dict):
            self.ctx.add(
                pos,
                RULE,
                "if takes a mapping {cond: ..., then: [...], else: [...]}, got "
                f"{yamldata.type_name(arg)}",
            )
            return
        if "cond" not in arg:
            self.ctx.add(pos, RULE, "if placeholder has no 'cond'")
        for key in ("cond", "then", "else"):
            if key in arg:
                self.walk(arg[key], pos_of(arg, key))

    def reference(self, kind: str, name: Any, pos: Pos | None, what: str) -> None:
        own, other = (
            (self.inputs, self.outputs)
            if what == "input"
            else (self.outputs, self.inputs)
        )
        if not isinstance(name, str):
            got = yamldata.type_name(name)
            self.ctx.add(pos, RULE, f"{{{kind}: ...}} must name an {what}, got {got}")
            return
        if name in own:
            return
        if name in other:
            if what == "input":
                hint = f"; {name!r} is an output: use outputPath"
            else:
                hint = f"; {name!r} is an input: use inputValue or inputPath"
        else:
            defined = ", ".join(sorted(own)) or "none"
            hint = suggestion(name, own) or f" ({what}s: {defined})"
        self.ctx.add(
            pos, RULE, f"{{{kind}: {name}}} names no {what} of this component{hint}"
        )


def _file_outputs(ctx: Context, component: Component, container: dict) -> None:
    file_outputs = container.get("fileOutputs")
    for name in file_outputs if isinstance(file_outputs, dict) else ():
        if name not in component.outputs:
            ctx.add(
                key_pos(file_outputs, name),
                RULE,
                f"fileOutputs entry {name!r} names no output"
                + suggestion(name, component.outputs),
            )


def _definitions(component: Any, side: str) -> dict[str, set[str]]:
    defs = mapping_at(component, side)
    return {kind: set(mapping_at(defs, kind)) for kind in ("parameters", "artifacts")}


def _v2(ctx: Context, container: Container, name: str, component: Any) -> None:
    defined = {
        "inputs": _definitions(component, "inputDefinitions"),
        "outputs": _definitions(component, "outputDefinitions"),
    }
    for key in ("command", "args"):
        values = container.mapping.get(key)
        for index, value in enumerate(values if isinstance(values, list) else []):
            if not isinstance(value, str):
                continue
            for side, kind, ref in _V2_PLACEHOLDER.findall(value):
                if ref not in defined[side][kind]:
                    ctx.add(
                        yamldata.pos_of(values, index),
                        RULE,
                        f"executor {container.label!r} uses {side}.{kind}[{ref!r}], "
                        f"which component {name!r} does not define in "
                        f"{side[:-1]}Definitions.{kind}"
                        + suggestion(ref, defined[side][kind]),
                    )


@rule(HOOK, RULE)
def placeholders(ctx: Context, component: Component) -> None:
    """A placeholder that names no input or output, or is not a placeholder.

    kfp loads ``{inputValue: learning_rte}`` and the run fails later; the
    finding names the inputs (or outputs) there are and the closest one. An
    input used as an output (``{inputValue: model}`` for an output) says
    which placeholder to use. In compiled v2 YAML, every
    ``{{$.inputs.parameters['x']}}`` in an executor must be defined by each
    component that runs it.
    """
    if component.kind == "v1":
        walker = _V1Walk(ctx, component)
        for container in component.containers:
            for value, pos in _roots(container.mapping):
                walker.walk(value, pos)
            _file_outputs(ctx, component, container.mapping)
    elif component.kind == "v2":
        components = mapping_at(component.spec, "components")
        for container in component.containers:
            for name in container.users:
                _v2(ctx, container, name, components[name])
