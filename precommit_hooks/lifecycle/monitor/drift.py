"""Drift statistics of one batch against the reference profile (numpy, scipy).

The reference keeps quantiles, not rows, so its distribution function is the
piecewise-linear curve through (quantile, level), with a jump where several
quantiles share a value (a discrete or rounded feature).  The two-sample
Kolmogorov-Smirnov statistic is the largest gap between the batch's empirical
distribution and that curve; its p-value uses the two-sample effective size
``n*m/(n+m)`` (n batch rows, m reference rows) with scipy's exact
asymptotic Kolmogorov distribution with Stephens' small-sample correction
(``scipy.special``: importing ``scipy.stats`` alone costs a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import special

PSI_BINS = 10
PSI_FLOOR = 1e-4  # an empty bin would make the index infinite


@dataclass(frozen=True)
class FeatureDrift:
    """The statistics of one feature."""

    name: str
    ks_statistic: float
    p_value: float
    psi: float | None
    below: int
    above: int
    rows: int

    @property
    def outside_share(self) -> float:
        return (self.below + self.above) / self.rows


def reference_cdf_limits(
    quantiles: Sequence[float], levels: Sequence[float], values: Any
) -> tuple[Any, Any]:
    """The reference distribution function at ``values``, and its left limits.

    The first is F(v), the share <= v; the second the share < v (they differ
    only where tied quantiles make a jump).
    """
    q = np.asarray(quantiles, dtype=float)
    lv = np.asarray(levels, dtype=float)
    knots, first = np.unique(q, return_index=True)
    last = np.append(first[1:] - 1, len(q) - 1)
    low, high = lv[first], lv[last]  # the curve's value entering / leaving a knot
    v = np.asarray(values, dtype=float)
    k = np.searchsorted(knots, v, side="right") - 1
    inside = (k >= 0) & (k < len(knots) - 1)
    kk = np.clip(k, 0, max(len(knots) - 2, 0))
    if len(knots) > 1:
        span = knots[kk + 1] - knots[kk]
        slope = (low[kk + 1] - high[kk]) / span
        between = high[kk] + (v - knots[kk]) * slope
    else:
        between = np.ones_like(v)
    right = np.where(k < 0, 0.0, np.where(inside, between, 1.0))
    at = np.clip(k, 0, None)
    left = np.where((k >= 0) & (v == knots[at]), low[at], right)
    return right, left


def reference_cdf(
    quantiles: Sequence[float], levels: Sequence[float], values: Any, right: bool
) -> Any:
    """F(v) at ``values`` (``right``), or its left limits."""
    return reference_cdf_limits(quantiles, levels, values)[0 if right else 1]


def ks_statistic(
    sorted_values: Any, quantiles: Sequence[float], levels: Sequence[float]
) -> float:
    """The largest gap between the batch's and the reference's distributions."""
    n = len(sorted_values)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    distinct = sorted_values[starts]
    counts = np.diff(np.r_[starts, n])
    batch_right = np.cumsum(counts) / n
    batch_left = batch_right - counts / n
    ref_right, ref_left = reference_cdf_limits(quantiles, levels, distinct)
    return float(
        max(np.abs(batch_right - ref_right).max(), np.abs(batch_left - ref_left).max())
    )


def ks_p_value(statistic: float, rows: int, reference_rows: int) -> float:
    """Two-sample KS p-value through the effective sample size."""
    root = (rows * reference_rows / (rows + reference_rows)) ** 0.5
    return float(special.kolmogorov((root + 0.12 + 0.11 / root) * statistic))


def psi(
    sorted_values: Any, quantiles: Sequence[float], levels: Sequence[float]
) -> float:
    """Population-stability index over the reference's deciles."""
    deciles = np.linspace(0, 1, PSI_BINS + 1)[1:-1]
    edges = np.unique(np.interp(deciles, np.asarray(levels), np.asarray(quantiles)))
    expected = np.diff(
        np.concatenate(([0.0], reference_cdf(quantiles, levels, edges, True), [1.0]))
    )
    counts = np.diff(
        np.concatenate(
            ([0], np.searchsorted(sorted_values, edges, "right"), [len(sorted_values)])
        )
    )
    actual = np.clip(counts / len(sorted_values), PSI_FLOOR, None)
    expected = np.clip(expected, PSI_FLOOR, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def feature_drift(
    name: str,
    values: Any,
    quantiles: Sequence[float],
    levels: Sequence[float],
    reference_rows: int,
    minimum: float,
    maximum: float,
    psi_min_rows: int,
) -> FeatureDrift:
    """Every statistic of one feature column."""
    ordered = np.sort(values)
    statistic = ks_statistic(ordered, quantiles, levels)
    n = len(ordered)
    below = int(np.searchsorted(ordered, minimum, side="left"))
    above = int(n - np.searchsorted(ordered, maximum, side="right"))
    return FeatureDrift(
        name=name,
        ks_statistic=statistic,
        p_value=ks_p_value(statistic, n, reference_rows),
        psi=psi(ordered, quantiles, levels) if n >= psi_min_rows else None,
        below=below,
        above=above,
        rows=n,
    )


@dataclass(frozen=True)
class PredictionDrift:
    """Predicted class shares against the training class shares."""

    shares: dict[str, float]
    reference: dict[str, float]
    p_value: float | None
    unknown: list[str]


def prediction_drift(
    predictions: Sequence[str], classes: dict[str, float]
) -> PredictionDrift:
    """Chi-square goodness of fit of the predicted classes to the training shares."""
    names, counts = np.unique(np.asarray(predictions, dtype=str), return_counts=True)
    n = len(predictions)
    shares = {str(k): int(c) / n for k, c in zip(names, counts)}
    unknown = sorted(k for k in shares if k not in classes)
    known = [k for k, share in classes.items() if share > 0]
    p_value = None
    if len(known) > 1 and not unknown:
        total = sum(classes[k] for k in known)
        observed = np.array([shares.get(k, 0.0) * n for k in known])
        expected = np.array([classes[k] / total * n for k in known])
        statistic = float(np.sum((observed - expected) ** 2 / expected))
        p_value = float(special.chdtrc(len(known) - 1, statistic))
    return PredictionDrift(shares, dict(classes), p_value, unknown)
