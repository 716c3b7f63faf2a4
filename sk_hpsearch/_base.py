"""What every sk_hpsearch search shares: arguments, validation, bookkeeping.

The search classes are thin :class:`~sklearn.model_selection._search.BaseSearchCV`
subclasses. Each implements ``_run_search(evaluate_candidates)``; this module
gives them the ``RandomizedSearchCV`` constructor and parameter constraints,
and :class:`Evaluations`, the record of what has been tried so far, which is
the only path from the unit cube to ``evaluate_candidates`` and back.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Mapping

import numpy as np
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from sk_hpsearch._compat import defer_all_fits_failed, yields_constant_splits
from sk_hpsearch._space import SearchSpace

__all__ = ["BaseSpaceSearchCV", "Evaluations"]


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
        means "``score``, unless the scorer turns out to be multi-metric".
    refit : bool, str or callable
        The search's ``refit``, for the error message when no metric can be
        optimised.

    Attributes
    ----------
    X : ndarray of shape (n, D)
        Canonical cube points evaluated, in order.
    scores : ndarray of shape (n,)
        Their ``mean_test_<metric>``; NaN where every fit failed.
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
        results = self._evaluate(params, more_results=dict(more_results or {}))
        self.results = results
        key = self._score_key(results)
        new = np.asarray(results[key][-len(X) :], dtype=float)
        self.X = np.vstack([self.X, X])
        self.scores = np.concatenate([self.scores, new])
        self._seen.update(self.space.keys(X))

    def _score_key(self, results: dict) -> str:
        if self._metric is None:
            if "mean_test_score" in results:
                self._metric = "score"
            elif isinstance(self._refit, str):
                self._metric = self._refit
            else:
                raise _no_metric_error(self._refit)
        return f"mean_test_{self._metric}"

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


def _no_metric_error(refit) -> ValueError:
    return ValueError(
        "With multi-metric scoring the search optimises the metric named by "
        f"refit, so refit must be the name of a scorer; got refit={refit!r}."
    )


class BaseSpaceSearchCV(BaseSearchCV):
    """``RandomizedSearchCV``'s arguments over a :class:`SearchSpace`.

    Subclasses add their own keyword arguments (and extend
    ``_parameter_constraints``) and implement ``_run_search``.
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    def _start_search(
        self, evaluate_candidates: Callable
    ) -> tuple[SearchSpace, Evaluations, np.random.RandomState]:
        """Validate, then build the space, the record and the one RNG of a fit."""
        space = SearchSpace(self.param_distributions)
        if not yields_constant_splits(self._checked_cv_orig):
            raise ValueError(
                "The cv parameter must yield the same folds on every call to "
                "split(), so that candidates of different rounds are compared "
                "on the same data: set its random_state to an int, or set "
                f"shuffle=False; got cv={self.cv!r}."
            )
        metric = None
        if isinstance(self.scoring, list | tuple | dict):
            if not isinstance(self.refit, str):
                raise _no_metric_error(self.refit)
            metric = self.refit
        return (
            space,
            Evaluations(space, evaluate_candidates, metric, self.refit),
            check_random_state(self.random_state),
        )

    def _deferring_failures(self):
        """Context in which one batch of failed fits does not end the search."""
        return defer_all_fits_failed(self.error_score)

    def _budget(self, space: SearchSpace) -> int:
        """``n_iter``, capped (with a warning) by the number of candidates."""
        if space.size < self.n_iter:
            warnings.warn(
                f"The space has only {int(space.size)} distinct candidates, fewer "
                f"than n_iter={self.n_iter}. Running {int(space.size)} iterations.",
                UserWarning,
                stacklevel=3,
            )
            return int(space.size)
        return self.n_iter


def round_sizes(total: int, n_rounds: int) -> list[int]:
    """Split ``total`` candidates over at most ``n_rounds`` non-empty rounds.

    Earlier rounds get the remainder.

    Examples
    --------
    >>> round_sizes(10, 3)
    [4, 3, 3]
    >>> round_sizes(2, 3)
    [1, 1]
    """
    n = min(n_rounds, total)
    base, extra = divmod(total, n)
    return [base + (i < extra) for i in range(n)]
