"""kfp's own verdict: the file loads as ``load_component_from_file`` loads it."""

from __future__ import annotations

import re

from precommit_hooks.core.rules import rule

from precommit_hooks.hooks.check_components.model import HOOK, Component, Context

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


@rule(HOOK, RULE)
def kfp_loader(ctx: Context, component: Component) -> None:
    """kfp's ``load_component_from_file`` rejects the file.

    kfp is the final word: the file goes through the same steps as kfp's
    loader (on the documents already parsed, with every cap in place) and
    kfp's error is reported in one line, in the user's type names.
    """
    from precommit_hooks.kfp.internals import KfpInternalsError

    try:
        verdict = kfp_verdict(component.documents, component.text)
    except KfpInternalsError as exc:
        ctx.add(None, RULE, f"cannot ask kfp about this component: {exc}")
        return
    if verdict is not None:
        ctx.add(
            getattr(component.spec, "pos", None),
            RULE,
            f"kfp's load_component_from_file rejects this component: {verdict}",
        )
