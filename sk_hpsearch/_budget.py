"""Learning-curve budgets: train on a small budget, continue the promising.

A *resource* is an estimator parameter that acts as a training budget:
skorch's ``max_epochs``, a boosting model's ``n_estimators``, an iterative
model's ``max_iter``. Every candidate is first fitted with a small value of
it; only candidates whose score ranks among the best ``1 / reduction_factor``
of all scores seen at that budget are fitted again with ``reduction_factor``
times more, up to the full budget (asynchronous successive halving, as in
ASHA, Li et al. 2020, so it works with batches of any size). Each fit is one
row of ``cv_results_``, with its budget in the ``n_resources`` column, as in
:class:`~sklearn.model_selection.HalvingRandomSearchCV`.

The optimiser (the zoom, or the Gaussian process) sees, for each candidate,
the score at the largest budget it reached; the best candidate is chosen
among those trained on the full budget.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from sk_hpsearch._evaluations import Evaluations

__all__ = ["BudgetedEvaluations", "best_full_budget_index", "budget_ladder"]


def budget_ladder(
    min_resources: float, max_resources: float, reduction_factor: float
) -> list:
    """The budgets (rungs) from ``min_resources`` up to ``max_resources``.

    The rungs are ``max_resources / reduction_factor**k`` for k = K..0, with
    the smallest still >= ``min_resources``; integers when both bounds are.

    Examples
    --------
    >>> budget_ladder(1, 27, 3)
    [1, 3, 9, 27]
    >>> budget_ladder(2, 20, 3)
    [2, 7, 20]
    >>> budget_ladder(5, 5, 3)
    [5]
    """
    n_rungs = 1 + math.floor(
        math.log(max_resources / min_resources) / math.log(reduction_factor) + 1e-9
    )
    integer = isinstance(min_resources, numbers.Integral) and isinstance(
        max_resources, numbers.Integral
    )
    ladder = []
    for k in range(n_rungs - 1, -1, -1):
        value = max_resources / reduction_factor**k
        value = max(round(value), min_resources) if integer else value
        if not ladder or value > ladder[-1]:
            ladder.append(value)
    return ladder


class BudgetedEvaluations(Evaluations):
    """:class:`Evaluations` where each candidate climbs a ladder of budgets.

    Parameters
    ----------
    space, evaluate_candidates, metric, refit
        As in :class:`Evaluations`.
    resource : str
        The estimator parameter that sets the budget.
    ladder : list
        The budgets, increasing; the last is the full budget.
    reduction_factor : float
        Only the best ``1 / reduction_factor`` at a budget climb to the next.
    """

    def __init__(
        self,
        space,
        evaluate_candidates,
        metric,
        refit,
        *,
        resource: str,
        ladder: list,
        reduction_factor: float,
    ):
        super().__init__(space, evaluate_candidates, metric, refit)
        self.resource = resource
        self.ladder = ladder
        self.reduction_factor = reduction_factor
        self._rung_scores: list[list[float]] = [[] for _ in ladder]

    def evaluate(self, X: np.ndarray, more_results: Mapping | None = None) -> None:
        """Evaluate new canonical points ``X``, climbing the budget ladder.

        Parameters
        ----------
        X : ndarray of shape (m, D)
            New canonical points.
        more_results : dict of str to list, default=None
            Extra ``cv_results_`` columns, one value per row of ``X``; each
            fit of a candidate repeats its values.
        """
        if not len(X):
            return
        more_results = dict(more_results or {})
        params = self.space.decode(X)
        scores = np.full(len(X), np.nan)
        active = np.arange(len(X))
        for rung, budget in enumerate(self.ladder):
            batch = [{**params[i], self.resource: budget} for i in active]
            extra = {k: [v[i] for i in active] for k, v in more_results.items()}
            extra["n_resources"] = [budget] * len(active)
            self.results = self._evaluate(batch, more_results=extra)
            new = np.asarray(
                self.results[self._score_key(self.results)][-len(active) :],
                dtype=float,
            )
            scores[active] = new
            self._rung_scores[rung].extend(new)
            active = active[self._promoted(rung, new)]
            if not len(active):
                break
        self._record(X, scores)

    def _promoted(self, rung: int, new: np.ndarray) -> np.ndarray:
        """Which of ``new`` rank in the top ``ceil(n / reduction_factor)``.

        ``n`` counts every finite score seen at this rung, earlier batches
        included, so the first candidates are promoted freely and later ones
        must beat the record; a non-finite score is never promoted.
        """
        if rung == len(self.ladder) - 1:
            return np.zeros(len(new), dtype=bool)
        seen = np.asarray(self._rung_scores[rung], dtype=float)
        seen = np.sort(seen[np.isfinite(seen)])[::-1]
        if not len(seen):
            return np.zeros(len(new), dtype=bool)
        keep = math.ceil(len(seen) / self.reduction_factor)
        threshold = seen[keep - 1]
        return np.isfinite(new) & (new >= threshold)


def best_full_budget_index(results: Mapping, metric: str) -> int | None:
    """Index of the best finite score among full-budget rows, or None."""
    n_resources = np.asarray(results["n_resources"], dtype=float)
    scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    rows = np.flatnonzero((n_resources == n_resources.max()) & np.isfinite(scores))
    if not len(rows):
        return None
    return int(rows[np.argmax(scores[rows])])
