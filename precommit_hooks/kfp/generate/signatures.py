"""Read the project's step functions from source with :mod:`ast`.

A step is a function decorated with ``@step`` (or ``@markers.step``, or
``@step(name=...)``) whose every parameter is annotated: ``str``, ``int``,
``float`` or ``bool`` become input values, ``InputPath(Data)`` an input
artifact read from a path, ``OutputPath(Model)`` an output written to a
path.  Nothing is imported, so reading is fast and runs no user code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from precommit_hooks.core.findings import Refusal

# Python annotation -> v1 component type of an input value.
VALUE_TYPES = {"str": "String", "int": "Integer", "float": "Float", "bool": "Boolean"}
PATH_MARKERS = {"InputPath": "input", "OutputPath": "output"}
ANNOTATIONS_HELP = "str, int, float, bool, InputPath(Data) or OutputPath(Data)"
_ARTIFACT_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_ARGS_HEADING = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^ {2,4}(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` is value, input or output; ``type`` the v1 type."""

    name: str
    kind: str
    type: str
    default: object = None
    has_default: bool = False
    description: str = ""


@dataclass(frozen=True)
class Step:
    """A marked function: where it is, its component name and its parameters."""

    function: str
    module: str  # dotted import name, e.g. iris_classifier.steps
    source: str  # the file, relative to the project root
    line: int
    name: str  # the component's folder, e.g. profile-data
    title: str  # the component's human name, e.g. Profile data
    description: str
    params: tuple[Param, ...]


def component_name(function: str) -> str:
    """The component folder of a function: ``profile_data`` -> ``profile-data``."""
    return function.strip("_").replace("_", "-").lower()


def _where(source: str, node: ast.AST) -> str:
    return f"{source}:{getattr(node, 'lineno', 0)}"


def _decorator_name(node: ast.expr) -> str | None:
    """``step`` for ``@step``, ``@markers.step`` and ``@step(...)``."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Name):
        return target.id
    return None


def _step_decorator(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
) -> ast.expr | None:
    for node in func.decorator_list:
        if _decorator_name(node) == "step":
            return node
    return None


def _literal(node: ast.expr, what: str, where: str) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise Refusal(
            f"{where}: {what} is {ast.unparse(node)!r}, not a literal; "
            "write a plain string, number or True/False"
        ) from None


def _marker_type(node: ast.Call, where: str, name: str) -> str:
    """The artifact type of ``InputPath(Data)`` or ``InputPath("Data")``.

    A name (``Data``, ``markers.Model``) is the type's name: flake8 reads a
    string inside an annotation as a forward reference, so the template's
    markers module names its types.  Left out, the type is ``Data``.
    """
    if node.keywords or len(node.args) > 1:
        raise Refusal(
            f"{where}: parameter {name!r}: write {ast.unparse(node.func)}(Data) "
            "with one artifact type"
        )
    arg = node.args[0] if node.args else ast.Constant("Data")
    if isinstance(arg, (ast.Name, ast.Attribute)):
        kind: object = arg.id if isinstance(arg, ast.Name) else arg.attr
    else:
        kind = _literal(arg, f"the type of {name!r}", where)
    if not isinstance(kind, str) or not _ARTIFACT_TYPE.match(kind):
        raise Refusal(
            f"{where}: parameter {name!r}: artifact type {kind!r} is not a name; "
            "write e.g. Data, Model or Metrics"
        )
    return kind


def _annotation(node: ast.expr | None, where: str, name: str) -> tuple[str, str]:
    """``(kind, v1 type)`` of an annotation, or a refusal naming the fix."""
    if node is None:
        raise Refusal(
            f"{where}: parameter {name!r} has no annotation; annotate it with "
            f"{ANNOTATIONS_HELP}"
        )
    target = node.func if isinstance(node, ast.Call) else node
    label = target.attr if isinstance(target, ast.Attribute) else None
    label = target.id if isinstance(target, ast.Name) else label
    if label in PATH_MARKERS:
        call = node if isinstance(node, ast.Call) else ast.Call(target, [], [])
        return PATH_MARKERS[label], _marker_type(call, where, name)
    if isinstance(node, ast.Name) and node.id in VALUE_TYPES:
        return "value", VALUE_TYPES[node.id]
    raise Refusal(
        f"{where}: parameter {name!r} is annotated {ast.unparse(node)!r}; "
        f"a step takes {ANNOTATIONS_HELP}"
    )


def _check_default(param: Param, where: str) -> None:
    value = param.default
    python: dict[str, type | tuple[type, ...]] = {
        "String": str,
        "Integer": int,
        "Float": (int, float),
        "Boolean": bool,
    }
    wanted = python[param.type]
    wrong_bool = isinstance(value, bool) and param.type != "Boolean"
    if not isinstance(value, wanted) or wrong_bool:
        raise Refusal(
            f"{where}: parameter {param.name!r} is {param.type} but defaults to "
            f"{value!r}; give it a default of its type"
        )


def _arg_descriptions(doc: str) -> dict[str, str]:
    """``name: text`` lines of a Google-style ``Args:`` section."""
    found: dict[str, str] = {}
    inside = False
    for line in doc.splitlines():
        if _ARGS_HEADING.match(line):
            inside = True
            continue
        match = _ARG_LINE.match(line) if inside else None
        if match:
            found[match.group(1)] = match.group(3).strip()
        elif inside and line.strip() and not line.startswith(" "):
            inside = False
    return found


def _summary(doc: str) -> str:
    """The docstring's first paragraph, on one line."""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def _params(func: ast.FunctionDef, source: str, doc: str) -> tuple[Param, ...]:
    args = func.args
    where = _where(source, func)
    if args.vararg or args.kwarg:
        raise Refusal(
            f"{where}: step {func.name!r} takes *args or **kwargs; "
            "a component needs every parameter named and typed"
        )
    if args.posonlyargs:
        raise Refusal(
            f"{where}: step {func.name!r} has positional-only parameters; remove "
            "the '/' (the entry point passes every parameter by name)"
        )
    positional = list(args.args)
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(
        zip(args.kwonlyargs, args.kw_defaults)
    )
    described = _arg_descriptions(doc)
    params = []
    for arg, default in pairs:
        kind, type_ = _annotation(arg.annotation, _where(source, arg), arg.arg)
        param = Param(arg.arg, kind, type_, description=described.get(arg.arg, ""))
        if default is not None:
            if kind != "value":
                raise Refusal(
                    f"{_where(source, arg)}: parameter {arg.arg!r} is a path the "
                    "pipeline provides; remove its default"
                )
            value = _literal(default, f"the default of {arg.arg!r}", where)
            param = Param(
                arg.arg, kind, type_, value, True, description=param.description
            )
            _check_default(param, _where(source, arg))
        params.append(param)
    return tuple(params)


def _step_options(decorator: ast.expr | None, where: str) -> dict[str, str]:
    """``name=`` and ``description=`` given to ``@step(...)``."""
    if not isinstance(decorator, ast.Call):
        return {}
    if decorator.args:
        raise Refusal(f"{where}: write @step or @step(name=..., description=...)")
    options = {}
    for keyword in decorator.keywords:
        if keyword.arg not in ("name", "description"):
            raise Refusal(
                f"{where}: @step takes name= and description=, not {keyword.arg}="
            )
        value = _literal(keyword.value, f"@step {keyword.arg}=", where)
        if not isinstance(value, str) or not value.strip():
            raise Refusal(f"{where}: @step {keyword.arg}= must be a non-empty string")
        options[keyword.arg] = value
    return options


def read_step(func: ast.FunctionDef, module: str, source: str) -> Step:
    """The :class:`Step` of one decorated function, or a refusal naming the fix."""
    where = _where(source, func)
    if func.returns is not None and not (
        isinstance(func.returns, ast.Constant) and func.returns.value is None
    ):
        raise Refusal(
            f"{where}: step {func.name!r} returns {ast.unparse(func.returns)!r}; "
            "a step writes its results to OutputPath parameters and returns None"
        )
    doc = ast.get_docstring(func) or ""
    options = _step_options(_step_decorator(func), where)
    name = options.get("name") or component_name(func.name)
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
        raise Refusal(
            f"{where}: step name {name!r} is not a lowercase DNS label; "
            'rename the function or give @step(name="my-step")'
        )
    description = options.get("description") or _summary(doc)
    if not description:
        raise Refusal(
            f"{where}: step {func.name!r} has no docstring; say in one line what it "
            "does (it becomes the component's description)"
        )
    title = name.replace("-", " ").capitalize()
    params = _params(func, source, doc)
    return Step(
        func.name, module, source, func.lineno, name, title, description, params
    )


def module_name(source: Path) -> str:
    """The import name of ``src/pkg/steps.py``: ``pkg.steps``."""
    parts = list(source.with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(part.isidentifier() for part in parts):
        raise Refusal(
            f"{source}: cannot be imported as a module; name steps files under src/ "
            "with Python identifiers"
        )
    return ".".join(parts)


def read_steps(root: Path, source: Path) -> list[Step]:
    """Every step of one source file (``source`` relative to ``root``)."""
    label = source.as_posix()
    module = module_name(source)
    path = root / source
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise Refusal(
            f"{label}: no such file; fix [tool.dsp.components] sources in "
            "pyproject.toml"
        ) from None
    except UnicodeDecodeError:
        raise Refusal(f"{label}: not UTF-8 text; save it as UTF-8") from None
    try:
        tree = ast.parse(text, filename=label)
    except SyntaxError as exc:
        raise Refusal(
            f"{label}:{exc.lineno}: not valid Python ({exc.msg}); fix it first"
        ) from None
    except ValueError as exc:  # null bytes
        raise Refusal(f"{label}: not valid Python ({exc}); fix it first") from None
    except (RecursionError, MemoryError):
        raise Refusal(f"{label}: too deeply nested to read; simplify it") from None
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef) and _step_decorator(node):
            raise Refusal(
                f"{_where(label, node)}: step {node.name!r} is async; a step is a "
                "plain function (the entry point calls it once and exits)"
            )
    return [
        read_step(node, module, label)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and _step_decorator(node) is not None
    ]
