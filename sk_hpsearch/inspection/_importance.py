"""Which hyperparameters matter: functional ANOVA of a fitted search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from sk_hpsearch.inspection._anova import decompose, fit_surrogate, uniform_base
from sk_hpsearch.inspection._results import read_search

__all__ = ["ParamImportances", "param_importances"]


@dataclass(frozen=True)
class ParamImportances:
    """The result of :func:`param_importances`.

    Attributes
    ----------
    names : list of str
        The parameters, most important first (``"subspace"`` is the choice
        of dict of a list of dicts).
    importances : ndarray of shape (n_params,)
        Each parameter's share of the variance of the score over the prior
        (first-order Sobol index, in [0, 1]), in the order of ``names``.
    importances_std : ndarray of shape (n_params,)
        Their bootstrap standard deviations (0 without bootstrap).
    importances_bootstrap : ndarray of shape (n_params, n_bootstrap)
        The bootstrap replicates.
    interaction_pair : tuple of str
        The two most important parameters.
    interaction : float
        The share of the variance due to their interaction alone (beyond
        their two main effects).
    interaction_std : float
        Its bootstrap standard deviation.
    total_variance : float
        Variance of the predicted score over the prior, in squared units of
        the score; the shares are fractions of it.
    metric : str
        The metric read from ``cv_results_`` (``mean_test_<metric>``).
    n_candidates : int
        Candidates the surrogate was fitted on.
    n_failed : int
        Of which failed (scored as the worst finite score).
    n_resources : float or None
        The budget level read, for a search with budgets.
    """

    names: list[str]
    importances: np.ndarray
    importances_std: np.ndarray
    importances_bootstrap: np.ndarray
    interaction_pair: tuple[str, str]
    interaction: float
    interaction_std: float
    total_variance: float
    metric: str
    n_candidates: int
    n_failed: int
    n_resources: float | None

    def as_dict(self) -> dict[str, float]:
        """``{name: importance}``, most important first."""
        return dict(zip(self.names, self.importances.tolist(), strict=True))

    def __str__(self) -> str:
        pair = " x ".join(self.interaction_pair)
        width = max(len(n) for n in [*self.names, pair])
        boot = self.importances_bootstrap.shape[1] > 0
        lines = [f"{'parameter':<{width}}  share of variance"]
        for name, value, std in zip(
            [*self.names, pair],
            [*self.importances, self.interaction],
            [*self.importances_std, self.interaction_std],
            strict=True,
        ):
            lines.append(
                f"{name:<{width}}  {value:6.3f}" + (f" +- {std:.3f}" if boot else "")
            )
        lines[-1] += " (interaction)"
        return "\n".join(lines)


def _bootstrap_scores(fold_scores: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Rows drawn with replacement, and their scores over folds drawn likewise."""
    n, k = fold_scores.shape
    rows = rng.integers(n, size=n)
    folds = rng.integers(k, size=k)
    return rows, fold_scores[np.ix_(rows, folds)].mean(axis=1)


def param_importances(
    search,
    *,
    param_distributions=None,
    scoring=None,
    n_resources="auto",
    n_bootstrap: int = 16,
    n_samples: int = 256,
    random_state=None,
) -> ParamImportances:
    """Each hyperparameter's share of the variation of a search's score.

    The score is modelled over the unit cube (each parameter on its prior's
    own scale: decades for a ``LogUniform``, decades of ``1 - beta`` for a
    ``OneMinusLogUniform``) by a Gaussian process fitted on the evaluated
    candidates, and its variance over the uniform cube is split into the
    parameters' main effects and the interaction of the top pair
    (functional ANOVA).

    Parameters
    ----------
    search : fitted search
        Any search with ``cv_results_``: :class:`~sk_hpsearch.GPBayesSearchCV`,
        :class:`~sk_hpsearch.CoarseToFineSearchCV`, or scikit-learn's
        ``RandomizedSearchCV``, ``GridSearchCV``, ``HalvingRandomSearchCV``
        and ``HalvingGridSearchCV``.
    param_distributions : dict or list of dict, default=None
        The distributions the candidates were drawn from, when the search
        does not hold them (``search.param_distributions`` or
        ``search.param_grid`` otherwise). A list of numbers is an ordered
        column, another list a categorical one.
    scoring : str, default=None
        The metric: ``None`` reads the refit metric (or the only one).
    n_resources : "auto", "max" or number, default="auto"
        For a search with budgets (an ``n_resources`` column), the budget
        level whose scores are compared: ``"auto"`` is the largest with at
        least ``max(10, 2 (D + 1))`` candidates (else the most populated),
        ``"max"`` the full budget. Scores at different budgets are not
        comparable, so one level is read.
    n_bootstrap : int, default=16
        Bootstrap replicates of the uncertainty: each draws the candidates
        with replacement and, for each, its mean over folds drawn with
        replacement, then refits the model. 0 skips them.
    n_samples : int, default=256
        Uniform points of the cube over which effects are averaged.
    random_state : int, RandomState instance or None, default=None
        Seeds the model fit, the integration points and the bootstrap.

    Returns
    -------
    ParamImportances
        The shares (``importances``), their standard deviations and the
        interaction of the top pair; ``print`` shows them as a table.

    Raises
    ------
    ValueError
        If the search is not fitted, a candidate is not a point of the
        distributions, or an argument is invalid.

    Notes
    -----
    1. Read the rows of ``cv_results_`` (one budget level) and map their
       parameters into the unit cube through the distributions' CDFs.
       Failed candidates (NaN scores) count as the worst finite score: a
       learning rate that diverges matters.
    2. Fit a Gaussian process (Matérn-5/2, one lengthscale per parameter)
       on the warped scores.
    3. For each parameter ``j`` and each value ``u`` on a grid of its axis,
       average the predicted score over ``n_samples`` uniform points of the
       cube with ``x_j = u``: the main effect ``f_j(u)``. Its variance over
       ``u``, divided by the variance of the prediction over the cube, is
       the parameter's share (first-order Sobol index). The two top
       parameters' joint effect, minus their main effects, gives the
       interaction's share.
    4. Repeat 2-3 on bootstrap replicates for the standard deviations.

    The averages are over the uniform cube, that is over the prior, and not
    over the candidates: a GP search that crowded the optimum is read with
    the same weights as a random search (the model has to extrapolate where
    it did not sample, which widens the bootstrap band). With a list of
    dicts, ``"subspace"`` is the choice of dict, and a parameter acts only
    on its own dict's share of the cube.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_hpsearch import LogUniform, param_importances
    >>> X, y = load_iris(return_X_y=True)
    >>> space = {"C": LogUniform(1e-4, 1e2), "tol": LogUniform(1e-5, 1e-1)}
    >>> search = RandomizedSearchCV(LogisticRegression(), space, n_iter=16,
    ...                             cv=3, random_state=0).fit(X, y)
    >>> result = param_importances(search, n_bootstrap=0, random_state=0)
    >>> result.names
    ['C', 'tol']
    >>> bool(result.importances[0] > 0.5)
    True
    """
    if (
        isinstance(n_bootstrap, bool)
        or not isinstance(n_bootstrap, int | np.integer)
        or n_bootstrap < 0
    ):
        raise ValueError(f"n_bootstrap must be an int >= 0; got {n_bootstrap!r}.")
    if (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, int | np.integer)
        or n_samples < 8
    ):
        raise ValueError(f"n_samples must be an int >= 8; got {n_samples!r}.")
    record = read_search(
        search,
        param_distributions=param_distributions,
        scoring=scoring,
        n_resources=n_resources,
    )
    if len(record.X) < 3:
        raise ValueError(
            f"param_importances needs at least 3 candidates; the search has "
            f"{len(record.X)} at the budget read."
        )
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    base = uniform_base(record, n_samples, rng)
    surrogate = fit_surrogate(record, rng=rng)
    estimate = decompose(surrogate, base)
    replicates, interactions = [], []
    for _ in range(n_bootstrap):
        rows, scores = _bootstrap_scores(record.fold_scores, rng)
        replicate = fit_surrogate(
            record, scores, rows, rng=rng, init=surrogate.gp.params
        )
        found = decompose(replicate, base, pair=estimate.pair)
        replicates.append(found.main)
        interactions.append(found.interaction)
    boot = np.array(replicates).T if replicates else np.zeros((len(base[0]), 0))
    order = np.argsort(-estimate.main, kind="stable")
    labels = [c.label for c in record.columns]
    return ParamImportances(
        names=[labels[c] for c in order],
        importances=estimate.main[order],
        importances_std=boot[order].std(axis=1) if replicates else np.zeros(len(order)),
        importances_bootstrap=boot[order],
        interaction_pair=(labels[estimate.pair[0]], labels[estimate.pair[1]]),
        interaction=estimate.interaction,
        interaction_std=float(np.std(interactions)) if interactions else 0.0,
        total_variance=estimate.total_variance,
        metric=record.metric,
        n_candidates=len(record.X),
        n_failed=int(np.sum(~np.isfinite(record.scores))),
        n_resources=record.n_resources,
    )
