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

The zoom sees, for each candidate, the score at the largest budget it
reached. The Gaussian process fits one budget at a time: the largest at
which at least ``D + 2`` candidates have a score (as BOHB, Falkner et al.
2018). The best candidate is chosen among those trained on the full budget.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from sk_hpsearch.search._evaluator import Evaluations

__all__ = ["BudgetedEvaluations", "best_full_budget_index", "budget_ladder"]


def budget_ladder(
    min_resources: float, max_resources: float, reduction_factor: float
) -> list:
    """The budgets (rungs) from ``min_resources`` up to ``max_resources``.

    The rungs are ``max_resources / reduction_factor**k`` for k = K..0, with
    the smallest still >= ``min_resources``; integers when ``max_resources``
    (the full budget, of the estimator parameter's type) is one, the
    smallest then rounded up to an integer >= ``min_resources``.

    Examples
    --------
    >>> budget_ladder(1, 27, 3)
    [1, 3, 9, 27]
    >>> budget_ladder(2, 20, 3)
    [2, 7, 20]
    >>> budget_ladder(5, 5, 3)
    [5]
    >>> budget_ladder(2.5, 27, 3)
    [3, 9, 27]
    """
    integer = isinstance(max_resources, numbers.Integral)
    if integer:  # an integer parameter gets integer budgets only
        min_resources = math.ceil(min_resources)
    n_rungs = 1 + math.floor(
        math.log(max_resources / min_resources) / math.log(reduction_factor) + 1e-9
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

    Asynchronous successive halving (ASHA): a candidate at budget ``i`` is
    promoted to budget ``i + 1`` once it ranks among the best
    ``floor(n_i / reduction_factor)`` of the ``n_i`` finite scores seen at
    budget ``i``, whenever that happens: right after its own fit, or when
    later candidates have filled the rung. So about a ``1 / reduction_factor``
    share of each rung climbs, whatever the batch sizes (a little more when
    later candidates push earlier promoted ones out of the top), and
    :meth:`finish` makes sure the best candidate reaches the full budget. A
    surrogate model fits one budget at a time (:meth:`model_data`).

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
        self._params: list[dict] = []
        self._extra: list[dict] = []
        # Per rung: the candidates fitted there, their scores, those promoted.
        self._members: list[list[int]] = [[] for _ in ladder]
        self._rung_scores: list[list[float]] = [[] for _ in ladder]
        self._promoted: list[set[int]] = [set() for _ in ladder]

    def evaluate(self, X: np.ndarray, more_results: Mapping | None = None) -> None:
        """Fit new canonical points ``X`` at the smallest budget, then promote.

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
        ids = list(range(len(self), len(self) + len(X)))
        self._params.extend(self.space.decode(X))
        self._extra.extend(
            {k: v[j] for k, v in more_results.items()} for j in range(len(X))
        )
        self._record(X, np.full(len(X), np.nan))
        self._fit_at(0, ids)
        for rung in range(len(self.ladder) - 1):
            promoted = self._promotable(rung)
            if promoted:
                self._promoted[rung].update(promoted)
                self._fit_at(rung + 1, promoted)

    def finish(self) -> None:
        """Promote the best candidates until one is trained on the full budget."""
        last = len(self.ladder) - 1
        while not np.isfinite(self._rung_scores[last]).any():
            rungs = [r for r in range(last) if np.isfinite(self._rung_scores[r]).any()]
            if not rungs:
                return
            rung = rungs[-1]
            scores = np.asarray(self._rung_scores[rung], dtype=float)
            for j in np.argsort(-np.where(np.isfinite(scores), scores, -np.inf)):
                candidate = self._members[rung][j]
                if candidate not in self._promoted[rung]:
                    self._promoted[rung].add(candidate)
                    self._fit_at(rung + 1, [candidate])
                    break
            else:
                return

    def model_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The largest budget with ``D + 2`` finite scores: its points and scores.

        One budget per model, as in BOHB (Falkner et al. 2018): scores after
        1 and after 27 epochs are not one function, and a model fitted to
        the mix takes every candidate stopped early for a poor one.

        Returns
        -------
        X : ndarray of shape (m, D)
        scores : ndarray of shape (m,)
        """
        enough = self.X.shape[1] + 2
        rung = next(
            (
                r
                for r in range(len(self.ladder) - 1, 0, -1)
                if np.isfinite(self._rung_scores[r]).sum() >= enough
            ),
            0,  # every candidate has a score at the smallest budget
        )
        scores = np.asarray(self._rung_scores[rung], dtype=float)
        return self.X[self._members[rung]], scores

    def _fit_at(self, rung: int, ids: list[int]) -> None:
        """Fit candidates ``ids`` with the budget of ``rung``."""
        budget = self.ladder[rung]
        batch = [{**self._params[i], self.resource: budget} for i in ids]
        extra = {k: [self._extra[i][k] for i in ids] for k in self._extra[ids[0]]}
        extra["n_resources"] = [budget] * len(ids)
        self.results = self._evaluate(batch, more_results=extra)
        new = self._last_scores(len(ids))
        self.scores[ids] = new  # the score at the largest budget reached
        self._members[rung].extend(ids)
        self._rung_scores[rung].extend(new)

    def _promotable(self, rung: int) -> list[int]:
        """Candidates of ``rung`` in its top ``floor(n / reduction_factor)``."""
        scores = np.asarray(self._rung_scores[rung], dtype=float)
        finite = np.isfinite(scores)
        keep = int(finite.sum() // self.reduction_factor)
        order = np.argsort(-np.where(finite, scores, -np.inf), kind="stable")[:keep]
        members = self._members[rung]
        return [members[j] for j in order if members[j] not in self._promoted[rung]]


def best_full_budget_index(results: Mapping, metric: str) -> int | None:
    """Index of the best finite score among full-budget rows, or None."""
    n_resources = np.asarray(results["n_resources"], dtype=float)
    scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    rows = np.flatnonzero((n_resources == n_resources.max()) & np.isfinite(scores))
    if not len(rows):
        return None
    return int(rows[np.argmax(scores[rows])])
