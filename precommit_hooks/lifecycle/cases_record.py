"""Recording a behavioural case: ``dsp regression record``.

A case is appended to the cases file only when the file is sound; the new
content is written by the atomic writer, so earlier lines stay byte for byte
the same and a reader never sees half a line.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from precommit_hooks.core.files import loads_strict_json, read_capped, write_atomic
from precommit_hooks.core.findings import Refusal, json_problem, refuse_special_file
from precommit_hooks.lifecycle.cases import MAX_CASES_BYTES, parse_cases, read_cases


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
