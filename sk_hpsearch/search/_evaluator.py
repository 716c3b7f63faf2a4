"""The bridge from a strategy's batches to scikit-learn's ``evaluate_candidates``.

:class:`Evaluator` decodes cube points into parameter dicts, adds the budget
and the extra ``cv_results_`` columns, opens one callback sub-context per
batch (scikit-learn >= 1.9), and reads back the optimised metric's mean test
scores, NaN where a fit failed. A batch lost with a Dask worker is fitted
again (:mod:`sk_hpsearch.search._cluster`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping

import numpy as np

from sk_hpsearch._compat import failed_candidates
from sk_hpsearch.search._cluster import retry_lost_batches
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import Batch

__all__ = ["Evaluator", "best_full_budget_index", "optimised_metric"]

_NON_FINITE = "One or more of the test scores are non-finite"


def optimised_metric(scoring, refit) -> str | None:
    """The metric a search optimises, when ``scoring`` names several.

    The one named by ``refit``; otherwise (``refit=False`` or a callable)
    the first metric of ``scoring``. None for a single metric or a callable
    ``scoring`` (read from the results, see :meth:`Evaluator._score_key`).

    Examples
    --------
    >>> optimised_metric(["accuracy", "f1"], refit="f1")
    'f1'
    >>> optimised_metric({"acc": "accuracy", "f1": "f1_macro"}, refit=False)
    'acc'
    >>> optimised_metric("accuracy", refit=True) is None
    True
    """
    if isinstance(scoring, list | tuple):
        return refit if isinstance(refit, str) else scoring[0]
    if isinstance(scoring, dict):
        return refit if isinstance(refit, str) else next(iter(scoring))
    return None


class Evaluator:
    """Evaluate batches through ``evaluate_candidates``; scores for the strategy.

    Parameters
    ----------
    space : SearchSpace
    evaluate_candidates : callable
        The callback that ``BaseSearchCV.fit`` hands to ``_run_search``.
    metric : str or None
        The metric whose ``mean_test_<metric>`` is optimised
        (:func:`optimised_metric`); None: ``score``, or with a callable
        multi-metric scorer the one named by ``refit``, else its first.
    refit : bool, str or callable
        The search's ``refit``.
    resource : str or None
        The estimator parameter a batch's budget sets.
    context : CallbackContext or None
        The search's callback context (scikit-learn >= 1.9): each batch gets
        a sub-context whose tasks are its candidate x split fits.
    owner : BaseSearchCV
        The search, passed to the callbacks' hooks.
    n_splits : int
        Folds per candidate.
    n_workers : int
        Fits that run at once (``effective_n_jobs``), for the time box's
        forecast.

    Attributes
    ----------
    results : dict
        The latest ``cv_results_``-style dict returned by the callback.
    stop_requested : bool
        Whether a callback's ``on_fit_task_end`` returned True for a batch.
    """

    def __init__(
        self,
        space: SearchSpace,
        evaluate_candidates: Callable,
        *,
        metric: str | None,
        refit,
        resource: str | None = None,
        context=None,
        owner=None,
        n_splits: int = 1,
        n_workers: int = 1,
    ):
        self.space = space
        self._evaluate = evaluate_candidates
        self._metric = metric
        self._refit = refit
        self._resource = resource
        self._context = context
        self._owner = owner
        self._n_splits = n_splits
        self._n_workers = max(1, n_workers)
        self._warned_non_finite = False
        self._warning_registry: dict = {}  # "default" filters: once per search
        self.results: dict = {}
        self.stop_requested = False

    def __call__(self, batch: Batch) -> np.ndarray:
        """Fit and score ``batch``; its scores, NaN where a fit failed."""
        params, more_results = self.candidates(batch)
        self.results = retry_lost_batches(
            lambda: self._evaluate_batch(params, more_results),
            n_candidates=len(params),
        )
        return self._last_scores(len(params))

    def _evaluate_batch(self, params: list, more_results: dict) -> dict:
        """One ``evaluate_candidates`` call, in a callback sub-context of its own.

        A batch fitted again after a lost Dask worker gets a new sub-context:
        scikit-learn gives each of the first call's fits a child of the first.
        """
        kwargs = {}
        if self._context is not None:
            kwargs["callback_ctx"] = self._context.subcontext(
                task_name="batch",
                max_subtasks=len(params) * self._n_splits,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=self._owner)
        results = self._call_once_warning(params, more_results, kwargs)
        if self._context is not None:
            stop = kwargs["callback_ctx"].call_on_fit_task_end(estimator=self._owner)
            self.stop_requested |= bool(stop)
        return results

    def predict_seconds(self, batch: Batch) -> float | None:
        """Seconds ``batch`` should take, from the fit and score times so far.

        The mean time of a fit per unit of budget, times the batch's budget,
        times the waves of ``n_workers`` parallel fits its candidates x
        splits need. None before any result.
        """
        if not self.results:
            return None
        times = np.asarray(self.results["mean_fit_time"], dtype=float) + np.asarray(
            self.results["mean_score_time"], dtype=float
        )
        budgets = np.asarray(self.results.get("n_resources", np.ones(len(times))))
        per_unit = float(np.nansum(times) / np.sum(budgets.astype(float)))
        waves = math.ceil(len(batch) * self._n_splits / self._n_workers)
        resource = 1.0 if batch.resource is None else float(batch.resource)
        return per_unit * resource * waves

    def candidates(self, batch: Batch) -> tuple[list[dict], dict]:
        """The parameter dicts and extra result columns of ``batch``."""
        params = self.space.decode(batch.X)
        more_results = {k: list(v) for k, v in batch.columns.items()}
        if batch.resource is not None:
            params = [{**p, self._resource: batch.resource} for p in params]
            more_results["n_resources"] = [batch.resource] * len(params)
        return params, more_results

    def _call_once_warning(self, params, more_results, kwargs) -> dict:
        """``evaluate_candidates``, with its non-finite-scores warning once.

        scikit-learn warns about non-finite test scores each time it formats
        the results, so once per batch for an iterative search; the first is
        enough.
        """
        with warnings.catch_warnings(record=True) as caught:
            results = self._evaluate(params, more_results=more_results, **kwargs)
        for w in caught:
            if str(w.message).startswith(_NON_FINITE):
                if self._warned_non_finite:
                    continue
                self._warned_non_finite = True
            warnings.warn_explicit(
                w.message,
                w.category,
                w.filename,
                w.lineno,
                registry=self._warning_registry,
                source=w.source,
            )
        return results

    def _last_scores(self, n: int) -> np.ndarray:
        """Scores of the ``n`` candidates just evaluated; NaN where a fit failed.

        ``cv_results_`` holds ``error_score`` for a failed fit, which may be
        finite: the search must not take it for a real score.
        """
        key = self._score_key(self.results)
        scores = np.array(self.results[key][-n:], dtype=float)
        scores[failed_candidates(n)] = np.nan
        return scores

    def _score_key(self, results: Mapping) -> str:
        """The ``cv_results_`` column of the mean test score to optimise.

        Without a metric given up front (single-metric or callable scoring),
        it is read from ``results`` at every call: while every fit so far
        failed, a callable multi-metric scorer has only ``mean_test_score``
        (the error scores); once a fit succeeded its metrics appear, and the
        one named by ``refit`` is optimised, else the first.
        """
        if self._metric is not None:
            return f"mean_test_{self._metric}"
        if isinstance(self._refit, str) and f"mean_test_{self._refit}" in results:
            return f"mean_test_{self._refit}"
        if "mean_test_score" in results:
            return "mean_test_score"
        return next(key for key in results if key.startswith("mean_test_"))


def best_full_budget_index(
    results: Mapping, metric: str, full_budget: float
) -> int | None:
    """Index of the best finite score among ``full_budget`` rows, or None."""
    n_resources = np.asarray(results["n_resources"], dtype=float)
    scores = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    rows = np.flatnonzero((n_resources == full_budget) & np.isfinite(scores))
    if not len(rows):
        return None
    return int(rows[np.argmax(scores[rows])])
