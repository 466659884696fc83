"""The rules of check-tekton, one function each, registered by importing them.

Each rule is ``check(ctx, doc)``: it reads one document of the set (and,
through ``ctx.tekton``, the others) and adds findings to ``ctx.report``.
"""

from __future__ import annotations

from precommit_hooks.core.rules import Rule, rules_of
from precommit_hooks.hooks.check_tekton.loader import HOOK
from precommit_hooks.hooks.check_tekton.rules import (  # noqa: F401 - registers
    resources,
    types,
    graph,
    params,
    refs,
    github,
    authorisation,
    code,
)


def all_rules() -> list[Rule]:
    """Every rule of the hook, in the order of docs/rules.md."""
    return rules_of(HOOK)
