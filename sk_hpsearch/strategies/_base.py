"""What every strategy shares: the batch it proposes and the history it reads.

A strategy proposes canonical points of the unit cube (:meth:`Strategy.ask`)
and is told their scores (:meth:`Strategy.tell`); it knows nothing of
scikit-learn. The loop asks for ``n`` points, has them evaluated, tells the
scores back (NaN for a failure), and repeats.

Notation: ``D`` cube dimensions, ``m`` points in a batch, ``n`` candidates
told so far.
"""

from __future__ import annotations

import itertools
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sk_hpsearch.space._space import SearchSpace

__all__ = ["Batch", "History", "Strategy", "grid_design", "planned_n_iter"]


@dataclass
class Batch:
    """Points proposed together, evaluated together.

    Attributes
    ----------
    X : ndarray of shape (m, D)
        Canonical cube points.
    columns : dict of str to list
        Extra result columns, one value per point (``step``, ``round``, ...).
    resource : float or None
        The training budget of every point of the batch, or None without
        learning-curve budgets.
    ids : list of int or None
        Indices in the history of the candidates a budgeted batch trains
        again with a larger budget (a promotion); None for new candidates.
    """

    X: np.ndarray
    columns: dict = field(default_factory=dict)
    resource: float | None = None
    ids: list | None = None

    def __len__(self) -> int:
        return len(self.X)

    @property
    def is_new(self) -> bool:
        """Whether the batch holds new candidates (not promotions)."""
        return self.ids is None


def _rows(batch: Batch, keep: np.ndarray) -> Batch:
    """The rows ``keep`` (bool mask) of a batch of new points."""
    columns = {
        k: [v for v, kept in zip(vs, keep, strict=True) if kept]
        for k, vs in batch.columns.items()
    }
    return Batch(batch.X[keep], columns, batch.resource)


class History:
    """The candidates told so far, in the cube, with their scores.

    Parameters
    ----------
    space : SearchSpace

    Attributes
    ----------
    X : ndarray of shape (n, D)
        Canonical points told, in order.
    scores : ndarray of shape (n,)
        Their scores, NaN where the evaluation failed.
    pending : ndarray of shape (p, D)
        Points asked for but not told yet (never proposed again).
    """

    def __init__(self, space: SearchSpace):
        self.space = space
        self.X = np.empty((0, space.n_dims))
        self.scores = np.empty(0)
        self.pending = np.empty((0, space.n_dims))
        self._seen: set = set()

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def n_remaining(self) -> float:
        """How many distinct candidates the space still has."""
        return self.space.size - len(self._seen)

    @property
    def excluded(self) -> np.ndarray:
        """Points a proposal must avoid: those told and those pending."""
        if not len(self.pending):
            return self.X
        return np.vstack([self.X, self.pending])

    def is_new(self, X: np.ndarray) -> np.ndarray:
        """Which rows of canonical ``X`` were never asked for nor repeated.

        Returns
        -------
        ndarray of shape (m,), dtype bool
            True for the first occurrence of each unseen point.
        """
        earlier: set = set()
        keep = []
        for key in self.space.keys(X):
            keep.append(key not in self._seen and key not in earlier)
            earlier.add(key)
        return np.array(keep, dtype=bool)

    def draw_new(
        self, sampler: Callable[[int], np.ndarray], n: int, max_rounds: int = 20
    ) -> np.ndarray:
        """Up to ``n`` new distinct canonical points from ``sampler``.

        Parameters
        ----------
        sampler : callable
            ``sampler(m)`` returns ``m`` canonical points.
        n : int
            How many points are wanted.
        max_rounds : int, default=20
            How many batches to draw before giving up (a small or exhausted
            region then returns fewer than ``n`` points).

        Returns
        -------
        ndarray of shape (m, D), m <= n
        """
        out = np.empty((0, self.space.n_dims))
        for _ in range(max_rounds):
            if len(out) >= n:
                break
            batch = sampler(2 * (n - len(out)))
            both = np.vstack([out, batch])
            keep = self.is_new(both)
            out = both[keep]
        return out[:n]

    def reserve(self, X: np.ndarray) -> None:
        """Mark points as asked for: pending until told, never proposed again."""
        self.pending = np.vstack([self.pending, X])
        self._seen.update(self.space.keys(X))

    def release(self, X: np.ndarray) -> None:
        """Forget that pending points were asked for (their batch was cancelled)."""
        released = set(self.space.keys(X))
        keep = [key not in released for key in self.space.keys(self.pending)]
        self.pending = self.pending[np.array(keep, dtype=bool)]
        self._seen.difference_update(released)

    def record(self, X: np.ndarray, scores: np.ndarray) -> None:
        """Append evaluated points and their scores (no longer pending)."""
        self.X = np.vstack([self.X, X])
        self.scores = np.concatenate([self.scores, np.asarray(scores, dtype=float)])
        self._seen.update(self.space.keys(X))
        if len(self.pending):
            told = set(self.space.keys(X))
            keep = [key not in told for key in self.space.keys(self.pending)]
            self.pending = self.pending[np.array(keep, dtype=bool)]

    def model_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The points and scores a surrogate model should fit: all of them.

        Returns
        -------
        X : ndarray of shape (n, D)
        scores : ndarray of shape (n,)
        """
        return self.X, self.scores

    def best_index(self) -> int | None:
        """Index of the best finite score, or None if none is finite."""
        finite = np.isfinite(self.scores)
        if not finite.any():
            return None
        return int(np.argmax(np.where(finite, self.scores, -np.inf)))

    def top(self, k: int) -> np.ndarray:
        """Indices of the ``k`` best finite scores, best first."""
        finite = np.flatnonzero(np.isfinite(self.scores))
        order = finite[np.argsort(-self.scores[finite], kind="stable")]
        return order[:k]


class Strategy(ABC):
    """An algorithm that proposes points of the cube from the scores told.

    Parameters
    ----------
    space : SearchSpace
    history : History
        The record the strategy reads and :meth:`tell` writes; a budget
        wrapper shares it with the strategy it wraps.
    rng : RandomState
        The one random generator of the search.
    n_iter : int
        The number of candidates the strategy plans for (coarse-to-fine's
        rounds and the GP's closing exploitation depend on it).

    Attributes
    ----------
    horizon : int
        The candidates the search is expected to end with: ``n_iter``, or
        fewer when the search loop's time box predicts an earlier end (see
        :meth:`plan_for`). The GP's closing exploitation and coarse-to-fine's
        rounds plan for it.
    """

    def __init__(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.RandomState,
        n_iter: int,
    ):
        self.space = space
        self.history = history
        self.rng = rng
        self.n_iter = n_iter
        self.horizon = n_iter

    def plan_for(self, horizon: int) -> None:
        """Expect the search to end with ``horizon`` candidates in all.

        The search loop calls it before each batch under a time box.

        Parameters
        ----------
        horizon : int
        """
        self.horizon = horizon

    def ask(self, n: int) -> Batch | None:
        """Up to ``n`` new canonical points, or None when none can be found.

        The points of a new batch are pending in the history until told: a
        later ``ask`` never proposes them again.

        Parameters
        ----------
        n : int
            The most points wanted (``n >= 1``).

        Returns
        -------
        Batch or None
        """
        while (batch := self._ask(n)) is not None and len(batch):
            if not batch.is_new:
                return batch
            # A point told from outside since it was planned is not asked again.
            new = self.history.is_new(batch.X)
            if new.any():
                batch = batch if new.all() else _rows(batch, new)
                self.history.reserve(batch.X)
                return batch
        return None

    def cancel(self, batch: Batch) -> None:
        """Take back a batch asked for but never evaluated.

        Its points are no longer pending and may be proposed again.

        Parameters
        ----------
        batch : Batch
            As returned by :meth:`ask`.
        """
        if batch.is_new:
            self.history.release(batch.X)

    @abstractmethod
    def _ask(self, n: int) -> Batch | None:
        """The proposal itself: up to ``n`` points (see :meth:`ask`)."""

    @abstractmethod
    def batch_size(self) -> int:
        """How many points the strategy would propose together next."""

    def tell(self, batch: Batch, scores: np.ndarray) -> None:
        """Record the scores of ``batch`` (NaN where the evaluation failed).

        Parameters
        ----------
        batch : Batch
            As returned by :meth:`ask`.
        scores : ndarray of shape (m,)
        """
        self.history.record(batch.X, scores)

    def drain(self) -> Batch | None:
        """Work still owed once no new candidate is wanted (budgets), or None."""
        return None

    def state(self) -> dict:
        """The strategy's progress, JSON-able, for a checkpoint to record.

        Informative (a resume recomputes it by replaying the journal); the
        random generator's state is recorded by the checkpoint itself.
        """
        return {"n_candidates": self.n_candidates}

    @property
    def n_candidates(self) -> int:
        """Candidates told so far."""
        return len(self.history)


def planned_n_iter(space: SearchSpace, n_iter: int) -> int:
    """``n_iter``, capped (with a warning) by the number of candidates."""
    if space.size < n_iter:
        warnings.warn(
            f"The space has only {int(space.size)} distinct candidates, fewer "
            f"than n_iter={n_iter}. Running {int(space.size)} iterations.",
            UserWarning,
            stacklevel=4,
        )
        return int(space.size)
    return n_iter


def grid_design(param_distributions, space: SearchSpace, n_iter: int):
    """A space made only of lists, all of it searched: its points in grid order.

    scikit-learn's ``RandomizedSearchCV`` evaluates such a space in
    ``ParameterGrid`` order (each dict's keys sorted, the last varying
    fastest) when ``n_iter`` covers it, so ranks and ties then match its
    results.

    Returns
    -------
    ndarray of shape (size, D) or None
        Canonical points, or None when the space has a distribution or
        ``n_iter`` does not cover it.
    """
    dicts = param_distributions
    if isinstance(dicts, dict):
        dicts = [dicts]
    if any(hasattr(v, "rvs") for d in dicts for v in d.values()) or n_iter < space.size:
        return None
    grid = []
    for d in dicts:
        keys = sorted(d)
        grid.extend(
            dict(zip(keys, values, strict=True))
            for values in itertools.product(*(d[k] for k in keys))
        )
    return space.snap(space.encode(grid))
