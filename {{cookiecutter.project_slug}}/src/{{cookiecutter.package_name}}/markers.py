"""Marks for pipeline steps: which functions are steps, which parameters are paths.

`dsp components generate` reads these marks from the source without importing
the package, and `run_step` (the components' entry point) reads them at run
time: the component image needs neither kfp nor dsp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Artifact types, by name (`InputPath(Model)`): the component's input or output
# type. Names, not strings: flake8 reads a string in an annotation as a type.
Data = "Data"
Model = "Model"
Metrics = "Metrics"


@dataclass(frozen=True)
class InputPath:
    """A parameter that receives the path of an upstream step's artifact."""

    type: str = Data


@dataclass(frozen=True)
class OutputPath:
    """A parameter that receives the path this step writes an artifact to."""

    type: str = Data


def step(
    function: Callable | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
):
    """Mark `function` as a pipeline step: `@step` or `@step(name="my-step")`.

    `name` (default: the function's name with dashes) names the component's
    folder; `description` (default: the docstring's first paragraph) is its
    description.
    """

    def mark(func: Callable) -> Callable:
        func.__step__ = {"name": name, "description": description}
        return func

    return mark(function) if function is not None else mark
