"""Parameter typing shared by dsp parse-comment and dsp pipeline run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from precommit_hooks.core.findings import Refusal
from precommit_hooks.kfp import params
from tests.support.paths import REPO_ROOT


@pytest.mark.parametrize(
    "input_type, value, typed",
    [
        ("NUMBER_INTEGER", "206", 206),
        ("NUMBER_INTEGER", 7, 7),
        ("NUMBER_DOUBLE", "0.5", 0.5),
        ("NUMBER_DOUBLE", 2, 2.0),
        ("BOOLEAN", "True", True),
        ("LIST", "[1, 2]", [1, 2]),
        ("STRUCT", '{"a": 1}', {"a": 1}),
        ("STRING", "x", "x"),
    ],
)
def test_values_are_typed_as_declared(input_type, value, typed):
    assert params.typed_value("p", input_type, value) == typed


@pytest.mark.parametrize(
    "input_type, value, words",
    [
        ("NUMBER_INTEGER", "1.5", "parameter 'p' (integer) must be an integer"),
        ("NUMBER_INTEGER", True, "(integer)"),
        ("NUMBER_DOUBLE", float("nan"), "(float) must be a finite number"),
        ("NUMBER_DOUBLE", "1e999", "(float) must be a finite number"),
        ("NUMBER_DOUBLE", 10**400, "(float) must be a finite number"),
        ("BOOLEAN", "yes", "(boolean) must be true or false"),
        ("STRUCT", "[1]", "(dict) must be a JSON object"),
        ("LIST", "[" * 5000, "(list) must be a JSON list"),
        ("system.Dataset", "x", "system.dataset artifact input"),
    ],
)
def test_refusals_speak_the_users_terms(input_type, value, words):
    with pytest.raises(Refusal) as caught:
        params.typed_value("p", input_type, value)
    message = str(caught.value)
    assert words in message and "number_integer" not in message
    assert "number_double" not in message and "\n" not in message


def test_access_and_kfp_meet_only_in_params():
    # kfp/ never imports access/, and access/ reaches kfp/ only through params.
    for part, other in (("kfp", "access"), ("access", "kfp")):
        for module in (REPO_ROOT / "precommit_hooks" / part).glob("*.py"):
            for name in _imports(module):
                if name.startswith(f"precommit_hooks.{other}"):
                    assert part == "access", (module, name)
                    assert name == "precommit_hooks.kfp.params", (module, name)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from pkg import mod`` counts as pkg.mod)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            package = REPO_ROOT.joinpath(*node.module.split("."))
            if package.is_dir():
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found
