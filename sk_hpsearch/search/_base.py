"""What every sk_hpsearch search shares: arguments, validation, the loop's set-up.

The search classes are thin :class:`~sklearn.model_selection._search.BaseSearchCV`
subclasses. ``_run_search`` is written once, here: it builds the space, the
history, the one random generator and the strategy (each class says which in
``_make_strategy``), wraps it in learning-curve budgets when asked, and runs
the one loop with an :class:`Evaluator` over scikit-learn's
``evaluate_candidates``.
"""

from __future__ import annotations

import numbers
import os
import warnings
from abc import abstractmethod

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils import check_random_state

from sk_hpsearch._compat import (
    BaseSearchCV,
    HasMethods,
    Interval,
    StrOptions,
    defer_all_fits_failed,
    search_cv,
    search_n_splits,
    yields_constant_splits,
)
from sk_hpsearch.loop._callbacks import check_callbacks
from sk_hpsearch.loop._loop import SearchLoop
from sk_hpsearch.loop._warm_start import Prior, prior_from, rank_agreement
from sk_hpsearch.search._checkpoint import SearchCheckpoint
from sk_hpsearch.search._evaluator import (
    Evaluator,
    best_full_budget_index,
    optimised_metric,
)
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import (
    History,
    Strategy,
    planned_n_iter,
)
from sk_hpsearch.strategies._budget import Budgeted, BudgetedHistory, budget_ladder

__all__ = ["BaseSpaceSearchCV"]

_POSITIVE_OR_AUTO = [
    Interval(numbers.Real, 0, None, closed="neither"),
    StrOptions({"auto"}),
]


class BaseSpaceSearchCV(BaseSearchCV):
    """``RandomizedSearchCV``'s arguments over a :class:`SearchSpace`.

    Subclasses add their own keyword arguments (and extend
    ``_parameter_constraints``) and implement ``_run_search``; their
    ``__init__`` lists every argument, as scikit-learn's ``get_params``
    requires.
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "resource": [str, None],
        "min_resources": _POSITIVE_OR_AUTO,
        "max_resources": _POSITIVE_OR_AUTO,
        "reduction_factor": [Interval(numbers.Real, 1, None, closed="neither")],
        "max_time": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "callbacks": [list, tuple, callable, None],
        "checkpoint": [str, os.PathLike, None],
        "checkpoint_mismatch": [StrOptions({"raise", "restart"})],
        "warm_start": ["boolean"],
        "prior_results": [dict, str, os.PathLike, HasMethods(["get_params"]), None],
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
        resource=None,
        min_resources="auto",
        max_resources="auto",
        reduction_factor=3,
        max_time=None,
        callbacks=None,
        checkpoint=None,
        checkpoint_mismatch="raise",
        warm_start=False,
        prior_results=None,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.reduction_factor = reduction_factor
        self.max_time = max_time
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.checkpoint_mismatch = checkpoint_mismatch
        self.warm_start = warm_start
        self.prior_results = prior_results
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

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Run the one loop: ask the strategy, evaluate, tell, hooks.

        ``callback_ctx`` is the root callback context (scikit-learn >= 1.9):
        the search opens a ``"search"`` sub-context and one sub-context per
        batch inside it, as halving does per iteration.
        """
        space = SearchSpace(self.param_distributions)
        if not yields_constant_splits(search_cv(self)):
            raise ValueError(
                "The cv parameter must yield the same folds on every call to "
                "split(), so that candidates of different rounds are compared "
                "on the same data: set its random_state to an int (or, for a "
                f"KFold-like splitter, shuffle=False); got cv={self.cv!r}."
            )
        callbacks = check_callbacks(self.callbacks)
        rng = check_random_state(self.random_state)
        n_iter = planned_n_iter(space, self.n_iter)
        ladder = None if self.resource is None else self._ladder(space)
        history = (
            History(space) if ladder is None else BudgetedHistory(space, len(ladder))
        )
        prior = self._prior(space)
        strategy = self._make_strategy(
            space,
            history,
            rng,
            n_iter,
            prior=None if prior is None else (prior.X, prior.scores),
        )
        if ladder is not None:
            strategy = Budgeted(strategy, ladder, self.reduction_factor)
            self.n_resources_ = ladder
        context = None
        if callback_ctx is not None:
            context = callback_ctx.subcontext(
                task_name="search", max_subtasks=None
            ).call_on_fit_task_begin(estimator=self)
        evaluator = Evaluator(
            space,
            evaluate_candidates,
            metric=optimised_metric(self.scoring, self.refit),
            refit=self.refit,
            resource=self.resource,
            context=context,
            owner=self,
            n_splits=search_n_splits(self),
            n_workers=effective_n_jobs(self.n_jobs),
        )
        checkpoint = None
        if self.checkpoint is not None:
            checkpoint = SearchCheckpoint(
                self, evaluate_candidates, space, strategy, evaluator, prior
            )
        loop = SearchLoop(
            strategy,
            evaluator if checkpoint is None else checkpoint.evaluate,
            n_iter=n_iter,
            max_time=self.max_time,
            callbacks=callbacks,
            verbose=self.verbose,
            owner=type(self).__name__,
            stop_requested=lambda: evaluator.stop_requested,
            predict_seconds=evaluator.predict_seconds,
            on_told=None if checkpoint is None else checkpoint.on_told,
            n_workers=effective_n_jobs(self.n_jobs),
            replayable=checkpoint is not None,
        )
        with defer_all_fits_failed(self.error_score, owner=self):
            reason = loop.run()
        self.stop_reason_ = reason
        self.search_time_ = loop.elapsed
        self.checkpoint_path_ = None if checkpoint is None else checkpoint.path
        self.n_resumed_ = 0 if checkpoint is None else checkpoint.n_replayed
        self.n_prior_ = 0 if prior is None else len(prior.scores)
        self.n_prior_dropped_ = 0 if prior is None else prior.n_dropped
        self.prior_rank_correlation_ = None
        self.n_prior_reevaluated_ = 0
        if prior is not None:
            self.prior_rank_correlation_, self.n_prior_reevaluated_ = rank_agreement(
                prior, strategy.history, space
            )
        self._store_strategy(strategy)
        if context is not None:
            context.call_on_fit_task_end(estimator=self)

    @abstractmethod
    def _make_strategy(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.RandomState,
        n_iter: int,
        prior: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Strategy:
        """The search's strategy (warm-started from ``prior``); subclasses say which."""

    def _prior(self, space: SearchSpace) -> Prior | None:
        """The earlier results a warm start begins from, or None.

        ``prior_results`` if given, else with ``warm_start=True`` this
        search's own previous ``cv_results_`` (``BaseSearchCV.fit`` replaces
        it only after ``_run_search``).
        """
        source = self.prior_results
        if source is None and self.warm_start:
            source = getattr(self, "cv_results_", None)
        if source is None:
            return None
        metric = optimised_metric(self.scoring, self.refit) or "score"
        return prior_from(
            source, space, f"mean_test_{metric}", self.estimator.get_params()
        )

    def _store_strategy(self, strategy: Strategy) -> None:
        """Fitted attributes that come from the strategy (none by default)."""

    def _ladder(self, space: SearchSpace) -> list:
        """Validate the budget options and return the budgets to climb."""
        params = self.estimator.get_params()
        if self.resource not in params:
            raise ValueError(
                f"resource={self.resource!r} is not a parameter of the estimator "
                f"{type(self.estimator).__name__}."
            )
        if any(self.resource == dim.name for dims in space.subspaces for dim in dims):
            raise ValueError(
                f"resource={self.resource!r} is also in param_distributions: the "
                "search sets the budget itself."
            )
        top = self.max_resources
        if top == "auto":
            top = params[self.resource]
            if isinstance(top, bool) or not isinstance(top, numbers.Real) or top <= 0:
                raise ValueError(
                    f"max_resources='auto' takes the estimator's "
                    f"{self.resource}={top!r}, which is not a positive number; "
                    "pass max_resources."
                )
        bottom = self.min_resources
        if bottom == "auto":
            bottom = top / self.reduction_factor**3
            if isinstance(top, numbers.Integral):
                bottom = max(1, int(bottom))
        if bottom > top:
            raise ValueError(
                f"min_resources must be <= max_resources; got "
                f"min_resources={bottom!r}, max_resources={top!r}."
            )
        return budget_ladder(bottom, top, self.reduction_factor)

    def _select_best_index(self, refit, refit_metric, results):
        """Pick the best among full-budget fits when a budget is used."""
        if self.resource is not None and not callable(refit):
            best = best_full_budget_index(results, refit_metric, self.n_resources_[-1])
            if best is not None:
                return best
            best = super()._select_best_index(refit, refit_metric, results)
            warnings.warn(
                "No candidate reached the full budget before the search stopped "
                f"({self.stop_reason_}): the best is chosen among all budgets, "
                f"with {self.resource}={results['n_resources'][best]!r}.",
                UserWarning,
                stacklevel=3,
            )
            return best
        return super()._select_best_index(refit, refit_metric, results)
