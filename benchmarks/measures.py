"""What is measured on one fitted search.

:func:`extract_evaluations` reads, in evaluation order, the parameters, the
mean test score and the cross-validation time of every candidate from a fitted
search (``cv_results_`` for ``BaseSearchCV`` subclasses, the study's trials for
``OptunaSearchCV``). :func:`problem_values` turns scores into the quantity a
problem is judged by (regret for synthetic problems, CV score for real ones)
and :func:`best_so_far` into the best-so-far curve.

Optimiser overhead (meaningful for ``n_jobs=1``) is the search's wall time
minus the time spent fitting and scoring:
``wall - sum_i n_splits * (mean_fit_time_i + mean_score_time_i) - refit_time``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from benchmarks.problems import Problem

__all__ = [
    "Evaluations",
    "best_so_far",
    "extract_evaluations",
    "full_budget_values",
    "problem_values",
    "resources_used",
]


@dataclass
class Evaluations:
    """Per-candidate results of one search, in evaluation order.

    Parameters
    ----------
    params : list of dict
        Candidate parameters.
    scores : ndarray of shape (n_evals,)
        Mean test scores (NaN for failed fits).
    cv_time : float
        Sum over candidates of ``n_splits * (mean_fit_time + mean_score_time)``.
    refit_time : float
        Time of the final refit (0 when none).
    n_splits : int
        Cross-validation folds of every evaluation.
    n_resources : ndarray of shape (n_evals,) or None
        Training budget of each evaluation, for searches with a learning-curve
        budget (``cv_results_["n_resources"]``); None otherwise.
    score_std : ndarray of shape (n_evals,) or None
        Standard deviation of the test score over folds (None when the
        search does not report it).
    """

    params: list[dict[str, Any]]
    scores: np.ndarray
    cv_time: float
    refit_time: float
    n_splits: int = 1
    n_resources: np.ndarray | None = None
    score_std: np.ndarray | None = None

    @property
    def n_candidates(self) -> int:
        """Distinct candidates: each has one fit at the smallest budget."""
        if self.n_resources is None:
            return len(self.scores)
        return int(np.sum(self.n_resources == self.n_resources.min()))


def _nansum(values: Any) -> float:
    return float(np.nansum(np.asarray(values, dtype=float)))


def extract_evaluations(search: Any) -> Evaluations:
    """Read the evaluations of a fitted search.

    Parameters
    ----------
    search : fitted search estimator
        A ``BaseSearchCV`` subclass or an ``OptunaSearchCV``.

    Returns
    -------
    Evaluations
        Parameters, scores and times in evaluation order.
    """
    refit_time = float(getattr(search, "refit_time_", 0.0) or 0.0)
    n_splits = int(search.n_splits_)
    n_resources = score_std = None
    if hasattr(search, "study_"):  # OptunaSearchCV
        trials = sorted(search.study_.trials, key=lambda t: t.number)
        params = [dict(t.params) for t in trials]
        scores = np.array(
            [np.nan if t.value is None else t.value for t in trials], dtype=float
        )
        fit = [t.user_attrs.get("mean_fit_time", np.nan) for t in trials]
        score = [t.user_attrs.get("mean_score_time", np.nan) for t in trials]
    else:
        results = search.cv_results_
        params = [dict(p) for p in results["params"]]
        scores = np.asarray(results["mean_test_score"], dtype=float)
        fit = results["mean_fit_time"]
        score = results["mean_score_time"]
        if "n_resources" in results:
            n_resources = np.asarray(results["n_resources"], dtype=float)
        score_std = np.asarray(results["std_test_score"], dtype=float)
    cv_time = n_splits * (_nansum(fit) + _nansum(score))
    return Evaluations(
        params, scores, cv_time, refit_time, n_splits, n_resources, score_std
    )


def full_budget_values(
    values: np.ndarray, evaluations: Evaluations, goal: Literal["min", "max"]
) -> np.ndarray:
    """Return ``values`` with the evaluations below the full budget made worst.

    A budgeted search's best candidate is chosen among its full-budget fits
    (a short training run is a noisy, pessimistic estimate), so its
    best-so-far curve is too.

    Parameters
    ----------
    values : ndarray of shape (n_evals,)
        Per-evaluation values from :func:`problem_values`.
    evaluations : Evaluations
        Where the budgets are read.
    goal : {"min", "max"}
        Whether lower or higher is better.

    Returns
    -------
    ndarray of shape (n_evals,)
        ``values`` unchanged without budgets.
    """
    budgets = evaluations.n_resources
    if budgets is None:
        return values
    worst = np.inf if goal == "min" else -np.inf
    return np.where(budgets == budgets.max(), values, worst)


def resources_used(evaluations: Evaluations, full: int) -> tuple[int, int]:
    """Return the budget units trained in all, and their count without budgets.

    Parameters
    ----------
    evaluations : Evaluations
        A search of a problem with a resource (e.g. epochs).
    full : int
        The resource's full value.

    Returns
    -------
    used : int
        Sum over every fit of every fold of its budget, plus the refit's.
    everything_full : int
        The same with every candidate trained on the full budget.
    """
    budgets = evaluations.n_resources
    if budgets is None:
        budgets = np.full(len(evaluations.scores), float(full))
    refit = full if evaluations.refit_time > 0 else 0
    used = evaluations.n_splits * float(np.sum(budgets)) + refit
    return int(used), evaluations.n_splits * evaluations.n_candidates * full + refit


def problem_values(problem: Problem, evaluations: Evaluations) -> np.ndarray:
    """Return the per-evaluation quantity a problem is judged by.

    Parameters
    ----------
    problem : Problem
        The problem searched.
    evaluations : Evaluations
        What the search evaluated.

    Returns
    -------
    ndarray of shape (n_evals,)
        Regret ``f(params) - f_min`` of the true noiseless function for
        synthetic problems (``inf`` where the fit failed); the mean CV score for
        real tasks (``-inf`` where it failed).
    """
    if problem.function is not None:
        return np.array(
            [
                problem.function.regret(p) if np.isfinite(s) else np.inf
                for p, s in zip(evaluations.params, evaluations.scores, strict=True)
            ]
        )
    return np.where(np.isfinite(evaluations.scores), evaluations.scores, -np.inf)


def best_so_far(values: np.ndarray, goal: Literal["min", "max"]) -> np.ndarray:
    """Return the running best of ``values``.

    Parameters
    ----------
    values : array-like of shape (n_evals,)
        Per-evaluation values (no NaN; failures as the worst infinity).
    goal : {"min", "max"}
        Whether lower or higher is better.

    Returns
    -------
    ndarray of shape (n_evals,)
        Running minimum or maximum.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values
    return (
        np.minimum.accumulate(values)
        if goal == "min"
        else np.maximum.accumulate(values)
    )
