"""Regions of the unit cube for coarse-to-fine search.

A :class:`Region` is, for each subspace of a :class:`SearchSpace`,
a box ``[lower, upper]`` of the cube plus sampling weights for the values of
its categorical columns, and a weight for each subspace. Round 1 samples the
whole cube; :func:`zoom` builds the next region around the best points so far.

Notation
--------
K : number of subspaces; D : number of cube columns; n : points evaluated.
``width`` in (0, 1] is the side of the box relative to the cube, as TuRBO's
trust-region length (Eriksson et al. 2019): the box around the incumbent has
side ``width`` along an average dimension, longer along dimensions where the
best points are spread out (they matter less) and shorter where they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sk_hpsearch.space._space import SearchSpace

__all__ = ["Region", "zoom"]

# Limits of a column's half-width relative to width / 2.
_MIN_ASPECT, _MAX_ASPECT = 0.5, 2.0
# A new best within this fraction of the box side from an inner face of the box
# is "on the edge": the optimum may lie outside, so the box grows back.
EDGE_FRACTION = 0.1


@dataclass
class Region:
    """Where a round samples.

    Attributes
    ----------
    width : float
        Side of the box relative to the cube (1 is the whole space).
    lower, upper : ndarray of shape (K, D)
        The box of each subspace (only that subspace's columns matter).
    weights : ndarray of shape (K,)
        Probability of sampling each subspace.
    categorical : list of dict of int to ndarray
        Per subspace: column -> probabilities of that column's values.
    """

    width: float
    lower: np.ndarray
    upper: np.ndarray
    weights: np.ndarray
    categorical: list[dict[int, np.ndarray]]

    @classmethod
    def whole(cls, space: SearchSpace) -> Region:
        """The whole space, sampled from the prior."""
        K, D = space.n_subspaces, space.n_dims
        return cls(
            width=1.0,
            lower=np.zeros((K, D)),
            upper=np.ones((K, D)),
            weights=np.full(K, 1.0 / K),
            categorical=[{} for _ in range(K)],
        )

    def sample(
        self, space: SearchSpace, rng: np.random.RandomState, n: int
    ) -> np.ndarray:
        """Draw ``n`` canonical points of the region.

        Returns
        -------
        ndarray of shape (n, D)
        """
        sub = rng.choice(space.n_subspaces, size=n, p=self.weights)
        U = rng.uniform(self.lower[sub], self.upper[sub])
        for k in range(space.n_subspaces):
            rows = np.flatnonzero(sub == k)
            mask, values = space.fixed_columns(k)
            U[np.ix_(rows, np.flatnonzero(mask))] = values[mask]
            for col, p in self.categorical[k].items():
                picks = rng.choice(len(p), size=len(rows), p=p)
                U[rows, col] = (picks + 0.5) / len(p)
        return space.snap(U)

    def contains_on_edge(self, space: SearchSpace, x: np.ndarray) -> bool:
        """Whether canonical point ``x`` lies near an inner face of its box."""
        k = int(space.subspace_of(x)[0])
        cols = np.flatnonzero(~space.is_categorical & ~space.fixed_columns(k)[0])
        lo, hi = self.lower[k, cols], self.upper[k, cols]
        margin = EDGE_FRACTION * (hi - lo)
        low_edge = (lo > 0) & (x[cols] <= lo + margin)
        high_edge = (hi < 1) & (x[cols] >= hi - margin)
        return bool((low_edge | high_edge).any())

    def describe(self, space: SearchSpace) -> dict:
        """The region in the user's units.

        Returns
        -------
        dict
            ``{"width": float, "params": ...}``: ``params`` maps each parameter
            to ``(low, high)`` or to ``{value: weight}``; with a list of dicts
            it is a list of such dicts and ``"subspace_weights"`` is added.
        """
        per_subspace = [
            space.describe(k, self.lower[k], self.upper[k], self.categorical[k])
            for k in range(space.n_subspaces)
        ]
        if space.n_subspaces == 1:
            return {"width": self.width, "params": per_subspace[0]}
        return {
            "width": self.width,
            "params": per_subspace,
            "subspace_weights": [float(w) for w in self.weights],
        }


def _reweight(counts: np.ndarray, width: float) -> np.ndarray:
    """Mix the best points' frequencies with the uniform prior by ``width``."""
    freq = counts / counts.sum()
    p = (1 - width) * freq + width / len(counts)
    return p / p.sum()


def zoom(
    space: SearchSpace,
    X: np.ndarray,
    scores: np.ndarray,
    *,
    width: float,
    top_k: int,
) -> Region:
    """The region of side ``width`` around the best points evaluated.

    Parameters
    ----------
    space : SearchSpace
        The space.
    X : ndarray of shape (n, D)
        Canonical points evaluated.
    scores : ndarray of shape (n,)
        Their scores (higher is better); non-finite scores are ignored.
    width : float
        Side of the new box relative to the cube, in (0, 1].
    top_k : int
        How many of the best points shape the box and weight the categories.

    Returns
    -------
    Region
        Centred on each subspace's best point; whole-space boxes for subspaces
        without a finite score. With no finite score at all, the whole space.
    """
    finite = np.isfinite(scores)
    region = Region.whole(space)
    if not finite.any():
        return region
    region.width = width
    sub = space.subspace_of(X)
    order = np.flatnonzero(finite)[np.argsort(-scores[finite], kind="stable")]
    overall = order[:top_k]
    if space.n_subspaces > 1:
        counts = np.bincount(sub[overall], minlength=space.n_subspaces)
        region.weights = _reweight(counts.astype(float), width)
    for k in range(space.n_subspaces):
        best = order[sub[order] == k][:top_k]
        if not len(best):
            continue
        free = ~space.fixed_columns(k)[0]
        numeric = np.flatnonzero(free & ~space.is_categorical)
        centre = X[best[0]]
        half = np.full(len(numeric), width / 2)
        if len(best) > 1 and len(numeric):
            spread = np.maximum(X[np.ix_(best, numeric)].std(axis=0), 1e-6)
            aspect = spread / np.exp(np.log(spread).mean())
            half *= np.clip(aspect, _MIN_ASPECT, _MAX_ASPECT)
        half = np.maximum(half, _min_half_width(space, k, centre, numeric))
        region.lower[k, numeric] = np.clip(centre[numeric] - half, 0.0, 1.0)
        region.upper[k, numeric] = np.clip(centre[numeric] + half, 0.0, 1.0)
        choices = space.choices()
        for col in np.flatnonzero(free & space.is_categorical):
            n_values = len(choices[col])
            idx = np.floor(X[best, col] * n_values).astype(int)
            counts = np.bincount(idx, minlength=n_values).astype(float)
            region.categorical[k][int(col)] = _reweight(counts, width)
    return region


def _min_half_width(
    space: SearchSpace, k: int, centre: np.ndarray, columns: np.ndarray
) -> np.ndarray:
    """Half-width that keeps an integer column's neighbours reachable.

    For each discrete column, the distance from ``centre`` to the farther of
    the cell centres of its neighbouring values: cells are not all equal
    (those of ``LogUniform(integer=True)`` shrink like ``1 / k``).
    """
    start = space.columns(k).start
    half = np.zeros(len(columns))
    for i, col in enumerate(columns):
        dim = space.subspaces[k][col - start]
        if not dim.discrete:
            continue
        (value,) = dim.decode(np.array([centre[col]]))
        near = [v for v in (value - 1, value + 1) if dim.in_support(v)]
        if near:
            half[i] = np.abs(dim.encode(near) - centre[col]).max()
    return half
