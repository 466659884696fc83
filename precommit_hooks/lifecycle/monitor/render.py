"""A monitor verdict as text, Markdown or JSON (the JSON feeds
``dsp regression record --from``)."""

from __future__ import annotations

from typing import Any

from precommit_hooks.core.text import text_table
from precommit_hooks.lifecycle.monitor.report import REPORT_FORMAT, Verdict

HEADER = ("feature", "KS", "p-value", "PSI", "outside", "verdict")


def _rows(verdict: Verdict) -> list[list[str]]:
    return [
        [
            f.name,
            f"{f.ks_statistic:.3f}",
            f"{f.p_value:.3g}",
            "-" if f.psi is None else f"{f.psi:.3f}",
            f"{f.outside_share:.1%}",
            "FAIL" if f.name in verdict.failing else "ok",
        ]
        for f in verdict.features
    ]


def _summary(verdict: Verdict) -> list[str]:
    lines = []
    prediction = verdict.predictions
    if prediction is not None:
        shares = ", ".join(f"{k} {v:.1%}" for k, v in sorted(prediction.shares.items()))
        p = "-" if prediction.p_value is None else f"{prediction.p_value:.3g}"
        lines.append(f"predictions: {shares} (chi-square p {p})")
    if verdict.accuracy is not None:
        lines.append(f"accuracy on labelled rows: {verdict.accuracy:.3f}")
    for name, entry in verdict.freshness.items():
        age = "unknown" if entry["age_days"] is None else f"{entry['age_days']:g} days"
        limit = entry["limit_days"]
        lines.append(
            f"{name} age: {age}" + ("" if limit is None else f" (limit {limit:g})")
        )
    lines += [f"note: {note}" for note in verdict.notes]
    if verdict.cases_total:
        lines.append(
            f"{verdict.cases_total} row(s) outside the domain or predicted wrongly; "
            "record them with `dsp regression record --from` the JSON report"
        )
    return lines


def _title(verdict: Verdict) -> str:
    return (
        f"{verdict.batch.path} ({verdict.batch.rows} rows) against "
        f"{verdict.reference.path} ({verdict.reference.rows} rows)"
    )


def render_text(verdict: Verdict) -> str:
    """Aligned table, summary lines, then every failure and the verdict."""
    out = [f"dsp monitor: {_title(verdict)}", text_table(HEADER, _rows(verdict))]
    out += _summary(verdict)
    out += [f"FAIL {failure}" for failure in verdict.failures]
    out.append(
        "within limits"
        if verdict.passed
        else f"{len(verdict.failures)} limit(s) exceeded"
    )
    return "\n".join(line.rstrip("\n") for line in out) + "\n"


def render_markdown(verdict: Verdict) -> str:
    """A Markdown table for a KFP run's UI or a pull-request comment."""
    state = "within limits" if verdict.passed else "**limits exceeded**"
    out = [f"### Monitoring: {state}", "", _title(verdict), ""]
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + "---|" * len(HEADER))
    out += ["| " + " | ".join(row) + " |" for row in _rows(verdict)]
    out.append("")
    out += [f"- {line}" for line in _summary(verdict)]
    out += [f"- :x: {failure}" for failure in verdict.failures]
    return "\n".join(out) + "\n"


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """Everything, machine-readable; ``cases`` are the rows to record."""
    prediction = verdict.predictions
    return {
        "format": REPORT_FORMAT,
        "passed": verdict.passed,
        "reference": str(verdict.reference.path),
        "batch": str(verdict.batch.path),
        "rows": verdict.batch.rows,
        "target": verdict.reference.target,
        "features": [
            {
                "name": f.name,
                "ks_statistic": f.ks_statistic,
                "p_value": f.p_value,
                "psi": f.psi,
                "below_min": f.below,
                "above_max": f.above,
                "outside_share": f.outside_share,
                "passed": f.name not in verdict.failing,
            }
            for f in verdict.features
        ],
        "predictions": (
            None
            if prediction is None
            else {
                "shares": prediction.shares,
                "reference_shares": prediction.reference,
                "p_value": prediction.p_value,
                "unknown_classes": prediction.unknown,
            }
        ),
        "accuracy": verdict.accuracy,
        "freshness": verdict.freshness,
        "limits": dict(verdict.limits.__dict__),
        "failures": verdict.failures,
        "notes": verdict.notes,
        "cases": verdict.cases,
        "cases_total": verdict.cases_total,
    }
