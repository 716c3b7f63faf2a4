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

import numpy as np

from sk_hpsearch.strategies._base import Batch, History, Strategy

__all__ = ["Budgeted", "BudgetedHistory", "budget_ladder"]


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


class BudgetedHistory(History):
    """:class:`History` where each candidate climbs a ladder of budgets.

    ``scores`` holds, for each candidate, its score at the largest budget it
    reached, which is what the zoom reads; :meth:`model_data` gives a
    surrogate model one budget at a time.

    Parameters
    ----------
    space : SearchSpace
    n_rungs : int
        Number of budgets.
    """

    def __init__(self, space, n_rungs: int):
        super().__init__(space)
        # Per rung: the candidates fitted there, their scores, those promoted.
        self.members: list[list[int]] = [[] for _ in range(n_rungs)]
        self.rung_scores: list[list[float]] = [[] for _ in range(n_rungs)]
        self.promoted: list[set[int]] = [set() for _ in range(n_rungs)]

    def record_rung(self, rung: int, ids: list[int], scores: np.ndarray) -> None:
        """Scores of candidates ``ids`` trained with the budget of ``rung``."""
        self.scores[ids] = scores  # the score at the largest budget reached
        self.members[rung].extend(ids)
        self.rung_scores[rung].extend(scores)

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
                for r in range(len(self.members) - 1, 0, -1)
                if np.isfinite(self.rung_scores[r]).sum() >= enough
            ),
            0,  # every candidate has a score at the smallest budget
        )
        scores = np.asarray(self.rung_scores[rung], dtype=float)
        return self.X[self.members[rung]], scores


class Budgeted(Strategy):
    """Any strategy, with each candidate climbing a ladder of budgets (ASHA).

    New candidates come from the wrapped strategy and are trained with the
    smallest budget. After each batch, a candidate at budget ``i`` is
    promoted to budget ``i + 1`` once it ranks among the best
    ``floor(n_i / reduction_factor)`` of the ``n_i`` finite scores seen at
    budget ``i``, whenever that happens: right after its own fit, or when
    later candidates have filled the rung. So about a ``1 / reduction_factor``
    share of each rung climbs, whatever the batch sizes (a little more when
    later candidates push earlier promoted ones out of the top), and
    :meth:`drain` makes sure the best candidate reaches the full budget.

    Parameters
    ----------
    strategy : Strategy
        The strategy that proposes new candidates; its ``history`` must be a
        :class:`BudgetedHistory` with one entry per rung.
    ladder : list
        The budgets, increasing; the last is the full budget.
    reduction_factor : float
        Only the best ``1 / reduction_factor`` at a budget climb to the next.
    """

    def __init__(self, strategy: Strategy, ladder: list, reduction_factor: float):
        super().__init__(
            strategy.space, strategy.history, strategy.rng, strategy.n_iter
        )
        self.strategy = strategy
        self.ladder = ladder
        self.reduction_factor = reduction_factor
        self._extra: list[dict] = []  # each candidate's own result columns
        self._rung_to_check = len(ladder) - 1  # no promotion before a first batch

    def batch_size(self) -> int:
        """The wrapped strategy's."""
        return self.strategy.batch_size()

    def plan_for(self, horizon: int) -> None:
        """Plan for ``horizon`` candidates, and so does the wrapped strategy."""
        super().plan_for(horizon)
        self.strategy.plan_for(horizon)

    def state(self) -> dict:
        """The wrapped strategy's state and, per rung, its fits and promotions."""
        history = self.history
        return {
            **self.strategy.state(),
            "rungs": [
                {
                    "budget": budget,
                    "members": list(history.members[r]),
                    "scores": [float(s) for s in history.rung_scores[r]],
                    "promoted": sorted(history.promoted[r]),
                }
                for r, budget in enumerate(self.ladder)
            ],
        }

    def _ask(self, n: int) -> Batch | None:
        """Promotions owed after the last batch, else ``n`` new candidates."""
        owed = self._owed_promotion()
        if owed is not None:
            return owed
        batch = self.strategy._ask(n)
        if batch is None or not len(batch):
            return None
        batch.resource = self.ladder[0]
        return batch

    def tell(self, batch: Batch, scores: np.ndarray) -> None:
        """Record the scores at the batch's budget; check promotions next."""
        rung = self.ladder.index(batch.resource)
        if batch.is_new:
            first = len(self.history)
            ids = list(range(first, first + len(batch)))
            self._extra.extend(
                {k: v[j] for k, v in batch.columns.items()} for j in range(len(batch))
            )
            self.history.record(batch.X, np.full(len(batch), np.nan))
            self._rung_to_check = 0
        else:
            ids = batch.ids
        self.history.record_rung(rung, ids, np.asarray(scores, dtype=float))

    def cancel(self, batch: Batch) -> None:
        """Take back a batch: new points to the wrapped strategy, or a promotion."""
        if batch.is_new:
            self.strategy.cancel(batch)
            return
        rung = self.ladder.index(batch.resource) - 1
        self.history.promoted[rung].difference_update(batch.ids)
        self._rung_to_check = min(self._rung_to_check, rung)

    def _owed_promotion(self) -> Batch | None:
        """The next rung's promotions owed after the last new batch, if any."""
        while self._rung_to_check < len(self.ladder) - 1:
            rung = self._rung_to_check
            self._rung_to_check += 1
            promoted = self._promotable(rung)
            if promoted:
                self.history.promoted[rung].update(promoted)
                return self._promotion(rung + 1, promoted)
        return None

    def drain(self) -> Batch | None:
        """Promotions owed, then the best until one has the full budget."""
        owed = self._owed_promotion()
        if owed is not None:
            return owed
        history = self.history
        last = len(self.ladder) - 1
        if np.isfinite(history.rung_scores[last]).any():
            return None
        rungs = [r for r in range(last) if np.isfinite(history.rung_scores[r]).any()]
        if not rungs:
            return None
        rung = rungs[-1]
        scores = np.asarray(history.rung_scores[rung], dtype=float)
        for j in np.argsort(-np.where(np.isfinite(scores), scores, -np.inf)):
            candidate = history.members[rung][j]
            if candidate not in history.promoted[rung]:
                history.promoted[rung].add(candidate)
                return self._promotion(rung + 1, [candidate])
        return None

    def _promotion(self, rung: int, ids: list[int]) -> Batch:
        """Candidates ``ids`` again, with the budget of ``rung``."""
        columns = {k: [self._extra[i][k] for i in ids] for k in self._extra[ids[0]]}
        return Batch(self.history.X[ids], columns, self.ladder[rung], list(ids))

    def _promotable(self, rung: int) -> list[int]:
        """Candidates of ``rung`` in its top ``floor(n / reduction_factor)``."""
        history = self.history
        scores = np.asarray(history.rung_scores[rung], dtype=float)
        finite = np.isfinite(scores)
        keep = int(finite.sum() // self.reduction_factor)
        order = np.argsort(-np.where(finite, scores, -np.inf), kind="stable")[:keep]
        members = history.members[rung]
        return [members[j] for j in order if members[j] not in history.promoted[rung]]
