"""The gate's table as text (like ``dvc metrics diff``), Markdown or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from precommit_hooks.core.text import text_table

if TYPE_CHECKING:
    from precommit_hooks.lifecycle.gate import GateResult, MetricVerdict


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}"


_KIND_TEXT = {
    "given": "given baseline",
    "current": "current model",
    "fallback": "most-frequent-class baseline",
    "none": "no baseline",
}


def _change_text(verdict: MetricVerdict) -> str:
    change = verdict.change
    if change is None:
        return "-"
    text = f"{change:+.6g}"
    relative = verdict.relative_change
    if relative is not None:
        text += f" ({relative:+.1%})"
    elif change != 0:
        text += " (baseline 0)"
    return text


def _verdict_text(verdict: MetricVerdict) -> str:
    if not verdict.gated:
        return "not gated"
    return "pass" if verdict.passed else "FAIL"


def _rows(result: GateResult) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            v.metric,
            _fmt(v.baseline),
            _fmt(v.candidate),
            _change_text(v),
            _verdict_text(v),
        )
        for v in result.verdicts
    ]


def _headline(result: GateResult) -> str:
    gated = [v for v in result.verdicts if v.gated]
    failed = [v for v in gated if not v.passed]
    if result.passed:
        return f"PASSED: {len(gated)} gated metric(s) pass"
    return f"REFUSED: {len(failed)} of {len(gated)} gated metric(s) fail"


def render_text(result: GateResult) -> str:
    """A fixed-width table like ``dvc metrics diff``, then every failure."""
    header = ("Metric", "Baseline", "Candidate", "Change", "Verdict")
    lines = [
        f"Promotion gate: {result.candidate_path} against "
        + (
            f"{result.baseline_path} ({_KIND_TEXT[result.baseline_kind]})"
            if result.baseline_path
            else "no baseline"
        ),
        text_table(header, _rows(result)).rstrip("\n"),
    ]
    lines.extend(f"note: {n}" for n in result.notes)
    lines.append(f'Ties policy: ties = "{result.ties}"')
    lines.append(_headline(result))
    lines.extend(f"  - {f}" for f in result.failures)
    return "\n".join(lines) + "\n"


def _md(cell: str) -> str:
    return cell.replace("|", "\\|")


def render_markdown(result: GateResult) -> str:
    """The table for a pull-request comment."""
    mark = {"pass": "✅ pass", "FAIL": "❌ fail", "not gated": "not gated"}
    lines = [
        f"### Promotion gate: {'passed' if result.passed else 'refused'}",
        "",
        f"Candidate `{result.candidate_path}` against "
        + (
            f"`{result.baseline_path}` ({_KIND_TEXT[result.baseline_kind]})"
            if result.baseline_path
            else "no baseline"
        )
        + f'; ties policy `"{result.ties}"`.',
        "",
        "| Metric | Baseline | Candidate | Change | Verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for metric, base, cand, change, verdict in _rows(result):
        lines.append(
            f"| {_md(metric)} | {base} | {cand} | {_md(change)} | {mark[verdict]} |"
        )
    if result.notes:
        lines.append("")
        lines.extend(f"> {n}" for n in result.notes)
    if result.failures:
        lines += ["", "**Failures**", ""]
        lines.extend(f"- {_md(f)}" for f in result.failures)
    return "\n".join(lines) + "\n"


def result_json(result: GateResult) -> dict[str, Any]:
    """The gate's outcome as plain data (what ``--format json`` prints)."""
    return {
        "passed": result.passed,
        "candidate": str(result.candidate_path),
        "baseline": str(result.baseline_path) if result.baseline_path else None,
        "baseline_kind": result.baseline_kind,
        "ties": result.ties,
        "notes": result.notes,
        "failures": result.failures,
        "metrics": [
            {
                "metric": v.metric,
                "baseline": v.baseline,
                "candidate": v.candidate,
                "change": v.change,
                "relative_change": v.relative_change,
                "gated": v.gated,
                "passed": v.passed if v.gated else None,
                "failures": v.failures,
                "notes": v.notes,
                "rule": (
                    {
                        "greater_is_better": v.rule.greater_is_better,
                        "threshold": v.rule.threshold,
                        "min_absolute_change": v.rule.min_absolute_change,
                        "min_relative_change": v.rule.min_relative_change,
                    }
                    if v.rule
                    else None
                ),
            }
            for v in result.verdicts
        ],
    }


def render(result: GateResult, fmt: str) -> str:
    """Text, Markdown or JSON."""
    if fmt == "markdown":
        return render_markdown(result)
    if fmt == "json":
        return json.dumps(result_json(result), indent=2, sort_keys=True) + "\n"
    return render_text(result)
