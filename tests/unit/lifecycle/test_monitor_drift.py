"""The statistics of ``dsp monitor``, checked against scipy (a test dependency)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from precommit_hooks.lifecycle.monitor import drift

LEVELS = np.linspace(0, 1, 101)


def profile_of(sample):
    return np.quantile(sample, LEVELS).tolist(), LEVELS.tolist()


def test_ks_statistic_is_scipys_against_the_same_curve():
    rng = np.random.default_rng(0)
    quantiles, levels = profile_of(rng.normal(size=5000))
    batch = np.sort(rng.normal(0.3, 1.2, size=700))

    def curve(values):
        return np.interp(values, quantiles, levels)

    expected = stats.kstest(batch, curve).statistic
    assert drift.ks_statistic(batch, quantiles, levels) == pytest.approx(expected)


def test_ks_p_value_agrees_with_the_two_sample_test():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=3000)
    quantiles, levels = profile_of(reference)
    for shift in (0.0, 0.1, 0.3):
        batch = np.sort(rng.normal(shift, 1, size=800))
        ours = drift.ks_p_value(drift.ks_statistic(batch, quantiles, levels), 800, 3000)
        theirs = stats.ks_2samp(batch, reference).pvalue
        # Same verdict at 1%, and the same order of magnitude.
        assert (ours < 0.01) == (theirs < 0.01)
        assert abs(np.log10(max(ours, 1e-300)) - np.log10(max(theirs, 1e-300))) < 1


def test_tied_quantiles_make_a_jump():
    quantiles, levels = [1.0, 1.0, 1.0, 2.0, 3.0], [0, 0.25, 0.5, 0.75, 1]
    values = [0.5, 1.0, 1.5, 3.0, 4.0]
    right = drift.reference_cdf(quantiles, levels, values, right=True)
    left = drift.reference_cdf(quantiles, levels, values, right=False)
    assert right.tolist() == [0, 0.5, 0.625, 1, 1]
    assert left.tolist() == [0, 0, 0.625, 1, 1]
    # A batch of only 1.0: the gap is the half of the reference above it.
    assert drift.ks_statistic(np.ones(10), quantiles, levels) == 0.5


def test_a_constant_feature_passes_when_unchanged():
    quantiles, levels = [2.0] * 101, LEVELS.tolist()
    result = drift.feature_drift(
        "x", np.full(50, 2.0), quantiles, levels, 100, 2.0, 2.0, 10
    )
    assert result.ks_statistic == 0 and result.p_value == 1
    assert result.outside_share == 0


def test_psi_is_small_unchanged_and_large_shifted():
    rng = np.random.default_rng(2)
    quantiles, levels = profile_of(rng.normal(size=10000))
    same = drift.psi(np.sort(rng.normal(size=5000)), quantiles, levels)
    moved = drift.psi(np.sort(rng.normal(1, 1, size=5000)), quantiles, levels)
    assert same < 0.02 and moved > 0.25


def test_psi_by_hand():
    # Deciles of 0..1: ten bins of 10%; a batch all in the lowest bin.
    quantiles, levels = np.linspace(0, 1, 101).tolist(), LEVELS.tolist()
    batch = np.full(100, 0.05)
    hand = (1 - 0.1) * np.log(1 / 0.1) + 9 * (1e-4 - 0.1) * np.log(1e-4 / 0.1)
    assert drift.psi(batch, quantiles, levels) == pytest.approx(hand)


def test_the_training_range_is_inclusive():
    values = np.array([0.0, 1.0, 2.0, -0.1, 2.1, 2.1])
    result = drift.feature_drift(
        "x", values, [0.0, 1.0, 2.0], [0, 0.5, 1], 10, 0.0, 2.0, 100
    )
    assert (result.below, result.above, result.psi) == (1, 2, None)
    assert result.outside_share == 0.5


def test_prediction_drift_is_scipys_chi_square():
    shares = {"a": 0.5, "b": 0.3, "c": 0.2}
    predictions = ["a"] * 40 + ["b"] * 40 + ["c"] * 20
    result = drift.prediction_drift(predictions, shares)
    expected = stats.chisquare([40, 40, 20], [50, 30, 20]).pvalue
    assert result.p_value == pytest.approx(expected)
    assert result.shares == {"a": 0.4, "b": 0.4, "c": 0.2} and result.unknown == []
    unknown = drift.prediction_drift(["a", "z"], shares)
    assert unknown.unknown == ["z"] and unknown.p_value is None


def test_kolmogorov_survival_is_scipys_on_both_sides_of_the_cutover():
    from scipy import special

    grid = np.r_[np.linspace(0.01, 0.81, 60), np.linspace(0.82, 8, 200), 20.0, 27.0]
    for x in grid:
        ours, theirs = drift.kolmogorov_sf(float(x)), float(special.kolmogorov(x))
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-300), x
    assert drift.kolmogorov_sf(0.0) == 1.0 and drift.kolmogorov_sf(40.0) == 0.0


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 10, 99, 1000])
def test_chi_square_survival_is_scipys_for_odd_and_even_degrees(df):
    from scipy import special

    for statistic in np.r_[np.linspace(0.01, 10, 40), np.linspace(10, 400, 40)]:
        ours = drift.chi_square_sf(df, float(statistic))
        theirs = float(special.chdtrc(df, statistic))
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-290), statistic
    assert drift.chi_square_sf(df, 0.0) == 1.0
