"""Score warping: raw scores <-> GP targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sk_hpsearch.bo._gp import standardize_scores
from sk_hpsearch.bo._warping import (
    ScoreWarping,
    _inverse_yeo_johnson,
    _lambda_search_bounds,
    _yeo_johnson,
    _yeo_johnson_normmax,
)

scores = arrays(
    float,
    st.integers(3, 30),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=60, deadline=None)
@given(scores)
def test_targets_back_transform_to_the_scores(y):
    warping = ScoreWarping(y)
    mean, std = warping.to_scores(warping.targets, np.zeros_like(y))
    np.testing.assert_allclose(mean, y, rtol=1e-6, atol=1e-6 * (1 + np.ptp(y)))
    assert (std == 0).all()


@settings(max_examples=60, deadline=None)
@given(scores)
def test_warping_is_monotone(y):
    w = ScoreWarping(y).targets
    order = np.argsort(y, kind="stable")
    assert (np.diff(w[order]) >= -1e-9).all()
    assert np.isfinite(w).all()


@pytest.mark.parametrize("y", [[5e-324, 0.0, 0.0], [1.0, 1.0 + 1e-15, 1.0, 1.0]])
def test_scores_constant_up_to_rounding_are_not_warped(y):
    # A subnormal spread used to raise (an infinite bracket for lambda).
    warping = ScoreWarping(np.array(y))
    assert warping.lmbda is None
    assert np.isfinite(warping.targets).all()


def test_bad_tail_is_pulled_in():
    # Many good accuracies and two chance-level failures: the spread of the
    # good ones must not be crushed by the outliers.
    y = np.array([0.97, 0.975, 0.96, 0.98, 0.965, 0.1, 0.11])
    plain = (y - y.mean()) / y.std()
    warped = ScoreWarping(y).targets
    good = slice(0, 5)
    assert np.ptp(warped[good]) > 2 * np.ptp(plain[good])


def test_failures_count_as_worst_and_constant_scores_stay_finite():
    warping = ScoreWarping(np.array([1.0, np.nan, 3.0, -np.inf, 2.0]))
    assert warping.targets[1] == warping.targets[3] == warping.targets.min()
    assert np.isfinite(warping.targets).all()
    constant = ScoreWarping(np.full(4, 0.5))
    assert constant.lmbda is None and (constant.targets == 0).all()
    mean, _ = constant.to_scores(np.zeros(1), np.ones(1))
    assert mean[0] == pytest.approx(0.5)


@pytest.mark.parametrize("lmbda", [-1.5, 0.0, 0.7, 2.0, 3.5])
def test_inverse_and_its_derivative(lmbda):
    from scipy import stats

    s = np.linspace(-3, 3, 41)
    t = stats.yeojohnson(s, lmbda)
    back, ds = _inverse_yeo_johnson(t, lmbda)
    np.testing.assert_allclose(back, s, atol=1e-9)
    h = 1e-6
    numeric = (_inverse_yeo_johnson(t + h, lmbda)[0] - back) / h
    np.testing.assert_allclose(ds, numeric, rtol=1e-4, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(scores)
def test_lambda_and_transform_match_scipy(y):
    from scipy import stats

    s = standardize_scores(y)
    # scipy's bracket is infinite for subnormal spreads.
    assume(np.ptp(s) > 0 and np.isfinite(_lambda_search_bounds(s)).all())
    lmbda = _yeo_johnson_normmax(s)
    expected = stats.yeojohnson_normmax(s)
    assert lmbda == pytest.approx(expected, rel=1e-6, abs=1e-6)
    t = _yeo_johnson(np.log1p(np.abs(s)), s >= 0, lmbda)
    np.testing.assert_allclose(t, stats.yeojohnson(s, lmbda), rtol=1e-12, atol=1e-12)
