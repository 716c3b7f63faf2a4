"""Tests of sk_hpsearch.space._space: param_distributions <-> the unit cube."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from sk_hpsearch import LogUniform, OneMinusLogUniform
from sk_hpsearch.space._space import INACTIVE, MAX_CHOICES, SearchSpace

LOGREG = LogisticRegression()
TREE = DecisionTreeClassifier()
MIXED = [None, 1, 2.5, "a", (1, 2), LOGREG, TREE, True]

# One entry of every kind, with a strategy for values of its support that
# round-trip through float64 (the far tails of unbounded laws do not: their
# CDF is 1.0 in floating point).
KINDS = {
    "lr": (LogUniform(1e-4, 1.0), st.floats(1e-4, 1.0)),
    "units": (LogUniform(16, 512, integer=True), st.integers(16, 512)),
    "beta": (OneMinusLogUniform(0.9, 0.999), st.floats(0.9, 0.999)),
    "dropout": (stats.uniform(-1, 2), st.floats(-1.0, 1.0)),
    "shift": (stats.norm(0, 1), st.floats(-5.0, 5.0)),
    "layers": (stats.randint(1, 5), st.integers(1, 4)),
    "count": (stats.poisson(3), st.integers(0, 20)),
    "act": (["relu", "tanh", "sigmoid"], st.sampled_from(["relu", "tanh", "sigmoid"])),
    "mixed": (MIXED, st.sampled_from(MIXED)),
}
CONTINUOUS = {"lr", "beta", "dropout", "shift"}
INTEGER = {"units", "layers", "count"}
CATEGORICAL = {"act", "mixed"}
DIST = {name: dist for name, (dist, _) in KINDS.items()}
SPACE = SearchSpace(DIST)

CONDITIONAL = [
    {"clf": [LOGREG], "clf__C": LogUniform(1e-3, 1e3), "clf__tol": stats.norm(0, 1)},
    {
        "clf": [TREE],
        "clf__max_depth": stats.randint(1, 10),
        "clf__min_samples_leaf": stats.poisson(2),
        "clf__criterion": ["gini", "entropy"],
    },
    {"clf": ["passthrough", None]},
]


def _assert_params_equal(got, expected):
    assert set(got) == set(expected)
    for name, value in expected.items():
        if isinstance(value, float) and not isinstance(got[name], bool):
            assert type(got[name]) is float
            assert got[name] == pytest.approx(value, rel=1e-7, abs=1e-9)
        elif isinstance(value, LogisticRegression | DecisionTreeClassifier):
            assert got[name] is value
        else:
            assert type(got[name]) is type(value)
            assert got[name] == value


@st.composite
def params_of(draw, kinds=KINDS):
    return {name: draw(strategy) for name, (_, strategy) in kinds.items()}


def _cube(n_dims, max_rows=8):
    return arrays(
        np.float64,
        st.tuples(st.integers(1, max_rows), st.just(n_dims)),
        elements=st.floats(0.0, 1.0),
    )


def _check_in_support(space, params):
    for p in params:
        k = space._match(p)  # raises if a value is outside every subspace
        for dim in space.subspaces[k]:
            value = p[dim.name]
            if dim.name in CONTINUOUS or dim.name in {"clf__C", "clf__tol"}:
                assert type(value) is float
            elif dim.name in INTEGER or dim.name in {
                "clf__max_depth",
                "clf__min_samples_leaf",
            }:
                assert type(value) is int


# --- round trips -----------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(params=params_of())
def test_decode_of_encode_is_identity(params):
    X = SPACE.encode([params])
    assert X.shape == (1, SPACE.n_dims)
    assert ((X >= 0) & (X <= 1)).all()
    (decoded,) = SPACE.decode(X)
    _assert_params_equal(decoded, params)
    for name in CATEGORICAL:  # categorical values come back as the listed object
        assert decoded[name] is params[name]


def test_decode_of_encode_keeps_estimator_identity():
    X = SPACE.sample(1, np.random.RandomState(0))
    X[0, list(DIST).index("mixed")] = (MIXED.index(TREE) + 0.5) / len(MIXED)
    assert SPACE.decode(X)[0]["mixed"] is TREE
    other = DecisionTreeClassifier()  # estimators compare by identity
    with pytest.raises(ValueError, match="is not a point of param_distributions"):
        SPACE.encode([{**SPACE.decode(X)[0], "mixed": other}])


@pytest.mark.parametrize(
    ("value", "expected_index"),
    [(1, 1), (1.0, 1), (2.5, 2), ("a", 3), ((1, 2), 4), (True, 7), (None, 0)],
)
def test_categorical_index_prefers_identity_then_same_type(value, expected_index):
    space = SearchSpace({"v": MIXED})
    (dim,) = space.subspaces[0]
    assert dim.index(value) == expected_index
    assert space.decode(space.encode([{"v": value}]))[0]["v"] is MIXED[expected_index]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_conditional_round_trip(data):
    space = SearchSpace(CONDITIONAL)
    k = data.draw(st.integers(0, 2))
    strategies = [
        {
            "clf": st.just(LOGREG),
            "clf__C": st.floats(1e-3, 1e3),
            "clf__tol": st.floats(-5, 5),
        },
        {
            "clf": st.just(TREE),
            "clf__max_depth": st.integers(1, 9),
            "clf__min_samples_leaf": st.integers(0, 15),
            "clf__criterion": st.sampled_from(["gini", "entropy"]),
        },
        {"clf": st.sampled_from(["passthrough", None])},
    ][k]
    params = {name: data.draw(s) for name, s in strategies.items()}
    X = space.encode([params])
    assert space.subspace_of(X)[0] == k
    inactive = np.ones(space.n_dims, dtype=bool)
    inactive[0] = False
    inactive[space.columns(k)] = False
    assert (X[0, inactive] == INACTIVE).all()
    _assert_params_equal(space.decode(X)[0], params)


@settings(max_examples=40, deadline=None)
@given(X=_cube(SPACE.n_dims))
def test_encode_of_decode_equals_snap(X):
    snapped = SPACE.snap(X)
    again = SPACE.encode(SPACE.decode(X))
    discrete = np.array([name not in CONTINUOUS for name in DIST])
    np.testing.assert_array_equal(again[:, discrete], snapped[:, discrete])
    np.testing.assert_allclose(again[:, ~discrete], snapped[:, ~discrete], atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(X=_cube(1 + sum(len(d) for d in CONDITIONAL)))
def test_encode_of_decode_equals_snap_conditional(X):
    space = SearchSpace(CONDITIONAL)
    snapped = space.snap(X)
    again = space.encode(space.decode(X))
    continuous = np.zeros(space.n_dims, dtype=bool)
    continuous[[2, 3]] = True  # clf__C, clf__tol
    np.testing.assert_array_equal(again[:, ~continuous], snapped[:, ~continuous])
    np.testing.assert_allclose(again[:, continuous], snapped[:, continuous], atol=1e-9)


# --- sample and snap -------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sample_is_in_support_and_canonical(seed):
    rng = np.random.RandomState(seed)
    X = SPACE.sample(30, rng)
    assert X.shape == (30, SPACE.n_dims)
    assert ((X >= 0) & (X <= 1)).all()
    np.testing.assert_array_equal(SPACE.snap(X), X)
    params = SPACE.decode(X)
    _check_in_support(SPACE, params)
    for p in params:
        assert 1e-4 <= p["lr"] <= 1.0
        assert 16 <= p["units"] <= 512
        assert 0.9 <= p["beta"] <= 0.999
        assert -1.0 <= p["dropout"] <= 1.0
        assert 1 <= p["layers"] <= 4
        assert p["count"] >= 0
        assert p["act"] in ("relu", "tanh", "sigmoid")
        assert any(p["mixed"] is v for v in MIXED)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_sample_is_canonical_conditional(seed):
    space = SearchSpace(CONDITIONAL)
    X = space.sample(30, np.random.RandomState(seed))
    np.testing.assert_array_equal(space.snap(X), X)
    _check_in_support(space, space.decode(X))


def test_sample_is_reproducible():
    a = SPACE.sample(10, np.random.RandomState(0))
    b = SPACE.sample(10, np.random.RandomState(0))
    np.testing.assert_array_equal(a, b)


def test_sample_follows_the_prior():
    space = SearchSpace({"lr": LogUniform(1e-4, 1.0), "act": ["a", "b", "c", "d"]})
    params = space.decode(space.sample(4000, np.random.RandomState(0)))
    lr = np.array([p["lr"] for p in params])
    assert stats.kstest(np.log10(lr), "uniform", args=(-4, 4)).pvalue > 1e-3
    counts = np.array([sum(p["act"] == v for p in params) for v in "abcd"])
    assert stats.chisquare(counts).pvalue > 1e-3


def test_sample_draws_subspaces_uniformly():
    space = SearchSpace(CONDITIONAL)
    sub = space.subspace_of(space.sample(3000, np.random.RandomState(0)))
    assert stats.chisquare(np.bincount(sub, minlength=3)).pvalue > 1e-3


@settings(max_examples=40, deadline=None)
@given(X=_cube(SPACE.n_dims))
def test_snap_is_idempotent(X):
    once = SPACE.snap(X)
    np.testing.assert_array_equal(SPACE.snap(once), once)
    assert ((once >= 0) & (once <= 1)).all()
    np.testing.assert_array_equal(X, np.clip(X, 0, 1))  # input untouched


@settings(max_examples=40, deadline=None)
@given(X=_cube(1 + sum(len(d) for d in CONDITIONAL)))
def test_snap_is_idempotent_conditional(X):
    space = SearchSpace(CONDITIONAL)
    once = space.snap(X)
    np.testing.assert_array_equal(space.snap(once), once)
    for row, k in zip(once, space.subspace_of(once), strict=True):
        mask, values = space.fixed_columns(k)
        np.testing.assert_array_equal(row[mask], values[mask])


def test_snap_does_not_modify_input_and_accepts_1d():
    X = np.full(SPACE.n_dims, 0.3)
    out = SPACE.snap(X)
    assert out.shape == (1, SPACE.n_dims)
    assert (X == 0.3).all()


# --- keys ------------------------------------------------------------------


def test_keys_equal_iff_params_equal_discrete():
    space = SearchSpace(
        {
            "a": ["x", "y", "z"],
            "b": stats.randint(1, 4),
            "c": LogUniform(1, 4, integer=True),
            "d": stats.poisson(1),
        }
    )
    X = space.sample(400, np.random.RandomState(0))
    keys = space.keys(X)
    params = [tuple(sorted(p.items())) for p in space.decode(X)]
    for i in range(len(X)):
        for j in range(i):
            assert (keys[i] == keys[j]) == (params[i] == params[j])


def test_keys_equal_iff_params_equal_continuous():
    X = SPACE.sample(200, np.random.RandomState(1))
    keys = SPACE.keys(X)
    assert len(set(keys)) == len(X)
    assert SPACE.keys(SPACE.snap(X)) == keys
    assert SPACE.keys(SPACE.encode(SPACE.decode(X))) == keys
    assert all(hash(k) is not None for k in keys)


# --- layout: indicator, inactive columns, fixed columns, choices -----------


def test_single_dict_layout():
    assert SPACE.n_subspaces == 1
    assert SPACE.n_dims == len(DIST)
    assert SPACE.columns(0) == slice(0, len(DIST))
    np.testing.assert_array_equal(
        SPACE.is_categorical, [name in CATEGORICAL for name in DIST]
    )
    np.testing.assert_array_equal(SPACE.subspace_of(np.zeros((3, SPACE.n_dims))), 0)
    mask, values = SPACE.fixed_columns(0)
    assert not mask.any()
    assert (values == INACTIVE).all()


def test_list_of_dicts_layout():
    space = SearchSpace(CONDITIONAL)
    assert space.n_subspaces == 3
    assert space.n_dims == 1 + 3 + 4 + 1
    assert [space.columns(k) for k in range(3)] == [
        slice(1, 4),
        slice(4, 8),
        slice(8, 9),
    ]
    assert space.is_categorical[0]
    assert space.n_values[0] == 3
    np.testing.assert_array_equal(
        space.is_categorical,
        [True, True, False, False, True, False, False, True, True],
    )
    X = np.full((3, space.n_dims), INACTIVE)
    X[:, 0] = [0.1, 0.5, 0.9]
    np.testing.assert_array_equal(space.subspace_of(X), [0, 1, 2])
    assert [set(p) for p in space.decode(X)] == [set(d) for d in CONDITIONAL]


@pytest.mark.parametrize("k", [0, 1, 2])
def test_fixed_columns(k):
    space = SearchSpace(CONDITIONAL)
    mask, values = space.fixed_columns(k)
    free = np.zeros(space.n_dims, dtype=bool)
    free[space.columns(k)] = True
    np.testing.assert_array_equal(mask, ~free)
    assert values[0] == pytest.approx((k + 0.5) / 3)
    assert (values[1:] == INACTIVE).all()
    # Sampled points of subspace k hold the fixed columns at their values.
    X = space.sample(200, np.random.RandomState(k))
    rows = X[space.subspace_of(X) == k]
    assert len(rows)
    np.testing.assert_array_equal(
        rows[:, mask], np.broadcast_to(values[mask], (len(rows), mask.sum()))
    )


def test_inactive_columns_are_ignored_by_decode_and_reset_by_snap():
    space = SearchSpace(CONDITIONAL)
    X = np.full((1, space.n_dims), 0.123)
    X[0, 0] = 0.9  # the third subspace: {"clf": ["passthrough", None]}
    (params,) = space.decode(X)
    assert params == {"clf": "passthrough"}
    snapped = space.snap(X)
    np.testing.assert_array_equal(snapped[0, 1:8], INACTIVE)
    assert snapped[0, 0] == pytest.approx(5 / 6)


def test_choices():
    space = SearchSpace(
        {
            "cat": ["a", "b", "c", "d"],
            "r": stats.randint(1, 5),
            "small": LogUniform(1, 10, integer=True),
            "big": LogUniform(1, 10 * MAX_CHOICES, integer=True),
            "p": stats.poisson(3),
            "x": LogUniform(1e-3, 1),
        }
    )
    cat, r, small, big, p, x = space.choices()
    np.testing.assert_allclose(cat, [0.125, 0.375, 0.625, 0.875])
    np.testing.assert_allclose(r, [0.125, 0.375, 0.625, 0.875])
    dist = LogUniform(1, 10, integer=True)
    ks = np.arange(1, 11)
    np.testing.assert_allclose(small, (dist.cdf(ks - 1) + dist.cdf(ks)) / 2)
    assert big is None and p is None and x is None
    # Every choice is canonical and decodes to a distinct value.
    for col, centres in ((0, cat), (1, r), (2, small)):
        X = np.tile(space.sample(1, np.random.RandomState(0)), (len(centres), 1))
        X[:, col] = centres
        np.testing.assert_array_equal(space.snap(X), X)
        name = list(space.subspaces[0])[col].name
        assert len({repr(p[name]) for p in space.decode(X)}) == len(centres)


def test_choices_with_indicator():
    space = SearchSpace(CONDITIONAL)
    choices = space.choices()
    assert len(choices) == space.n_dims
    np.testing.assert_allclose(choices[0], [1 / 6, 0.5, 5 / 6])
    np.testing.assert_allclose(choices[1], [0.5])  # clf: [LOGREG]
    np.testing.assert_allclose(choices[4], [0.5])  # clf: [TREE]
    assert choices[2] is None and choices[3] is None  # continuous
    np.testing.assert_allclose(
        choices[5], stats.randint(1, 10).cdf(np.arange(1, 10)) - 1 / 18
    )
    assert choices[6] is None  # poisson: unbounded
    np.testing.assert_allclose(choices[7], [0.25, 0.75])


def test_n_values():
    np.testing.assert_array_equal(
        SPACE.n_values,
        [math.inf, 497, math.inf, math.inf, math.inf, 4, math.inf, 3, len(MIXED)],
    )


@pytest.mark.parametrize(
    ("param_distributions", "size"),
    [
        (
            {
                "a": ["x", "y"],
                "b": stats.randint(1, 5),
                "c": LogUniform(1, 3, integer=True),
            },
            24,
        ),
        ([{"a": ["x", "y"]}, {"b": stats.randint(0, 10), "c": [1, 2, 3]}], 32),
        ({"a": ["x"]}, 1),
        ({"a": ["x", "y"], "lr": LogUniform(1e-3, 1)}, math.inf),
        ({"a": ["x", "y"], "n": stats.poisson(2)}, math.inf),
        ([{"a": ["x"]}, {"u": stats.uniform()}], math.inf),
    ],
)
def test_size(param_distributions, size):
    space = SearchSpace(param_distributions)
    assert space.size == size
    if math.isfinite(size):
        keys = set(space.keys(space.sample(3000, np.random.RandomState(0))))
        assert len(keys) == size


# --- describe --------------------------------------------------------------


def test_describe_in_user_units():
    space = SearchSpace(
        {
            "lr": LogUniform(1e-4, 1.0),
            "units": LogUniform(16, 512, integer=True),
            "beta": OneMinusLogUniform(0.9, 0.999),
            "act": ["relu", "tanh", [1, 2]],
        }
    )
    lower = np.array([0.25, 0.0, 0.5, 0.0])
    upper = np.array([0.5, 1.0, 1.0, 1.0])
    out = space.describe(0, lower, upper, {3: np.array([0.7, 0.3, 0.0])})
    assert out["lr"] == pytest.approx((1e-3, 1e-2))
    assert out["units"] == (16, 512)
    assert all(type(v) is int for v in out["units"])
    assert out["beta"] == pytest.approx((0.99, 0.999))
    assert out["act"] == {"relu": 0.7, "tanh": 0.3}
    uniform = space.describe(0, lower, upper)["act"]
    assert uniform == pytest.approx({"relu": 1 / 3, "tanh": 1 / 3, "[1, 2]": 1 / 3})


def test_describe_subspace_of_list():
    space = SearchSpace(CONDITIONAL)
    lower, upper = np.zeros(space.n_dims), np.ones(space.n_dims)
    out = space.describe(1, lower, upper)
    assert set(out) == set(CONDITIONAL[1])
    assert out["clf__max_depth"] == (1, 9)
    assert out["clf__criterion"] == {"gini": 0.5, "entropy": 0.5}


# --- encode errors and validation ------------------------------------------


def test_encode_rejects_points_outside_the_space():
    space = SearchSpace(CONDITIONAL)
    with pytest.raises(ValueError, match=r"\{'zzz': 1\} is not a point"):
        space.encode([{"zzz": 1}])
    with pytest.raises(ValueError, match="is not a point of param_distributions"):
        space.encode([{"clf": TREE, "clf__C": 1.0, "clf__tol": 0.0}])
    with pytest.raises(ValueError, match="is not a point of param_distributions"):
        SearchSpace({"n": stats.randint(1, 5)}).encode([{"n": 7}])
    with pytest.raises(ValueError, match="is not a point of param_distributions"):
        SearchSpace({"n": stats.randint(1, 5)}).encode([{"n": 2.5}])
    with pytest.raises(ValueError, match="is not a point of param_distributions"):
        SearchSpace({"lr": LogUniform(1e-3, 1)}).encode([{"lr": 2.0}])


class _RvsOnly:
    def rvs(self, size=None, random_state=None):
        return 1.0

    def __repr__(self):
        return "_RvsOnly()"


NOT_A_DIST = "must be a distribution with rvs/cdf/ppf or a non-empty list of values"
INVALID = [
    ({}, "param_distributions must be a non-empty dict; got {}"),
    ([], "param_distributions must be a dict or a non-empty list of dicts; got []"),
    (
        "abc",
        "param_distributions must be a dict or a non-empty list of dicts; got 'abc'",
    ),
    (
        None,
        "param_distributions must be a dict or a non-empty list of dicts; got None",
    ),
    ([{}], "param_distributions[0] must be a non-empty dict; got {}"),
    ([{"a": [1]}, "b"], "param_distributions[1] must be a non-empty dict; got 'b'"),
    (
        {"a": "abc"},
        "param_distributions['a'] must be a distribution or a list of values; "
        "got 'abc'",
    ),
    (
        {"a": {"x": 1}},
        "param_distributions['a'] must be a distribution or a list of values; "
        "got {'x': 1}",
    ),
    (
        {"a": 3},
        f"param_distributions['a'] {NOT_A_DIST}; got 3",
    ),
    (
        {"a": 0.5},
        f"param_distributions['a'] {NOT_A_DIST}; got 0.5",
    ),
    (
        {"a": []},
        f"param_distributions['a'] {NOT_A_DIST}; got []",
    ),
    (
        {"a": _RvsOnly()},
        "param_distributions['a'] has rvs but no cdf/ppf, so it cannot be mapped to "
        "the unit cube; got _RvsOnly()",
    ),
    ({1: [1, 2]}, "param_distributions keys must be parameter names (str); got 1"),
    (
        [{"a": [1]}, {"b": 3}],
        "param_distributions[1]['b'] must be a distribution with rvs/cdf/ppf",
    ),
    (
        [{"a": [1]}, {None: [1]}],
        "param_distributions[1] keys must be parameter names (str); got None",
    ),
]


@pytest.mark.parametrize(("param_distributions", "message"), INVALID)
def test_invalid_param_distributions(param_distributions, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SearchSpace(param_distributions)


def test_invalid_2d_array_message_quotes_the_array():
    with pytest.raises(ValueError, match=re.escape("param_distributions['a']")) as info:
        SearchSpace({"a": np.array([[1, 2], [3, 4]])})
    assert "array(" in str(info.value)


def test_tuple_and_1d_array_are_categorical():
    space = SearchSpace({"a": ("x", "y"), "b": np.array([1, 2, 3])})
    assert space.n_values.tolist() == [2, 3]
    (params,) = space.decode(np.array([[0.9, 0.9]]))
    assert params == {"a": "y", "b": 3}
    assert type(params["b"]) is int


def test_rv_discrete_with_values_is_discrete():
    dist = stats.rv_discrete(values=([10, 100, 1000], [0.3, 0.3, 0.4]))
    space = SearchSpace({"n_estimators": dist})
    X = space.sample(50, np.random.RandomState(0))
    params = space.decode(X)
    assert {p["n_estimators"] for p in params} == {10, 100, 1000}
    assert all(type(p["n_estimators"]) is int for p in params)
    np.testing.assert_array_equal(space.snap(X), X)
    assert len(set(space.keys(X))) == 3


def test_size_counts_only_values_with_positive_mass():
    space = SearchSpace({"k": stats.binom(4, 1.0), "c": ["a", "b"]})
    assert len(set(space.keys(space.sample(200, np.random.RandomState(0))))) == 2
    assert space.size == 2


def test_duplicate_categorical_values_are_one_candidate():
    space = SearchSpace({"a": ["x", "x", "y"]})
    X = space.sample(3000, np.random.RandomState(0))
    params = space.decode(X)
    # Listing "x" twice still weights it: about 2/3 of the draws.
    assert np.mean([p["a"] == "x" for p in params]) == pytest.approx(2 / 3, abs=0.03)
    np.testing.assert_array_equal(space.encode(params), X)
    assert len(set(space.keys(X))) == 2
    assert space.size == 2


class _UniformWithoutSupport:
    """A distribution with only ``rvs``, ``cdf`` and ``ppf`` (no ``support``)."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def rvs(self, size=None, random_state=None):
        rng = np.random.RandomState(random_state)
        return rng.uniform(self.low, self.high, size=size)

    def cdf(self, x):
        return np.clip((np.asarray(x) - self.low) / (self.high - self.low), 0, 1)

    def ppf(self, q):
        return self.low + np.asarray(q) * (self.high - self.low)


def test_distribution_without_support_uses_its_quantiles():
    # The documented protocol is rvs/cdf/ppf; support() is scipy's extra.
    space = SearchSpace({"c": _UniformWithoutSupport(2.0, 4.0)})
    params = space.decode(space.sample(20, np.random.RandomState(0)))
    assert all(2.0 <= p["c"] <= 4.0 for p in params)
    assert space.subspaces[0][0].in_support(3.0)
    assert not space.subspaces[0][0].in_support(5.0)


@pytest.mark.parametrize(
    ("dist", "value"),
    [
        (stats.uniform(1.5, 0.0), 1.5),
        (stats.norm(-2.0, 0.0), -2.0),
        (stats.lognorm(1.0, loc=3.0, scale=0.0), 3.0),
    ],
)
def test_zero_scale_law_is_the_one_value_it_draws(dist, value):
    # Before: scipy's NaN quantiles became NaN candidates and every fit failed.
    space = SearchSpace({"C": dist, "k": ["a", "b"]})
    params = space.decode(space.sample(10, np.random.RandomState(0)))
    assert {p["C"] for p in params} == {value}
    assert {p["k"] for p in params} == {"a", "b"}
    assert space.size == 2


@pytest.mark.parametrize(
    ("dist", "match"),
    [
        (stats.beta(-1.0, 2.0), "has an undefined quantile"),
        (stats.poisson(-1.0), "has an undefined quantile"),
        (stats.randint(5, 5), "has an undefined quantile"),
        # Before: decoded to wrong integers (0.01 and 0.1 both became 0).
        (
            stats.rv_discrete(values=([0.01, 0.1, 10.0], [0.3, 0.3, 0.4])),
            "is a discrete distribution",
        ),
        (
            stats.rv_discrete(values=([1, 2.5], [0.5, 0.5])),
            "is a discrete distribution",
        ),
    ],
)
def test_unusable_law_is_a_clear_error(dist, match):
    with pytest.raises(ValueError, match=r"\['C'\] " + match):
        SearchSpace({"C": dist})


@pytest.mark.parametrize(
    "dist",
    [
        stats.rv_discrete(values=([1, 4, 9], [0.2, 0.3, 0.5])),
        stats.randint(2, 40),
        stats.poisson(3.0),
        stats.zipf(1.5),
    ],
)
def test_discrete_distributions_with_integer_values_are_accepted(dist):
    space = SearchSpace({"n": dist})
    values = [p["n"] for p in space.decode(space.sample(20, np.random.RandomState(0)))]
    assert all(isinstance(v, int) for v in values)
    assert all(dist.pmf(v) > 0 for v in values)
