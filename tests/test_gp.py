"""Tests of the Gaussian-process layer ``sk_hpsearch.bo._gp``."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_hpsearch.bo._gp import (
    MIN_VARIANCE,
    PRIORS,
    ROUGH_KERNEL_FROM,
    GaussianProcess,
    GPParams,
    fit_gp,
    kernel_smoothness,
    log_marginal_likelihood,
    log_prior,
    matern,
    standardize_scores,
)

N_CATEGORIES = 3
FAST = settings(max_examples=30, deadline=None, database=None)


def _random_problem(seed: int, n: int, d: int, n_categorical: int):
    """Random points (categorical columns on cell centres), flags and params."""
    rng = np.random.default_rng(seed)
    is_categorical = np.arange(d) < n_categorical
    X = rng.random((n, d))
    codes = rng.integers(0, N_CATEGORIES, size=(n, int(is_categorical.sum())))
    X[:, is_categorical] = (codes + 0.5) / N_CATEGORIES
    params = GPParams(
        log_lengthscales=rng.normal(-0.5, 0.5, size=d),
        log_signal_var=float(rng.normal(0.0, 0.5)),
        log_noise_var=float(rng.uniform(-5.0, -2.0)),
    )
    return X, is_categorical, params


def _central_difference(f, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Central finite-difference gradient of a scalar function of ``x``."""
    grad = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = step
        grad[i] = (f(x + e) - f(x - e)) / (2 * step)
    return grad


smoothnesses = st.sampled_from([1.5, 2.5])
problems = st.builds(
    _random_problem,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 12),
    d=st.integers(1, 4),
    n_categorical=st.integers(0, 2),
)


def test_standardize_scores_replaces_failures_by_worst_and_scales():
    z = standardize_scores(np.array([1.0, np.nan, 3.0, -np.inf, np.inf, 2.0]))
    assert np.isfinite(z).all()
    assert z[1] == z[0] == z[3] == z[4] == z.min()
    assert z.mean() == pytest.approx(0.0, abs=1e-12)
    assert z.std() == pytest.approx(1.0)
    assert np.argmax(z) == 2


@pytest.mark.parametrize(
    "y",
    [np.full(4, 7.5), np.array([np.nan, -np.inf, np.inf]), np.array([2.0]), []],
)
def test_standardize_scores_degenerate_inputs_give_zeros(y):
    z = standardize_scores(y)
    assert z.shape == (len(y),)
    np.testing.assert_array_equal(z, 0.0)


@FAST
@given(problems, smoothnesses)
def test_kernel_is_symmetric_and_positive_semidefinite(problem, nu):
    X, is_categorical, params = problem
    K = matern(X, X, params, is_categorical, nu)
    np.testing.assert_allclose(K, K.T, atol=1e-12)
    np.testing.assert_allclose(np.diag(K), math.exp(params.log_signal_var))
    assert np.linalg.eigvalsh(K).min() >= -1e-8


@pytest.mark.parametrize(
    "nu, profile",
    [
        (
            2.5,
            lambda r: (
                (1 + math.sqrt(5) * r + 5 / 3 * r**2) * math.exp(-math.sqrt(5) * r)
            ),
        ),
        (1.5, lambda r: (1 + math.sqrt(3) * r) * math.exp(-math.sqrt(3) * r)),
    ],
)
def test_kernel_matches_the_matern_formula(nu, profile):
    params = GPParams(np.log([0.5]), math.log(2.0), -5.0)
    k = matern(np.array([[0.1]]), np.array([[0.7]]), params, np.array([False]), nu)
    assert k[0, 0] == pytest.approx(2.0 * profile(0.6 / 0.5), rel=1e-12)


def test_the_rougher_kernel_decorrelates_faster_near_and_slower_far():
    """Matern-3/2 falls off linearly at 0 (Matern-5/2 quadratically)."""
    params = GPParams(np.zeros(1), 0.0, -5.0)
    x0, flags = np.zeros((1, 1)), np.array([False])
    near, far = np.array([[0.1]]), np.array([[3.0]])
    assert matern(x0, near, params, flags, 1.5) < matern(x0, near, params, flags, 2.5)
    assert matern(x0, far, params, flags, 1.5) > matern(x0, far, params, flags, 2.5)


@pytest.mark.parametrize("nu", [0.5, 2, "2.5", None])
def test_an_unknown_smoothness_is_a_clear_error(nu):
    X = np.zeros((2, 1))
    params = GPParams(np.zeros(1), 0.0, -5.0)
    with pytest.raises(ValueError, match=r"nu must be one of \(1.5, 2.5\); got nu="):
        matern(X, X, params, np.array([False]), nu)
    if nu is not None:
        with pytest.raises(ValueError, match="nu must be one of"):
            fit_gp(X, np.zeros(2), np.array([False]), nu=nu)


def test_fit_gp_uses_matern32_from_rough_kernel_from_points():
    rng = np.random.default_rng(0)
    flags = np.array([False, False])
    for n in (1, ROUGH_KERNEL_FROM - 1, ROUGH_KERNEL_FROM, 3 * ROUGH_KERNEL_FROM):
        X = rng.random((n, 2))
        gp = fit_gp(X, np.sin(5 * X[:, 0]), flags, rng=0)
        assert gp.nu == kernel_smoothness(n) == (1.5 if n >= ROUGH_KERNEL_FROM else 2.5)
        # the posterior, its conditioning and the explicit choice follow gp.nu
        assert gp.condition_on(X[:1], [0.0]).nu == gp.nu
        np.testing.assert_allclose(
            gp.kernel(X, X), matern(X, X, gp.params, flags, gp.nu)
        )
        assert fit_gp(X, np.sin(5 * X[:, 0]), flags, rng=0, nu=2.5).nu == 2.5
    assert fit_gp(np.empty((0, 2)), np.empty(0), flags).nu == 2.5


def test_kernel_categorical_columns_use_mismatch_only():
    params = GPParams(np.log([0.3, 0.7]), 0.0, -5.0)
    is_categorical = np.array([True, False])
    centres = (np.arange(4) + 0.5) / 4
    X1 = np.array([[centres[0], 0.2]])
    X2 = np.array([[c, 0.2] for c in centres])
    k = matern(X1, X2, params, is_categorical)[0]
    assert k[0] == pytest.approx(1.0)
    np.testing.assert_allclose(k[1:], k[1], rtol=1e-14)
    assert k[1] < k[0]
    # An ordinary column with the same values does depend on the magnitude.
    k_ordinary = matern(X1, X2, params, np.array([False, False]))[0]
    assert np.all(np.diff(k_ordinary) < 0)


def test_posterior_interpolates_noise_free_data():
    rng = np.random.default_rng(0)
    X = rng.random((15, 2))
    z = np.sin(4 * X[:, 0]) + X[:, 1]
    params = GPParams(np.log([0.4, 0.6]), 0.0, math.log(1e-10))
    mean, var = GaussianProcess(X, z, np.zeros(2, bool), params).posterior(X)
    np.testing.assert_allclose(mean, z, atol=1e-5)
    assert np.all(var < 1e-5)


@FAST
@given(problems, st.integers(0, 2**32 - 1))
def test_posterior_variance_is_positive_and_grows_away_from_data(problem, seed):
    X, is_categorical, params = problem
    z = np.random.default_rng(seed).normal(size=len(X))
    gp = GaussianProcess(X, z, is_categorical, params)
    _, var_at_data = gp.posterior(X)
    _, var_random = gp.posterior(np.random.default_rng(seed).random((20, X.shape[1])))
    assert np.all(var_at_data >= MIN_VARIANCE)
    assert np.all(var_random >= MIN_VARIANCE)
    assert np.all(var_random <= math.exp(params.log_signal_var) * (1 + 1e-9))


def test_posterior_variance_small_at_data_and_large_far_away():
    X = np.array([[0.1, 0.1], [0.2, 0.15], [0.15, 0.3]])
    params = GPParams(np.log([0.2, 0.2]), 0.0, math.log(1e-6))
    gp = GaussianProcess(X, np.array([0.0, 1.0, -1.0]), np.zeros(2, bool), params)
    _, var_at_data = gp.posterior(X)
    _, var_far = gp.posterior(np.array([[0.95, 0.95]]))
    assert var_at_data.max() < 1e-4
    assert var_far[0] > 0.99


@FAST
@given(problems, st.integers(0, 2**32 - 1), smoothnesses)
def test_posterior_gradients_match_finite_differences(problem, seed, nu):
    X, is_categorical, params = problem
    rng = np.random.default_rng(seed)
    gp = GaussianProcess(X, rng.normal(size=len(X)), is_categorical, params, nu)
    Xq = rng.uniform(0.05, 0.95, size=(3, X.shape[1]))
    Xq[:, is_categorical] = X[: len(Xq), is_categorical][0]
    mean, var, dmean, dvar = gp.posterior_with_grad(Xq)
    expected_mean, expected_var = gp.posterior(Xq)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(var, expected_var, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(dmean[:, is_categorical], 0.0)
    np.testing.assert_array_equal(dvar[:, is_categorical], 0.0)
    for i, x in enumerate(Xq):
        fd_mean = _central_difference(lambda v: gp.posterior(v[None])[0][0], x)
        fd_var = _central_difference(lambda v: gp.posterior(v[None])[1][0], x)
        ordinary = ~is_categorical
        np.testing.assert_allclose(dmean[i, ordinary], fd_mean[ordinary], atol=1e-5)
        if var[i] > 1e-6:
            np.testing.assert_allclose(dvar[i, ordinary], fd_var[ordinary], atol=1e-5)


@FAST
@given(problems, st.integers(0, 2**32 - 1), smoothnesses)
def test_log_marginal_likelihood_gradient_matches_finite_differences(problem, seed, nu):
    X, is_categorical, params = problem
    z = np.random.default_rng(seed).normal(size=len(X))

    def value(theta):
        return log_marginal_likelihood(
            GPParams.from_vector(theta), X, z, is_categorical, nu
        )[0]

    _, grad = log_marginal_likelihood(params, X, z, is_categorical, nu)
    expected = _central_difference(value, params.to_vector())
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("prior", PRIORS)
def test_log_prior_gradient_matches_finite_differences(prior):
    params = GPParams(np.array([-1.0, 0.5, 2.0]), 0.3, -6.0)
    _, grad = log_prior(params, prior)
    expected = _central_difference(
        lambda theta: log_prior(GPParams.from_vector(theta), prior)[0],
        params.to_vector(),
    )
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


@FAST
@given(
    log_lengthscales=st.lists(st.floats(-4.0, 4.0), min_size=1, max_size=4),
    log_noise_var=st.floats(-12.0, 2.0),
)
def test_smooth_prior_is_optunas_lengthscale_prior(log_lengthscales, log_noise_var):
    # Optuna's GPSampler: -0.1 (1 / lambda + lambda) on lambda = l^-2; the
    # signal prior is the default one and the noise prior N(-4, 1).
    params = GPParams(np.array(log_lengthscales), 0.3, log_noise_var)
    value, grad = log_prior(params, "smooth")
    lam = np.exp(-2.0 * np.array(log_lengthscales))
    expected = (
        -0.1 * float(np.sum(1.0 / lam + lam))
        - 0.5 * 0.3**2
        - 0.5 * (log_noise_var + 4.0) ** 2
    )
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # Its mode is l = 1: d/dlog l of -0.1 (l^2 + l^-2).
    u = np.array(log_lengthscales)
    np.testing.assert_allclose(
        grad[:-2], -0.2 * (np.exp(2 * u) - np.exp(-2 * u)), rtol=1e-12, atol=1e-12
    )


def test_smooth_prior_keeps_an_unused_column_within_reach():
    # The default prior lets a column without effect grow its lengthscale to
    # tens (switched off); the smooth one holds it near 1-6 and keeps the
    # fast column's.
    rng = np.random.default_rng(1)
    X = rng.random((40, 3))
    z = standardize_scores(np.sin(8 * X[:, 0]) + 0.01 * rng.normal(size=40))
    fits = {
        prior: np.exp(
            fit_gp(
                X,
                z,
                np.zeros(3, bool),
                rng=np.random.default_rng(0),
                nu=2.5,
                prior=prior,
            ).params.log_lengthscales
        )
        for prior in PRIORS
    }
    assert fits["default"][1:].min() > 20.0
    assert fits["smooth"][1:].max() < 10.0
    assert 0.2 < fits["smooth"][0] < 0.5
    assert fits["default"][0] == pytest.approx(fits["smooth"][0], rel=0.2)


@pytest.mark.parametrize("call", ["fit_gp", "log_prior"])
def test_unknown_prior_is_rejected_by_name(call):
    X, z = np.random.default_rng(0).random((5, 2)), np.linspace(-1.0, 1.0, 5)
    with pytest.raises(ValueError, match=r"prior='flat'"):
        if call == "fit_gp":
            fit_gp(X, z, np.zeros(2, bool), prior="flat")
        else:
            log_prior(GPParams.default(2), "flat")


def test_gp_params_vector_round_trip():
    params = GPParams(np.array([0.1, -0.2]), 0.3, -4.0)
    theta = params.to_vector()
    np.testing.assert_array_equal(theta, [0.1, -0.2, 0.3, -4.0])
    back = GPParams.from_vector(theta)
    np.testing.assert_array_equal(back.log_lengthscales, params.log_lengthscales)
    assert (back.log_signal_var, back.log_noise_var) == (0.3, -4.0)


def test_fit_gp_gives_fast_dimension_a_shorter_lengthscale():
    rng = np.random.default_rng(1)
    X = rng.random((40, 3))
    z = standardize_scores(np.sin(8 * X[:, 0]) + 0.01 * rng.normal(size=40))
    gp = fit_gp(X, z, np.zeros(3, bool), rng=rng)
    lengthscales = np.exp(gp.params.log_lengthscales)
    assert lengthscales[0] < 0.5
    assert lengthscales[0] < 0.2 * lengthscales[1:].min()
    mean, _ = gp.posterior(X)
    np.testing.assert_allclose(mean, z, atol=0.1)


def test_fit_gp_uses_categorical_column_when_it_matters():
    rng = np.random.default_rng(2)
    X = rng.random((40, 2))
    codes = rng.integers(0, 3, size=40)
    X[:, 1] = (codes + 0.5) / 3
    z = standardize_scores(np.array([0.0, 3.0, 1.0])[codes] + 0.01 * X[:, 0])
    gp = fit_gp(X, z, np.array([False, True]), rng=rng)
    lengthscales = np.exp(gp.params.log_lengthscales)
    assert lengthscales[1] < lengthscales[0]
    mean, _ = gp.posterior(X)
    np.testing.assert_allclose(mean, z, atol=0.1)


@pytest.mark.parametrize(
    ("X", "z", "is_categorical"),
    [
        pytest.param(
            np.random.default_rng(0).random((8, 3)),
            np.zeros(8),
            np.zeros(3, bool),
            id="constant-z",
        ),
        pytest.param(
            np.array([[0.3, 0.6]]),
            np.array([0.0]),
            np.zeros(2, bool),
            id="single-point",
        ),
        pytest.param(
            np.tile([[0.5, 0.25]], (6, 1)),
            np.linspace(-1, 1, 6),
            np.zeros(2, bool),
            id="duplicate-points",
        ),
        pytest.param(
            np.linspace(0, 1, 10)[:, None],
            np.linspace(-1, 1, 10) ** 2,
            np.zeros(1, bool),
            id="d=1",
        ),
        pytest.param(
            np.array([[1 / 6], [0.5], [5 / 6], [0.5]]),
            np.array([1.0, -1.0, 0.5, -0.9]),
            np.ones(1, bool),
            id="all-categorical",
        ),
        pytest.param(np.empty((0, 2)), np.empty(0), np.zeros(2, bool), id="empty"),
    ],
)
def test_fit_gp_never_raises_on_degenerate_data(X, z, is_categorical):
    gp = fit_gp(X, z, is_categorical, rng=0)
    mean, var = gp.posterior(np.random.default_rng(0).random((5, X.shape[1])))
    assert np.isfinite(mean).all()
    assert np.all(var >= MIN_VARIANCE)


def test_fit_gp_warm_start_never_worse_than_init():
    rng = np.random.default_rng(3)
    X = rng.random((30, 2))
    z = standardize_scores(np.cos(5 * X[:, 0]) * X[:, 1])
    is_categorical = np.zeros(2, bool)

    def log_posterior(params):
        return (
            log_marginal_likelihood(
                params, X, z, is_categorical, kernel_smoothness(len(z))
            )[0]
            + log_prior(params)[0]
        )

    init = GPParams(np.log([0.3, 0.8]), 0.2, -5.0)
    gp = fit_gp(X, z, is_categorical, init=init, rng=np.random.RandomState(0))
    assert log_posterior(gp.params) >= log_posterior(init) - 1e-9
    cold = fit_gp(X, z, is_categorical, rng=0)
    assert log_posterior(gp.params) == pytest.approx(
        log_posterior(cold.params), abs=1e-3
    )


def test_fit_gp_without_restart_ascends_from_init_only():
    rng = np.random.default_rng(4)
    X = rng.random((25, 3))
    z = standardize_scores(np.sin(4 * X[:, 0]) + X[:, 2])
    is_categorical = np.zeros(3, bool)

    def log_posterior(params):
        return (
            log_marginal_likelihood(
                params, X, z, is_categorical, kernel_smoothness(len(z))
            )[0]
            + log_prior(params)[0]
        )

    init = fit_gp(X, z, is_categorical, rng=0).params
    warm = fit_gp(X, z, is_categorical, init=init, restart=False)
    assert log_posterior(warm.params) >= log_posterior(init) - 1e-9
    np.testing.assert_allclose(warm.params.to_vector(), init.to_vector(), atol=1e-2)
    # Without init there is nothing to warm-start: both starts are used.
    cold = fit_gp(X, z, is_categorical, rng=0, restart=False)
    np.testing.assert_array_equal(cold.params.to_vector(), init.to_vector())


def test_condition_on_keeps_hyperparameters_and_interpolates():
    rng = np.random.default_rng(4)
    X = rng.random((10, 2))
    params = GPParams(np.log([0.3, 0.3]), 0.0, math.log(1e-8))
    gp = GaussianProcess(X, np.sin(3 * X[:, 0]), np.zeros(2, bool), params)
    x_new = np.array([[0.9, 0.05]])
    conditioned = gp.condition_on(x_new, np.array([2.5]))
    assert conditioned.params is params
    assert conditioned.X.shape == (11, 2)
    mean, var = conditioned.posterior(x_new)
    assert mean[0] == pytest.approx(2.5, abs=1e-4)
    assert var[0] < 1e-5
    assert gp.X.shape == (10, 2)


def test_target_columns_match_separate_gps():
    # A GP with S target columns is S GPs sharing X and hyperparameters: the
    # same means, variances and gradients, column by column.
    rng = np.random.default_rng(5)
    X = rng.random((12, 3))
    is_categorical = np.array([False, False, True])
    X[:, 2] = (np.floor(X[:, 2] * 3) + 0.5) / 3
    params = GPParams(np.log([0.4, 0.2, 0.5]), 0.3, math.log(1e-3))
    Z = rng.standard_normal((12, 4))
    joint = GaussianProcess(X, Z, is_categorical, params, nu=1.5)
    Xq = rng.random((5, 3))
    mean, var, dmean, dvar = joint.posterior_with_grad(Xq)
    assert mean.shape == (5, 4) and dmean.shape == (5, 4, 3)
    np.testing.assert_allclose(joint.posterior(Xq)[0], mean, rtol=1e-12)
    for s in range(4):
        alone = GaussianProcess(X, Z[:, s], is_categorical, params, nu=1.5)
        m, v, dm, dv = alone.posterior_with_grad(Xq)
        np.testing.assert_allclose(mean[:, s], m, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dmean[:, s], dm, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(var, v, rtol=1e-12)
        np.testing.assert_allclose(dvar, dv, rtol=1e-10, atol=1e-12)


def test_condition_on_draws_gives_one_target_column_per_draw():
    rng = np.random.default_rng(6)
    X = rng.random((10, 2))
    params = GPParams(np.log([0.3, 0.3]), 0.0, math.log(1e-6))
    gp = GaussianProcess(X, np.sin(3 * X[:, 0]), np.zeros(2, bool), params)
    pending = rng.random((2, 2))
    draws = gp.sample_posterior(pending, 3, rng)
    joint = gp.condition_on(pending, draws)
    assert joint.z.shape == (12, 3)
    Xq = rng.random((4, 2))
    for s in range(3):
        alone = gp.condition_on(pending, draws[:, s])
        np.testing.assert_allclose(
            joint.posterior(Xq)[0][:, s], alone.posterior(Xq)[0], rtol=1e-10
        )
    with pytest.raises(ValueError, match=r"one target column.*\(12, 3\)"):
        joint.sample_posterior(Xq, 2, rng)


def _bowl_near_optimum(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A smooth bowl seen as a search refining it sees it: spread, then dense."""
    X = np.vstack(
        [rng.uniform(size=(20, 2)), 0.5 + 0.02 * rng.uniform(-1.0, 1.0, (20, 2))]
    )
    return X, -((X - 0.5) ** 2).sum(axis=1)


def test_a_deterministic_smooth_score_is_fitted_with_noise_below_1e_6():
    # With the noise variance bounded below at 1e-6 the MAP sat on the bound
    # here, and the model could not resolve the differences a search refines
    # near a deterministic optimum.
    X, y = _bowl_near_optimum(np.random.default_rng(0))
    gp = fit_gp(X, standardize_scores(y), np.array([False, False]), rng=0)
    assert gp.noise_var < 1e-6
    # the same scores with noise of 1 % of their spread keep a noise term
    noisy = y + 0.01 * np.ptp(y) * np.random.default_rng(1).standard_normal(len(y))
    gp = fit_gp(X, standardize_scores(noisy), np.array([False, False]), rng=0)
    assert gp.noise_var > 1e-5


def test_near_duplicate_points_with_tiny_noise_still_factorise():
    X, y = _bowl_near_optimum(np.random.default_rng(2))
    X = np.vstack([X, X[-1] + 1e-12])
    y = np.r_[y, y[-1]]
    gp = fit_gp(X, standardize_scores(y), np.array([False, False]), rng=0)
    mean, var = gp.posterior(X)
    assert np.all(np.isfinite(mean)) and np.all(var >= 0.0)
