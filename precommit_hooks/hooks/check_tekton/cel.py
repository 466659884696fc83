"""Does a Triggers CEL filter admit only trusted commenters?

The filter is parsed with cel-python (the grammar of the CEL interceptor). A
filter authorises when one of its top-level ``&&`` conjuncts compares
``body.comment.author_association`` with trusted values only (``==
'OWNER'``, ``in ['OWNER', 'MEMBER', 'COLLABORATOR']``), or is a disjunction
whose every branch does. A word in a comment or a string, a comparison with
``!=``, or ``|| true`` beside it does not count.
"""

from __future__ import annotations

from typing import Any

TRUSTED = {"OWNER", "MEMBER", "COLLABORATOR"}
FIELD = "body.comment.author_association"
_WRAPPERS = {
    "expr",
    "conditionalor",
    "conditionaland",
    "relation",
    "addition",
    "multiplication",
    "unary",
    "member",
    "primary",
    "paren_expr",
}
_ENV: Any = None


def _tree(node: Any, *names: str) -> bool:
    """Whether ``node`` is a lark Tree (of one of ``names``, if given)."""
    data = getattr(node, "data", None)
    return hasattr(node, "children") and (not names or data in names)


class CelSyntaxError(ValueError):
    """A filter cel-python cannot parse; the message is one line."""


def parse(expression: str) -> Any:
    """The (lark) parse tree of a CEL expression, or CelSyntaxError."""
    global _ENV
    if _ENV is None:
        import celpy  # 0.2 s to import: only when a file has a CEL filter

        _ENV = celpy.Environment()
    try:
        return _ENV.compile(expression)
    except Exception as exc:  # noqa: BLE001 - lark raises several kinds
        first = " ".join(str(exc).split())[:160]
        raise CelSyntaxError(first or type(exc).__name__) from None


def _unwrap(node: Any) -> Any:
    while _tree(node, *_WRAPPERS) and len(node.children) == 1:
        node = node.children[0]
    return node


def conjuncts(node: Any) -> list[Any]:
    """The top-level ``&&`` operands of an expression."""
    node = _unwrap(node)
    if _tree(node, "conditionaland"):
        return conjuncts(node.children[0]) + conjuncts(node.children[1])
    return [node]


def _path(node: Any) -> str | None:
    """``a.b.c`` for a plain field selection, else None."""
    node = _unwrap(node)
    if _tree(node, "member_dot"):
        base = _path(node.children[0])
        name = node.children[1]
        return f"{base}.{name}" if base and isinstance(name, str) else None
    if _tree(node, "ident"):
        return str(node.children[0])
    return None


def _string(node: Any) -> str | None:
    node = _unwrap(node)
    if _tree(node, "literal"):
        text = str(node.children[0])
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            inner = text[1:-1]
            return None if "\\" in inner or text[0] in inner else inner
    return None


def _trusted_values(node: Any) -> bool:
    node = _unwrap(node)
    if _tree(node, "list_lit"):
        items = node.children[0].children if node.children else []
        values = [_string(item) for item in items]
        return bool(values) and all(v in TRUSTED for v in values)
    return _string(node) in TRUSTED


def admits_only_trusted(node: Any) -> bool:
    """Whether an expression is true only for trusted author associations."""
    node = _unwrap(node)
    if not _tree(node):
        return False
    if node.data == "conditionalor":
        return all(admits_only_trusted(child) for child in node.children)
    if node.data == "conditionaland":
        return any(admits_only_trusted(child) for child in node.children)
    if node.data != "relation" or len(node.children) != 2:
        return False
    op, right = node.children
    if not _tree(op) or not op.children:
        return False
    left = op.children[0]
    if op.data == "relation_eq":
        return (_path(left) == FIELD and _trusted_values(right)) or (
            _path(right) == FIELD and _trusted_values(left)
        )
    if op.data == "relation_in":
        return _path(left) == FIELD and _trusted_values(right)
    return False


def filter_authorises(expression: str) -> bool:
    """Whether a filter has a conjunct that admits only trusted commenters.

    Raises CelSyntaxError when the filter does not parse."""
    return any(admits_only_trusted(c) for c in conjuncts(parse(expression)))
