"""The behavioural regression cases file and its report.

The cases live in an append-only JSON Lines file in the project (by default
``tests/model/regression_cases.jsonl``), one case a line::

    {"id", "type": "MFT"|"INV"|"DIR", "input", "expected",
     "capability", "reason", "added"}

This module checks that file (one finding per bad line, with its number) and
that earlier lines were not changed, reads the project runner's results, builds
the CheckList-style report (cases, fails and rate, example failures, grouped by
capability) and renders it as text, Markdown or JSON, and records a new case
from a misclassified example (``dsp regression record``).  Running the runner,
the ``dsp regression`` command and the ``model-regression`` hook are in
:mod:`precommit_hooks.lifecycle.regression`.  Start-up stays light: no kfp, no YAML, no
scikit-learn here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from precommit_hooks.core.files import loads_strict_json, read_capped, write_atomic
from precommit_hooks.core.text import is_number
from precommit_hooks.core.findings import (
    Finding,
    Refusal,
    finding,
    json_problem,
    json_type_name,
    refuse_special_file,
    special_file_problem,
)

CASE_KEYS = ("id", "type", "input", "expected", "capability", "reason", "added")
CASE_TYPES = ("MFT", "INV", "DIR")
MAX_UNKNOWN_KEYS_NAMED = 5
DIRECTIONS = ("up", "down")
EXAMPLES_PER_GROUP = 3
MAX_CASES_BYTES = 50 << 20


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


def did_you_mean(key: str, allowed: Sequence[str]) -> str:
    """``'; did you mean "x"?'`` for the closest allowed key, or ``""``."""
    import difflib  # only on the error path

    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def _features_problem(value: object, where: str) -> str | None:
    """Why ``value`` is not a feature dict of finite numbers, or None."""
    if not isinstance(value, dict) or not value:
        return f"{where} must be a non-empty object of feature values"
    for name, number in value.items():
        if not is_number(number) or not math.isfinite(number):
            return f"{where}.{name} must be a finite number, not {number!r}"
    return None


def _case_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(rule, message) for everything wrong with one parsed case."""
    problems: list[tuple[str, str]] = []
    unknown = [key for key in data if key not in CASE_KEYS]
    for key in unknown[:MAX_UNKNOWN_KEYS_NAMED]:
        problems.append(
            ("case-unknown-key", f"unknown key {key!r}" + did_you_mean(key, CASE_KEYS))
        )
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
    for key in ("id", "capability", "reason"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            problems.append(
                ("case-schema", f"{key} must be a non-empty string, not {data[key]!r}")
            )
    if "added" in data:
        added = data["added"]
        try:
            if not isinstance(added, str) or len(added) != 10:
                raise ValueError
            dt.date.fromisoformat(added)
        except ValueError:
            problems.append(
                (
                    "case-date",
                    f"added must be an ISO date like 2026-11-27, not {added!r}",
                )
            )
    kind = data.get("type")
    if "type" in data and kind not in CASE_TYPES:
        problems.append(
            ("case-type", f"type must be one of MFT, INV, DIR, not {kind!r}")
        )
    if kind not in CASE_TYPES or "input" not in data or "expected" not in data:
        return problems
    given, expected = data["input"], data["expected"]
    if kind == "MFT":
        problem = _features_problem(given, "input")
        if problem:
            problems.append(("case-input", problem))
        if not isinstance(expected, str) or not expected:
            problems.append(
                (
                    "case-expected",
                    f"MFT expected must be a class name, not {expected!r}",
                )
            )
        return problems
    other = "perturbed" if kind == "INV" else "changed"
    if not isinstance(given, dict) or set(given) != {"base", other}:
        problems.append(
            (
                "case-input",
                f'{kind} input must be {{"base": features, "{other}": features}}',
            )
        )
    else:
        for part in ("base", other):
            problem = _features_problem(given[part], f"input.{part}")
            if problem:
                problems.append(("case-input", problem))
    if kind == "INV" and expected != "same":
        problems.append(
            ("case-expected", f'INV expected must be "same", not {expected!r}')
        )
    if kind == "DIR" and (
        not isinstance(expected, dict)
        or set(expected) != {"label", "direction"}
        or not isinstance(expected["label"], str)
        or not expected["label"]
        or expected["direction"] not in DIRECTIONS
    ):
        problems.append(
            (
                "case-expected",
                'DIR expected must be {"label": class name, "direction": "up" or '
                f'"down"}}, not {json.dumps(expected)}',
            )
        )
    return problems


def _feature_names(data: Mapping[str, Any]) -> set[str] | None:
    given = data.get("input")
    if data.get("type") == "MFT" and isinstance(given, dict):
        return set(given)
    if isinstance(given, dict) and isinstance(given.get("base"), dict):
        return set(given["base"])
    return None


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
        try:
            data = loads_strict_json(raw)
        except json.JSONDecodeError as exc:
            found.append(
                finding(
                    path,
                    (number, exc.colno),
                    "case-json",
                    f"not a JSON object: {exc.msg}; one case a line",
                )
            )
            continue
        except (ValueError, RecursionError) as exc:
            found.append(finding(path, (number, 1), "case-json", json_problem(exc)))
            continue
        if not isinstance(data, dict):
            found.append(
                finding(
                    path,
                    (number, 1),
                    "case-json",
                    f"a case is a JSON object, not {json_type_name(data)}",
                )
            )
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
                gone = sorted(features[1] - names)
                extra = sorted(names - features[1])
                problems.append(
                    (
                        "case-features",
                        f"features differ from line {features[0]}'s: "
                        + "; ".join(
                            part
                            for part in (
                                f"missing {', '.join(gone)}" if gone else "",
                                f"unexpected {', '.join(extra)}" if extra else "",
                            )
                            if part
                        ),
                    )
                )
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


# -------------------------------------------------------------------------- report


@dataclass
class Outcome:
    """A case and what the runner said about it."""

    case: Case
    passed: bool
    predicted: Any = None
    detail: str = ""


@dataclass
class RegressionReport:
    """Outcomes grouped by capability and type, CheckList-style."""

    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def passed(self) -> bool:
        return not self.failed

    def groups(self) -> list[tuple[str, str, list[Outcome]]]:
        """(capability, type, outcomes), in order of first appearance."""
        grouped: dict[tuple[str, str], list[Outcome]] = {}
        for outcome in self.outcomes:
            key = (outcome.case.capability, outcome.case.type)
            grouped.setdefault(key, []).append(outcome)
        return [(cap, kind, items) for (cap, kind), items in grouped.items()]


def read_results(path: Path) -> dict[str, dict[str, Any]]:
    """The runner's ``{"results": [{"id", "passed", ...}]}`` by case id."""
    raw = read_capped(
        path,
        MAX_CASES_BYTES,
        "results JSON file",
        "no results file; the regression command did not write it",
    )
    try:
        data = loads_strict_json(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is one
        raise Refusal(f"{path}: not valid results JSON ({json_problem(exc)})")
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise Refusal(f'{path}: expected {{"results": [...]}} from the runner')
    by_id: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(results):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), str)
            or not isinstance(item.get("passed"), bool)
        ):
            raise Refusal(
                f"{path}: results[{index}] needs a string id and a boolean passed"
            )
        by_id[item["id"]] = item
    return by_id


def build_report(
    cases: Sequence[Case], results: Mapping[str, Mapping[str, Any]]
) -> RegressionReport:
    """Join cases with results; a case the runner skipped counts as failed."""
    outcomes = []
    for case in cases:
        result = results.get(case.id)
        if result is None:
            outcomes.append(Outcome(case, False, None, "no result from the runner"))
            continue
        outcomes.append(
            Outcome(
                case,
                bool(result["passed"]),
                result.get("predicted"),
                str(result.get("detail") or ""),
            )
        )
    known = {case.id for case in cases}
    stray = sorted(set(results) - known)
    report_ = RegressionReport(outcomes)
    if stray:
        report_.notes.append(
            "results for ids not in the cases file (ignored): " + ", ".join(stray)
        )
    return report_


def _expected_text(case: Case) -> str:
    expected = case.data["expected"]
    if case.type == "DIR":
        return f"P({expected['label']}) {expected['direction']}"
    return str(expected)


def _example(outcome: Outcome) -> str:
    case = outcome.case
    text = f"{case.id}: expected {_expected_text(case)}"
    if outcome.predicted is not None:
        text += f", got {json.dumps(outcome.predicted)}"
    if outcome.detail:
        text += f" ({outcome.detail})"
    return text


def _rate(failed: int, total: int) -> str:
    return f"{failed} ({failed / total:.1%})" if total else "0"


def render_report_text(rep: RegressionReport) -> str:
    """Cases, fails (rate) and example failures per capability and type."""
    header = ("Capability", "Type", "Cases", "Fails (rate)")
    rows = []
    for cap, kind, items in rep.groups():
        fails = sum(not o.passed for o in items)
        rows.append((cap, kind, str(len(items)), _rate(fails, len(items))))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [
        "Behavioural regression cases",
        "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    for cap, kind, items in rep.groups():
        failed = [o for o in items if not o.passed]
        if failed:
            lines.append(f"Example failures, {cap} ({kind}):")
            lines += [f"  - {_example(o)}" for o in failed[:EXAMPLES_PER_GROUP]]
            if len(failed) > EXAMPLES_PER_GROUP:
                lines.append(f"  ... and {len(failed) - EXAMPLES_PER_GROUP} more")
    lines += [f"note: {n}" for n in rep.notes]
    total = len(rep.outcomes)
    if rep.passed:
        lines.append(f"PASSED: {total} case(s), none fail")
    else:
        share = len(rep.failed) / total
        lines.append(
            f"REFUSED: {len(rep.failed)} of {total} case(s) fail ({share:.1%})"
        )
    return "\n".join(lines) + "\n"


def render_report_markdown(rep: RegressionReport) -> str:
    """The same report as a Markdown table for a pull-request comment."""
    lines = [
        f"### Behavioural regression cases: {'passed' if rep.passed else 'failed'}",
        "",
        "| Capability | Type | Cases | Fails (rate) | Example failures |",
        "|---|---|---:|---:|---|",
    ]
    for cap, kind, items in rep.groups():
        failed = [o for o in items if not o.passed]
        examples = "<br>".join(
            _example(o).replace("|", "\\|") for o in failed[:EXAMPLES_PER_GROUP]
        )
        cell = cap.replace("|", "\\|")
        lines.append(
            f"| {cell} | {kind} | {len(items)} | "
            f"{_rate(len(failed), len(items))} | {examples} |"
        )
    lines += ["", *[f"> {n}" for n in rep.notes]] if rep.notes else []
    return "\n".join(lines) + "\n"


def report_json(rep: RegressionReport) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "passed": rep.passed,
        "cases": len(rep.outcomes),
        "fails": len(rep.failed),
        "notes": rep.notes,
        "groups": [
            {
                "capability": cap,
                "type": kind,
                "cases": len(items),
                "fails": sum(not o.passed for o in items),
                "examples": [
                    {
                        "id": o.case.id,
                        "expected": o.case.data["expected"],
                        "predicted": o.predicted,
                        "detail": o.detail,
                        "reason": o.case.data["reason"],
                    }
                    for o in items
                    if not o.passed
                ][:EXAMPLES_PER_GROUP],
            }
            for cap, kind, items in rep.groups()
        ],
    }


# ---------------------------------------------------------------------- recording


def next_case_id(existing: set[str]) -> str:
    """``case-NNNN``: one more than the number of cases, skipping used ids."""
    number = len(existing) + 1
    while f"case-{number:04d}" in existing:
        number += 1
    return f"case-{number:04d}"


def record_case(
    cases_path: Path,
    case_input: Any,
    expected: Any,
    capability: str,
    reason: str,
    case_type: str = "MFT",
    case_id: str | None = None,
    today: dt.date | None = None,
) -> tuple[dict[str, Any], int]:
    """Append one case; earlier bytes are kept exactly. Returns (case, line).

    The file is checked first (a broken file is not appended to); the new
    content is written to a temporary file and moved into place, so a reader
    sees either the old file or the old file plus the new line.
    """
    old = b""
    refuse_special_file(cases_path, "cases JSONL file")
    if cases_path.exists():
        old = read_capped(cases_path, MAX_CASES_BYTES, "cases JSONL file", "")
    cases, problems = read_cases(cases_path) if old else ([], [])
    if problems:
        raise Refusal(
            f"{problems[0].text()} -- fix the cases file before recording a new case"
        )
    existing = {c.id for c in cases}
    if case_id is not None and case_id in existing:
        raise Refusal(f"{cases_path}: id {case_id!r} is already used; choose another")
    case = {
        "id": case_id or next_case_id(existing),
        "type": case_type,
        "input": case_input,
        "expected": expected,
        "capability": capability,
        "reason": reason,
        "added": (today or dt.date.today()).isoformat(),
    }
    line = json.dumps(case, ensure_ascii=False)
    _, problems = parse_cases(line, str(cases_path))
    if problems:
        raise Refusal(problems[0].message)
    separator = b"" if not old or old.endswith(b"\n") else b"\n"
    cases_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cases_path, old + separator + line.encode("utf-8") + b"\n")
    line_number = len((old + separator).decode("utf-8").splitlines()) + 1
    return case, line_number


def example_from_jsonl(path: Path, line: int) -> dict[str, Any]:
    """Line ``line`` (1-based) of a JSONL file such as confidently_wrong.jsonl."""
    raw = read_capped(
        path,
        MAX_CASES_BYTES,
        "JSONL file of examples",
        "no such file; train first to write it",
    )
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text")
    if not 1 <= line <= len(lines):
        raise Refusal(
            f"{path}: has {len(lines)} line(s); --line {line} is out of range"
        )
    try:
        example = loads_strict_json(lines[line - 1])
    except (ValueError, RecursionError) as exc:
        raise Refusal(f"{path}:{line}: not valid JSON ({json_problem(exc)})")
    if (
        not isinstance(example, dict)
        or "input" not in example
        or ("expected" not in example)
    ):
        raise Refusal(
            f"{path}:{line}: needs an object with input and expected "
            "(as train writes in confidently_wrong.jsonl)"
        )
    return example
