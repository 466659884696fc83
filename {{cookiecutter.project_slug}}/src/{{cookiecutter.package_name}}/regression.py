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
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import joblib

from .data import features_row
from .evaluate import write_json

CASE_TYPES = ("MFT", "INV", "DIR")
REQUIRED_KEYS = ("id", "type", "input", "expected", "capability", "reason", "added")


def check_case(case: object) -> str:
    """Why `case` is malformed, or "" when it is well formed."""
    if not isinstance(case, dict):
        return "a case is a JSON object"
    missing = [key for key in REQUIRED_KEYS if key not in case]
    if missing:
        return f"missing key(s) {', '.join(missing)}"
    if case["type"] not in CASE_TYPES:
        return f"type {case['type']!r} is not one of {', '.join(CASE_TYPES)}"
    pairs = {"INV": ("base", "perturbed"), "DIR": ("base", "changed")}
    needed = pairs.get(case["type"], ())
    if needed and not (
        isinstance(case["input"], dict) and all(k in case["input"] for k in needed)
    ):
        return f"{case['type']} input must hold {' and '.join(needed)} features"
    if case["type"] == "DIR" and not (
        isinstance(case["expected"], dict)
        and case["expected"].get("direction") in ("up", "down")
        and "label" in case["expected"]
    ):
        return 'DIR expectation must be {"label": <class>, "direction": "up"|"down"}'
    return ""


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
