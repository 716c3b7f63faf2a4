"""Gaussian-process surrogate on the unit cube (numpy/scipy only).

Notation and shapes
-------------------
n : number of observed points.
m : number of query points.
d : number of dimensions.
X : (n, d) float64 points in the unit cube ``[0, 1]^d``.
z : (n,) standardised scores (larger is better).
is_categorical : (d,) bool. A categorical column holds the cell centre
    ``(i + 0.5) / k`` of category ``i`` and only equality matters; other
    columns are ordinary numbers.
l, s2, sn2 : lengthscales (d,), signal variance and noise variance.
theta : (d + 2,) packed log hyperparameters ``[log l_1..log l_d, log s2, log sn2]``.

Model
-----
Squared ARD distance, squared difference on ordinary columns and mismatch on
categorical ones::

    r^2(x, x') = sum_{j ordinary} ((x_j - x'_j) / l_j)^2
               + sum_{j categorical} 1[x_j != x'_j] / l_j^2

Matern kernel ``k(x, x') = s2 * f(r^2)`` of smoothness ``nu``, Matern-5/2
``f(r^2) = (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)`` or Matern-3/2
``f(r^2) = (1 + sqrt3 r) exp(-sqrt3 r)``. :func:`fit_gp` uses Matern-5/2 on
fewer than ``ROUGH_KERNEL_FROM`` (16) points and Matern-3/2 from then on.
The smoother kernel interpolates a handful of points better; the rougher one
follows the edges and plateaus of a score surface (a depth of 1 that scores
far worse than a depth of 2; an integer parameter's steps) once the points
show them. On the real-task suite (12 problems, seeds 0-9) the schedule
scores +1.5 +- 0.4 (normalised score) at 32 evaluations against Matern-5/2
throughout and +0.5 +- 0.6 at 64, with the same search up to 16;
Matern-3/2 throughout loses 3.1 +- 1.2 at 16 (``docs/benchmarks.md``).

Observations ``z = g(X) + eps`` with ``g ~ GP(0, k)`` and ``eps ~ N(0, sn2 I)``.
``K = k(X, X) + sn2 I = L L^T`` and ``alpha = K^{-1} z``. The posterior of the
latent ``g`` at ``x`` has mean ``k_x^T alpha`` and variance
``s2 - k_x^T K^{-1} k_x``.

Hyperparameters maximise ``log p(z | theta) + log p(theta)`` (L-BFGS-B, exact
gradient, box bounds on ``theta``) with independent normal priors
``N(mean, std^2)`` on the log hyperparameters:

* ``log l_j ~ N(log(d) / 2 - 1, sqrt3^2)``: the median lengthscale grows
  like ``sqrt(d)``, as in Hvarfner et al. 2024 ("Vanilla Bayesian
  optimization performs great in high dimensions"), but is ``sqrt(d) / e``
  rather than their ``sqrt(d) e^sqrt2``: for searches of tens of
  evaluations, their smoother prior settled in the first basin found (on
  Hartmann-6, median regret 0.053 against 0.0025 over 20 seeds; on Levy-10,
  23 against 11). ``l_j`` in ``[1e-2, 1e3]``;
* ``log s2 ~ N(0, 1)`` (the scores are standardised), ``s2`` in ``[1e-2, 1e2]``;
* ``log sn2 ~ N(-8, 2)`` (favours small noise: most scores of a search are
  deterministic or nearly so given the folds, and a larger prior noise
  smooths away the fine differences near the optimum; noisy scores still
  pull the MAP up), ``sn2`` in ``[1e-10, 10]``. The prior keeps the noise
  near ``e^-8`` unless the data are smooth and dense enough to say less: a
  deterministic score refined near its optimum then drops below ``1e-6``.
  A bound of ``1e-6`` would keep the predictions there coarser than the
  differences being refined (on the synthetic ``adam`` the median regret
  stalls near 1e-7 with it; ``docs/benchmarks.md``, "The noise floor").

``prior="smooth"`` (:data:`PRIORS`) is the prior of Optuna's ``GPSampler``
(optuna 5.1) on the lengthscales and a larger noise prior: log density
``-0.1 (l_j^2 + l_j^-2)`` on each ``log l_j``, which keeps ``l_j`` within
about 0.3-3 (the default prior's lognormal lets a column fall to 0.02), and
``log sn2 ~ N(-4, 1)``. It models a broad trend and calls the rest noise.
The batch proposals use it for half of their fantasy picks when the default
model's predictions are miscalibrated (``sk_hpsearch.strategies._bayes``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.spatial.distance

SQRT5 = math.sqrt(5.0)
SQRT3 = math.sqrt(3.0)
SMOOTHNESSES = (1.5, 2.5)
"""The Matern smoothnesses ``nu`` of the kernel."""
ROUGH_KERNEL_FROM = 16
"""From this many points on, :func:`fit_gp` fits a Matern-3/2 kernel."""
MIN_VARIANCE = 1e-12
"""Floor of the posterior variance."""
CATEGORY_ATOL = 1e-9
"""Two categorical entries closer than this are the same category."""

LOG_LENGTHSCALE_BOUNDS = (math.log(1e-2), math.log(1e3))
LOG_SIGNAL_VAR_BOUNDS = (math.log(1e-2), math.log(1e2))
LOG_NOISE_VAR_BOUNDS = (math.log(1e-10), math.log(10.0))

_LENGTHSCALE_PRIOR_STD = math.sqrt(3.0)
_SIGNAL_VAR_PRIOR = (0.0, 1.0)  # mean and std of the prior on log s2
_NOISE_VAR_PRIOR = (-8.0, 2.0)  # mean and std of the prior on log sn2
_SMOOTH_NOISE_VAR_PRIOR = (-4.0, 1.0)  # the same for prior="smooth"
_SMOOTH_LENGTHSCALE_RATE = 0.1  # Optuna's: -0.1 (1/lambda + lambda), lambda = l^-2
PRIORS = ("default", "smooth")
"""The hyperparameter priors :func:`fit_gp` knows."""
_FIT_OPTIONS = {"maxiter": 200, "ftol": 1e-7}  # L-BFGS-B options of the MAP fit
_JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)  # relative to the mean diagonal

RandomLike = np.random.Generator | np.random.RandomState | int | None


def as_generator(rng: RandomLike) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` driven by ``rng``.

    Parameters
    ----------
    rng : Generator, RandomState, int or None
        A ``Generator`` is returned as is; a ``RandomState`` seeds a new
        generator (advancing the ``RandomState``); an int or None seeds one.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(rng.randint(2**31 - 1))
    return np.random.default_rng(rng)


def _fill_failures(y: np.ndarray) -> np.ndarray:
    """Replace non-finite scores by the worst finite one (0 if none is finite)."""
    y = np.asarray(y, dtype=float)
    finite = np.isfinite(y)
    if not finite.any():
        return np.zeros_like(y)
    return np.where(finite, y, y[finite].min())


def score_scaling(y: np.ndarray) -> tuple[float, float]:
    """Centre and scale of the affine map ``z = (y - centre) / scale``.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Raw scores; non-finite ones count as the worst finite score.

    Returns
    -------
    centre, scale : float
        The mean and standard deviation of the filled scores (scale 1 when
        they are constant up to rounding).
    """
    y = _fill_failures(y)
    centre = float(y.mean()) if len(y) else 0.0
    std = float(y.std()) if len(y) else 0.0
    if std <= 1e-12 * max(1.0, abs(centre)):
        return centre, 1.0
    return centre, std


def standardize_scores(y: np.ndarray) -> np.ndarray:
    """Turn raw scores into standardised GP targets.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Raw scores to maximise; may contain NaN or +-inf (failed fits).

    Returns
    -------
    z : ndarray of shape (n,)
        Non-finite scores replaced by the worst finite score (0 if none is
        finite), then centred and scaled to unit standard deviation (see
        :func:`score_scaling`). Scores that are constant up to rounding are
        only centred.
    """
    centre, scale = score_scaling(y)
    return (_fill_failures(y) - centre) / scale


@dataclass(frozen=True, eq=False)
class GPParams:
    """Log hyperparameters of the GP.

    Attributes
    ----------
    log_lengthscales : ndarray of shape (d,)
        ``log l_j``.
    log_signal_var : float
        ``log s2``.
    log_noise_var : float
        ``log sn2``; the likelihood noise variance is ``exp(log_noise_var)``.
    """

    log_lengthscales: np.ndarray
    log_signal_var: float
    log_noise_var: float

    @classmethod
    def default(cls, d: int) -> GPParams:
        """Default start and fallback: unit lengthscales, ``s2 = 1``, ``sn2 = e^-8``."""
        return cls(np.zeros(d), _SIGNAL_VAR_PRIOR[0], _NOISE_VAR_PRIOR[0])

    @classmethod
    def from_vector(cls, theta: np.ndarray) -> GPParams:
        """Unpack ``theta`` of shape (d + 2,)."""
        theta = np.asarray(theta, dtype=float)
        return cls(theta[:-2].copy(), float(theta[-2]), float(theta[-1]))

    def to_vector(self) -> np.ndarray:
        """Pack into ``theta`` of shape (d + 2,)."""
        return np.concatenate(
            [self.log_lengthscales, [self.log_signal_var, self.log_noise_var]]
        )


def _lengthscale_prior_mean(d: int) -> float:
    return 0.5 * math.log(max(d, 1)) - 1.0


def _bounds(d: int) -> list[tuple[float, float]]:
    return [LOG_LENGTHSCALE_BOUNDS] * d + [LOG_SIGNAL_VAR_BOUNDS, LOG_NOISE_VAR_BOUNDS]


@functools.cache
def _prior_moments(d: int, prior: str = "default") -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations (d + 2,) of the normal priors on ``theta``.

    With ``prior="smooth"`` the lengthscale entries are unused by
    :func:`_log_prior` (its lengthscale prior is not normal) and the noise
    entries are :data:`_SMOOTH_NOISE_VAR_PRIOR`'s. Cached (the MAP fit needs
    them at every evaluation): read-only arrays.
    """
    noise = _SMOOTH_NOISE_VAR_PRIOR if prior == "smooth" else _NOISE_VAR_PRIOR
    means = np.r_[
        np.full(d, _lengthscale_prior_mean(d)), _SIGNAL_VAR_PRIOR[0], noise[0]
    ]
    stds = np.r_[np.full(d, _LENGTHSCALE_PRIOR_STD), _SIGNAL_VAR_PRIOR[1], noise[1]]
    means.setflags(write=False)
    stds.setflags(write=False)
    return means, stds


def _column_sq_dist(a: np.ndarray, b: np.ndarray, categorical: bool) -> np.ndarray:
    """Unscaled squared distance (n1, n2) along one column of (n1,) and (n2,)."""
    diff = a[:, None] - b[None, :]
    if categorical:
        return (np.abs(diff) > CATEGORY_ATOL).astype(float)
    return diff * diff


@dataclass(frozen=True, eq=False)
class _Pairs:
    """The distinct pairs ``i < j`` of n points, in ``squareform`` order.

    Attributes
    ----------
    n : int
        Number of points.
    first, second : ndarray of shape (p,)
        ``i`` and ``j`` of each of the ``p = n (n - 1) / 2`` pairs.
    sq_dists : ndarray of shape (d, p)
        Unscaled per-column squared distances ``D_j`` of the pairs:
        ``r^2 = sum_j D_j / l_j^2``, squared difference on ordinary columns
        and mismatch indicator on categorical ones (``D_j`` is 0 on the
        diagonal).
    """

    n: int
    first: np.ndarray
    second: np.ndarray
    sq_dists: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray, is_categorical: np.ndarray) -> _Pairs:
        """Pairs of the rows of ``X`` (n, d)."""
        first, second = np.triu_indices(len(X), k=1)
        diff = X[first] - X[second]
        sq_dists = np.where(is_categorical, np.abs(diff) > CATEGORY_ATOL, diff * diff)
        return cls(len(X), first, second, np.ascontiguousarray(sq_dists.T))

    def lower_entries(self, A: np.ndarray) -> np.ndarray:
        """Entries ``A[j, i]`` (p,) of the lower triangle of ``A`` (n, n)."""
        return A.ravel(order="F")[self.first * self.n + self.second]


def _scaled_sq_dist(
    X1: np.ndarray, X2: np.ndarray, inv_sq_ls: np.ndarray, is_categorical: np.ndarray
) -> np.ndarray:
    """``r^2`` of shape (n1, n2) without (n1, n2, d) intermediates."""
    ordinary = ~is_categorical
    scale = np.sqrt(inv_sq_ls[ordinary])
    r2 = scipy.spatial.distance.cdist(
        X1[:, ordinary] * scale, X2[:, ordinary] * scale, "sqeuclidean"
    )
    for j in np.flatnonzero(is_categorical):
        r2 += inv_sq_ls[j] * _column_sq_dist(X1[:, j], X2[:, j], categorical=True)
    return r2


def _matern_profile(r2: np.ndarray, nu: float) -> tuple[np.ndarray, np.ndarray]:
    """``f(r^2)`` and ``df / d(r^2)`` for the Matern profile of smoothness ``nu``.

    Matern-5/2: ``f = (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)`` and
    ``df / d(r^2) = -5/6 (1 + sqrt5 r) exp(-sqrt5 r)``. Matern-3/2:
    ``f = (1 + sqrt3 r) exp(-sqrt3 r)`` and ``df / d(r^2) = -3/2 exp(-sqrt3 r)``.
    Both derivatives are finite at ``r = 0``.
    """
    r = np.sqrt(r2)
    if nu == 1.5:
        decay = np.exp(-SQRT3 * r)
        return (1.0 + SQRT3 * r) * decay, -1.5 * decay
    decay = np.exp(-SQRT5 * r)
    linear = (1.0 + SQRT5 * r) * decay
    return linear + (5.0 / 3.0) * r2 * decay, (-5.0 / 6.0) * linear


def _check_smoothness(nu: float) -> float:
    if nu not in SMOOTHNESSES:
        raise ValueError(f"nu must be one of {SMOOTHNESSES}; got nu={nu!r}.")
    return float(nu)


def kernel_smoothness(n: int) -> float:
    """The Matern smoothness :func:`fit_gp` uses for ``n`` points.

    Parameters
    ----------
    n : int
        Number of observed points.

    Returns
    -------
    float
        2.5 below ``ROUGH_KERNEL_FROM`` points, 1.5 from then on.
    """
    return 1.5 if n >= ROUGH_KERNEL_FROM else 2.5


def matern(
    X1: np.ndarray,
    X2: np.ndarray,
    params: GPParams,
    is_categorical: np.ndarray,
    nu: float = 2.5,
) -> np.ndarray:
    """Matern ARD kernel matrix with mismatch distance on categorical columns.

    Parameters
    ----------
    X1 : ndarray of shape (n1, d)
    X2 : ndarray of shape (n2, d)
    params : GPParams
    is_categorical : ndarray of shape (d,), bool
    nu : {1.5, 2.5}, default=2.5
        Smoothness: Matern-3/2 or Matern-5/2.

    Returns
    -------
    ndarray of shape (n1, n2)
        ``s2 * f(r^2(x1, x2))``.
    """
    nu = _check_smoothness(nu)
    inv_sq_ls = np.exp(-2.0 * params.log_lengthscales)
    r2 = _scaled_sq_dist(
        np.asarray(X1, dtype=float),
        np.asarray(X2, dtype=float),
        inv_sq_ls,
        np.asarray(is_categorical, dtype=bool),
    )
    return math.exp(params.log_signal_var) * _matern_profile(r2, nu)[0]


def _cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``K``, adding diagonal jitter if needed.

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``K`` is not finite or stays indefinite with the largest jitter.
    """
    if not np.isfinite(K).all():
        raise np.linalg.LinAlgError("Covariance matrix has non-finite entries.")
    for jitter in _JITTERS:
        jittered = K + jitter * _mean_diagonal(K) * np.eye(len(K)) if jitter else K
        chol, info = scipy.linalg.lapack.dpotrf(jittered, lower=1, clean=1)
        if info == 0:
            return chol
    raise np.linalg.LinAlgError("Covariance matrix is not positive definite.")


def _mean_diagonal(K: np.ndarray) -> float:
    """Scale of the jitter: the mean diagonal of ``K`` (1 if ``K`` is empty)."""
    return float(K.trace()) / len(K) if len(K) else 1.0


def _lower_inverse_from_cholesky(chol: np.ndarray) -> np.ndarray:
    """``K^{-1}`` (n, n) from the lower Cholesky factor of ``K`` (LAPACK potri).

    Only the lower triangle (diagonal included) is set; the upper one is
    arbitrary.
    """
    lower_inverse, info = scipy.linalg.lapack.dpotri(chol, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("Cholesky factor is singular.")
    return lower_inverse


def _log_marginal_likelihood(
    theta: np.ndarray, pairs: _Pairs, z: np.ndarray, nu: float
) -> tuple[float, np.ndarray]:
    """``log p(z | theta)`` and its gradient (d + 2,) w.r.t. ``theta``.

    With ``W = alpha alpha^T - K^{-1}``, ``d log p / d theta_i = tr(W dK/dtheta_i) / 2``
    where ``dK/dlog s2 = s2 f``, ``dK/dlog sn2 = sn2 I`` and
    ``dK/dlog l_j = s2 f'(r^2) * (-2 D_j / l_j^2)``. Every matrix is symmetric
    with a known diagonal (``r^2 = 0``), so the kernel and the traces are
    computed on the pairs ``i < j`` only.
    """
    n = len(z)
    inv_sq_ls = np.exp(-2.0 * theta[:-2])
    signal_var, noise_var = math.exp(theta[-2]), math.exp(theta[-1])
    profile, profile_derivative = _matern_profile(inv_sq_ls @ pairs.sq_dists, nu)
    K = scipy.spatial.distance.squareform(signal_var * profile, checks=False)
    K.flat[:: n + 1] = signal_var + noise_var
    chol = _cholesky(K)
    alpha, _ = scipy.linalg.lapack.dpotrs(chol, z, lower=1)
    value = (
        -0.5 * float(z @ alpha)
        - float(np.log(chol.diagonal()).sum())
        - 0.5 * n * math.log(2.0 * math.pi)
    )
    inverse = _lower_inverse_from_cholesky(chol)
    w_pairs = alpha[pairs.first] * alpha[pairs.second] - pairs.lower_entries(inverse)
    w_trace = float(alpha @ alpha - np.trace(inverse))
    # Each pair holds two symmetric entries: the factor 1/2 cancels.
    dvalue_dr2 = signal_var * w_pairs * profile_derivative
    grad_lengthscales = -2.0 * inv_sq_ls * (pairs.sq_dists @ dvalue_dr2)
    grad_signal = signal_var * (float(w_pairs @ profile) + 0.5 * w_trace)
    grad_noise = 0.5 * noise_var * w_trace
    return value, np.concatenate([grad_lengthscales, [grad_signal, grad_noise]])


def log_marginal_likelihood(
    params: GPParams,
    X: np.ndarray,
    z: np.ndarray,
    is_categorical: np.ndarray,
    nu: float = 2.5,
) -> tuple[float, np.ndarray]:
    """Log marginal likelihood ``log p(z | X, theta)`` and its exact gradient.

    Parameters
    ----------
    params : GPParams
    X : ndarray of shape (n, d)
    z : ndarray of shape (n,)
    is_categorical : ndarray of shape (d,), bool
    nu : {1.5, 2.5}, default=2.5
        Smoothness of the Matern kernel.

    Returns
    -------
    value : float
    grad : ndarray of shape (d + 2,)
        Gradient w.r.t. ``params.to_vector()``.
    """
    pairs = _Pairs.of(
        np.asarray(X, dtype=float), np.asarray(is_categorical, dtype=bool)
    )
    return _log_marginal_likelihood(
        params.to_vector(), pairs, np.asarray(z, dtype=float), _check_smoothness(nu)
    )


def _check_prior(prior: str) -> str:
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}; got prior={prior!r}.")
    return prior


def log_prior(params: GPParams, prior: str = "default") -> tuple[float, np.ndarray]:
    """Log prior density of ``theta`` (up to a constant) and its gradient (d + 2,).

    Parameters
    ----------
    params : GPParams
    prior : {"default", "smooth"}, default="default"
        See :data:`PRIORS` and the module docstring.

    Returns
    -------
    value : float
    gradient : ndarray of shape (d + 2,)
    """
    return _log_prior(params.to_vector(), _check_prior(prior))


def _log_prior(theta: np.ndarray, prior: str = "default") -> tuple[float, np.ndarray]:
    d = len(theta) - 2
    means, stds = _prior_moments(d, prior)
    u = (theta - means) / stds
    grad = -u / stds
    if prior == "default":
        return -0.5 * float(u @ u), grad
    up, down = np.exp(2.0 * theta[:d]), np.exp(-2.0 * theta[:d])
    value = -0.5 * float(u[d:] @ u[d:]) - _SMOOTH_LENGTHSCALE_RATE * float(
        np.sum(up + down)
    )
    grad[:d] = -2.0 * _SMOOTH_LENGTHSCALE_RATE * (up - down)
    return value, grad


def _neg_log_posterior(
    theta: np.ndarray, pairs: _Pairs, z: np.ndarray, nu: float, prior: str
) -> tuple[float, np.ndarray]:
    lml, lml_grad = _log_marginal_likelihood(theta, pairs, z, nu)
    log_p, log_p_grad = _log_prior(theta, prior)
    return -(lml + log_p), -(lml_grad + log_p_grad)


def _maximise_posterior(
    theta0: np.ndarray, pairs: _Pairs, z: np.ndarray, nu: float, prior: str
) -> tuple[np.ndarray, float] | None:
    """L-BFGS-B from ``theta0``; ``(theta, neg_log_posterior)`` or None on failure."""
    bounds = _bounds(len(theta0) - 2)
    lower, upper = np.array(bounds).T
    try:
        result = scipy.optimize.minimize(
            _neg_log_posterior,
            np.clip(theta0, lower, upper),
            args=(pairs, z, nu, prior),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options=_FIT_OPTIONS,
        )
    except (np.linalg.LinAlgError, ValueError):
        return None
    if not np.isfinite(result.fun):
        return None
    return result.x, float(result.fun)


def fit_gp(
    X: np.ndarray,
    z: np.ndarray,
    is_categorical: np.ndarray,
    *,
    init: GPParams | None = None,
    rng: RandomLike = None,
    restart: bool = True,
    nu: float | None = None,
    prior: str = "default",
) -> GaussianProcess:
    """Fit the GP hyperparameters by maximum a posteriori estimation.

    L-BFGS-B over ``theta`` (bounded) with the exact gradient, started from
    :meth:`GPParams.default` and from ``init`` (or, without ``init``, from a
    draw of the prior); the better optimum is kept. Never raises on degenerate
    data: if every optimisation fails, :meth:`GPParams.default` is used.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Points in the unit cube.
    z : ndarray of shape (n,)
        Standardised scores (see :func:`standardize_scores`).
    is_categorical : ndarray of shape (d,), bool
    init : GPParams, optional
        Warm start, typically the previous step's hyperparameters; ignored if
        its dimension is not ``d``.
    rng : Generator, RandomState, int or None
        Used only for the random start drawn when ``init`` is None.
    restart : bool, default=True
        Whether to start from :meth:`GPParams.default` as well when ``init``
        is used. False gives a single warm-started ascent, about three times
        cheaper: enough when ``init`` was fitted on nearly the same data.
    nu : {1.5, 2.5} or None, default=None
        Smoothness of the Matern kernel; None: :func:`kernel_smoothness` of
        the number of points (Matern-5/2 below ``ROUGH_KERNEL_FROM`` points,
        Matern-3/2 from then on).
    prior : {"default", "smooth"}, default="default"
        The hyperparameters' prior (:data:`PRIORS`, module docstring).

    Returns
    -------
    GaussianProcess

    Raises
    ------
    ValueError
        If ``prior`` is unknown.
    """
    _check_prior(prior)
    X = np.asarray(X, dtype=float)
    z = np.asarray(z, dtype=float)
    is_categorical = np.asarray(is_categorical, dtype=bool)
    d = X.shape[1]
    nu = kernel_smoothness(len(z)) if nu is None else _check_smoothness(nu)
    default = GPParams.default(d)
    if len(z) == 0:
        return GaussianProcess(X, z, is_categorical, default, nu)
    warm = init is not None and init.log_lengthscales.shape == (d,)
    starts = [default.to_vector()] if restart or not warm else []
    if warm:
        starts.append(init.to_vector())
    else:
        means, stds = _prior_moments(d, prior)
        starts.append(as_generator(rng).normal(means, stds))
    pairs = _Pairs.of(X, is_categorical)
    optima = [_maximise_posterior(theta0, pairs, z, nu, prior) for theta0 in starts]
    optima = [optimum for optimum in optima if optimum is not None]
    if optima:
        theta, _ = min(optima, key=lambda optimum: optimum[1])
        try:
            return GaussianProcess(
                X, z, is_categorical, GPParams.from_vector(theta), nu
            )
        except np.linalg.LinAlgError:
            pass
    return GaussianProcess(X, z, is_categorical, default, nu)


class GaussianProcess:
    """GP posterior for fixed hyperparameters.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    z : ndarray of shape (n,) or (n, S)
        Targets; with two dimensions, ``S`` target columns observed at the same
        points (a batch's fantasies) share the factorisation, and the
        posterior means and their gradients gain an axis of length ``S``.
    is_categorical : ndarray of shape (d,), bool
    params : GPParams
    nu : {1.5, 2.5}, default=2.5
        Smoothness of the Matern kernel.

    Attributes
    ----------
    X, z, is_categorical, params, nu
        As given.
    cholesky : ndarray of shape (n, n)
        Lower Cholesky factor ``L`` of ``K = k(X, X) + sn2 I``.
    alpha : ndarray of shape (n,) or (n, S)
        ``K^{-1} z``.

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``K`` cannot be factorised even with jitter (non-finite inputs).
    """

    def __init__(
        self,
        X: np.ndarray,
        z: np.ndarray,
        is_categorical: np.ndarray,
        params: GPParams,
        nu: float = 2.5,
    ) -> None:
        self.X = np.asarray(X, dtype=float)
        self.z = np.asarray(z, dtype=float)
        self.is_categorical = np.asarray(is_categorical, dtype=bool)
        self.params = params
        self.nu = _check_smoothness(nu)
        K = self.kernel(self.X, self.X)
        K[np.diag_indices_from(K)] += self.noise_var
        self.cholesky = _cholesky(K)
        self.alpha = scipy.linalg.cho_solve(
            (self.cholesky, True), self.z, check_finite=False
        )

    def kernel(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        """The GP's prior covariance ``k(X1, X2)`` (n1, n2), without the noise.

        Parameters
        ----------
        X1 : ndarray of shape (n1, d)
        X2 : ndarray of shape (n2, d)

        Returns
        -------
        ndarray of shape (n1, n2)
        """
        return matern(X1, X2, self.params, self.is_categorical, self.nu)

    @property
    def signal_var(self) -> float:
        """``s2``, the prior variance of the latent function."""
        return math.exp(self.params.log_signal_var)

    @property
    def noise_var(self) -> float:
        """``sn2``, the likelihood noise variance."""
        return math.exp(self.params.log_noise_var)

    def posterior(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function.

        Parameters
        ----------
        Xq : ndarray of shape (m, d)

        Returns
        -------
        mean : ndarray of shape (m,) or (m, S)
            One column per target column of ``z``.
        var : ndarray of shape (m,)
            Clipped below at ``MIN_VARIANCE``.
        """
        Kq = self.kernel(Xq, self.X)
        v = Kq @ self._inverse_cholesky_t
        var = self.signal_var - np.einsum("mn,mn->m", v, v)
        return Kq @ self.alpha, np.maximum(var, MIN_VARIANCE)

    def posterior_with_grad(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and variance with their gradients w.r.t. ``Xq``.

        Parameters
        ----------
        Xq : ndarray of shape (m, d)

        Returns
        -------
        mean : ndarray of shape (m,) or (m, S)
            One column per target column of ``z``.
        var : ndarray of shape (m,)
            Clipped below at ``MIN_VARIANCE``.
        dmean : ndarray of shape (m, d) or (m, S, d)
        dvar : ndarray of shape (m, d)
            Zero on categorical columns and where ``var`` is clipped.

        Notes
        -----
        With ``k = k(Xq, X)`` (m, n), ``v = k L^{-T}``, ``w = v L^{-1} = k K^{-1}``
        and ``c = s2 f'(r^2)``: ``mean = k alpha``, ``var = s2 - sum_n v^2``
        and, on an ordinary column ``j``,
        ``dk_mn / dxq_mj = 2 c_mn (xq_mj - x_nj) / l_j^2``. Any weights
        ``b`` (m, n) thus give
        ``sum_n b_mn dk_mn / dxq_mj = 2 / l_j^2 (xq_mj sum_n b_mn c_mn - (b c X)_mj)``
        without (m, n, d) intermediates.
        """
        Xq = np.asarray(Xq, dtype=float)
        inv_sq_ls = np.exp(-2.0 * self.params.log_lengthscales)
        r2 = _scaled_sq_dist(Xq, self.X, inv_sq_ls, self.is_categorical)
        profile, profile_derivative = _matern_profile(r2, self.nu)
        Kq = self.signal_var * profile
        v = Kq @ self._inverse_cholesky_t
        w = v @ self._inverse_cholesky
        mean = Kq @ self.alpha
        var = self.signal_var - np.einsum("mn,mn->m", v, v)
        slope = self.signal_var * profile_derivative
        alphas = self.alpha.reshape(len(self.X), -1).T  # (S, n), S = 1 for a 1-D z
        weighted = np.vstack([*(slope * a for a in alphas), -2.0 * slope * w])
        scale = np.where(self.is_categorical, 0.0, 2.0 * inv_sq_ls)
        grads = scale * (
            np.tile(Xq, (len(alphas) + 1, 1)) * weighted.sum(axis=1)[:, None]
            - weighted @ self.X
        )
        m = len(Xq)
        dmean, dvar = grads[:-m].reshape(len(alphas), m, -1), grads[-m:]
        dmean = dmean[0] if self.alpha.ndim == 1 else dmean.transpose(1, 0, 2)
        dvar[var < MIN_VARIANCE] = 0.0
        return mean, np.maximum(var, MIN_VARIANCE), dmean, dvar

    @functools.cached_property
    def _inverse_cholesky(self) -> np.ndarray:
        """``L^{-1}`` (n, n), lower triangular: ``K^{-1} = L^{-T} L^{-1}``.

        Products with it are several times faster than triangular solves;
        ``L`` has a positive diagonal, so the inverse exists.
        """
        inverse, _ = scipy.linalg.lapack.dtrtri(self.cholesky, lower=1)
        return np.tril(inverse)

    @functools.cached_property
    def _inverse_cholesky_t(self) -> np.ndarray:
        """``L^{-T}`` (n, n), C-contiguous: BLAS multiplies by it about twice as
        fast as by the transposed view of ``L^{-1}``."""
        return np.ascontiguousarray(self._inverse_cholesky.T)

    def condition_on(self, Xnew: np.ndarray, znew: np.ndarray) -> GaussianProcess:
        """GP with the same hyperparameters and ``(Xnew, znew)`` appended.

        Parameters
        ----------
        Xnew : ndarray of shape (k, d)
        znew : ndarray of shape (k,) or (k, S)
            With two dimensions, ``S`` alternative values of the new points
            (joint posterior draws): the result has ``S`` target columns, each
            this GP's ``z`` followed by one column of ``znew``, and one
            factorisation.

        Returns
        -------
        GaussianProcess
        """
        Xnew = np.asarray(Xnew, dtype=float).reshape(-1, self.X.shape[1])
        znew = np.asarray(znew, dtype=float)
        if znew.ndim == 2 and self.z.ndim == 1:
            z = np.vstack([np.repeat(self.z[:, None], znew.shape[1], axis=1), znew])
        else:
            z = np.concatenate([self.z, znew.reshape(len(Xnew), *self.z.shape[1:])])
        return GaussianProcess(
            np.vstack([self.X, Xnew]), z, self.is_categorical, self.params, self.nu
        )

    def sample_posterior(
        self, Xq: np.ndarray, n_samples: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Joint draws of the latent function at ``Xq`` from the posterior.

        Parameters
        ----------
        Xq : ndarray of shape (m, d)
        n_samples : int
        rng : numpy.random.Generator

        Returns
        -------
        ndarray of shape (m, n_samples)
            Column ``s`` is one draw of ``g(Xq)``. The posterior covariance
            is factorised with the jitter of the GP's own covariance when
            needed.

        Raises
        ------
        ValueError
            If the GP has several target columns (a 2-D ``z``).
        """
        if self.z.ndim != 1:
            raise ValueError(
                f"sample_posterior needs a GP with one target column; this one "
                f"has z of shape {self.z.shape}."
            )
        Xq = np.asarray(Xq, dtype=float)
        Kq = self.kernel(Xq, self.X)
        v = scipy.linalg.solve_triangular(
            self.cholesky, Kq.T, lower=True, check_finite=False
        )
        cov = self.kernel(Xq, Xq) - v.T @ v
        noise = rng.standard_normal((len(Xq), n_samples))
        return (Kq @ self.alpha)[:, None] + _cholesky(cov) @ noise
