"""``dsp regression record --from monitor.json``: monitored rows become cases.

Each row of a ``dsp monitor`` JSON report's ``cases`` (outside the training
range, or predicted wrongly where a label came back) becomes one MFT case:
the row's features as input, its label as the expected class (or
``--expected`` for rows without a label; they are skipped otherwise).  All
new cases are checked first and appended in one atomic write, so a refusal
leaves the cases file as it was; a row already recorded (same input and
expected class) is not recorded twice.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from precommit_hooks.core.files import loads_strict_json, write_atomic
from precommit_hooks.core.findings import Refusal, json_problem, refuse_special_file
from precommit_hooks.lifecycle.cases import parse_cases, read_cases
from precommit_hooks.lifecycle.cases_record import next_case_id
from precommit_hooks.lifecycle.monitor.report import REPORT_FORMAT

MAX_REPORT_BYTES = 64 << 20


def read_monitor_report(path: Path) -> dict[str, Any] | None:
    """The parsed report when ``path`` is a ``dsp monitor`` JSON report, else None."""
    refuse_special_file(path, "monitor report")
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        head = path.read_bytes()
    except FileNotFoundError:
        return None  # the JSONL reader says how to create it
    if not head.lstrip().startswith(b"{") or REPORT_FORMAT.encode() not in head:
        return None
    try:
        data = loads_strict_json(head)
    except (ValueError, RecursionError) as exc:
        raise Refusal(f"{path}: not valid JSON ({json_problem(exc)})")
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        return None
    if not isinstance(data.get("cases"), list):
        raise Refusal(f"{path}: cases must be a list; write it with dsp monitor")
    return data


def _expected(row: object, default: str | None, where: str) -> str | None:
    if not isinstance(row, dict) or not isinstance(row.get("input"), dict):
        raise Refusal(f"{where}: each case needs an input object; rerun dsp monitor")
    label = row.get("label")
    if label is not None and not isinstance(label, str):
        raise Refusal(f"{where}: label must be a class name, not {label!r}")
    return label or default


def _key(case_input: object, expected: object) -> str:
    return json.dumps([case_input, expected], sort_keys=True)


def new_cases(
    report: dict[str, Any],
    path: Path,
    existing: list[dict[str, Any]],
    capability: str,
    reason: str,
    expected: str | None,
    today: dt.date,
) -> tuple[list[dict[str, Any]], int, int]:
    """(new cases, rows skipped for want of a label, rows already recorded)."""
    ids = {case["id"] for case in existing}
    seen = {_key(case["input"], case["expected"]) for case in existing}
    cases: list[dict[str, Any]] = []
    unlabelled = duplicates = 0
    for index, row in enumerate(report["cases"]):
        where = f"{path}: cases[{index}]"
        target = _expected(row, expected, where)
        if target is None:
            unlabelled += 1
            continue
        if _key(row["input"], target) in seen:
            duplicates += 1
            continue
        seen.add(_key(row["input"], target))
        why = "; ".join(str(r) for r in row.get("reasons", []))
        case = {
            "id": next_case_id(ids),
            "type": "MFT",
            "input": row["input"],
            "expected": target,
            "capability": capability,
            "reason": f"{reason} ({why}, {report.get('batch')} line {row.get('line')})",
            "added": today.isoformat(),
        }
        ids.add(case["id"])
        cases.append(case)
    return cases, unlabelled, duplicates


def record_from_monitor(
    report: dict[str, Any],
    path: Path,
    cases_path: Path,
    capability: str,
    reason: str,
    expected: str | None = None,
    today: dt.date | None = None,
) -> str:
    """Append the report's rows as cases in one write; the summary line."""
    refuse_special_file(cases_path, "cases JSONL file")
    old = cases_path.read_bytes() if cases_path.exists() else b""
    existing, problems = read_cases(cases_path) if old else ([], [])
    if problems:
        raise Refusal(
            f"{problems[0].text()} -- fix the cases file before recording new cases"
        )
    cases, unlabelled, duplicates = new_cases(
        report,
        path,
        [c.data for c in existing],
        capability,
        reason,
        expected,
        today or dt.date.today(),
    )
    lines = [json.dumps(case, ensure_ascii=False) for case in cases]
    _, problems = parse_cases("\n".join(lines), str(path))
    if problems:
        raise Refusal(f"{problems[0].message} (from {path}); nothing was recorded")
    if lines:
        separator = b"" if not old or old.endswith(b"\n") else b"\n"
        cases_path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(line + "\n" for line in lines).encode("utf-8")
        write_atomic(cases_path, old + separator + body)
    summary = f"recorded {len(cases)} case(s) in {cases_path}"
    if duplicates:
        summary += f"; {duplicates} already recorded"
    if unlabelled:
        summary += (
            f"; skipped {unlabelled} row(s) without a label (pass --expected "
            "CLASS to record them)"
        )
    return summary + "\n"


def record_monitored(args: Any, cases_path: Path) -> bool:
    """``record --from`` a monitor report: record, print, True; else False."""
    from precommit_hooks.core.findings import print_text

    report = read_monitor_report(args.source)
    if report is None:
        return False
    print_text(
        record_from_monitor(
            report,
            args.source,
            cases_path,
            args.capability,
            args.reason,
            args.expected,
        )
    )
    return True
