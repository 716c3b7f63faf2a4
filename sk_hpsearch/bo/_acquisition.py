"""Acquisition functions and their optimisation on the unit cube.

Notation
--------
m : number of query points; d : number of dimensions.
mu, sigma : (m,) posterior mean and standard deviation of the latent function.
best : incumbent, the largest standardised score observed (scores are maximised).
u = (mu - best) / sigma : standardised improvement.
phi, Phi : standard normal density and distribution function.
h(u) = phi(u) + u Phi(u), so that ``EI = sigma h(u)`` and ``h'(u) = Phi(u)``.

Acquisition functions (all maximised)
-------------------------------------
* ``logei``: ``log EI = log h(u) + log sigma``, computed stably for very negative
  ``u`` (Ament et al. 2023, "Unexpected improvements to expected improvement").
* ``ei``: ``EI = sigma h(u)``.
* ``ucb``: ``mu + sqrt(beta) sigma``.
* ``pi``: ``log PI = log Phi(u)`` (same maximiser as PI, finite far from ``best``).

Each scalar function returns the value and its partial derivatives w.r.t.
``mu`` and ``sigma``; :func:`make_acquisition` chains them through the GP
posterior gradients to get ``d acq / dx``.

Optimisation
------------
Candidates are canonical points: ``snap`` applied, then the fixed columns
reset to their values. :func:`optimize_acquisition` sweeps a scrambled Sobol
set (plus perturbations of the best already-evaluated points), runs L-BFGS-B
on the free continuous columns from the best sweep points, then one exact
coordinate pass over the discrete columns. It never returns a point within
``1e-9`` (max-norm) of an excluded point.

Batches
-------
:func:`propose_batch` returns the acquisition maximiser (the sequential
choice), then greedy maximisers of the acquisition averaged over fantasies
of the points already picked (the sequential greedy batch of BoTorch's and
Optuna's q-expected improvement), and last the posterior-mean maximiser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import scipy.optimize
import scipy.spatial
import scipy.special
from scipy.stats import qmc

from sk_hpsearch.bo._gp import GaussianProcess, RandomLike, as_generator

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(0.5 * math.pi)
# Below this u, log h uses its asymptote. In the erfcx branch the 1 / u^2 term
# has relative rounding error ~ eps u^2; the asymptote's error is ~ 3 / u^2; they
# balance at (3 / eps)^(1/4) ~ 1e4 (Ament et al.'s 1 / sqrt(eps) gives NaN
# before it is reached).
_ASYMPTOTE_BELOW = -((3.0 / np.finfo(float).eps) ** 0.25)
EXCLUDE_ATOL = 1e-9
"""Max-norm distance below which a candidate equals an excluded point."""
DEFAULT_BETA = 4.0
"""Default UCB ``beta``: ``mu + 2 sigma``."""
ACQUISITION_NAMES = ("logei", "ei", "ucb", "pi")

_LOCAL_SCALE = 0.05  # std of the perturbations around evaluated points
_N_LOCAL_CENTRES = 4  # evaluated points perturbed in the sweep
_REFINE_OPTIONS = {"maxiter": 50}  # L-BFGS-B options of the acquisition ascent
N_FANTASIES = 32
"""Joint posterior draws at a batch's earlier picks averaged over for the next.

The draws share one factorisation, so each costs only a mean; 32 rather than 8
lowered the median regret of batches of 8 on the 10-D Levy function by a
factor of about 2 at 128 evaluations and left the other benchmarks level
(``docs/benchmarks.md``, "One factorisation for the fantasies")."""
_LOG_VALUED = frozenset({"logei", "pi"})  # acquisitions returned as logarithms
_IMPROVEMENT = frozenset({"logei", "ei", "pi"})  # acquisitions of an incumbent

Snap = Callable[[np.ndarray], np.ndarray]


class AcquisitionTerms(NamedTuple):
    """Acquisition values and partial derivatives, each of shape (m,).

    (m, S) for the ``S`` target columns of a fantasy GP.
    """

    value: np.ndarray
    d_mean: np.ndarray
    d_std: np.ndarray


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0`` (Maechler 2012 branches)."""
    out = np.empty_like(x)
    near_zero = x > -math.log(2.0)
    out[near_zero] = np.log(-np.expm1(x[near_zero]))
    out[~near_zero] = np.log1p(-np.exp(x[~near_zero]))
    return out


def _log_h(u: np.ndarray) -> np.ndarray:
    """``log h(u) = log(phi(u) + u Phi(u))``, finite for every finite ``u``.

    Three branches (Ament et al. 2023, eq. 9): direct for ``u > -1``;
    ``-u^2/2 - log sqrt(2 pi) + log1mexp(log(erfcx(-u/sqrt2) |u|) + log sqrt(pi/2))``
    down to ``_ASYMPTOTE_BELOW`` (about -1e4); the asymptote
    ``-u^2/2 - log sqrt(2 pi) - 2 log|u|`` below.
    """
    out = np.full_like(u, np.nan)
    upper = u > -1.0
    uu = u[upper]
    out[upper] = np.log(
        np.exp(-0.5 * uu * uu - _LOG_SQRT_2PI) + uu * scipy.special.ndtr(uu)
    )
    middle = ~upper & (u > _ASYMPTOTE_BELOW)
    um = u[middle]
    log_ratio = np.log(scipy.special.erfcx(-um / math.sqrt(2.0)) * -um)
    out[middle] = (
        -0.5 * um * um - _LOG_SQRT_2PI + _log1mexp(log_ratio + _LOG_SQRT_PI_OVER_2)
    )
    tail = u <= _ASYMPTOTE_BELOW
    ut = u[tail]
    out[tail] = -0.5 * ut * ut - _LOG_SQRT_2PI - 2.0 * np.log(-ut)
    return out


def _dlog_h(u: np.ndarray, log_h: np.ndarray) -> np.ndarray:
    """``d log h / du = Phi(u) / h(u) = exp(log Phi(u) - log h(u))``.

    The derivative of the asymptote, ``-u - 2 / u``, is used in its branch.
    """
    tail = u <= _ASYMPTOTE_BELOW
    out = np.empty_like(u)
    out[~tail] = np.exp(scipy.special.log_ndtr(u[~tail]) - log_h[~tail])
    out[tail] = -u[tail] - 2.0 / u[tail]
    return out


def log_ei(
    mean: np.ndarray, std: np.ndarray, best: float | np.ndarray
) -> AcquisitionTerms:
    """Log expected improvement, stable far below the incumbent.

    Parameters
    ----------
    mean, std : ndarray of shape (m,)
        Posterior mean and standard deviation (``std > 0``); any shapes that
        broadcast together with ``best``, such as (m, S) and (m, 1).
    best : float or ndarray of shape (S,)
        Incumbent (one per fantasy with several target columns).

    Returns
    -------
    AcquisitionTerms
        ``log EI``; ``d/dmean = h'/h / sigma``;
        ``d/dstd = (1 - u h'/h) / sigma``.
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    u = (mean - best) / std
    log_h = _log_h(u)
    dlog_h = _dlog_h(u, log_h)
    return AcquisitionTerms(log_h + np.log(std), dlog_h / std, (1.0 - u * dlog_h) / std)


def ei(mean: np.ndarray, std: np.ndarray, best: float | np.ndarray) -> AcquisitionTerms:
    """Expected improvement ``sigma (phi(u) + u Phi(u))``.

    Underflows to 0 for ``u`` below about -38; prefer :func:`log_ei`.

    Parameters
    ----------
    mean, std : ndarray of shape (m,)
        Posterior mean and standard deviation (``std > 0``); any shapes that
        broadcast together with ``best``, such as (m, S) and (m, 1).
    best : float or ndarray of shape (S,)
        Incumbent (one per fantasy with several target columns).

    Returns
    -------
    AcquisitionTerms
        ``EI``; ``d/dmean = Phi(u)``; ``d/dstd = phi(u)``.
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    u = (mean - best) / std
    pdf = np.exp(-0.5 * u * u - _LOG_SQRT_2PI)
    cdf = scipy.special.ndtr(u)
    return AcquisitionTerms(np.maximum(std * (pdf + u * cdf), 0.0), cdf, pdf)


def ucb(mean: np.ndarray, std: np.ndarray, beta: float) -> AcquisitionTerms:
    """Upper confidence bound ``mean + sqrt(beta) std``.

    Parameters
    ----------
    mean, std : ndarray of shape (m,)
    beta : float
        Exploration weight (``beta >= 0``).

    Returns
    -------
    AcquisitionTerms
        ``UCB``; ``d/dmean = 1``; ``d/dstd = sqrt(beta)``.
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    return AcquisitionTerms(
        mean + math.sqrt(beta) * std,
        np.ones_like(mean),
        np.full_like(std, math.sqrt(beta)),
    )


def log_pi(
    mean: np.ndarray, std: np.ndarray, best: float | np.ndarray
) -> AcquisitionTerms:
    """Log probability of improvement ``log Phi(u)``.

    Parameters
    ----------
    mean, std : ndarray of shape (m,)
        Posterior mean and standard deviation (``std > 0``); any shapes that
        broadcast together with ``best``, such as (m, S) and (m, 1).
    best : float or ndarray of shape (S,)
        Incumbent (one per fantasy with several target columns).

    Returns
    -------
    AcquisitionTerms
        ``log PI``; with ``q = phi(u) / Phi(u)``: ``d/dmean = q / sigma`` and
        ``d/dstd = -u q / sigma``.
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    u = (mean - best) / std
    value = scipy.special.log_ndtr(u)
    hazard = np.exp(-0.5 * u * u - _LOG_SQRT_2PI - value)
    return AcquisitionTerms(value, hazard / std, -u * hazard / std)


class AcquisitionFunction:
    """Acquisition function of query points, built by :func:`make_acquisition`.

    It owns the model (``gp``) and, when it is to be optimised, the domain
    (``domain``), so the optimisers take this one object. Calling it returns
    ``(values (m,), grads (m, d))``; :meth:`values` skips the gradient (about
    4 times cheaper, for sweeps).
    """

    def __init__(
        self,
        gp: GaussianProcess,
        terms_fn: Callable[[np.ndarray, np.ndarray], AcquisitionTerms],
        domain: Domain | None = None,
        *,
        name: str = "logei",
        best: float = 0.0,
        beta: float = DEFAULT_BETA,
    ) -> None:
        self.gp = gp
        self.terms_fn = terms_fn
        self.domain = domain
        self.name, self.best, self.beta = name, best, beta

    def with_terms(self, name: str, best: float, beta: float) -> AcquisitionFunction:
        """Another acquisition function of the same model and domain."""
        return make_acquisition(self.gp, name, best, beta=beta, domain=self.domain)

    def _require_domain(self) -> Domain:
        if self.domain is None:
            raise ValueError(
                "This acquisition function has no domain to be optimised over: "
                "pass domain=Domain(...) to make_acquisition."
            )
        return self.domain

    def values(self, Xq: np.ndarray) -> np.ndarray:
        """Acquisition values (m,) at ``Xq`` (m, d)."""
        mean, var = self.gp.posterior(Xq)
        return self.terms_fn(mean, np.sqrt(var)).value

    def __call__(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Acquisition values (m,) and gradients (m, d) w.r.t. ``Xq`` (m, d)."""
        mean, var, dmean, dvar = self.gp.posterior_with_grad(Xq)
        std = np.sqrt(var)
        terms = self.terms_fn(mean, std)
        dstd = dvar / (2.0 * std)[:, None]
        return terms.value, terms.d_mean[:, None] * dmean + terms.d_std[:, None] * dstd


def make_acquisition(
    gp: GaussianProcess,
    name: str,
    best: float | np.ndarray,
    *,
    beta: float = DEFAULT_BETA,
    domain: Domain | None = None,
) -> AcquisitionFunction:
    """Acquisition function of query points with its gradient.

    Parameters
    ----------
    gp : GaussianProcess
    name : {"logei", "ei", "ucb", "pi"}
        ``"pi"`` is the log probability of improvement.
    best : float or ndarray of shape (S,)
        Incumbent in the GP's standardised units (ignored by ``"ucb"``); an
        array gives one per target column of a fantasy GP.
    beta : float, default=4.0
        UCB exploration weight.
    domain : Domain, default=None
        The columns the optimisers may move; needed by
        :func:`optimize_acquisition` and :func:`propose_batch`.

    Returns
    -------
    AcquisitionFunction
        ``acq(Xq) -> (values (m,), grads (m, d))``, to be maximised; the
        gradient is zero on categorical columns. ``acq.values(Xq)`` gives the
        values alone.

    Raises
    ------
    ValueError
        If ``name`` is unknown.
    """
    return AcquisitionFunction(
        gp, _terms_fn(name, best, beta), domain, name=name, best=best, beta=beta
    )


def _terms_fn(
    name: str, best: float | np.ndarray, beta: float
) -> Callable[[np.ndarray, np.ndarray], AcquisitionTerms]:
    """``(mean, std) -> AcquisitionTerms`` of acquisition ``name``.

    Raises
    ------
    ValueError
        If ``name`` is unknown.
    """
    terms_of: dict[str, Callable[[np.ndarray, np.ndarray], AcquisitionTerms]] = {
        "logei": lambda mean, std: log_ei(mean, std, best),
        "ei": lambda mean, std: ei(mean, std, best),
        "ucb": lambda mean, std: ucb(mean, std, beta),
        "pi": lambda mean, std: log_pi(mean, std, best),
    }
    if name not in terms_of:
        raise ValueError(
            f"Unknown acquisition function {name!r}; "
            f"expected one of {ACQUISITION_NAMES}."
        )
    return terms_of[name]


class FantasyAcquisition(AcquisitionFunction):
    """An acquisition function averaged over fantasies of pending points.

    The ``n_fantasies`` joint posterior draws of the latent function at
    ``pending`` are appended to the GP as observations
    (:meth:`GaussianProcess.condition_on`, same hyperparameters: one GP with a
    target column per draw, so the fantasies share one factorisation and one
    posterior variance), and the acquisition of ``base`` is averaged over the
    draws: expected improvement (or probability of improvement) over the
    better of the incumbent and the draw's best pending value, so a candidate
    counts only for what it adds to the pending points. For ``"logei"`` and
    ``"pi"`` the average is of the improvement itself (a log of the mean of
    the exponentials); for ``"ucb"`` the fantasies move the mean and shrink
    the variance near the pending points. This is the Monte Carlo batch
    acquisition of Wilson et al. (2018) with the candidate's own draw
    integrated analytically.

    Parameters
    ----------
    base : AcquisitionFunction
        From :func:`make_acquisition`: model, acquisition and domain.
    pending : ndarray of shape (k, d)
        Canonical points picked but not yet evaluated.
    n_fantasies : int
        Number of joint draws.
    rng : numpy.random.Generator
    believe : bool, default=False
        Condition on the posterior mean at ``pending`` instead (one fantasy,
        ``n_fantasies`` and ``rng`` unused): the Kriging believer of
        Ginsbourger et al. (2010). The mean stays where it was and the
        variance shrinks near the pending points, so the next pick goes
        where the model is still unsure near the same optimum, as the
        sequential search's next pick would; draws that score well raise
        the incumbent instead and send the picks elsewhere.

    Attributes
    ----------
    gp : GaussianProcess
        The GP conditioned on the fantasies, with ``n_fantasies`` target
        columns (one with ``believe``).
    bests : ndarray of shape (n_fantasies,)
        Each fantasy's incumbent (one with ``believe``).
    """

    def __init__(
        self,
        base: AcquisitionFunction,
        pending: np.ndarray,
        n_fantasies: int,
        rng: np.random.Generator,
        *,
        believe: bool = False,
    ) -> None:
        if believe:
            draws = base.gp.posterior(pending)[0][:, None]  # (k, 1)
        else:
            draws = base.gp.sample_posterior(pending, n_fantasies, rng)  # (k, S)
        self.bests = np.full(draws.shape[1], base.best)
        if base.name in _IMPROVEMENT:  # the pending points may beat it
            self.bests = np.maximum(self.bests, draws.max(axis=0))
        super().__init__(
            base.gp.condition_on(pending, draws),
            _terms_fn(base.name, self.bests, base.beta),
            base.domain,
            name=base.name,
            best=base.best,
            beta=base.beta,
        )

    def with_terms(self, name: str, best: float, beta: float) -> AcquisitionFunction:
        """Not defined for fantasies: build it from the base acquisition.

        Raises
        ------
        TypeError
            Always: the fantasy GP has a target column per draw, and an
            acquisition of it alone would not average them.
        """
        raise TypeError(
            "FantasyAcquisition.with_terms is not defined; call with_terms on the "
            "base acquisition function and build a FantasyAcquisition of that."
        )

    def _average(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average of per-fantasy values (m, S), and each fantasy's weight."""
        n = values.shape[1]
        if self.name in _LOG_VALUED:
            total = scipy.special.logsumexp(values, axis=1, keepdims=True)
            return total[:, 0] - math.log(n), np.exp(values - total)
        return values.mean(axis=1), np.full(values.shape, 1.0 / n)

    def values(self, Xq: np.ndarray) -> np.ndarray:
        """Averaged acquisition values (m,) at ``Xq`` (m, d)."""
        mean, var = self.gp.posterior(Xq)
        return self._average(self.terms_fn(mean, np.sqrt(var)[:, None]).value)[0]

    def __call__(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Averaged values (m,) and their gradients (m, d) w.r.t. ``Xq``."""
        mean, var, dmean, dvar = self.gp.posterior_with_grad(Xq)
        std = np.sqrt(var)
        terms = self.terms_fn(mean, std[:, None])
        value, weights = self._average(terms.value)
        d_std = (weights * terms.d_std).sum(axis=1) / (2.0 * std)
        grads = np.einsum("ms,msd->md", weights * terms.d_mean, dmean)
        return value, grads + d_std[:, None] * dvar


class Domain:
    """Where candidates may lie: column roles and canonicalisation.

    Parameters
    ----------
    is_categorical : ndarray of shape (d,), bool
    choices : sequence of length d
        Allowed cube values (cell centres) of each discrete column, None for a
        continuous column (including integer columns with many values, which
        are optimised continuously and snapped).
    snap : callable
        ``snap(X) -> X`` mapping cube points (k, d) to canonical points.
    fixed_mask : ndarray of shape (d,), bool
        Columns that must hold ``fixed_values`` (another subspace's columns).
    fixed_values : ndarray of shape (d,)
    """

    def __init__(
        self,
        is_categorical: np.ndarray,
        choices: Sequence[np.ndarray | None],
        snap: Snap,
        fixed_mask: np.ndarray,
        fixed_values: np.ndarray,
    ) -> None:
        self.is_categorical = np.asarray(is_categorical, dtype=bool)
        self.d = len(self.is_categorical)
        if len(choices) != self.d:
            raise ValueError(
                f"choices has length {len(choices)}, expected one entry per "
                f"dimension ({self.d})."
            )
        self.choices = [
            None if c is None else np.asarray(c, dtype=float) for c in choices
        ]
        self.snap = snap
        self.fixed_mask = np.asarray(fixed_mask, dtype=bool)
        self.fixed_values = np.asarray(fixed_values, dtype=float)
        has_choices = np.array([c is not None for c in self.choices], dtype=bool)
        self.free_continuous = ~self.fixed_mask & ~self.is_categorical & ~has_choices
        self.free_discrete = np.flatnonzero(~self.fixed_mask & has_choices)

    def canonical(self, X: np.ndarray) -> np.ndarray:
        """Clip, apply the fixed columns, snap, and re-apply the fixed columns."""
        X = np.clip(np.array(X, dtype=float), 0.0, 1.0)
        if len(X) == 0:
            return X
        X[:, self.fixed_mask] = self.fixed_values[self.fixed_mask]
        X = np.array(self.snap(X), dtype=float)
        X[:, self.fixed_mask] = self.fixed_values[self.fixed_mask]
        return X


class _Excluded:
    """Membership test against already-evaluated points (max-norm, ``EXCLUDE_ATOL``)."""

    def __init__(self, points: np.ndarray) -> None:
        self.tree = scipy.spatial.KDTree(points) if len(points) else None

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """Bool mask (k,) of the rows of ``X`` (k, d) that are excluded."""
        if self.tree is None:
            return np.zeros(len(X), dtype=bool)
        distance, _ = self.tree.query(
            X, p=np.inf, distance_upper_bound=2.0 * EXCLUDE_ATOL
        )
        return distance <= EXCLUDE_ATOL


def _values(acq: AcquisitionFunction, X: np.ndarray) -> np.ndarray:
    """Acquisition values (k,), with NaN mapped to ``-inf``."""
    values = acq.values(X)
    return np.where(np.isnan(values), -np.inf, values)


def _sweep(
    acq: AcquisitionFunction,
    space: Domain,
    exclude: np.ndarray,
    n_sweep: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Canonical sweep points (k, d): scrambled Sobol plus local perturbations.

    The local part perturbs the free continuous columns of the
    ``_N_LOCAL_CENTRES`` excluded points with the highest acquisition.
    """
    sobol = qmc.Sobol(space.d, scramble=True, seed=int(rng.integers(2**63 - 1)))
    points = [sobol.random_base2(max(0, math.ceil(math.log2(n_sweep))))[:n_sweep]]
    if len(exclude) and space.free_continuous.any():
        centres = exclude[np.argsort(-_values(acq, exclude))[:_N_LOCAL_CENTRES]]
        local = np.repeat(centres, max(1, n_sweep // (8 * len(centres))), axis=0)
        noise = rng.normal(scale=_LOCAL_SCALE, size=local.shape)
        local[:, space.free_continuous] += noise[:, space.free_continuous]
        points.append(local)
    return space.canonical(np.vstack(points))


def _ascend_continuous(
    acq: AcquisitionFunction, space: Domain, starts: np.ndarray
) -> np.ndarray:
    """L-BFGS-B ascent of the free continuous columns of ``starts`` (k, d).

    The k ascents are independent, so they run as one L-BFGS-B problem on the
    sum of the k acquisition values (block-separable gradient), with one
    batched acquisition call per iteration.
    """
    free = space.free_continuous
    n_free = int(free.sum())
    if n_free == 0 or len(starts) == 0:
        return starts

    def with_free(flat: np.ndarray) -> np.ndarray:
        X = starts.copy()
        X[:, free] = flat.reshape(len(starts), n_free)
        return X

    def negative_total(flat: np.ndarray) -> tuple[float, np.ndarray]:
        values, grads = acq(with_free(flat))
        return -float(values.sum()), -grads[:, free].ravel()

    result = scipy.optimize.minimize(
        negative_total,
        starts[:, free].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (len(starts) * n_free),
        options=_REFINE_OPTIONS,
    )
    return with_free(np.clip(result.x, 0.0, 1.0))


def _coordinate_pass(
    acq: AcquisitionFunction, space: Domain, excluded: _Excluded, x: np.ndarray
) -> np.ndarray:
    """Set each free discrete column of canonical ``x`` to its best allowed value.

    Every allowed value is tried exactly, one column at a time with the other
    columns held; excluded candidates are skipped.
    """
    for j in space.free_discrete:
        trials = np.repeat(x[None, :], len(space.choices[j]), axis=0)
        trials[:, j] = space.choices[j]
        trials = space.canonical(trials)
        values = _values(acq, trials)
        values[excluded(trials)] = -np.inf
        if np.isfinite(values).any():
            x = trials[np.argmax(values)]
    return x


def optimize_acquisition(
    acq: AcquisitionFunction,
    *,
    exclude: np.ndarray,
    rng: RandomLike,
    n_sweep: int = 1024,
    n_restarts: int = 8,
) -> tuple[np.ndarray, float] | None:
    """Maximise an acquisition function over canonical, non-excluded points.

    Parameters
    ----------
    acq : AcquisitionFunction
        From :func:`make_acquisition`, with its ``domain``.
    exclude : ndarray of shape (n, d)
        Already-evaluated canonical points; never returned.
    rng : Generator, RandomState, int or None
    n_sweep : int, default=1024
        Number of Sobol sweep points (rounded up to a power of two, then cut).
    n_restarts : int, default=8
        Number of best sweep points refined by gradient ascent.

    Returns
    -------
    (x, value) or None
        Best canonical non-excluded point (d,) and its acquisition value, or
        None when every candidate is excluded.
    """
    space = acq._require_domain()
    exclude = np.asarray(exclude, dtype=float).reshape(-1, space.d)
    excluded = _Excluded(exclude)
    generator = as_generator(rng)
    sweep = _sweep(acq, space, exclude, n_sweep, generator)
    sweep_values = _values(acq, sweep)
    starts = sweep[np.argsort(-sweep_values, kind="stable")[:n_restarts]]
    refined = space.canonical(_ascend_continuous(acq, space, starts))
    refined = np.array(
        [_coordinate_pass(acq, space, excluded, x) for x in refined]
    ).reshape(-1, space.d)
    candidates = np.vstack([refined, sweep])
    values = np.concatenate([_values(acq, refined), sweep_values])
    values[excluded(candidates)] = -np.inf
    if not np.isfinite(values).any():
        return None
    best = int(np.argmax(values))
    return candidates[best], float(values[best])


def propose_batch(
    acq: AcquisitionFunction,
    n_points: int,
    *,
    exclude: np.ndarray,
    rng: RandomLike,
    n_sweep: int = 1024,
    n_restarts: int = 8,
    explore: AcquisitionFunction | None = None,
    believe: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Propose a batch of distinct points: greedy fantasy picks, then the mean.

    1. The maximiser of the acquisition function, the point a batch of one
       proposes (so ``n_points=1`` is the sequential algorithm).
    2. ``n_points - 2`` greedy picks, each the maximiser of the acquisition
       averaged over ``N_FANTASIES`` joint posterior draws at the earlier
       picks (:class:`FantasyAcquisition`): the sequential greedy batch of
       q-expected improvement, as in BoTorch and Optuna's ``GPSampler``.
       With ``explore``, the last ``(n_points - 2) // 2`` of them average
       ``explore`` instead (the acquisition of another model of the same
       points), over draws of that model. With ``believe``, the picks of
       ``acq`` condition on the posterior mean at the earlier picks instead
       of averaging over draws (the Kriging believer,
       :class:`FantasyAcquisition`).
    3. The maximiser of the posterior mean: the model's best guess.
    4. If the candidates run out (small discrete spaces), more acquisition
       maximisers, each excluding the earlier picks.

    A fantasy in which a pending point scores well raises the incumbent the
    next pick must beat, and every fantasy shrinks the variance near the
    pending points, so the picks spread where the model is unsure and crowd
    the incumbent where it is sure.

    Parameters
    ----------
    acq : AcquisitionFunction
        From :func:`make_acquisition`: the model, the acquisition and the
        domain.
    n_points : int
        Batch size ``q``.
    exclude : ndarray of shape (n, d)
        Already-evaluated canonical points; never returned.
    rng : Generator, RandomState, int or None
    n_sweep, n_restarts : int
        As in :func:`optimize_acquisition`.
    explore : AcquisitionFunction, optional
        From :func:`make_acquisition` with the same domain, of a second
        model (``fit_gp(prior="smooth")``), for half of the fantasy picks.
    believe : bool, default=False
        Whether the fantasy picks of ``acq`` believe the posterior mean at
        the earlier picks (one fantasy) rather than average over
        ``N_FANTASIES`` draws; ``explore``'s picks always average draws.

    Returns
    -------
    X_batch : ndarray of shape (q', d)
        ``q' <= n_points``: stops early when no non-excluded point remains.
    acq_values : ndarray of shape (q',)
        Acquisition value of each pick under ``gp``.
    """
    space = acq._require_domain()
    exclude = np.asarray(exclude, dtype=float).reshape(-1, space.d)
    generator = as_generator(rng)
    options = {"rng": generator, "n_sweep": n_sweep, "n_restarts": n_restarts}
    first = optimize_acquisition(acq, exclude=exclude, **options)
    if first is None:
        return np.empty((0, space.d)), np.empty(0)
    picks = first[0][None, :]
    explore_from = n_points - 1 - (n_points - 2) // 2  # picks before explore's
    while len(picks) < n_points - 1:
        base = acq if explore is None or len(picks) < explore_from else explore
        fantasy = FantasyAcquisition(
            base, picks, N_FANTASIES, generator, believe=believe and base is acq
        )
        result = optimize_acquisition(
            fantasy, exclude=np.vstack([exclude, picks]), **options
        )
        if result is None:
            break
        picks = np.vstack([picks, result[0]])
    if n_points > 1:
        greedy = acq.with_terms("ucb", 0.0, beta=0.0)
        mean_pick = optimize_acquisition(
            greedy, exclude=np.vstack([exclude, picks]), **options
        )
        if mean_pick is not None:
            picks = np.vstack([picks, mean_pick[0]])
    while len(picks) < n_points:
        result = optimize_acquisition(
            acq, exclude=np.vstack([exclude, picks]), **options
        )
        if result is None:
            break
        picks = np.vstack([picks, result[0]])
    values = _values(acq, picks)
    values[0] = first[1]  # the optimiser's own value, as with n_points=1
    return picks, values
