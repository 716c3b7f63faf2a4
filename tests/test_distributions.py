"""Tests of sk_hpsearch.space._distributions: LogUniform and OneMinusLogUniform."""

import copy
import math
import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.datasets import load_iris
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    ParameterSampler,
    RandomizedSearchCV,
)
from sklearn.tree import DecisionTreeClassifier

from sk_hpsearch import LogUniform, OneMinusLogUniform

N_KS = 20_000
P_MIN = 1e-3

DISTRIBUTIONS = [
    LogUniform(1e-4, 1.0),
    LogUniform(16, 512, integer=True),
    LogUniform(1, 3, integer=True),
    OneMinusLogUniform(0.9, 0.999),
    OneMinusLogUniform(0.0, 0.5),
]
CONTINUOUS = [d for d in DISTRIBUTIONS if not getattr(d, "integer", False)]
INTEGER = [d for d in DISTRIBUTIONS if getattr(d, "integer", False)]


def _ids(dists):
    return [repr(d) for d in dists]


# --- hypothesis strategies -------------------------------------------------


@st.composite
def log_uniforms(draw):
    low = draw(st.floats(1e-8, 1e6))
    ratio = draw(st.floats(1.01, 1e8))
    return LogUniform(low, low * ratio)


@st.composite
def integer_log_uniforms(draw):
    low = draw(st.integers(1, 1000))
    high = low + draw(st.integers(1, 5000))
    return LogUniform(low, high, integer=True)


@st.composite
def one_minus_log_uniforms(draw):
    low = draw(st.floats(0.0, 0.999))
    # 1 - high is a fraction of 1 - low, so high lies strictly in (low, 1).
    shrink = draw(st.floats(1e-6, 0.99))
    return OneMinusLogUniform(low, 1 - (1 - low) * shrink)


continuous_distributions = st.one_of(log_uniforms(), one_minus_log_uniforms())
any_distribution = st.one_of(
    log_uniforms(), integer_log_uniforms(), one_minus_log_uniforms()
)
seeds = st.integers(0, 2**32 - 1)


# --- bounds, types, shapes -------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(dist=any_distribution, seed=seeds)
def test_draws_lie_within_bounds(dist, seed):
    draws = dist.rvs(size=200, random_state=seed)
    assert draws.min() >= dist.low
    assert draws.max() <= dist.high
    value = dist.rvs(random_state=seed)
    assert dist.low <= value <= dist.high


@pytest.mark.parametrize("dist", CONTINUOUS, ids=_ids(CONTINUOUS))
def test_continuous_types(dist):
    value = dist.rvs(random_state=0)
    assert type(value) is float
    draws = dist.rvs(size=5, random_state=0)
    assert isinstance(draws, np.ndarray)
    assert draws.dtype == np.float64


@pytest.mark.parametrize("dist", INTEGER, ids=_ids(INTEGER))
def test_integer_types(dist):
    value = dist.rvs(random_state=0)
    assert type(value) is int
    draws = dist.rvs(size=5, random_state=0)
    assert isinstance(draws, np.ndarray)
    assert draws.dtype == np.int64
    assert type(dist.low) is int
    assert type(dist.high) is int


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
@pytest.mark.parametrize(
    ("size", "shape"), [(1, (1,)), (7, (7,)), ((2, 3), (2, 3)), ((4,), (4,))]
)
def test_shapes(dist, size, shape):
    assert dist.rvs(size=size, random_state=0).shape == shape


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_size_none_and_size_one_agree(dist):
    assert dist.rvs(random_state=3) == dist.rvs(size=1, random_state=3)[0]


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_random_state_int_randomstate_generator(dist):
    by_int = dist.rvs(size=10, random_state=42)
    by_rs = dist.rvs(size=10, random_state=np.random.RandomState(42))
    np.testing.assert_array_equal(by_int, by_rs)
    by_gen = dist.rvs(size=10, random_state=np.random.default_rng(42))
    np.testing.assert_array_equal(
        by_gen, dist.rvs(size=10, random_state=np.random.default_rng(42))
    )
    assert by_gen.min() >= dist.low
    assert by_gen.max() <= dist.high


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_random_state_none_uses_numpy_global(dist):
    saved = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(7)  # noqa: NPY002
        first = dist.rvs(size=5)
        np.random.seed(7)  # noqa: NPY002
        second = dist.rvs(size=5)
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    np.testing.assert_array_equal(first, second)


def test_randomstate_instance_is_advanced_not_reset():
    dist = LogUniform(1e-3, 1.0)
    rng = np.random.RandomState(0)
    first = dist.rvs(size=5, random_state=rng)
    second = dist.rvs(size=5, random_state=rng)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("bad", ["seed", 1.5, [1, 2]])
def test_bad_random_state(bad):
    with pytest.raises(ValueError, match=r"random_state must be .*got random_state="):
        LogUniform(1, 10).rvs(random_state=bad)


@settings(max_examples=30, deadline=None)
@given(dist=any_distribution, seed=seeds)
def test_same_seed_same_draws(dist, seed):
    np.testing.assert_array_equal(
        dist.rvs(size=20, random_state=seed), dist.rvs(size=20, random_state=seed)
    )


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_rvs_does_not_mutate(dist):
    before_repr, before_hash = repr(dist), hash(dist)
    twin = copy.deepcopy(dist)
    dist.rvs(size=100, random_state=0)
    dist.rvs(random_state=np.random.default_rng(0))
    assert repr(dist) == before_repr
    assert hash(dist) == before_hash
    assert dist == twin
    assert dist.support() == twin.support()


# --- cdf and ppf -----------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(dist=continuous_distributions, u=st.floats(0.0, 1.0))
def test_cdf_of_ppf_is_identity(dist, u):
    x = dist.ppf(u)
    assert dist.low <= x <= dist.high
    # Near 1, the float x holds 1 - x only to eps / (1 - x): the identity is
    # as exact as that conditioning allows (log-width of the range below).
    tolerance = 1e-9
    if isinstance(dist, OneMinusLogUniform):
        width = np.log((1 - dist.low) / (1 - dist.high))
        tolerance += 4 * np.finfo(float).eps / (1 - float(x)) / width
    assert float(dist.cdf(x)) == pytest.approx(u, abs=tolerance)


@settings(max_examples=60, deadline=None)
@given(dist=continuous_distributions, t=st.floats(0.0, 1.0))
def test_ppf_of_cdf_is_identity(dist, t):
    x = min(dist.low + t * (dist.high - dist.low), dist.high)
    assert float(dist.ppf(dist.cdf(x))) == pytest.approx(x, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("dist", CONTINUOUS, ids=_ids(CONTINUOUS))
def test_continuous_cdf_ppf_edges_and_vectorised(dist):
    assert float(dist.ppf(0.0)) == dist.low
    assert float(dist.ppf(1.0)) == dist.high
    assert float(dist.cdf(dist.low)) == 0.0
    assert float(dist.cdf(dist.high)) == 1.0
    # Outside the support, cdf saturates; outside [0, 1], ppf is NaN.
    below = dist.low / 2 if dist.low > 0 else -1.0
    np.testing.assert_array_equal(dist.cdf([below, 2.0, 5.0]), [0.0, 1.0, 1.0])
    assert np.isnan(dist.ppf([-0.1, 1.1])).all()
    u = np.linspace(0, 1, 12).reshape(3, 4)
    assert dist.ppf(u).shape == (3, 4)
    assert dist.cdf(dist.ppf(u)).shape == (3, 4)
    assert np.all(np.diff(dist.ppf(np.linspace(0, 1, 50))) >= 0)


def test_loguniform_cdf_below_zero_is_zero():
    dist = LogUniform(1e-3, 1.0)
    np.testing.assert_array_equal(dist.cdf([-1.0, 0.0]), [0.0, 0.0])


def test_loguniform_known_quantiles():
    dist = LogUniform(1e-4, 1.0)
    np.testing.assert_allclose(
        dist.ppf([0.25, 0.5, 0.75]), [1e-3, 1e-2, 1e-1], rtol=1e-12
    )
    np.testing.assert_allclose(dist.cdf([1e-3, 1e-2, 1e-1]), [0.25, 0.5, 0.75])


def test_one_minus_loguniform_known_quantiles():
    dist = OneMinusLogUniform(0.9, 0.999)
    np.testing.assert_allclose(dist.ppf([0.5]), [0.99], rtol=1e-12)
    np.testing.assert_allclose(dist.cdf([0.99]), [0.5])


@settings(max_examples=40, deadline=None)
@given(dist=integer_log_uniforms(), data=st.data())
def test_integer_ppf_of_cdf_is_identity(dist, data):
    k = data.draw(st.integers(dist.low, dist.high))
    assert int(dist.ppf(dist.cdf(k))) == k
    centre = (dist.cdf(k - 1) + dist.cdf(k)) / 2
    assert int(dist.ppf(centre)) == k


@settings(max_examples=60, deadline=None)
@given(dist=integer_log_uniforms(), q=st.floats(0.0, 1.0))
def test_integer_ppf_is_smallest_k_with_cdf_at_least_q(dist, q):
    k = int(dist.ppf(q))
    assert dist.low <= k <= dist.high
    assert dist.cdf(k) >= q
    if k > dist.low:
        assert dist.cdf(k - 1) < q


@pytest.mark.parametrize(
    "dist",
    [LogUniform(1, 3, integer=True), LogUniform(16, 512, integer=True)],
    ids=repr,
)
def test_integer_every_value_reachable_and_ppf_cdf_exact(dist):
    ks = np.arange(dist.low, dist.high + 1)
    np.testing.assert_array_equal(dist.ppf(dist.cdf(ks)), ks)
    mass = dist.cdf(ks) - dist.cdf(ks - 1)
    assert (mass > 0).all()
    assert mass.sum() == pytest.approx(1.0)
    assert dist.ppf(0.0) == dist.low
    assert dist.ppf(1.0) == dist.high
    assert dist.ppf(np.array([0.0, 1.0])).dtype == np.int64


def test_integer_probabilities_follow_log_cell_widths():
    dist = LogUniform(1, 10, integer=True)
    ks = np.arange(1, 11)
    expected = np.log((ks + 0.5) / (ks - 0.5))
    expected /= expected.sum()
    np.testing.assert_allclose(dist.cdf(ks) - dist.cdf(ks - 1), expected, rtol=1e-12)
    # Off-integer arguments of cdf: P(X <= 3.7) == P(X <= 3).
    np.testing.assert_allclose(dist.cdf([3.7, 0.2, 10.9]), [dist.cdf(3), 0.0, 1.0])

    draws = dist.rvs(size=N_KS, random_state=0)
    observed = np.bincount(draws, minlength=11)[1:]
    assert set(np.unique(draws)) == set(ks)
    assert stats.chisquare(observed, expected * N_KS).pvalue > P_MIN


# --- the right scale -------------------------------------------------------


def test_ks_log10_of_loguniform_is_uniform():
    draws = LogUniform(1e-4, 1.0).rvs(size=N_KS, random_state=0)
    # uniform on [loc, loc + scale] = [-4, 0]
    assert stats.kstest(np.log10(draws), "uniform", args=(-4, 4)).pvalue > P_MIN


def test_ks_log10_one_minus_x_is_uniform():
    draws = OneMinusLogUniform(0.9, 0.999).rvs(size=N_KS, random_state=0)
    result = stats.kstest(np.log10(1 - draws), "uniform", args=(-3, 2))
    assert result.pvalue > P_MIN


def test_ks_detects_a_linear_uniform():
    # The test has power: a linear uniform fails it.
    draws = stats.uniform(1e-4, 1 - 1e-4).rvs(size=N_KS, random_state=0)
    assert stats.kstest(np.log10(draws), "uniform", args=(-4, 4)).pvalue < P_MIN


def test_seeds_arithmetic_learning_rate():
    """About 25 % of LogUniform(1e-4, 1) in [0.1, 1], against 90 % linearly."""
    log_draws = LogUniform(1e-4, 1.0).rvs(size=N_KS, random_state=1)
    lin_draws = stats.uniform(0, 1).rvs(size=N_KS, random_state=1)
    assert np.mean(log_draws >= 0.1) == pytest.approx(0.25, abs=0.015)
    assert np.mean(lin_draws >= 0.1) == pytest.approx(0.90, abs=0.015)


def test_seeds_arithmetic_momentum():
    """OneMinusLogUniform(0.9, 0.999) puts half its draws in [0.99, 0.999]."""
    draws = OneMinusLogUniform(0.9, 0.999).rvs(size=N_KS, random_state=2)
    assert np.mean(draws >= 0.99) == pytest.approx(0.5, abs=0.015)
    lin = stats.uniform(0.9, 0.099).rvs(size=N_KS, random_state=2)
    assert np.mean(lin >= 0.99) == pytest.approx(0.0909, abs=0.015)


# --- value semantics -------------------------------------------------------

NAMESPACE = {"LogUniform": LogUniform, "OneMinusLogUniform": OneMinusLogUniform}


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_repr_round_trips(dist):
    again = eval(repr(dist), NAMESPACE)
    assert again == dist
    assert hash(again) == hash(dist)
    assert repr(again) == repr(dist)


def test_repr_text():
    assert repr(LogUniform(0.0001, 0.1)) == "LogUniform(0.0001, 0.1)"
    assert repr(LogUniform(16, 512, integer=True)) == (
        "LogUniform(16, 512, integer=True)"
    )
    assert repr(OneMinusLogUniform(0.9, 0.999)) == "OneMinusLogUniform(0.9, 0.999)"


@settings(max_examples=50, deadline=None)
@given(dist=any_distribution)
def test_repr_round_trips_property(dist):
    again = eval(repr(dist), NAMESPACE)
    assert again == dist
    assert hash(again) == hash(dist)


def test_equality_and_hash():
    assert LogUniform(1, 10) == LogUniform(1.0, 10.0)
    assert hash(LogUniform(1, 10)) == hash(LogUniform(1.0, 10.0))
    assert LogUniform(1, 10, integer=True) == LogUniform(1.0, 10.0, integer=True)
    assert hash(LogUniform(1, 10, integer=True)) == hash(
        LogUniform(1.0, 10.0, integer=True)
    )
    assert LogUniform(1, 10) != LogUniform(1, 10, integer=True)
    assert LogUniform(1, 10) != LogUniform(1, 100)
    assert LogUniform(1, 10) != LogUniform(2, 10)
    assert OneMinusLogUniform(0.1, 0.5) != LogUniform(0.1, 0.5)
    assert OneMinusLogUniform(0.9, 0.99) != OneMinusLogUniform(0.9, 0.999)
    assert LogUniform(1, 10) != "LogUniform(1, 10)"
    assert len({LogUniform(1, 10), LogUniform(1.0, 10.0), LogUniform(1, 100)}) == 2


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
def test_pickle_and_deepcopy(dist):
    for clone in (pickle.loads(pickle.dumps(dist)), copy.deepcopy(dist)):
        assert type(clone) is type(dist)
        assert clone == dist
        assert hash(clone) == hash(dist)
        np.testing.assert_array_equal(
            clone.rvs(size=10, random_state=0), dist.rvs(size=10, random_state=0)
        )
    assert copy.copy(dist) == dist


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=_ids(DISTRIBUTIONS))
@pytest.mark.parametrize("name", ["low", "high", "integer", "other", "_low"])
def test_immutable(dist, name):
    with pytest.raises(AttributeError, match=f"{type(dist).__name__} is immutable"):
        setattr(dist, name, 3)
    with pytest.raises(AttributeError, match="is immutable"):
        delattr(dist, "low")


def test_attributes_and_support():
    dist = LogUniform(16, 512, integer=True)
    assert (dist.low, dist.high, dist.integer) == (16, 512, True)
    assert dist.support() == (16, 512)
    cont = LogUniform(1e-3, 1)
    assert (cont.low, cont.high, cont.integer) == (1e-3, 1.0, False)
    assert type(cont.low) is float
    beta = OneMinusLogUniform(0.9, 0.999)
    assert beta.support() == (0.9, 0.999)


# --- validation ------------------------------------------------------------

INVALID = [
    (LogUniform, (0, 1), {}, "low must be > 0; got low=0"),
    (LogUniform, (-1, 1), {}, "low must be > 0; got low=-1"),
    (LogUniform, (2, 1), {}, "high must be > low; got low=2, high=1"),
    (LogUniform, (1, 1), {}, "high must be > low; got low=1, high=1"),
    (LogUniform, (math.nan, 1), {}, "low must be finite; got low=nan"),
    (LogUniform, (1, math.inf), {}, "high must be finite; got high=inf"),
    (LogUniform, (1, -math.inf), {}, "high must be finite; got high=-inf"),
    (LogUniform, ("a", 1), {}, "low must be a real number; got low='a'"),
    (LogUniform, (1, None), {}, "high must be a real number; got high=None"),
    (LogUniform, (True, 10), {}, "low must be a real number; got low=True"),
    (LogUniform, (1 + 2j, 10), {}, "low must be a real number; got low=(1+2j)"),
    (
        LogUniform,
        (1.5, 10),
        {"integer": True},
        "with integer=True, low must be integral; got low=1.5",
    ),
    (
        LogUniform,
        (1, 10.5),
        {"integer": True},
        "with integer=True, high must be integral; got high=10.5",
    ),
    (LogUniform, (1, 10), {"integer": "yes"}, "integer must be a bool; got 'yes'"),
    (
        OneMinusLogUniform,
        (0.9, 1.0),
        {},
        "high must be in (low, 1); got low=0.9, high=1.0",
    ),
    (OneMinusLogUniform, (-0.1, 0.5), {}, "low must be in [0, 1); got low=-0.1"),
    (
        OneMinusLogUniform,
        (0.5, 0.4),
        {},
        "high must be in (low, 1); got low=0.5, high=0.4",
    ),
    (OneMinusLogUniform, (1.0, 1.5), {}, "low must be in [0, 1); got low=1.0"),
    (OneMinusLogUniform, (0.5, math.nan), {}, "high must be finite; got high=nan"),
    (
        OneMinusLogUniform,
        ("0.9", 0.99),
        {},
        "low must be a real number; got low='0.9'",
    ),
]


@pytest.mark.parametrize(
    ("cls", "args", "kwargs", "message"),
    INVALID,
    ids=[f"{c.__name__}{a}{k or ''}" for c, a, k, _ in INVALID],
)
def test_invalid_arguments(cls, args, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(f"{cls.__name__}: {message}")):
        cls(*args, **kwargs)


def test_numpy_scalars_are_accepted():
    dist = LogUniform(np.float32(0.5), np.float64(2.0))
    assert dist == LogUniform(0.5, 2.0)
    ints = LogUniform(np.int64(1), np.int32(8), integer=np.bool_(True))
    assert ints == LogUniform(1, 8, integer=True)
    assert type(ints.rvs(random_state=0)) is int
    assert OneMinusLogUniform(np.float64(0.9), 0.99) == OneMinusLogUniform(0.9, 0.99)


# --- inside scikit-learn ---------------------------------------------------

SPACE = {
    "C": LogUniform(1e-2, 1e2),
    "max_iter": LogUniform(50, 200, integer=True),
    "tol": OneMinusLogUniform(0.0, 0.9),
}


def _check_sampled(params):
    assert 1e-2 <= params["C"] <= 1e2
    assert type(params["C"]) is float
    assert 50 <= params["max_iter"] <= 200
    assert type(params["max_iter"]) is int
    assert 0.0 <= params["tol"] <= 0.9
    assert type(params["tol"]) is float


def test_parameter_sampler():
    sampled = list(ParameterSampler(SPACE, n_iter=20, random_state=0))
    assert len(sampled) == 20
    for params in sampled:
        _check_sampled(params)
    again = list(ParameterSampler(SPACE, n_iter=20, random_state=0))
    assert sampled == again
    assert SPACE["C"] == LogUniform(1e-2, 1e2)  # untouched by sampling


def test_randomized_search_cv():
    X, y = load_iris(return_X_y=True)
    search = RandomizedSearchCV(
        LogisticRegression(), SPACE, n_iter=4, cv=3, random_state=0
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    for params in search.cv_results_["params"]:
        _check_sampled(params)
    _check_sampled(search.best_params_)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_halving_random_search_cv():
    X, y = load_iris(return_X_y=True)
    space = {
        "max_depth": LogUniform(1, 8, integer=True),
        "min_impurity_decrease": LogUniform(1e-5, 1e-1),
        "ccp_alpha": OneMinusLogUniform(0.0, 0.5),
    }
    search = HalvingRandomSearchCV(
        DecisionTreeClassifier(random_state=0),
        space,
        n_candidates=4,
        factor=2,
        cv=3,
        random_state=0,
    )
    search.fit(X, y)
    params = search.cv_results_["params"]
    assert len({repr(sorted(p.items())) for p in params}) == 4
    for p in params:
        assert type(p["max_depth"]) is int
        assert 1 <= p["max_depth"] <= 8
        assert type(p["min_impurity_decrease"]) is float
        assert 1e-5 <= p["min_impurity_decrease"] <= 1e-1
        assert type(p["ccp_alpha"]) is float
        assert 0.0 <= p["ccp_alpha"] <= 0.5
