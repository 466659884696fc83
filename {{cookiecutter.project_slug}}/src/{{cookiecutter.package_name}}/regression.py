"""Run the behavioural regression cases against a model and write the results.

    python -m {{ cookiecutter.package_name }}.regression
        --model artifacts/model.joblib --cases tests/model/regression_cases.jsonl
        --output artifacts/regression_results.json

Each line of the cases file is one case (CheckList's test types):
MFT (minimum functionality: the expected class), INV (invariance: a
perturbation keeps the prediction) and DIR (directional expectation: a change
moves one class probability up or down). The command exits 0 whatever the
verdicts: deciding what fails a push is the promotion gate's job.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import joblib
import jsonschema

from .data import features_row
from .evaluate import write_json

# The case format, a copy of dsp's own schema (regression-case.schema.json).
SCHEMA_FILE = Path(__file__).with_name("regression_case.schema.json")


@functools.cache
def case_validator() -> jsonschema.Draft202012Validator:
    """A validator for one case line, built once."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker()
    )


CASE_TYPES = tuple(case_validator().schema["properties"]["type"]["enum"])


def check_case(case: object) -> str:
    """Why `case` breaks the case format (its first problem), or "" when it is fine."""
    errors = sorted(
        case_validator().iter_errors(case), key=lambda e: len(e.absolute_path)
    )
    if not errors:
        return ""
    error = errors[0]
    messages = error.schema.get("x-messages", {})
    text = messages.get(error.validator) or messages.get("*") or error.message
    where = ".".join(map(str, error.absolute_path))
    expected = case.get("expected") if isinstance(case, dict) else None
    return (
        text.replace("<where>", where)
        .replace("<key>", where.split(".")[0])
        .replace("<value>", repr(error.instance))
        .replace("<json>", json.dumps(expected))
    )


def load_cases(path: Path) -> list[dict]:
    """The cases of a JSON-lines file; ValueError names the bad line."""
    cases, seen = [], set()
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not JSON ({error.msg})") from None
            problem = check_case(case)
            if not problem and case["id"] in seen:
                problem = f"id {case['id']!r} is used twice; ids are unique"
            if problem:
                raise ValueError(f"{path}:{number}: {problem}")
            seen.add(case["id"])
            cases.append(case)
    return cases


def predict(model, features: dict) -> str:
    """The class the model predicts for one feature mapping."""
    return str(model.predict([features_row(features)])[0])


def probability(model, features: dict, label: str) -> float:
    """The model's probability of `label` for one feature mapping."""
    classes = [str(name) for name in model.classes_]
    if label not in classes:
        raise ValueError(f"{label!r} is not a class of the model ({classes})")
    row = model.predict_proba([features_row(features)])[0]
    return float(row[classes.index(label)])


def run_case(model, case: dict) -> dict:
    """The verdict on one case: id, passed, what the model did, and why."""
    kind, given, expected = case["type"], case["input"], case["expected"]
    try:
        if kind == "MFT":
            predicted = predict(model, given)
            passed = predicted == expected
            detail = f"predicted {predicted!r}, expected {expected!r}"
        elif kind == "INV":
            predicted = [
                predict(model, given["base"]),
                predict(model, given["perturbed"]),
            ]
            passed = predicted[0] == predicted[1]
            detail = f"base {predicted[0]!r}, perturbed {predicted[1]!r}"
        else:
            label, direction = expected["label"], expected["direction"]
            before = probability(model, given["base"], label)
            after = probability(model, given["changed"], label)
            predicted = {"label": label, "base": before, "changed": after}
            passed = after > before if direction == "up" else after < before
            detail = f"P({label}) {before:.4f} -> {after:.4f}, expected {direction}"
    except ValueError as error:
        return {
            "id": case["id"],
            "passed": False,
            "predicted": None,
            "detail": str(error),
        }
    return {
        "id": case["id"],
        "passed": passed,
        "predicted": predicted,
        "detail": detail,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Write every case's verdict as {"results": [...]}; exit 0 when it ran."""
    parser = argparse.ArgumentParser(
        description="Run the behavioural regression cases."
    )
    parser.add_argument("--model", type=Path, default=Path("artifacts/model.joblib"))
    parser.add_argument(
        "--cases", type=Path, default=Path("tests/model/regression_cases.jsonl")
    )
    parser.add_argument(
        "--output", type=Path, default=Path("artifacts/regression_results.json")
    )
    args = parser.parse_args(argv)
    try:
        cases = load_cases(args.cases)
        model = joblib.load(args.model)
    except (OSError, ValueError, EOFError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    results = [run_case(model, case) for case in cases]
    write_json(args.output, {"results": results})
    failed = sum(not result["passed"] for result in results)
    print(f"{len(results)} case(s), {failed} failed: {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
