"""kfp's own verdict: the file loads as ``load_component_from_file`` loads it."""

from __future__ import annotations

import re
from typing import Any

from precommit_hooks.core import yamldata

from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components.model import (
    HOOK,
    Component,
    Context,
    Pos,
    key_pos,
    pos_of,
)

RULE = "kfp-loader"
# kfp error messages can embed the whole component; keep findings one line.
MAX_KFP_MESSAGE = 300
# kfp's IR type names, in the words a component's author uses.
_USER_TYPES = {
    "NUMBER_INTEGER": "integer",
    "NUMBER_DOUBLE": "float",
    "STRING": "string",
    "BOOLEAN": "boolean",
    "LIST": "list",
    "STRUCT": "mapping",
}
_IR_TYPE = re.compile(r"\b(" + "|".join(_USER_TYPES) + r")\b")


def one_line(message: str) -> str:
    """A library's message as one line of at most ``MAX_KFP_MESSAGE`` characters."""
    message = " ".join(str(message).split())
    message = _IR_TYPE.sub(lambda m: _USER_TYPES[m.group(1)], message)
    if len(message) > MAX_KFP_MESSAGE:
        message = message[:MAX_KFP_MESSAGE] + "..."
    return message


def kfp_verdict(documents: list, text: str) -> str | None:
    """None when kfp accepts the component, else kfp's error as ``Type: message``.

    :class:`~precommit_hooks.kfp.internals.KfpInternalsError` (kfp moved a
    step we replay) is not a verdict on the file and is raised.
    """
    from precommit_hooks.kfp import internals

    try:
        internals.load_component(documents, text)
    except internals.KfpInternalsError:
        raise
    except RecursionError:
        return "RecursionError: nesting too deep"
    except Exception as exc:  # noqa: BLE001 - any kfp failure is its verdict
        return f"{type(exc).__name__}: {one_line(str(exc))}"
    return None


def _concat_with_if(value: Any, pos: Pos | None) -> Pos | None:
    """The first ``{concat: [...]}`` holding an ``{if: ...}``: kfp refuses it."""
    stack = [(value, pos)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack.extend(
                (v, yamldata.pos_of(node, i) or where) for i, v in enumerate(node)
            )
        elif isinstance(node, dict):
            for key, inner in node.items():
                inner_pos = pos_of(node, key) or where
                if key == "concat" and isinstance(inner, list):
                    if any(isinstance(v, dict) and "if" in v for v in inner):
                        return inner_pos
                stack.append((inner, inner_pos))
    return None


def locate(component: Component, message: str) -> Pos | None:
    """The line kfp's error is about, where the message says enough; else the top."""
    spec = component.spec
    if "ContainerImplementation" in message or "implementation" in message:
        if component.implementation_key in spec:
            return key_pos(spec, component.implementation_key)
    if "IfPresentPlaceholder within ConcatPlaceholder" in message:
        for container in component.containers:
            found = _concat_with_if(container.mapping, None)
            if found:
                return found
    for _, _, item in component.items:
        if isinstance(item, dict) and "default" in item:
            if repr(str(item["default"])) in message:
                return pos_of(item, "default")
    for names in (component.inputs, component.outputs):
        for name, pos in names.items():
            if repr(name) in message:
                return pos
    return getattr(spec, "pos", None)


@rule(HOOK, RULE)
def kfp_loader(ctx: Context, component: Component) -> None:
    """kfp's ``load_component_from_file`` rejects the file.

    kfp is the final word: the file goes through the same steps as kfp's
    loader (on the documents already parsed, with every cap in place) and
    kfp's error is reported in one line, in the user's type names, at the
    line it is about when kfp's message says (the implementation, an input's
    default, a placeholder), else at the top of the file.
    """
    from precommit_hooks.kfp.internals import KfpInternalsError

    try:
        verdict = kfp_verdict(component.documents, component.text)
    except KfpInternalsError as exc:
        ctx.add(None, RULE, f"cannot ask kfp about this component: {exc}")
        return
    if verdict is None:
        return
    key, pos, why = component.implementation_key, locate(component, verdict), ""
    if component.kind == "v1" and key != "implementation":
        pos = key_pos(component.spec, key)
        why = f" (it reads the file as compiled YAML: {key!r} is not 'implementation')"
    ctx.add(
        pos,
        RULE,
        f"kfp's load_component_from_file rejects this component: {verdict}{why}",
    )
