"""The behavioural regression cases file: one case a line, checked line by line.

The cases live in an append-only JSON Lines file in the project (by default
``tests/model/regression_cases.jsonl``), one case a line::

    {"id", "type": "MFT"|"INV"|"DIR", "input", "expected",
     "capability", "reason", "added"}

This module checks that file (one finding per bad line, with its number) and
that earlier lines were not changed.  The report is :mod:`.cases_report`,
recording a case :mod:`.cases_record`, the ``dsp regression`` command
:mod:`.regression`.  Start-up stays light: no kfp, no YAML, no scikit-learn.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from precommit_hooks.core.files import loads_strict_json
from precommit_hooks.core.text import did_you_mean, is_number
from precommit_hooks.lifecycle.config_schema import GUESS, load_schema
from precommit_hooks.core.findings import (
    Finding,
    finding,
    json_problem,
    json_type_name,
    special_file_problem,
)

CASE_KEYS = ("id", "type", "input", "expected", "capability", "reason", "added")
CASE_TYPES = ("MFT", "INV", "DIR")
MAX_UNKNOWN_KEYS_NAMED = 5
DIRECTIONS = ("up", "down")
MAX_CASES_BYTES = 50 << 20
CASE_SCHEMA = "regression-case.schema.json"
# A line's problems in this order; the first names the finding's rule.
RULE_ORDER = (
    "case-unknown-key",
    "case-missing-key",
    "case-schema",
    "case-date",
    "case-type",
    "case-input",
    "case-expected",
)
_KEY_KEYWORDS = ("additionalProperties", "required")  # named by _unknown_keys


@dataclass(frozen=True)
class Case:
    """One behavioural case and the line it sits on."""

    line: int
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def type(self) -> str:
        return self.data["type"]

    @property
    def capability(self) -> str:
        return self.data["capability"]


# ------------------------------------------------------------------ the cases file


@functools.lru_cache(maxsize=None)
def _validator() -> Any:
    import jsonschema  # only when a cases file is read

    return jsonschema.Draft202012Validator(
        load_schema(CASE_SCHEMA), format_checker=jsonschema.FormatChecker()
    )


def _unknown_keys(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One problem per unknown key, the first few named with a did-you-mean."""
    unknown = [key for key in data if key not in CASE_KEYS]
    problems = [
        (
            "case-unknown-key",
            f"unknown key {key!r}" + did_you_mean(key, CASE_KEYS, form=GUESS),
        )
        for key in unknown[:MAX_UNKNOWN_KEYS_NAMED]
    ]
    if len(unknown) > MAX_UNKNOWN_KEYS_NAMED:
        # A line with thousands of keys still gives a line a person can read.
        problems.append(
            (
                "case-unknown-key",
                f"and {len(unknown) - MAX_UNKNOWN_KEYS_NAMED} more unknown keys; "
                f"a case has only {', '.join(CASE_KEYS)}",
            )
        )
    missing = [k for k in CASE_KEYS if k not in data]
    if missing:
        problems.append(("case-missing-key", "missing " + ", ".join(missing)))
    return problems


def _schema_problem(error: Any, data: Mapping[str, Any]) -> tuple[str, str]:
    """(rule, message) from the x-rule and x-messages of the failing subschema."""
    path = list(error.absolute_path)
    messages = error.schema.get("x-messages", {})
    template = messages.get(error.validator) or messages.get("*") or error.message
    text = (
        template.replace("<where>", ".".join(map(str, path)))
        .replace("<key>", str(path[0]) if path else "")
        .replace("<value>", repr(error.instance))
        .replace("<json>", json.dumps(data.get("expected")))
    )
    return error.schema.get("x-rule", "case-schema"), text


def _unrepresentable(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Feature values JSON Schema accepts but a float cannot hold (400 digits)."""
    given = data.get("input")
    groups = {"input": given} if data.get("type") == "MFT" else {}
    if data.get("type") != "MFT" and isinstance(given, dict):
        groups = {f"input.{part}": given[part] for part in given}
    return [
        ("case-input", f"{where}.{name} must be a finite number, not {str(v)[:20]}...")
        for where, features in groups.items()
        if isinstance(features, dict)
        for name, v in features.items()
        if isinstance(v, int) and not isinstance(v, bool) and not is_number(v)
    ]


def _case_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(rule, message) for everything wrong with one parsed case.

    The format is ``schemas/regression-case.schema.json``; unknown and missing
    keys are named here, all of them at once, and so are numbers too large for
    a float, which a JSON Schema cannot see.
    """
    problems = _unknown_keys(data)
    found = [
        _schema_problem(error, data)
        for error in _validator().iter_errors(data)
        if error.absolute_path or error.validator not in _KEY_KEYWORDS
    ]
    order = {rule: i for i, rule in enumerate(RULE_ORDER)}
    for problem in sorted(dict.fromkeys(found), key=lambda p: order.get(p[0], 99)):
        problems.append(problem)
    return problems or _unrepresentable(data)


def _feature_names(data: Mapping[str, Any]) -> set[str] | None:
    given = data.get("input")
    if data.get("type") == "MFT" and isinstance(given, dict):
        return set(given)
    if isinstance(given, dict) and isinstance(given.get("base"), dict):
        return set(given["base"])
    return None


def _parse_line(
    raw: str, number: int, path: str, found: list[Finding]
) -> dict[str, Any] | None:
    """The JSON object on one line, or None after adding a finding for it."""
    try:
        data = loads_strict_json(raw)
    except json.JSONDecodeError as exc:
        message = f"not a JSON object: {exc.msg}; one case a line"
        found.append(finding(path, (number, exc.colno), "case-json", message))
        return None
    except (ValueError, RecursionError) as exc:
        found.append(finding(path, (number, 1), "case-json", json_problem(exc)))
        return None
    if not isinstance(data, dict):
        message = f"a case is a JSON object, not {json_type_name(data)}"
        found.append(finding(path, (number, 1), "case-json", message))
        return None
    return data


def _features_differ(first: tuple[int, set[str]], names: set[str]) -> tuple[str, str]:
    gone = sorted(first[1] - names)
    extra = sorted(names - first[1])
    parts = [
        f"missing {', '.join(gone)}" if gone else "",
        f"unexpected {', '.join(extra)}" if extra else "",
    ]
    return (
        "case-features",
        f"features differ from line {first[0]}'s: " + "; ".join(p for p in parts if p),
    )


def parse_cases(text: str, path: str) -> tuple[list[Case], list[Finding]]:
    """Check every line of a cases file; return the good cases and the findings.

    Blank lines are skipped.  Each bad line gives one finding naming its line
    and everything wrong with it; ids must be unique across the file, and every
    case must use the same feature names as the first one.
    """
    cases: list[Case] = []
    found: list[Finding] = []
    first_line: dict[str, int] = {}
    features: tuple[int, set[str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        data = _parse_line(raw, number, path, found)
        if data is None:
            continue
        problems = _case_problems(data)
        case_id = data.get("id")
        if isinstance(case_id, str) and case_id in first_line:
            problems.append(
                (
                    "case-duplicate-id",
                    f"id {case_id!r} is already used on line {first_line[case_id]}; "
                    "give this case a new id",
                )
            )
        names = _feature_names(data)
        if not problems and names is not None:
            if features is None:
                features = (number, names)
            elif names != features[1]:
                problems.append(_features_differ(features, names))
        if problems:
            rule = problems[0][0]
            found.append(
                finding(
                    path,
                    (number, 1),
                    rule,
                    (
                        f"case {case_id!r}: " + "; ".join(m for _, m in problems)
                        if isinstance(case_id, str)
                        else "; ".join(m for _, m in problems)
                    ),
                )
            )
            continue
        if isinstance(case_id, str):  # always: the schema requires a text id
            first_line[case_id] = number
        cases.append(Case(number, data))
    return cases, found


def read_cases(path: Path) -> tuple[list[Case], list[Finding]]:
    """Read and check a cases file; an unreadable file is one finding."""
    problem = special_file_problem(path)
    if problem:
        return [], [finding(str(path), None, "case-file", problem)]
    try:
        size = path.stat().st_size
        if size > MAX_CASES_BYTES:
            return [], [
                finding(
                    str(path),
                    None,
                    "case-file",
                    f"{size} bytes is more than the {MAX_CASES_BYTES} a cases file "
                    "may have",
                )
            ]
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return [], [
            finding(
                str(path),
                None,
                "case-file",
                "no cases file; record one with `dsp regression record` or fix "
                "[tool.dsp.regression] cases",
            )
        ]
    except IsADirectoryError:
        return [], [finding(str(path), None, "case-file", "is a folder, not JSONL")]
    except UnicodeDecodeError as exc:
        return [], [
            finding(
                str(path),
                None,
                "case-file",
                f"not UTF-8 (byte {exc.start}); save the cases file as UTF-8",
            )
        ]
    if text.startswith("\ufeff"):
        return [], [
            finding(str(path), (1, 1), "case-file", "starts with a BOM; remove it")
        ]
    return parse_cases(text, str(path))


def check_append_only(old: str, new: str, path: str) -> list[Finding]:
    """Earlier cases may not change: ``old``'s lines must begin ``new``."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, line in enumerate(old_lines, start=1):
        if number > len(new_lines) or new_lines[number - 1] != line:
            return [
                finding(
                    path,
                    (number, 1),
                    "case-append-only",
                    "an earlier case was changed or removed; the cases file is "
                    "append-only (restore the line and add a new case instead)",
                )
            ]
    return []
