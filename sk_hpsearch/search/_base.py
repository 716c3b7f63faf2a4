"""What every sk_hpsearch search shares: arguments, validation, set-up.

The search classes are thin :class:`~sklearn.model_selection._search.BaseSearchCV`
subclasses. Each implements ``_run_search(evaluate_candidates)``; this module
gives them ``RandomizedSearchCV``'s constructor and parameter constraints plus
the learning-curve budget options, and builds, once per fit, the space, the
record of evaluations and the one random generator.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from sk_hpsearch._compat import defer_all_fits_failed, yields_constant_splits
from sk_hpsearch.search._evaluator import Evaluations, no_metric_error
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._budget import (
    BudgetedEvaluations,
    best_full_budget_index,
    budget_ladder,
)

__all__ = ["BaseSpaceSearchCV", "round_sizes"]

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
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.reduction_factor = reduction_factor
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
                "on the same data: set its random_state to an int (or, for a "
                f"KFold-like splitter, shuffle=False); got cv={self.cv!r}."
            )
        metric = None
        if isinstance(self.scoring, list | tuple | dict):
            if not isinstance(self.refit, str):
                raise no_metric_error(self.refit)
            metric = self.refit
        args = (space, evaluate_candidates, metric, self.refit)
        if self.resource is None:
            evals = Evaluations(*args)
        else:
            evals = BudgetedEvaluations(
                *args,
                resource=self.resource,
                ladder=self._ladder(space),
                reduction_factor=self.reduction_factor,
            )
        return space, evals, check_random_state(self.random_state)

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

    def _deferring_failures(self):
        """Context in which one batch of failed fits does not end the search."""
        return defer_all_fits_failed(self.error_score, owner=self)

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
