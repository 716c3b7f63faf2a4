"""The record of the candidates a search has evaluated.

:class:`Evaluations` is the only path from the unit cube to scikit-learn's
``evaluate_candidates`` callback and back: it decodes cube points into
parameter dicts, passes extra ``cv_results_`` columns along, reads the refit
metric's mean test scores, and remembers what was tried so that no candidate
is evaluated twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from sk_hpsearch._compat import failed_candidates
from sk_hpsearch.space._space import SearchSpace

__all__ = ["Evaluations", "no_metric_error"]


def no_metric_error(refit) -> ValueError:
    """The error for multi-metric scoring without a metric to optimise."""
    return ValueError(
        "With multi-metric scoring the search optimises the metric named by "
        f"refit, so refit must be the name of a scorer; got refit={refit!r}."
    )


class Evaluations:
    """The candidates evaluated so far, in the cube and as refit-metric scores.

    Parameters
    ----------
    space : SearchSpace
        The space the candidates come from.
    evaluate_candidates : callable
        The callback that ``BaseSearchCV.fit`` hands to ``_run_search``.
    metric : str or None
        The refit metric whose ``mean_test_<metric>`` is optimised; ``None``
        means "``score``, unless the scorer turns out to be multi-metric"
        (see :meth:`_score_key`).
    refit : bool, str or callable
        The search's ``refit``: with a multi-metric callable scorer, the
        metric it names is optimised.

    Attributes
    ----------
    X : ndarray of shape (n, D)
        Canonical cube points evaluated, in order.
    scores : ndarray of shape (n,)
        Their ``mean_test_<metric>``; NaN where a fit failed, whatever
        ``error_score`` filled in ``cv_results_``.
    results : dict
        The latest ``cv_results_``-style dict returned by the callback.
    """

    def __init__(
        self,
        space: SearchSpace,
        evaluate_candidates: Callable,
        metric: str | None,
        refit,
    ):
        self.space = space
        self._evaluate = evaluate_candidates
        self._metric = metric
        self._refit = refit
        self.X = np.empty((0, space.n_dims))
        self.scores = np.empty(0)
        self.results: dict = {}
        self._seen: set = set()

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def n_remaining(self) -> float:
        """How many distinct candidates the space still has."""
        return self.space.size - len(self._seen)

    def is_new(self, X: np.ndarray) -> np.ndarray:
        """Which rows of canonical ``X`` were never evaluated nor repeated.

        Returns
        -------
        ndarray of shape (n,), dtype bool
            True for the first occurrence of each unseen point.
        """
        seen = set(self._seen)
        keep = []
        for key in self.space.keys(X):
            keep.append(key not in seen)
            seen.add(key)
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

    def evaluate(self, X: np.ndarray, more_results: Mapping | None = None) -> None:
        """Evaluate the canonical points ``X`` through ``evaluate_candidates``.

        Parameters
        ----------
        X : ndarray of shape (m, D)
            New canonical points.
        more_results : dict of str to list, default=None
            Extra ``cv_results_`` columns, one value per row of ``X``.
        """
        if not len(X):
            return
        params = self.space.decode(X)
        self.results = self._evaluate(params, more_results=dict(more_results or {}))
        self._record(X, self._last_scores(len(X)))

    def finish(self) -> None:
        """Complete pending work at the end of a search (nothing to do here)."""

    def _record(self, X: np.ndarray, scores: np.ndarray) -> None:
        """Append evaluated points and their scores."""
        self.X = np.vstack([self.X, X])
        self.scores = np.concatenate([self.scores, scores])
        self._seen.update(self.space.keys(X))

    def _last_scores(self, n: int) -> np.ndarray:
        """Scores of the ``n`` candidates just evaluated; NaN where a fit failed.

        ``cv_results_`` holds ``error_score`` for a failed fit, which may be
        finite: the search must not take it for a real score.
        """
        key = self._score_key(self.results)
        scores = np.array(self.results[key][-n:], dtype=float)
        scores[failed_candidates(n)] = np.nan
        return scores

    def _score_key(self, results: dict) -> str:
        """The ``cv_results_`` column of the mean test score to optimise.

        Without a metric given up front (single-metric or callable scoring),
        it is read from ``results`` at every call: while every fit so far
        failed, a callable multi-metric scorer has only ``mean_test_score``
        (the error scores); once a fit succeeded its metrics appear. With
        several metrics, the one named by ``refit`` is optimised, as for a
        list or dict ``scoring`` (see ``BaseSpaceSearchCV._start_search``).

        Raises
        ------
        ValueError
            If the scorer is multi-metric and ``refit`` names none of its
            metrics.
        """
        if self._metric is not None:
            return f"mean_test_{self._metric}"
        if isinstance(self._refit, str) and f"mean_test_{self._refit}" in results:
            return f"mean_test_{self._refit}"
        if "mean_test_score" in results:
            return "mean_test_score"
        raise no_metric_error(self._refit)

    def model_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The points and scores a surrogate model should fit: all of them.

        Returns
        -------
        X : ndarray of shape (m, D)
        scores : ndarray of shape (m,)
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
