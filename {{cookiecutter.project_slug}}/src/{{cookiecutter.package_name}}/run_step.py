"""Run one pipeline step from its command line: every generated component's entry.

    python -m <package>.run_step <package>.steps:profile_data
        --data iris.csv --profile profile.json --min-rows 30

Options are the function's parameters (underscores as dashes), converted to
their annotated types; the folders of OutputPath parameters are created.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .markers import InputPath, OutputPath

USAGE = f"usage: python -m {__package__}.run_step MODULE:FUNCTION [--OPTION VALUE]..."


def parse_bool(text: str) -> bool:
    """An argparse type: KFP passes booleans as `True`/`False` (or `true`)."""
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


CONVERTERS: dict[object, Callable[[str], object]] = {
    str: str,
    int: int,
    float: float,
    bool: parse_bool,
}


def load_step(target: str) -> Callable:
    """The `@step` function named `module:function`, or a one-line SystemExit."""
    module_name, _, function = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise SystemExit(f"{target}: cannot import {module_name!r} ({error})")
    func = getattr(module, function, None)
    if not hasattr(func, "__step__"):
        raise SystemExit(f"{target}: no @step function {function!r} in {module_name}")
    return func


def step_parser(target: str, func: Callable) -> argparse.ArgumentParser:
    """One option per parameter of `func`, typed by its annotation."""
    parser = argparse.ArgumentParser(
        prog=f"run_step {target}", description=func.__doc__
    )
    for param in inspect.signature(func, eval_str=True).parameters.values():
        flag = "--" + param.name.replace("_", "-")
        if isinstance(param.annotation, (InputPath, OutputPath)):
            parser.add_argument(flag, dest=param.name, type=Path, required=True)
            continue
        required = param.default is inspect.Parameter.empty
        parser.add_argument(
            flag,
            dest=param.name,
            type=CONVERTERS[param.annotation],
            required=required,
            default=None if required else param.default,
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the step named first on the command line with the options after it."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    func = load_step(args[0])
    options = vars(step_parser(args[0], func).parse_args(args[1:]))
    for param in inspect.signature(func, eval_str=True).parameters.values():
        if isinstance(param.annotation, OutputPath):
            options[param.name].parent.mkdir(parents=True, exist_ok=True)
    try:
        func(**options)
    except (OSError, ValueError) as error:
        print(f"{args[0]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
