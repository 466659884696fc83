"""The behavioural regression report: the runner's results against the cases.

CheckList's layout: for each capability and test type, the number of cases,
the fails and the fail rate, then up to three example failures, each with its
expected and predicted values and the runner's detail.  A case the runner did
not report counts as a failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from precommit_hooks.core.files import loads_strict_json, read_capped
from precommit_hooks.core.findings import Refusal, json_problem
from precommit_hooks.lifecycle.cases import MAX_CASES_BYTES, Case

EXAMPLES_PER_GROUP = 3


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
