"""Rules as units: each rule is a function registered with its id and level.

A hook declares a rule once::

    @rule("check-tekton", "script-injection")
    def script_injection(ctx: Context) -> Iterator[Finding]:
        '''A ``$(params.x)`` inside a ``script:`` runs as shell code.

        One paragraph that says what is refused, why, and the fix.
        '''

The id, the level and the docstring are the rule's documentation:
``precommit_hooks.hooks.rules_doc`` renders ``docs/rules.md`` from them and a
test fails when the page and the code drift apart.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from precommit_hooks.core.findings import ERROR, WARNING

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    """One rule of one hook: its id, level, documentation and check."""

    hook: str
    id: str
    level: str
    summary: str
    details: str
    check: Callable[..., Any]


_RULES: dict[tuple[str, str], Rule] = {}


def rule(hook: str, rule_id: str, level: str = ERROR) -> Callable[[F], F]:
    """Register the decorated function as rule ``rule_id`` of ``hook``."""
    if level not in (ERROR, WARNING):
        raise ValueError(f"rule {rule_id}: level must be error or warning")

    def register(check: F) -> F:
        doc = inspect.getdoc(check) or ""
        summary, _, details = doc.partition("\n\n")
        if not summary.strip():
            raise ValueError(f"rule {rule_id}: the check needs a docstring")
        key = (hook, rule_id)
        if key in _RULES and _RULES[key].check is not check:
            raise ValueError(f"rule {rule_id} of {hook} is registered twice")
        _RULES[key] = Rule(
            hook, rule_id, level, " ".join(summary.split()), details.strip(), check
        )
        return check

    return register


def rules_of(hook: str) -> list[Rule]:
    """The registered rules of ``hook``, in registration order."""
    return [r for (h, _), r in _RULES.items() if h == hook]


def markdown_table(rules: list[Rule]) -> str:
    """A Markdown table of rules: id, level and what each refuses."""
    lines = ["| rule | level | what |", "|---|---|---|"]
    for r in rules:
        what = r.summary.replace("|", "\\|")
        lines.append(f"| `{r.id}` | {r.level} | {what} |")
    return "\n".join(lines) + "\n"
