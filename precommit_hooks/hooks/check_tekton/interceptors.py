"""The interceptors of a Triggers trigger: GitHub's and CEL's, both forms."""

from __future__ import annotations

from typing import Any, Iterator

from precommit_hooks.hooks.check_tekton.tree import get, items, pos, strings


def interceptor_params(interceptor: dict) -> dict[str, Any]:
    """name -> value of an interceptor's params (v1beta1)."""
    values: dict[str, Any] = {}
    for param in items(interceptor.get("params")):
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            values[param["name"]] = param.get("value")
    return values


def ci_get(mapping: Any, key: str) -> Any:
    """Case-insensitive lookup: Go's JSON decoding ignores the case of field names."""
    if not isinstance(mapping, dict):
        return None
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == key.lower():
            return v
    return None


def enabled(value: Any) -> bool:
    return ci_get(value, "enabled") is True


def _of_kind(trigger: dict, name: str) -> Iterator[tuple[dict, Any, Any]]:
    """(interceptor, params, position) of the interceptors named ``name``."""
    interceptors = trigger.get("interceptors")
    for index, interceptor in enumerate(items(interceptors)):
        if not isinstance(interceptor, dict):
            continue
        at = pos(interceptors, index)
        if isinstance(interceptor.get(name), dict):  # legacy form
            yield interceptor, interceptor[name], at
        elif get(interceptor, "ref", "name") == name:
            yield interceptor, interceptor_params(interceptor), at


def github_interceptors(trigger: dict) -> Iterator[tuple[dict, Any, Any]]:
    """(interceptor, params, position) for every GitHub interceptor."""
    return _of_kind(trigger, "github")


def cel_filters(trigger: dict) -> Iterator[tuple[str, Any]]:
    """(filter, position) of every CEL interceptor of a trigger."""
    for _, params, at in _of_kind(trigger, "cel"):
        value = ci_get(params, "filter")
        if isinstance(value, str):
            yield value, at


def comment_triggered(trigger: dict) -> bool:
    """Whether a trigger may run on issue_comment events."""
    for _, params, _ in github_interceptors(trigger):
        event_types = items(ci_get(params, "eventTypes"))
        if "issue_comment" in event_types:
            return True
    return any(
        "issue_comment" in value for value, _ in strings(trigger.get("interceptors"))
    )


def owners_checked(trigger: dict) -> bool:
    """Whether a GitHub interceptor checks the sender with githubOwners."""
    return any(
        enabled(ci_get(params, "githubOwners"))
        for _, params, _ in github_interceptors(trigger)
    )
