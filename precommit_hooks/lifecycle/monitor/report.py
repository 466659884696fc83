"""Limits from ``[tool.dsp.monitor]``, and the verdict on one batch.

A batch is within limits when, for every feature, the KS p-value is at least
``p_value`` divided by the number of features (Bonferroni: twenty features do
not give twenty chances of a false alarm), the population-stability index is
at most ``psi`` (batches of ``psi_min_rows`` or more), and the share of rows
outside the training range is at most ``max_outside_share``; the predicted
classes fit the training shares (``prediction_p_value``) with no unknown
class; the accuracy on labelled rows is at least ``min_accuracy`` (when set);
and the data and model are younger than their age limits (when set).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from precommit_hooks.core.findings import Refusal
from precommit_hooks.core.text import did_you_mean, is_number
from precommit_hooks.lifecycle.monitor.batch import Batch
from precommit_hooks.lifecycle.monitor.profile import Reference, parse_date

REPORT_FORMAT = "dsp-monitor-report/1"


@dataclass(frozen=True)
class Limits:
    """``[tool.dsp.monitor]``: every limit the verdict applies."""

    p_value: float = 0.01
    psi: float = 0.25
    psi_min_rows: int = 100
    max_outside_share: float = 0.01
    prediction_p_value: float = 0.01
    min_accuracy: float | None = None
    max_data_age_days: float | None = None
    max_model_age_days: float | None = None
    prediction_column: str = "prediction"
    label_column: str = "label"
    max_cases: int = 100


SHARES = ("p_value", "max_outside_share", "prediction_p_value", "min_accuracy")
COUNTS = ("psi_min_rows", "max_cases", "max_bytes")
NAMES = ("prediction_column", "label_column")
OTHER_KEYS = ("reference", "max_bytes")  # read by the command itself


def parse_limits(table: object, path: Path) -> Limits:
    """Check ``[tool.dsp.monitor]``; unknown keys get a did-you-mean."""
    where = f"{path}: [tool.dsp.monitor]"
    table = {} if table is None else table
    if not isinstance(table, dict):
        raise Refusal(f"{where} must be a table")
    known = [f.name for f in fields(Limits)] + list(OTHER_KEYS)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise Refusal(
                f"{where} has an unknown key {key!r}{did_you_mean(key, known)}"
            )
        if key == "reference":
            ok = isinstance(value, str) and bool(value)
        elif key in NAMES:
            ok = isinstance(value, str) and bool(value)
        elif key in COUNTS:
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        elif key in SHARES:
            ok = is_number(value) and 0 <= value <= 1
        else:
            ok = is_number(value) and value >= 0
        if not ok:
            kind = (
                "a path string"
                if key == "reference"
                else (
                    "a column name"
                    if key in NAMES
                    else (
                        "a positive whole number"
                        if key in COUNTS
                        else (
                            "a number from 0 to 1" if key in SHARES else "a number >= 0"
                        )
                    )
                )
            )
            raise Refusal(f"{where} {key} must be {kind}, not {value!r}")
        if key not in OTHER_KEYS:
            values[key] = value
    return Limits(**values)


@dataclass
class Verdict:
    """Everything ``dsp monitor`` reports about one batch."""

    reference: Reference
    batch: Batch
    limits: Limits
    features: list[Any]  # drift.FeatureDrift
    predictions: Any = None  # drift.PredictionDrift or None
    accuracy: float | None = None
    freshness: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)  # features over a limit
    cases: list[dict[str, Any]] = field(default_factory=list)
    cases_total: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


def _age(
    name: str, date: object, limit: float | None, now: dt.datetime, verdict: Verdict
) -> None:
    entry: dict[str, Any] = {"date": date, "age_days": None, "limit_days": limit}
    verdict.freshness[name] = entry
    if date is None:
        if limit is not None:
            verdict.notes.append(f"{name} age unknown: no date to check its limit")
        return
    age = (now - parse_date(date, f"the {name} date")).total_seconds() / 86400
    entry["age_days"] = round(age, 2)
    if limit is not None and age > limit:
        verdict.failures.append(
            f"{name} is {age:.1f} days old, over the {limit:g}-day limit; "
            + ("retrain on fresh data" if name == "data" else "retrain and promote")
        )


def check_features(verdict: Verdict) -> None:
    """Drift and operational domain of every feature."""
    from precommit_hooks.lifecycle.monitor import drift

    ref, limits = verdict.reference, verdict.limits
    alpha = limits.p_value / len(ref.features)
    for name, profile in ref.features.items():
        result = drift.feature_drift(
            name,
            verdict.batch.columns[name],
            profile.quantiles,
            ref.levels,
            ref.rows,
            profile.minimum,
            profile.maximum,
            limits.psi_min_rows,
        )
        verdict.features.append(result)
        count = len(verdict.failures)
        if result.outside_share > limits.max_outside_share:
            verdict.failures.append(
                f"{name}: {result.outside_share:.1%} of rows outside the training "
                f"range [{profile.minimum:g}, {profile.maximum:g}] (limit "
                f"{limits.max_outside_share:.1%})"
            )
        if result.p_value < alpha:
            verdict.failures.append(
                f"{name}: drifted (KS {result.ks_statistic:.3f}, p "
                f"{result.p_value:.2g} < {alpha:.2g})"
            )
        if result.psi is not None and result.psi > limits.psi:
            verdict.failures.append(
                f"{name}: population-stability index {result.psi:.3f} over "
                f"{limits.psi:g}"
            )
        if len(verdict.failures) > count:
            verdict.failing.add(name)


def check_predictions(verdict: Verdict) -> None:
    """Predicted classes against the training shares; accuracy on labels."""
    from precommit_hooks.lifecycle.monitor import drift

    batch, limits = verdict.batch, verdict.limits
    if batch.predictions is None:
        return
    if not verdict.reference.classes:
        verdict.notes.append("the reference has no class shares: no prediction drift")
    else:
        result = drift.prediction_drift(batch.predictions, verdict.reference.classes)
        verdict.predictions = result
        if result.unknown:
            verdict.failures.append(
                f"predictions: class(es) {', '.join(result.unknown)} never seen in "
                "training; check the model and the prediction column"
            )
        elif result.p_value is not None and result.p_value < limits.prediction_p_value:
            verdict.failures.append(
                f"predictions: class shares drifted from training (chi-square p "
                f"{result.p_value:.2g} < {limits.prediction_p_value:g})"
            )
    if batch.labels is not None:
        right = batch.predictions == batch.labels
        verdict.accuracy = float(right.mean())
        if limits.min_accuracy is not None and verdict.accuracy < limits.min_accuracy:
            verdict.failures.append(
                f"accuracy on the labelled rows is {verdict.accuracy:.3f}, under "
                f"{limits.min_accuracy:g}"
            )


def collect_cases(verdict: Verdict) -> None:
    """The rows outside the domain or predicted wrongly (the first max_cases)."""
    import numpy as np

    batch, ref = verdict.batch, verdict.reference
    reasons: dict[int, list[str]] = {}
    for name, profile in ref.features.items():
        values = batch.columns[name]
        for row in np.flatnonzero(
            (values < profile.minimum) | (values > profile.maximum)
        ):
            reasons.setdefault(int(row), []).append(
                f"{name} outside the training range"
            )
    if batch.predictions is not None and batch.labels is not None:
        wrong = np.flatnonzero(batch.predictions != batch.labels)
        for i in wrong.tolist():
            reasons.setdefault(i, []).append(
                f"predicted {batch.predictions[i]}, labelled {batch.labels[i]}"
            )
    verdict.cases_total = len(reasons)
    for i in sorted(reasons)[: verdict.limits.max_cases]:
        case = {
            "line": int(batch.lines[i]),
            "input": {name: float(batch.columns[name][i]) for name in ref.features},
            "reasons": reasons[i],
        }
        for key, column in (("prediction", batch.predictions), ("label", batch.labels)):
            if column is not None:
                case[key] = str(column[i])
        verdict.cases.append(case)


def evaluate(
    reference: Reference,
    batch: Batch,
    limits: Limits,
    now: dt.datetime,
    data_date: object = None,
    model_date: object = None,
) -> Verdict:
    """Check ``batch`` against ``reference`` within ``limits``."""
    verdict = Verdict(reference, batch, limits, [])
    check_features(verdict)
    check_predictions(verdict)
    _age(
        "data",
        data_date or reference.data.get("committed"),
        limits.max_data_age_days,
        now,
        verdict,
    )
    _age(
        "model",
        model_date or reference.model_created,
        limits.max_model_age_days,
        now,
        verdict,
    )
    collect_cases(verdict)
    return verdict
