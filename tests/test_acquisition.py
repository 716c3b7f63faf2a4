"""Tests of the acquisition layer ``sk_hpsearch.bo._acquisition``."""

import itertools
import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_hpsearch.bo._acquisition import (
    _ASYMPTOTE_BELOW,
    ACQUISITION_NAMES,
    AcquisitionFunction,
    Domain,
    FantasyAcquisition,
    ei,
    log_ei,
    log_pi,
    make_acquisition,
    optimize_acquisition,
    propose_batch,
    ucb,
)
from sk_hpsearch.bo._gp import GaussianProcess, GPParams, fit_gp, standardize_scores

FAST = settings(max_examples=30, deadline=None, database=None)
N_INTEGERS = 50
CATEGORY_CENTRES = (np.arange(3) + 0.5) / 3
FIXED_VALUE = 0.5


def _on(acq: AcquisitionFunction, space: dict) -> AcquisitionFunction:
    """``acq`` with the domain described by ``space`` (a dict of Domain's args)."""
    return AcquisitionFunction(acq.gp, acq.terms_fn, Domain(**space))


def _propose(gp, n_points, *, acq_func, best, beta=4.0, exclude, rng, **kwargs):
    """:func:`propose_batch` of ``acq_func`` on the domain given as keywords."""
    options = {k: kwargs.pop(k) for k in ("n_sweep", "n_restarts") if k in kwargs}
    acq = make_acquisition(gp, acq_func, best, beta=beta, domain=Domain(**kwargs))
    return propose_batch(acq, n_points, exclude=exclude, rng=rng, **options)


def _centre(x: np.ndarray, k: int) -> np.ndarray:
    """Cell centre of ``k`` equal cells containing ``x``."""
    return (np.minimum(np.floor(x * k), k - 1) + 0.5) / k


def _mixed_snap(X: np.ndarray) -> np.ndarray:
    """Columns: continuous, integer (50 values), categorical (3), inactive."""
    X = np.array(X, dtype=float)
    X[:, 1] = _centre(X[:, 1], N_INTEGERS)
    X[:, 2] = _centre(X[:, 2], 3)
    X[:, 3] = 0.0  # a snap that disagrees with the fixed value
    return X


MIXED_SPACE = {
    "is_categorical": np.array([False, False, True, False]),
    "choices": [None, None, CATEGORY_CENTRES, None],
    "snap": _mixed_snap,
    "fixed_mask": np.array([False, False, False, True]),
    "fixed_values": np.array([0.0, 0.0, 0.0, FIXED_VALUE]),
}


def _mixed_objective(X: np.ndarray) -> np.ndarray:
    bonus = np.array([0.0, 0.5, 0.2])[np.floor(X[:, 2] * 3).astype(int)]
    return -((X[:, 0] - 0.3) ** 2) - (X[:, 1] - 0.6) ** 2 + bonus


def _fitted_mixed_gp(seed: int = 0, n: int = 20) -> GaussianProcess:
    rng = np.random.default_rng(seed)
    X = _mixed_snap(rng.random((n, 4)))
    X[:, 3] = FIXED_VALUE
    z = standardize_scores(_mixed_objective(X))
    return fit_gp(X, z, MIXED_SPACE["is_categorical"], rng=rng)


# Fully discrete space: a categorical column (3) and an integer column (2 values).
GRID = np.array(list(itertools.product(CATEGORY_CENTRES, [0.25, 0.75])))


def _grid_snap(X: np.ndarray) -> np.ndarray:
    return np.column_stack([_centre(X[:, 0], 3), _centre(X[:, 1], 2)])


GRID_SPACE = {
    "is_categorical": np.array([True, False]),
    "choices": [CATEGORY_CENTRES, np.array([0.25, 0.75])],
    "snap": _grid_snap,
    "fixed_mask": np.zeros(2, bool),
    "fixed_values": np.zeros(2),
}


def _grid_gp() -> GaussianProcess:
    z = np.array([0.0, 1.0, -0.5, 0.4, 0.2, -1.0])
    return GaussianProcess(GRID, z, GRID_SPACE["is_categorical"], GPParams.default(2))


def _is_row_of(x: np.ndarray, rows: np.ndarray) -> bool:
    return bool(np.any(np.all(np.abs(rows - x) <= 1e-9, axis=1)))


SCALAR_ACQUISITIONS = {
    "log_ei": lambda mean, std: log_ei(mean, std, 0.3),
    "ei": lambda mean, std: ei(mean, std, 0.3),
    "log_pi": lambda mean, std: log_pi(mean, std, 0.3),
    "ucb": lambda mean, std: ucb(mean, std, 2.0),
}


def test_log_ei_equals_log_of_ei_where_representable():
    std = np.full(4001, 0.7)
    mean = 0.3 + std * np.linspace(-38.0, 6.0, 4001)
    expected = ei(mean, std, 0.3).value
    representable = expected > 1e-300
    assert representable.sum() > 3900
    np.testing.assert_allclose(
        log_ei(mean, std, 0.3).value[representable],
        np.log(expected[representable]),
        rtol=1e-10,
        atol=1e-10,
    )


def test_log_ei_is_finite_and_increasing_far_below_incumbent():
    u = -np.geomspace(1e10, 1e-3, 20001)
    u = np.concatenate([u, np.linspace(0.0, 5.0, 101)])
    terms = log_ei(u, np.ones_like(u), 0.0)
    assert np.isfinite(terms.value).all()
    assert np.isfinite(terms.d_mean).all() and np.isfinite(terms.d_std).all()
    assert np.all(np.diff(terms.value) > 0)
    assert np.all(terms.d_mean > 0)
    assert terms.value[np.argmin(np.abs(u + 1e3))] == pytest.approx(-5e5, rel=1e-3)


def test_log_ei_erfcx_branch_matches_asymptotic_series():
    # h(u) = phi(u) / u^2 * (1 - 3 / u^2 + 15 / u^4 + O(u^-6)) as u -> -inf.
    u = -np.geomspace(50.0, -_ASYMPTOTE_BELOW, 200)
    series = (
        -0.5 * u**2
        - 0.5 * np.log(2 * np.pi)
        - 2 * np.log(-u)
        + np.log1p(-3 / u**2 + 15 / u**4)
    )
    np.testing.assert_allclose(log_ei(u, np.ones_like(u), 0.0).value, series, atol=1e-7)


@pytest.mark.parametrize("boundary", [-1.0, _ASYMPTOTE_BELOW])
def test_log_ei_is_continuous_across_branches(boundary):
    u = np.array([boundary * (1 - 1e-9), boundary * (1 + 1e-9)])
    values = log_ei(u, np.ones(2), 0.0).value
    assert values[0] == pytest.approx(values[1], rel=1e-6)


def _partial_differences(fn, mean: float, std: float, h: float):
    """Central differences of ``fn(mean, std).value`` w.r.t. mean and std."""

    def value(m, s):
        return fn(np.array([m]), np.array([s])).value[0]

    d_mean = (value(mean + h, std) - value(mean - h, std)) / (2 * h)
    d_std = (value(mean, std + h) - value(mean, std - h)) / (2 * h)
    return d_mean, d_std


@pytest.mark.parametrize("name", sorted(SCALAR_ACQUISITIONS))
@FAST
@given(mean=st.floats(-4.0, 4.0), std=st.floats(0.05, 3.0))
def test_scalar_acquisition_derivatives_match_finite_differences(name, mean, std):
    fn = SCALAR_ACQUISITIONS[name]
    terms = fn(np.array([mean]), np.array([std]))
    fd_mean, fd_std = _partial_differences(fn, mean, std, h=1e-6)
    assert terms.d_mean[0] == pytest.approx(fd_mean, rel=1e-5, abs=1e-7)
    assert terms.d_std[0] == pytest.approx(fd_std, rel=1e-5, abs=1e-7)


@FAST
@given(u=st.floats(-1e3, -1.0), std=st.floats(0.1, 3.0))
def test_log_ei_derivatives_match_finite_differences_far_below(u, std):
    terms = log_ei(np.array([u * std]), np.array([std]), 0.0)
    fd_mean, fd_std = _partial_differences(
        lambda m, s: log_ei(m, s, 0.0), u * std, std, h=1e-7 * std
    )
    assert terms.d_mean[0] == pytest.approx(fd_mean, rel=1e-4)
    assert terms.d_std[0] == pytest.approx(fd_std, rel=1e-4)


@pytest.mark.parametrize("fantasies", [False, True])
@pytest.mark.parametrize("name", ACQUISITION_NAMES)
def test_acquisition_gradient_matches_finite_differences(name, fantasies):
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, name, best=float(gp.z.max()), beta=3.0)
    rng = np.random.default_rng(1)
    if fantasies:  # averaged over 4 draws at 2 pending points
        pending = _mixed_snap(rng.random((2, 4)))
        pending[:, 3] = FIXED_VALUE
        acq = FantasyAcquisition(acq, pending, 4, rng)
    Xq = _mixed_snap(rng.random((4, 4)))
    Xq[:, 0] = rng.uniform(0.05, 0.95, size=4)
    Xq[:, 1] = rng.uniform(0.05, 0.95, size=4)
    values, grads = acq(Xq)
    np.testing.assert_allclose(acq.values(Xq), values, rtol=1e-8, atol=1e-10)
    assert grads.shape == (4, 4)
    np.testing.assert_array_equal(grads[:, 2], 0.0)
    h = 1e-6
    for j in (0, 1, 3):
        step = np.zeros(4)
        step[j] = h
        fd = (acq.values(Xq + step) - acq.values(Xq - step)) / (2 * h)
        np.testing.assert_allclose(grads[:, j], fd, rtol=1e-4, atol=1e-6)


def test_make_acquisition_rejects_unknown_name():
    with pytest.raises(ValueError, match="Unknown acquisition function 'qei'"):
        make_acquisition(_grid_gp(), "qei", best=0.0)


def test_optimize_acquisition_rejects_wrong_number_of_choices():
    acq = make_acquisition(_grid_gp(), "logei", best=1.0)
    space = {**GRID_SPACE, "choices": [CATEGORY_CENTRES]}
    with pytest.raises(ValueError, match="choices has length 1, expected"):
        optimize_acquisition(_on(acq, space), exclude=np.empty((0, 2)), rng=0)


@FAST
@given(
    excluded=st.sets(st.integers(0, len(GRID) - 1)),
    name=st.sampled_from(ACQUISITION_NAMES),
)
def test_optimize_acquisition_never_returns_an_excluded_point(excluded, name):
    exclude = GRID[sorted(excluded)].reshape(-1, 2)
    acq = make_acquisition(_grid_gp(), name, best=1.0)
    result = optimize_acquisition(
        _on(acq, GRID_SPACE), exclude=exclude, rng=0, n_sweep=64, n_restarts=3
    )
    if len(excluded) == len(GRID):
        assert result is None
        return
    x, value = result
    assert _is_row_of(x, GRID)
    assert not _is_row_of(x, exclude)
    assert np.isfinite(value)


def test_optimize_acquisition_respects_fixed_and_discrete_columns():
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, "logei", best=float(gp.z.max()))
    x, value = optimize_acquisition(
        _on(acq, MIXED_SPACE), exclude=gp.X, rng=np.random.default_rng(5)
    )
    assert x[3] == FIXED_VALUE
    assert np.any(np.isclose(x[2], CATEGORY_CENTRES, rtol=0, atol=1e-12))
    assert x[1] == _centre(np.array([x[1]]), N_INTEGERS)[0]
    assert 0.0 <= x[0] <= 1.0
    assert not _is_row_of(x, gp.X)
    assert value == pytest.approx(acq.values(x[None])[0])


def test_optimize_acquisition_skips_excluded_maximiser():
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, "ucb", best=0.0)
    first, _ = optimize_acquisition(_on(acq, MIXED_SPACE), exclude=gp.X, rng=0)
    exclude = np.vstack([gp.X, first])
    second, _ = optimize_acquisition(_on(acq, MIXED_SPACE), exclude=exclude, rng=0)
    assert not _is_row_of(second, exclude)


def test_optimize_acquisition_is_reproducible_with_same_seed():
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, "logei", best=float(gp.z.max()))
    runs = [
        optimize_acquisition(_on(acq, MIXED_SPACE), exclude=gp.X, rng=seed)[0]
        for seed in (np.random.RandomState(7), np.random.RandomState(7))
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_propose_batch_returns_distinct_points():
    gp = _fitted_mixed_gp()
    X_batch, values = _propose(
        gp,
        4,
        acq_func="logei",
        best=float(gp.z.max()),
        **MIXED_SPACE,
        exclude=gp.X,
        rng=0,
    )
    assert X_batch.shape == (4, 4)
    assert values.shape == (4,)
    assert np.isfinite(values).all()
    for i, x in enumerate(X_batch):
        assert not _is_row_of(x, gp.X)
        assert not _is_row_of(x, np.delete(X_batch, i, axis=0))
    np.testing.assert_array_equal(X_batch[:, 3], FIXED_VALUE)


def _batch(gp, n_points, seed=0, **kwargs):
    kwargs = {
        "acq_func": "logei",
        "best": float(gp.z.max()),
        **MIXED_SPACE,
        "exclude": gp.X,
        **kwargs,
    }
    return _propose(gp, n_points, rng=np.random.RandomState(seed), **kwargs)


@pytest.mark.parametrize("acq_func", ACQUISITION_NAMES)
def test_propose_batch_of_eight_is_new_distinct_and_canonical(acq_func):
    gp = _fitted_mixed_gp()
    X_batch, values = _batch(gp, 8, acq_func=acq_func)
    assert X_batch.shape == (8, 4) and values.shape == (8,)
    assert not np.isnan(values).any()
    for i, x in enumerate(X_batch):
        assert not _is_row_of(x, gp.X)
        assert not _is_row_of(x, np.delete(X_batch, i, axis=0))
    canonical = _mixed_snap(X_batch)
    canonical[:, 3] = FIXED_VALUE
    np.testing.assert_array_equal(X_batch, canonical)


def test_propose_batch_is_reproducible_with_same_seed():
    gp = _fitted_mixed_gp()
    first, second = _batch(gp, 8, seed=3), _batch(gp, 8, seed=3)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_propose_batch_starts_with_the_sequential_choice():
    gp = _fitted_mixed_gp()
    single, single_value = _batch(gp, 1, seed=5)
    batch, values = _batch(gp, 6, seed=5)
    np.testing.assert_array_equal(batch[0], single[0])
    assert values[0] == single_value[0]


@pytest.mark.parametrize("believe", [False, True])
@pytest.mark.parametrize(("n_points", "n_explore"), [(8, 3), (5, 1), (3, 0)])
def test_explore_model_takes_the_last_half_of_the_fantasy_picks(
    monkeypatch, n_points, n_explore, believe
):
    import sk_hpsearch.bo._acquisition as acquisition

    gp = _fitted_mixed_gp()
    smooth = fit_gp(gp.X, gp.z, MIXED_SPACE["is_categorical"], nu=2.5, prior="smooth")
    domain = Domain(**MIXED_SPACE)
    acq = make_acquisition(gp, "logei", float(gp.z.max()), domain=domain)
    explore = make_acquisition(smooth, "logei", float(gp.z.max()), domain=domain)
    bases = []

    class Recording(acquisition.FantasyAcquisition):
        def __init__(self, base, *args, believe=False):
            bases.append((base, believe))
            super().__init__(base, *args, believe=believe)

    monkeypatch.setattr(acquisition, "FantasyAcquisition", Recording)
    X_batch, values = propose_batch(
        acq,
        n_points,
        exclude=gp.X,
        rng=np.random.RandomState(0),
        explore=explore,
        believe=believe,
    )
    n_fantasy = n_points - 2
    # The explore model's picks average draws, believer or not.
    assert (
        bases
        == [(acq, believe)] * (n_fantasy - n_explore) + [(explore, False)] * n_explore
    )
    assert X_batch.shape == (n_points, 4) and np.isfinite(values).all()
    for i, x in enumerate(X_batch):
        assert not _is_row_of(x, gp.X)
        assert not _is_row_of(x, np.delete(X_batch, i, axis=0))
    # The first pick is the sequential one, whatever the explore model.
    alone, _ = propose_batch(acq, 1, exclude=gp.X, rng=np.random.RandomState(0))
    np.testing.assert_array_equal(X_batch[0], alone[0])


@pytest.mark.parametrize("name", ["logei", "ei", "pi"])
def test_fantasies_discount_the_pending_point(name):
    # Pending at the acquisition's maximiser, the fantasies know its value
    # up to the noise: a second evaluation there adds almost nothing.
    gp = _fitted_mixed_gp()
    acq = make_acquisition(
        gp, name, best=float(gp.z.max()), domain=Domain(**MIXED_SPACE)
    )
    x, value = optimize_acquisition(acq, exclude=gp.X, rng=0)
    fantasy = FantasyAcquisition(acq, x[None, :], 16, np.random.default_rng(0))
    (discounted,) = fantasy.values(x[None, :])
    if name == "ei":
        assert discounted < 0.1 * value
    elif name == "logei":
        assert discounted < value - math.log(10.0)
    else:  # log PI: the candidate still beats its own fantasy half the time
        assert discounted < value


def _fixed_subspace_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random canonical points of the mixed space, fixed column held."""
    X = _mixed_snap(rng.random((n, 4)))
    X[:, 3] = FIXED_VALUE
    return X


@pytest.mark.parametrize("name", ACQUISITION_NAMES)
def test_fantasies_average_the_acquisitions_of_the_conditioned_gps(name):
    # The shared-factorisation fantasy GP gives what conditioning one GP per
    # draw and averaging their acquisitions gives (log-mean-exp for the
    # log-valued ones), values and gradients.
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, name, best=float(gp.z.max()), beta=3.0)
    rng = np.random.default_rng(2)
    pending = _fixed_subspace_points(rng, 3)
    fantasy = FantasyAcquisition(acq, pending, 5, np.random.default_rng(7))
    draws = gp.sample_posterior(pending, 5, np.random.default_rng(7))
    Xq = _fixed_subspace_points(rng, 6)
    values, grads = [], []
    for draw in draws.T:
        best = max(acq.best, draw.max()) if name != "ucb" else acq.best
        one = make_acquisition(gp.condition_on(pending, draw), name, best, beta=3.0)
        value, grad = one(Xq)
        values.append(value)
        grads.append(grad)
    values, grads = np.array(values), np.array(grads)
    if name in ("logei", "pi"):
        expected = scipy.special.logsumexp(values, axis=0) - math.log(5)
        weights = np.exp(values - expected - math.log(5))
    else:
        expected, weights = values.mean(axis=0), np.full(values.shape, 0.2)
    got, got_grads = fantasy(Xq)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fantasy.values(Xq), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        got_grads, np.einsum("sm,smd->md", weights, grads), rtol=1e-8, atol=1e-10
    )


@pytest.mark.parametrize("name", ACQUISITION_NAMES)
def test_a_believer_fantasy_keeps_the_mean_and_shrinks_the_variance(name):
    # The Kriging believer: conditioned on its own mean at the pending
    # points, the GP predicts the same mean everywhere, is sure at the
    # pending points, and the incumbent is the better of the best score and
    # the believed values.
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, name, best=float(gp.z.max()), beta=3.0)
    rng = np.random.default_rng(3)
    pending = _fixed_subspace_points(rng, 3)
    believer = FantasyAcquisition(acq, pending, 16, rng, believe=True)
    Xq = _fixed_subspace_points(rng, 6)
    mean, var = gp.posterior(Xq)
    believed_mean, believed_var = believer.gp.posterior(Xq)
    np.testing.assert_allclose(believed_mean[:, 0], mean, rtol=1e-7, atol=1e-9)
    assert (believed_var <= var + 1e-12).all()
    assert (
        believer.gp.posterior(pending)[1].max() < 0.05 * gp.posterior(pending)[1].min()
    )
    pending_mean = gp.posterior(pending)[0]
    expected_best = max(acq.best, pending_mean.max()) if name != "ucb" else acq.best
    np.testing.assert_allclose(believer.bests, [expected_best])
    one = make_acquisition(
        gp.condition_on(pending, pending_mean), name, expected_best, beta=3.0
    )
    np.testing.assert_allclose(believer.values(Xq), one.values(Xq), rtol=1e-9)


def test_fantasy_acquisition_has_no_with_terms():
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, "logei", best=float(gp.z.max()))
    fantasy = FantasyAcquisition(acq, gp.X[:1], 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="with_terms on the base"):
        fantasy.with_terms("ucb", 0.0, beta=0.0)


def test_fantasies_without_variance_leave_the_acquisition_unchanged():
    # Pending points far beyond every lengthscale do not inform the query.
    gp = _fitted_mixed_gp()
    acq = make_acquisition(gp, "ucb", best=0.0, beta=3.0)
    pending = np.array([[50.0, 50.0, CATEGORY_CENTRES[0], FIXED_VALUE]])
    fantasy = FantasyAcquisition(acq, pending, 8, np.random.default_rng(0))
    Xq = _mixed_snap(np.random.default_rng(1).random((5, 4)))
    Xq[:, 3] = FIXED_VALUE
    np.testing.assert_allclose(fantasy.values(Xq), acq.values(Xq), atol=1e-9)


def test_propose_batch_in_a_subspace_without_evaluations():
    gp = _fitted_mixed_gp()
    other = MIXED_SPACE["fixed_values"].copy()
    other[3] = 0.25
    X_batch, _ = _batch(gp, 5, fixed_values=other)
    assert len(X_batch) == 5
    np.testing.assert_array_equal(X_batch[:, 3], 0.25)
    assert len(np.unique(X_batch, axis=0)) == 5


def test_propose_batch_stops_when_space_is_exhausted():
    X_batch, values = _propose(
        _grid_gp(),
        10,
        acq_func="ei",
        best=1.0,
        **GRID_SPACE,
        exclude=GRID[:2],
        rng=0,
        n_sweep=32,
    )
    assert X_batch.shape == (4, 2)
    assert values.shape == (4,)
    remaining = {tuple(row) for row in GRID[2:]}
    assert {tuple(row) for row in X_batch} == remaining


def test_bayesian_optimisation_finds_quadratic_maximum():
    rng = np.random.default_rng(0)
    optimum = np.array([0.3, 0.7])

    def objective(X):
        return -np.sum((X - optimum) ** 2, axis=1)

    space = {
        "is_categorical": np.zeros(2, bool),
        "choices": [None, None],
        "snap": lambda X: X,
        "fixed_mask": np.zeros(2, bool),
        "fixed_values": np.zeros(2),
    }
    X = rng.random((5, 2))
    y = objective(X)
    gp = None
    for _ in range(10):
        z = standardize_scores(y)
        gp = fit_gp(X, z, space["is_categorical"], init=gp and gp.params, rng=rng)
        x_new, _ = _propose(
            gp, 1, acq_func="logei", best=float(z.max()), **space, exclude=X, rng=rng
        )
        X = np.vstack([X, x_new])
        y = np.append(y, objective(x_new))
    assert np.linalg.norm(X[np.argmax(y)] - optimum) < 0.03
