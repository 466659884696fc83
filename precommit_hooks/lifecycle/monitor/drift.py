"""Drift statistics of one batch against the reference profile (numpy only).

The reference keeps quantiles, not rows, so its distribution function is the
piecewise-linear curve through (quantile, level), with a jump where several
quantiles share a value (a discrete or rounded feature).  The two-sample
Kolmogorov-Smirnov statistic is the largest gap between the batch's empirical
distribution and that curve, exactly.

Its p-value is the asymptotic one: the Kolmogorov distribution's survival
function at ``sqrt(ne) * D`` with the two-sample effective size
``ne = n*m/(n+m)`` (n batch rows, m reference rows) and Stephens' small-sample
correction ``(sqrt(ne) + 0.12 + 0.11/sqrt(ne)) * D``.  Exact two-sample
p-values need both samples, and the reference keeps only quantiles; for the
batch sizes monitoring sees the asymptotic form is what scipy's ``ks_2samp``
uses too.  The survival function is the classical pair of series (what
``scipy.special.kolmogorov`` evaluates, to within 1e-15), computed here in a
few lines because importing scipy costs more than checking a batch of
100,000 rows.  Prediction drift's chi-square p-value is the regularized upper
incomplete gamma function for integer degrees of freedom, in closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

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
    if len(knots) == len(q) > 1 and lv[0] == 0 and lv[-1] == 1:
        # No tied quantiles, so no jump: one C interpolation, both limits alike.
        curve = np.interp(np.asarray(values, dtype=float), q, lv, 0.0, 1.0)
        return curve, curve
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


KOLMOGOROV_CUTOVER = 0.82  # below it the theta-function series converges faster


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution K (``scipy.special.kolmogorov``).

    Above the cutover ``2 * sum((-1)**(k-1) * exp(-2 k^2 x^2))``; below it one
    minus the CDF's Jacobi theta form ``sqrt(2 pi)/x * sum(exp(-(2k-1)^2 pi^2
    / (8 x^2)))``.  Each converges to double precision in a few terms.
    """
    if x <= 0:
        return 1.0
    if x < KOLMOGOROV_CUTOVER:
        w = math.pi**2 / (8 * x * x)
        cdf = sum(math.exp(-((2 * k - 1) ** 2) * w) for k in range(1, 6))
        return max(0.0, 1.0 - math.sqrt(2 * math.pi) / x * cdf)
    terms = (math.exp(-2 * k * k * x * x) for k in range(1, 21))
    return min(1.0, 2 * sum(t if k % 2 else -t for k, t in enumerate(terms, 1)))


def chi_square_sf(df: int, statistic: float) -> float:
    """P(X > statistic) for a chi-square X with integer ``df`` (scipy's chdtrc).

    The regularized upper incomplete gamma Q(df/2, statistic/2): for even df
    ``exp(-y) sum(y^i / i!)``, for odd df ``erfc(sqrt(y))`` plus the terms of
    half-integer order, each term computed through its logarithm.
    """
    if statistic <= 0:
        return 1.0
    y = statistic / 2
    odd = df % 2
    total = math.erfc(math.sqrt(y)) if odd else 0.0
    log_y = math.log(y)
    for i in range(df // 2):
        a = i + 0.5 * odd
        total += math.exp(a * log_y - y - math.lgamma(a + 1))
    return min(1.0, total)


def ks_p_value(statistic: float, rows: int, reference_rows: int) -> float:
    """Two-sample KS p-value through the effective sample size (see above)."""
    root = (rows * reference_rows / (rows + reference_rows)) ** 0.5
    return kolmogorov_sf((root + 0.12 + 0.11 / root) * statistic)


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
        p_value = chi_square_sf(len(known) - 1, statistic)
    return PredictionDrift(shares, dict(classes), p_value, unknown)
