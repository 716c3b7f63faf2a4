"""Tests of sk_hpsearch.strategies._zoom: coarse-to-fine regions of the cube."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from sk_hpsearch import LogUniform, OneMinusLogUniform
from sk_hpsearch.space._space import INACTIVE, SearchSpace
from sk_hpsearch.strategies._zoom import (
    _MAX_ASPECT,
    _MIN_ASPECT,
    EDGE_FRACTION,
    Region,
    zoom,
)

# Columns: 0 lr (continuous), 1 x (continuous), 2 act (categorical).
SPACE = SearchSpace(
    {"lr": LogUniform(1e-4, 1.0), "x": stats.uniform(0, 1), "act": ["a", "b", "c"]}
)
NUMERIC = [0, 1]
ACT = 2

# Columns: 0 indicator, 1-2 subspace 0, 3-4 subspace 1, 5 subspace 2.
LISTED = SearchSpace(
    [
        {"lr": LogUniform(1e-4, 1.0), "act": ["a", "b"]},
        {"beta": OneMinusLogUniform(0.9, 0.999), "depth": stats.randint(1, 11)},
        {"kind": ["p", "q", "r"]},
    ]
)


def _points(space, rows):
    """Canonical points from dicts of column -> value (others at 0.5)."""
    X = np.full((len(rows), space.n_dims), 0.5)
    for i, row in enumerate(rows):
        for col, value in row.items():
            X[i, col] = value
    return space.snap(X)


def _act_of(X):
    return np.floor(X[:, ACT] * 3).astype(int)


# --- Region.whole ----------------------------------------------------------


def test_whole_is_the_whole_cube():
    region = Region.whole(LISTED)
    assert region.width == 1.0
    np.testing.assert_array_equal(region.lower, np.zeros((3, LISTED.n_dims)))
    np.testing.assert_array_equal(region.upper, np.ones((3, LISTED.n_dims)))
    np.testing.assert_allclose(region.weights, [1 / 3] * 3)
    assert region.categorical == [{}, {}, {}]


def test_whole_samples_like_the_prior():
    X = Region.whole(SPACE).sample(SPACE, np.random.RandomState(0), 4000)
    assert X.shape == (4000, SPACE.n_dims)
    np.testing.assert_array_equal(SPACE.snap(X), X)
    lr = np.array([p["lr"] for p in SPACE.decode(X)])
    assert stats.kstest(np.log10(lr), "uniform", args=(-4, 4)).pvalue > 1e-3
    assert stats.kstest(X[:, 1], "uniform").pvalue > 1e-3
    assert stats.chisquare(np.bincount(_act_of(X), minlength=3)).pvalue > 1e-3


def test_whole_samples_subspaces_uniformly():
    X = Region.whole(LISTED).sample(LISTED, np.random.RandomState(0), 3000)
    np.testing.assert_array_equal(LISTED.snap(X), X)
    sub = LISTED.subspace_of(X)
    assert stats.chisquare(np.bincount(sub, minlength=3)).pvalue > 1e-3
    for k in range(3):
        mask, values = LISTED.fixed_columns(k)
        rows = X[sub == k]
        assert (rows[:, mask] == values[mask]).all()
    assert {frozenset(p) for p in LISTED.decode(X)} == {
        frozenset(d.name for d in dims) for dims in LISTED.subspaces
    }


def test_sample_is_reproducible():
    region = Region.whole(LISTED)
    a = region.sample(LISTED, np.random.RandomState(3), 20)
    b = region.sample(LISTED, np.random.RandomState(3), 20)
    np.testing.assert_array_equal(a, b)


# --- zoom: centre and side -------------------------------------------------


def test_zoom_centres_on_the_best_finite_score_ignoring_nan_and_inf():
    rng = np.random.RandomState(0)
    X = SPACE.sample(40, rng)
    scores = rng.uniform(size=40)
    best = 5
    scores[best] = 2.0
    scores[[6, 7, 8]] = [np.nan, np.inf, -np.inf]
    X_before, scores_before = X.copy(), scores.copy()
    region = zoom(SPACE, X, scores, width=0.2, top_k=1)
    np.testing.assert_array_equal(X, X_before)  # inputs untouched
    np.testing.assert_array_equal(scores, scores_before)
    centre = X[best, NUMERIC]
    np.testing.assert_allclose(region.lower[0, NUMERIC], np.clip(centre - 0.1, 0, 1))
    np.testing.assert_allclose(region.upper[0, NUMERIC], np.clip(centre + 0.1, 0, 1))
    assert region.width == 0.2
    weights = region.categorical[0][ACT]
    assert np.argmax(weights) == _act_of(X[[best]])[0]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_score_is_never_the_centre(bad):
    X = _points(SPACE, [{0: 0.1, 1: 0.1}, {0: 0.8, 1: 0.7}])
    region = zoom(SPACE, X, np.array([bad, -5.0]), width=0.2, top_k=2)
    np.testing.assert_allclose(region.lower[0, NUMERIC], [0.7, 0.6])
    np.testing.assert_allclose(region.upper[0, NUMERIC], [0.9, 0.8])


@pytest.mark.parametrize("width", [0.02, 0.1, 0.3, 0.6, 1.0])
def test_width_is_the_side_of_the_box(width):
    X = _points(SPACE, [{0: 0.5, 1: 0.5, 2: 0.2}, {0: 0.1, 1: 0.9, 2: 0.9}])
    region = zoom(SPACE, X, np.array([1.0, 0.0]), width=width, top_k=1)
    np.testing.assert_allclose(
        region.upper[0, NUMERIC] - region.lower[0, NUMERIC], width
    )
    np.testing.assert_allclose(
        (region.upper[0, NUMERIC] + region.lower[0, NUMERIC]) / 2, 0.5
    )


def test_box_is_clipped_to_the_cube():
    X = _points(SPACE, [{0: 0.02, 1: 0.97}])
    region = zoom(SPACE, X, np.array([1.0]), width=0.2, top_k=1)
    np.testing.assert_allclose(region.lower[0, NUMERIC], [0.0, 0.87])
    np.testing.assert_allclose(region.upper[0, NUMERIC], [0.12, 1.0])


def test_aspect_follows_the_spread_of_the_best_points():
    # The best points spread widely along column 0 and agree on column 1.
    rows = [{0: 0.5, 1: 0.5}] + [
        {0: v, 1: 0.5 + d}
        for v, d in zip([0.1, 0.3, 0.7, 0.9], [1e-3, -1e-3, 2e-3, 0], strict=True)
    ]
    X = _points(SPACE, rows)
    width = 0.2
    region = zoom(SPACE, X, np.array([5.0, 4, 3, 2, 1]), width=width, top_k=5)
    side = region.upper[0, NUMERIC] - region.lower[0, NUMERIC]
    np.testing.assert_allclose(side, [_MAX_ASPECT * width, _MIN_ASPECT * width])


def test_identical_best_points_keep_the_plain_width():
    X = _points(SPACE, [{0: 0.5, 1: 0.5}] * 3)
    region = zoom(SPACE, X, np.array([3.0, 2.0, 1.0]), width=0.3, top_k=3)
    np.testing.assert_allclose(region.upper[0, NUMERIC] - region.lower[0, NUMERIC], 0.3)


@settings(max_examples=60, deadline=None)
@given(
    X=arrays(
        np.float64, st.tuples(st.integers(1, 12), st.just(3)), elements=st.floats(0, 1)
    ),
    width=st.floats(0.01, 1.0),
    top_k=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_box_side_is_bounded_and_holds_the_centre(X, width, top_k, seed):
    X = SPACE.snap(X)
    scores = np.random.RandomState(seed).normal(size=len(X))
    region = zoom(SPACE, X, scores, width=width, top_k=top_k)
    lower, upper = region.lower[0, NUMERIC], region.upper[0, NUMERIC]
    centre = X[np.argmax(scores), NUMERIC]
    assert ((0 <= lower) & (lower <= centre) & (centre <= upper) & (upper <= 1)).all()
    side = upper - lower
    assert (side <= _MAX_ASPECT * width + 1e-12).all()
    unclipped = (lower > 0) & (upper < 1)
    assert (side[unclipped] >= _MIN_ASPECT * width - 1e-12).all()
    weights = region.categorical[0][ACT]
    assert weights.sum() == pytest.approx(1.0)
    assert (weights >= width / 3 - 1e-12).all()


def test_region_samples_lie_in_the_box():
    rng = np.random.RandomState(0)
    X = SPACE.sample(30, rng)
    region = zoom(SPACE, X, rng.normal(size=30), width=0.25, top_k=4)
    Z = region.sample(SPACE, rng, 500)
    np.testing.assert_array_equal(SPACE.snap(Z), Z)
    assert (Z[:, NUMERIC] >= region.lower[0, NUMERIC]).all()
    assert (Z[:, NUMERIC] <= region.upper[0, NUMERIC]).all()


# --- categorical columns and subspaces -------------------------------------


def test_categorical_reweighting_favours_the_best_value():
    # act of the best four: a, a, a, b (c never among the best)
    X = _points(
        SPACE,
        [{2: 0.1}, {2: 0.1}, {2: 0.1}, {2: 0.5}, {2: 0.9}, {2: 0.9}],
    )
    scores = np.array([6.0, 5, 4, 3, 2, 1])
    region = zoom(SPACE, X, scores, width=0.5, top_k=4)
    weights = region.categorical[0][ACT]
    np.testing.assert_allclose(weights, 0.5 * np.array([0.75, 0.25, 0]) + 0.5 / 3)
    assert weights[0] > weights[1] > weights[2] > 0

    tiny = zoom(SPACE, X, scores, width=1e-3, top_k=4).categorical[0][ACT]
    assert (tiny > 0).all()  # every value stays possible
    whole = zoom(SPACE, X, scores, width=1.0, top_k=4).categorical[0][ACT]
    np.testing.assert_allclose(whole, [1 / 3] * 3)

    Z = region.sample(SPACE, np.random.RandomState(0), 4000)
    counts = np.bincount(_act_of(Z), minlength=3)
    assert stats.chisquare(counts, weights * 4000).pvalue > 1e-3


def test_subspace_weights_follow_the_best_points():
    rng = np.random.RandomState(0)
    X = LISTED.sample(60, rng)
    sub = LISTED.subspace_of(X)
    scores = np.where(sub == 1, 10.0 + rng.uniform(size=60), rng.uniform(size=60))
    width = 0.3
    region = zoom(LISTED, X, scores, width=width, top_k=5)
    np.testing.assert_allclose(
        region.weights, (1 - width) * np.array([0, 1, 0]) + width / 3
    )
    Z = region.sample(LISTED, rng, 3000)
    counts = np.bincount(LISTED.subspace_of(Z), minlength=3)
    assert stats.chisquare(counts, region.weights * 3000).pvalue > 1e-3
    # Each subspace's box is centred on its own best point.
    for k in range(3):
        best = np.flatnonzero(sub == k)[np.argmax(scores[sub == k])]
        cols = [
            c
            for c in range(LISTED.columns(k).start, LISTED.columns(k).stop)
            if not LISTED.is_categorical[c]
        ]
        assert (region.lower[k, cols] <= X[best, cols]).all()
        assert (X[best, cols] <= region.upper[k, cols]).all()
        for c in range(LISTED.n_dims):
            if LISTED.fixed_columns(k)[0][c]:
                assert (region.lower[k, c], region.upper[k, c]) == (0.0, 1.0)


def test_subspace_without_finite_scores_keeps_its_whole_box():
    X = _points(LISTED, [{0: 0.1, 1: 0.5}, {0: 0.5, 3: 0.5}, {0: 0.9}])
    X = LISTED.snap(X)
    region = zoom(LISTED, X, np.array([1.0, np.nan, 0.5]), width=0.2, top_k=3)
    np.testing.assert_array_equal(region.lower[1], 0.0)
    np.testing.assert_array_equal(region.upper[1], 1.0)
    assert region.categorical[1] == {}
    assert region.lower[0, 1] == pytest.approx(0.4)
    # Subspace 1 had no finite score: it keeps only the width / K floor.
    np.testing.assert_allclose(region.weights, 0.8 * np.array([0.5, 0, 0.5]) + 0.2 / 3)


@pytest.mark.parametrize("scores", [[np.nan] * 4, [np.nan, np.inf, -np.inf, np.nan]])
def test_no_finite_score_gives_the_whole_space(scores):
    X = LISTED.sample(4, np.random.RandomState(0))
    region = zoom(LISTED, X, np.array(scores), width=0.1, top_k=2)
    whole = Region.whole(LISTED)
    assert region.width == 1.0
    np.testing.assert_array_equal(region.lower, whole.lower)
    np.testing.assert_array_equal(region.upper, whole.upper)
    np.testing.assert_array_equal(region.weights, whole.weights)
    assert region.categorical == whole.categorical


# --- integer columns -------------------------------------------------------


def test_uniform_integer_neighbours_stay_reachable():
    space = SearchSpace({"n": stats.randint(0, 100), "x": stats.uniform()})
    X = space.encode([{"n": 50, "x": 0.5}])
    region = zoom(space, X, np.array([1.0]), width=1e-4, top_k=1)
    values = {
        p["n"]
        for p in space.decode(region.sample(space, np.random.RandomState(0), 400))
    }
    assert values == {49, 50, 51}


def test_log_integer_neighbours_stay_reachable():
    space = SearchSpace(
        {"units": LogUniform(16, 512, integer=True), "x": stats.uniform()}
    )
    X = space.encode([{"units": 16, "x": 0.5}, {"units": 100, "x": 0.1}])
    region = zoom(space, X, np.array([1.0, 0.0]), width=0.01, top_k=1)
    Z = region.sample(space, np.random.RandomState(0), 400)
    assert {16, 17} <= {p["units"] for p in space.decode(Z)}


# --- contains_on_edge and describe -----------------------------------------


def _box(lower, upper):
    return Region(
        width=0.2,
        lower=np.array([lower], dtype=float),
        upper=np.array([upper], dtype=float),
        weights=np.array([1.0]),
        categorical=[{}],
    )


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ([0.5, 0.5, 0.5], False),
        ([0.41, 0.5, 0.5], True),
        ([0.59, 0.5, 0.5], True),
        ([0.5, 0.405, 0.5], True),
        ([0.4 + 0.2 * EDGE_FRACTION + 0.01, 0.5, 0.5], False),
        ([0.5, 0.5, 1 / 6], False),  # categorical columns have no edge
    ],
)
def test_contains_on_edge(point, expected):
    region = _box([0.4, 0.4, 0.0], [0.6, 0.6, 1.0])
    assert region.contains_on_edge(SPACE, np.array(point)) is expected


def test_faces_of_the_cube_are_not_edges():
    region = _box([0.0, 0.8, 0.0], [0.2, 1.0, 1.0])
    assert region.contains_on_edge(SPACE, np.array([0.0, 1.0, 0.5])) is False
    assert region.contains_on_edge(SPACE, np.array([0.19, 1.0, 0.5])) is True
    assert region.contains_on_edge(SPACE, np.array([0.0, 0.81, 0.5])) is True


def test_contains_on_edge_ignores_other_subspaces_columns():
    X = _points(LISTED, [{0: 0.5, 3: 0.5, 4: 0.55}])
    region = zoom(LISTED, X, np.array([1.0]), width=0.2, top_k=1)
    # Column 1 belongs to subspace 0: its box there is irrelevant.
    region.lower[1, 1], region.upper[1, 1] = 0.45, 0.55
    assert region.contains_on_edge(LISTED, X[0]) is False
    near = X[0].copy()
    near[3] = region.lower[1, 3] + 1e-3
    assert region.contains_on_edge(LISTED, near) is True


def test_describe_single_dict():
    X = _points(SPACE, [{0: 0.5, 1: 0.5, 2: 0.1}])
    region = zoom(SPACE, X, np.array([1.0]), width=0.25, top_k=1)
    out = region.describe(SPACE)
    assert set(out) == {"width", "params"}
    assert out["width"] == 0.25
    assert out["params"]["lr"] == pytest.approx((10**-2.5, 10**-1.5))
    assert out["params"]["x"] == pytest.approx((0.375, 0.625))
    assert out["params"]["act"] == pytest.approx(
        {"a": 0.75 + 0.25 / 3, "b": 0.25 / 3, "c": 0.25 / 3}
    )
    whole = Region.whole(SPACE).describe(SPACE)
    assert whole == {
        "width": 1.0,
        "params": {
            "lr": (1e-4, 1.0),
            "x": (0.0, 1.0),
            "act": pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}),
        },
    }


def test_describe_list_of_dicts():
    out = Region.whole(LISTED).describe(LISTED)
    assert set(out) == {"width", "params", "subspace_weights"}
    assert out["subspace_weights"] == pytest.approx([1 / 3] * 3)
    assert all(type(w) is float for w in out["subspace_weights"])
    assert out["params"][0]["lr"] == pytest.approx((1e-4, 1.0))
    assert out["params"][1]["beta"] == pytest.approx((0.9, 0.999))
    assert out["params"][1]["depth"] == (1, 10)
    assert out["params"][2]["kind"] == pytest.approx(
        {"p": 1 / 3, "q": 1 / 3, "r": 1 / 3}
    )
    assert INACTIVE == 0.5
