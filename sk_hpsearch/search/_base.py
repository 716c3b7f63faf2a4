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
import warnings
from abc import abstractmethod

import numpy as np
from sklearn.model_selection import ParameterGrid
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from sk_hpsearch._compat import (
    defer_all_fits_failed,
    search_cv,
    search_n_splits,
    yields_constant_splits,
)
from sk_hpsearch.loop._callbacks import check_callbacks
from sk_hpsearch.loop._loop import SearchLoop
from sk_hpsearch.search._evaluator import (
    Evaluator,
    best_full_budget_index,
    optimised_metric,
)
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import History, Strategy
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
        n_iter = self._budget(space)
        ladder = None if self.resource is None else self._ladder(space)
        history = (
            History(space) if ladder is None else BudgetedHistory(space, len(ladder))
        )
        strategy = self._make_strategy(space, history, rng, n_iter)
        if ladder is not None:
            strategy = Budgeted(strategy, ladder, self.reduction_factor)
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
        )
        loop = SearchLoop(
            strategy,
            evaluator,
            n_iter=n_iter,
            max_time=self.max_time,
            callbacks=callbacks,
            verbose=self.verbose,
            owner=type(self).__name__,
            stop_requested=lambda: evaluator.stop_requested,
        )
        with defer_all_fits_failed(self.error_score, owner=self):
            reason = loop.run()
        self.stop_reason_ = (
            "exhausted" if reason == "n_iter" and n_iter < self.n_iter else reason
        )
        self.search_time_ = loop.elapsed
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
    ) -> Strategy:
        """The search's strategy; subclasses say which."""

    def _store_strategy(self, strategy: Strategy) -> None:
        """Fitted attributes that come from the strategy (none by default)."""

    def _grid_design(self, space: SearchSpace, n_iter: int) -> np.ndarray | None:
        """A space made only of lists, all of it searched: ``ParameterGrid`` order.

        ``RandomizedSearchCV`` evaluates such a space in grid order when
        ``n_iter`` covers it, so ranks and ties then match its results.
        """
        distributions = self.param_distributions
        if isinstance(distributions, dict):
            distributions = [distributions]
        all_lists = all(
            not hasattr(v, "rvs") for d in distributions for v in d.values()
        )
        if not all_lists or n_iter < space.size:
            return None
        return space.snap(space.encode(list(ParameterGrid(distributions))))

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
            best = best_full_budget_index(results, refit_metric)
            if best is not None:
                return best
        return super()._select_best_index(refit, refit_metric, results)

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
