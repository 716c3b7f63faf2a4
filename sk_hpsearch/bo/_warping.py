"""Raw scores <-> Gaussian-process targets, and back for predictions.

Notation
--------
y : (n,) raw scores to maximise; NaN or +-inf for failed fits.
s : (n,) standardised scores, ``s = (y - centre) / scale`` (failures count
    as the worst finite score), see :func:`~sk_hpsearch.bo._gp.standardize_scores`.
w : (n,) GP targets, ``w = (YJ_lambda(s) - mu) / sigma``: a Yeo-Johnson power
    transform of ``s`` with ``lambda`` by maximum likelihood, standardised.

Why warp: hyperparameter scores are skewed. A few diverged or chance-level
candidates (an accuracy of 0.1 next to many of 0.97) dominate the standard
deviation, so differences among the good candidates, the ones that matter,
look like noise to a GP on ``s``. The power transform pulls the bad tail in
(the approach of HEBO, Cowen-Rivers et al. 2022). It is monotone, so the
incumbent stays the incumbent.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize

from sk_hpsearch.bo._gp import score_scaling, standardize_scores

__all__ = ["ScoreWarping"]

# Bounds of the Yeo-Johnson lambda: beyond them the inverse is ill-conditioned.
LAMBDA_BOUNDS = (-2.0, 4.0)
_EPS = float(np.finfo(float).eps)
_BRENT_XTOL = 1.48e-8  # scipy.stats.yeojohnson_normmax's tolerance


def _yeo_johnson(log_abs: np.ndarray, pos: np.ndarray, lmbda: float) -> np.ndarray:
    """Yeo-Johnson transform of ``s`` given ``log1p(|s|)`` and ``s >= 0``.

    The same branches as ``scipy.stats.yeojohnson`` with a given ``lmbda``.
    """
    t = np.empty_like(log_abs)
    if abs(lmbda) < _EPS:
        t[pos] = log_abs[pos]
    else:
        t[pos] = np.expm1(lmbda * log_abs[pos]) / lmbda
    two = 2.0 - lmbda
    neg = ~pos
    if abs(two) > _EPS:
        t[neg] = -np.expm1(two * log_abs[neg]) / two
    else:
        t[neg] = -log_abs[neg]
    return t


def _lambda_search_bounds(s: np.ndarray) -> tuple[float, float]:
    """The bracket of ``scipy.stats.yeojohnson_normmax``: no over- or underflow
    for data up to 20 times the largest ``|s|``."""
    log1p_max = math.log1p(20.0 * float(np.max(np.abs(s))))
    info = np.finfo(float)
    log_eps = math.log(info.eps)
    lower = (math.log(info.tiny) - log_eps) / 2.0 / log1p_max
    upper = (math.log(info.max) + log_eps) / 2.0 / log1p_max
    if np.all(s < 0):
        return 2.0 - upper, 2.0 - lower
    if np.any(s < 0):
        return max(2.0 - upper, lower), min(2.0 - lower, upper)
    return lower, upper


def _yeo_johnson_normmax(s: np.ndarray) -> float:
    """Maximum-likelihood Yeo-Johnson ``lambda`` of non-constant finite ``s``.

    The profile log-likelihood, bracket and tolerance of
    ``scipy.stats.yeojohnson_normmax``, without its per-call overhead (the
    search calls it at every step).
    """
    log_abs, pos = np.log1p(np.abs(s)), s >= 0
    log_jacobian = float(np.sum(np.where(pos, log_abs, -log_abs)))
    half_n = 0.5 * len(s)

    def neg_log_likelihood(lmbda: float) -> float:
        var = float(np.var(_yeo_johnson(log_abs, pos, lmbda)))
        if var < np.finfo(float).smallest_normal:
            return math.inf
        return half_n * math.log(var) - (lmbda - 1.0) * log_jacobian

    lower, upper = _lambda_search_bounds(s)
    return float(
        scipy.optimize.fminbound(neg_log_likelihood, lower, upper, xtol=_BRENT_XTOL)
    )


def _inverse_yeo_johnson(t: np.ndarray, lmbda: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse transform and its derivative ``ds/dt``."""
    t = np.asarray(t, dtype=float)
    s = np.empty_like(t)
    ds = np.empty_like(t)
    pos = t >= 0
    if abs(lmbda) < 1e-12:
        s[pos] = np.expm1(t[pos])
        ds[pos] = np.exp(t[pos])
    else:
        base = np.maximum(lmbda * t[pos] + 1.0, 1e-12)
        s[pos] = base ** (1.0 / lmbda) - 1.0
        ds[pos] = base ** (1.0 / lmbda - 1.0)
    neg = ~pos
    two = 2.0 - lmbda
    if abs(two) < 1e-12:
        s[neg] = -np.expm1(-t[neg])
        ds[neg] = np.exp(-t[neg])
    else:
        base = np.maximum(1.0 - two * t[neg], 1e-12)
        s[neg] = 1.0 - base ** (1.0 / two)
        ds[neg] = base ** (1.0 / two - 1.0)
    return s, ds


class ScoreWarping:
    """The map from raw scores to GP targets, fitted on the scores so far.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Raw scores; non-finite ones count as the worst finite score.

    Attributes
    ----------
    targets : ndarray of shape (n,)
        The GP targets ``w`` of ``y``.
    lmbda : float or None
        The Yeo-Johnson parameter (None when the scores are constant).
    """

    def __init__(self, y: np.ndarray):
        self._centre, self._scale = score_scaling(y)
        s = standardize_scores(y)
        self.lmbda = None
        self._mu, self._sigma = 0.0, 1.0
        self.targets = s
        # Standardised scores that vary have unit spread; a tiny spread means
        # scores constant up to rounding (subnormal differences would make
        # the lambda search's bracket infinite).
        if len(s) < 3 or np.ptp(s) < 1e-8:
            return
        lmbda = float(np.clip(_yeo_johnson_normmax(s), *LAMBDA_BOUNDS))
        t = _yeo_johnson(np.log1p(np.abs(s)), s >= 0, lmbda)
        sigma = float(t.std())
        if not np.isfinite(sigma) or sigma <= 1e-12:
            return
        self.lmbda, self._mu, self._sigma = lmbda, float(t.mean()), sigma
        self.targets = (t - self._mu) / sigma

    def to_scores(self, mean: np.ndarray, std: np.ndarray):
        """Predictions of the GP, in the units of the raw scores.

        Parameters
        ----------
        mean, std : ndarray of shape (m,)
            Posterior mean and standard deviation of ``w``.

        Returns
        -------
        mean, std : ndarray of shape (m,)
            The back-transformed mean, and the standard deviation by the
            delta method (first-order propagation through the inverse map).
        """
        mean = np.asarray(mean, dtype=float)
        std = np.asarray(std, dtype=float)
        if self.lmbda is None:
            return self._centre + self._scale * mean, self._scale * std
        s, ds = _inverse_yeo_johnson(self._mu + self._sigma * mean, self.lmbda)
        factor = self._scale * self._sigma * ds
        return self._centre + self._scale * s, factor * std
