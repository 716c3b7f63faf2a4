"""Functional ANOVA of a surrogate of the score over the unit cube.

The score ``f(x)`` of a search is modelled by a Gaussian process fitted on the
evaluated candidates (warped scores, :class:`~sk_hpsearch.bo._warping.ScoreWarping`),
and decomposed over the *uniform* distribution of the cube, which is the
prior the user wrote down (Sobol 1993; Hutter et al. 2014, "An efficient
approach for assessing hyperparameter importance")::

    f0       = E[f]
    f_j(u)   = E[f | x_j = u] - f0                 (main effect of column j)
    f_ij     = E[f | x_i, x_j] - f_i - f_j - f0     (pair interaction)
    S_j      = Var(f_j) / Var(f),  S_ij = Var(f_ij) / Var(f)

Because the expectations are over the uniform cube and not over the
candidates, a search that sampled unevenly (a GP search that crowds the
optimum) gets the same decomposition as a random one, up to the surrogate's
error where it has few points.

Notation and shapes
-------------------
D : number of cube columns.
N : Monte Carlo base points, (N, D) uniform draws of the cube.
G : grid values of one column (cell centres for discrete columns).
A list of dicts has an indicator column; a column of dict ``k`` only acts on
the base points of that dict (elsewhere it stays inactive, as in the search).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.stats import qmc

from sk_hpsearch.bo._gp import GaussianProcess, fit_gp
from sk_hpsearch.bo._warping import ScoreWarping
from sk_hpsearch.inspection._results import Column, SearchRecord
from sk_hpsearch.space._space import INACTIVE

__all__ = [
    "Decomposition",
    "activate",
    "Surrogate",
    "decompose",
    "fit_surrogate",
    "grid",
    "main_effect",
    "pair_effect",
    "uniform_base",
]

MAX_FIT_POINTS = 300
"""The GP's hyperparameters are fitted on at most this many candidates (a
random subset); its posterior then conditions on up to ``MAX_POINTS``."""
MAX_POINTS = 2000
SURROGATE_SMOOTHNESS = 2.5
"""The importance surrogate's Matern smoothness, whatever the number of points:
a decomposition into main effects and interactions wants the smooth global
trend, and the importance study (``docs/benchmarks.md``) measured this kernel.
The search's own model turns rougher from 16 points (``bo/_gp.py``)."""


@dataclass
class Surrogate:
    """A GP of the warped scores, predicting in the units of the scores.

    Attributes
    ----------
    gp : GaussianProcess
    warping : ScoreWarping
    record : SearchRecord
    score_range : tuple of float
        The lowest and highest finite score fitted on.
    """

    gp: GaussianProcess
    warping: ScoreWarping
    record: SearchRecord
    score_range: tuple[float, float]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted score at ``X`` (m, D): the back-transformed posterior mean.

        Clipped to the range of the scores the model was fitted on: the
        inverse warping can explode where the model extrapolates.
        """
        gp = self.gp
        X = np.asarray(X, dtype=float)
        mean = gp.kernel(X, gp.X) @ gp.alpha
        scores = self.warping.to_scores(mean, np.zeros_like(mean))[0]
        return np.clip(scores, *self.score_range)

    def average(self, X: np.ndarray) -> tuple[float, float]:
        """Mean predicted score over the rows of ``X`` (m, D), and its std.

        The std is the posterior std of the average of the latent function,
        ``sqrt(1^T C 1) / m`` with ``C`` the posterior covariance at ``X``,
        mapped to score units by the delta method.
        """
        X = np.asarray(X, dtype=float)
        gp = self.gp
        Kq = gp.kernel(X, gp.X)
        v = scipy.linalg.solve_triangular(gp.cholesky, Kq.T, lower=True).T
        prior = gp.kernel(X, X)
        m = len(X)
        var = (prior.sum() - np.square(v.sum(axis=0)).sum()) / m**2
        mean = float((Kq @ gp.alpha).mean())
        score, std = self.warping.to_scores(
            np.array([mean]), np.array([np.sqrt(max(var, 0.0))])
        )
        return float(score[0]), float(std[0])


def fit_surrogate(
    record: SearchRecord,
    scores: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    *,
    rng: np.random.Generator,
    init=None,
) -> Surrogate:
    """Fit the GP surrogate on ``record`` (or on ``scores`` of its ``rows``).

    Parameters
    ----------
    record : SearchRecord
    scores : ndarray of shape (m,), default=None
        Scores of ``rows`` (a bootstrap replicate); default the record's.
    rows : ndarray of shape (m,), default=None
        Indices into the record's points; default all.
    rng : numpy.random.Generator
    init : GPParams, default=None
        Warm start of the hyperparameter fit (one ascent from it alone).

    Returns
    -------
    Surrogate
    """
    if rows is None:
        rows = np.arange(len(record.X))
    if scores is None:
        scores = record.scores[rows]
    if len(rows) > MAX_POINTS:
        keep = rng.choice(len(rows), MAX_POINTS, replace=False)
        rows, scores = rows[keep], scores[keep]
    X = record.X[rows]
    warping = ScoreWarping(scores)
    is_categorical = record.is_model_categorical
    fit = slice(None)
    if len(rows) > MAX_FIT_POINTS:
        fit = np.sort(rng.choice(len(rows), MAX_FIT_POINTS, replace=False))
    gp = fit_gp(
        X[fit],
        warping.targets[fit],
        is_categorical,
        init=init,
        rng=rng,
        restart=init is None,
        nu=SURROGATE_SMOOTHNESS,
    )
    if len(rows) > MAX_FIT_POINTS:
        gp = GaussianProcess(X, warping.targets, is_categorical, gp.params, gp.nu)
    finite = scores[np.isfinite(scores)]
    score_range = (float(finite.min()), float(finite.max())) if len(finite) else (0, 0)
    return Surrogate(gp, warping, record, score_range)


def uniform_base(record: SearchRecord, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform draws of the cube, every column filled and snapped, (n, D).

    Scrambled Sobol points: ``n`` a power of 2 keeps their balance.
    """
    U = qmc.Sobol(record.space.n_dims, scramble=True, seed=rng).random(n)
    return np.column_stack([_snap(c, U[:, c.index]) for c in record.columns])


def _snap(column: Column, u: np.ndarray) -> np.ndarray:
    return np.asarray(column.dim.snap(np.asarray(u, dtype=float)), dtype=float)


def activate(record: SearchRecord, X: np.ndarray) -> np.ndarray:
    """Inactive columns of each row (other dicts' blocks) set to ``INACTIVE``."""
    space = record.space
    if space.n_subspaces == 1:
        return X
    X = X.copy()
    sub = space.subspace_of(X)
    for k in range(space.n_subspaces):
        mask, _ = space.fixed_columns(k)
        mask[0] = False
        X[np.ix_(sub == k, mask)] = INACTIVE
    return X


def grid(column: Column, n_grid: int) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(G,)`` of a column and their uniform-cube weights ``(G,)``.

    Categorical columns: every cell centre, equal weights. Others: the
    midpoints of ``n_grid`` equal slices, snapped (an integer column gets its
    values weighted by the width of their cells).
    """
    if column.categorical:
        m = column.dim.n_values
        return (np.arange(m) + 0.5) / m, np.full(m, 1.0 / m)
    u = _snap(column, (np.arange(n_grid) + 0.5) / n_grid)
    values, counts = np.unique(np.round(u, 12), return_counts=True)
    return values, counts / counts.sum()


def _weighted_var(values: np.ndarray, weights: np.ndarray) -> float:
    mean = float(weights @ values)
    return float(weights @ np.square(values - mean))


@dataclass
class Decomposition:
    """Sobol indices of one surrogate.

    Attributes
    ----------
    main : ndarray of shape (D,)
        ``S_j``, the share of the variance of the predicted score explained
        by each column alone.
    pair : tuple of int
        The two columns whose interaction was measured.
    interaction : float
        ``S_ij`` of that pair.
    total_variance : float
        ``Var(f)`` over the uniform cube, in squared score units.
    """

    main: np.ndarray
    pair: tuple[int, int]
    interaction: float
    total_variance: float


def _with_values(
    base: np.ndarray, columns: list[int], values: np.ndarray
) -> np.ndarray:
    """(G * N, D): ``base`` repeated once per row of ``values`` (G, len(columns))."""
    X = np.tile(base, (len(values), 1))
    for c, column in enumerate(columns):
        X[:, column] = np.repeat(values[:, c], len(base))
    return X


def main_effect(
    surrogate: Surrogate, column: Column, base: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """``E[f | x_j = u]`` (G,) for the grid ``values`` over the ``base`` points."""
    X = _with_values(base, [column.index], np.asarray(values)[:, None])
    predicted = surrogate.predict(activate(surrogate.record, X))
    return predicted.reshape(len(values), len(base)).mean(axis=1)


def pair_effect(
    surrogate: Surrogate,
    first: Column,
    second: Column,
    base: np.ndarray,
    values: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """``E[f | x_i = u, x_j = v]`` (G_i, G_j) over the ``base`` points."""
    a, b = values
    pairs = np.column_stack([np.repeat(a, len(b)), np.tile(b, len(a))])
    X = _with_values(base, [first.index, second.index], pairs)
    predicted = surrogate.predict(activate(surrogate.record, X))
    return predicted.reshape(len(a), len(b), len(base)).mean(axis=2)


def decompose(
    surrogate: Surrogate,
    base: np.ndarray,
    *,
    pair: tuple[int, int] | None = None,
    n_grid: int = 24,
    n_pair_grid: int = 10,
) -> Decomposition:
    """First-order Sobol indices of every column and of the top pair.

    Parameters
    ----------
    surrogate : Surrogate
    base : ndarray of shape (N, D)
        Uniform draws of the cube (every column filled).
    pair : tuple of int, default=None
        The two columns whose interaction is measured; default the two with
        the largest main effects.
    n_grid : int, default=24
        Grid values per continuous column for the main effects.
    n_pair_grid : int, default=10
        Grid values per continuous column for the pair.

    Returns
    -------
    Decomposition
    """
    record = surrogate.record
    total = float(np.var(surrogate.predict(activate(record, base))))
    main = np.zeros(len(record.columns))
    if total > 0:
        for column in record.columns:
            values, weights = grid(column, n_grid)
            effect = main_effect(surrogate, column, base, values)
            main[column.index] = _weighted_var(effect, weights) / total
    if pair is None:
        order = np.argsort(-main, kind="stable")
        pair = (int(order[0]), int(order[min(1, len(order) - 1)]))
    if pair[0] == pair[1] or total <= 0:
        return Decomposition(main, pair, 0.0, total)
    i, j = (record.columns[c] for c in pair)
    (a, wa), (b, wb) = grid(i, n_pair_grid), grid(j, n_pair_grid)
    joint = pair_effect(surrogate, i, j, base, (a, b))
    f0 = float(wa @ joint @ wb)
    residual = joint - (joint @ wb)[:, None] - (wa @ joint)[None, :] + f0
    interaction = float(wa @ np.square(residual) @ wb) / total
    return Decomposition(main, pair, interaction, total)
