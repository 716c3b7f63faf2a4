"""Gaussian-process Bayesian optimisation as a scikit-learn search."""

from __future__ import annotations

import math
import numbers

import numpy as np
from joblib import effective_n_jobs

from sk_hpsearch._compat import Interval, StrOptions, search_n_splits
from sk_hpsearch.search._base import BaseSpaceSearchCV
from sk_hpsearch.strategies._base import grid_design
from sk_hpsearch.strategies._bayes import BayesStrategy

__all__ = ["GPBayesSearchCV"]


class GPBayesSearchCV(BaseSpaceSearchCV):
    """Bayesian optimisation of hyperparameters with a Gaussian process.

    A drop-in replacement for :class:`~sklearn.model_selection.RandomizedSearchCV`:
    the same arguments with the same defaults and meanings, the same fitted
    attributes, and ``n_iter`` candidates evaluated in all. After a few
    space-filling candidates, a Gaussian process models the cross-validated
    score over the unit cube (the prior's CDF, so a ``LogUniform`` parameter
    is modelled in decades) and each next candidate maximises an acquisition
    function that balances exploring uncertain regions against exploiting
    good ones.

    Parameters
    ----------
    estimator : estimator object
        An object implementing ``fit``; either it provides ``score`` or
        ``scoring`` must be passed.
    param_distributions : dict or list of dicts
        Parameter names (str) mapped to a distribution with ``rvs``, ``cdf``
        and ``ppf`` (:class:`LogUniform`, :class:`OneMinusLogUniform` or any
        frozen ``scipy.stats`` distribution) or to a list of values
        (categorical). A list of dicts is searched jointly by one model with
        one shared budget.
    n_iter : int, default=10
        Total number of candidates evaluated, initial ones included. Fewer
        when the space has fewer distinct candidates (with a warning).
    scoring : str, callable, list, tuple or dict, default=None
        As in ``RandomizedSearchCV``. With several metrics the model follows
        the metric named by ``refit``; with ``refit=False`` or a callable
        ``refit``, the first metric of ``scoring`` (the first key a
        callable multi-metric scorer returns).
    n_jobs : int, default=None
        Number of jobs to run in parallel: the candidates x folds of each
        step are fitted in parallel (see ``n_points``).
    refit : bool, str or callable, default=True
        As in ``RandomizedSearchCV``.
    cv : int, cross-validation generator or iterable, default=None
        As in ``RandomizedSearchCV``, but every call to ``split`` must give
        the same folds (steps are compared on the same data).
    verbose : int, default=0
        As in ``RandomizedSearchCV``.
    pre_dispatch : int or str, default='2*n_jobs'
        As in ``RandomizedSearchCV``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial design and the acquisition optimiser: the same
        value gives the same candidates and ``cv_results_`` whatever
        ``n_jobs``.
    error_score : 'raise' or numeric, default=np.nan
        Score of a failed fit. The model treats a failed candidate as the
        worst seen, and the search goes on; it raises only if every fit
        failed.
    return_train_score : bool, default=False
        As in ``RandomizedSearchCV``.
    resource : str, default=None
        Name of an estimator parameter that acts as a training budget
        (skorch's ``max_epochs``, ``n_estimators``, ``max_iter``). When set,
        every candidate is first fitted with ``min_resources`` and only those
        scoring among the best ``1 / reduction_factor`` of all fits at that
        budget are fitted again with ``reduction_factor`` times more, up to
        ``max_resources`` (asynchronous successive halving). Each fit is a
        row of ``cv_results_`` with its budget in ``n_resources``, and the
        best candidate is chosen among the full-budget fits.
    min_resources : int, float or "auto", default="auto"
        Smallest budget. ``"auto"``: ``max_resources / reduction_factor**3``
        (at least 1 for an integer budget).
    max_resources : int, float or "auto", default="auto"
        Full budget. ``"auto"``: the estimator's own value of ``resource``.
    reduction_factor : float, default=3
        Budget multiplier between rungs, and inverse of the fraction of
        candidates promoted from one rung to the next.
    n_initial_points : int or "auto", default="auto"
        Candidates of the space-filling initial design (scrambled Sobol points
        of the cube, mapped through the distributions). ``"auto"`` uses
        ``max(5, D + 1)`` where ``D`` is the number of cube dimensions,
        capped by ``n_iter``.
    acq_func : {"logei", "ei", "ucb", "pi"}, default="logei"
        Acquisition function: log expected improvement (numerically stable,
        Ament et al. 2023), expected improvement, upper confidence bound
        (``mean + sqrt(ucb_beta) * std``) or log probability of improvement.
    n_points : int or "auto", default=1
        Candidates proposed per step, evaluated in one parallel batch. The
        first is the candidate ``n_points=1`` would propose (the acquisition
        maximiser), the last maximises the predicted score, and each of the
        others maximises the acquisition averaged over 8 draws of the
        model's scores for the candidates picked before it, as if they had
        been evaluated (greedy batch expected improvement). ``"auto"``
        fills the workers: ``ceil(effective_n_jobs(n_jobs) / n_splits)``.
        Larger batches finish sooner in wall time, but at equal ``n_iter``
        the model is updated about ``n_points`` times less often, so the
        final score is usually worse, the more so on problems that need a
        precise optimum. With idle workers, give a batched search more
        candidates: on the benchmarks, ``n_points=8`` with twice the
        ``n_iter`` beat ``n_points=1`` in under a third of the rounds (see
        the user guide).
    ucb_beta : float, default=4.0
        Exploration weight of ``acq_func="ucb"``.
    max_time : float, default=None
        Time box in seconds. A batch that the evaluation times observed so
        far predict would end after ``max_time`` is not started; the batch
        in flight is never cut, and the first batch always runs. The search
        then ends as if ``n_iter`` were reached (``stop_reason_ ==
        "max_time"``). Batches hold at most as many candidates as the time
        left does (the first two: as many as there are workers). The
        closing candidates that maximise the predicted score are then the
        last ones the box is predicted to hold, so the candidates depend on
        the time each takes on this machine. With ``checkpoint`` the box
        only stops the search (a resumed run retraces the journal). See the
        user guide's "A time box".
    callbacks : callable or list of callables, default=None
        Called after every batch with a read-only
        :class:`~sk_hpsearch.SearchState` of the search so far; one that
        returns True stops the search after that batch (``stop_reason_ ==
        "callback"``). See :class:`~sk_hpsearch.TargetScoreStopper` and
        :class:`~sk_hpsearch.NoImprovementStopper`. scikit-learn's own
        callbacks (``set_callbacks``, scikit-learn >= 1.9) see every
        candidate x split, and one whose ``on_fit_task_end`` returns True
        for a batch stops the search too.
    checkpoint : str or path-like, default=None
        A journal file (JSON lines, see :func:`~sk_hpsearch.load_checkpoint`
        and the user guide's "Re-tuning and resuming"). After every batch,
        its candidates, their per-split scores, times and failures, the
        extra ``cv_results_`` columns and the strategy's state are appended
        and fsynced. ``fit`` with an existing journal resumes: journaled
        fits are not run again, and ``cv_results_`` (timings aside) equals
        that of an uninterrupted run with the same ``random_state``. The
        journal is keyed to the arguments, the space, the data and the CV
        splits (``n_jobs``, ``verbose``, ``pre_dispatch``, ``max_time``,
        ``callbacks`` and ``n_iter`` may change). A directory (an existing
        one, or a path ending with ``/``) holds one journal per data set,
        so each outer fold of a nested cross-validation keeps its own.
    checkpoint_mismatch : {"raise", "restart"}, default="raise"
        What ``fit`` does when ``checkpoint`` was written by a different
        search: raise :class:`~sk_hpsearch.CheckpointMismatchError` saying
        what changed, or move the old journal to ``<checkpoint>.bak`` (with
        a warning) and start afresh.
    warm_start : bool, default=False
        scikit-learn's meaning: ``search.set_params(warm_start=True).fit(
        X_new, y_new)`` starts from this search's previous ``cv_results_``
        (as ``prior_results``). Nothing changes on a first fit.
    prior_results : fitted search, dict or path, default=None
        Earlier results to start from (a warm start, typically on data that
        changed since): a fitted search, its ``cv_results_``, or a
        checkpoint journal. The initial design re-evaluates the earlier
        best candidates on the new data, one per neighbourhood, and fills up
        with Sobol points. The GP also fits the earlier candidates not
        re-evaluated (scores shifted by the median change of the
        re-evaluated ones), marked as earlier by one more column whose
        fitted lengthscale sets how much they count: much when old and new
        scores agree, little when the data reordered the candidates. The
        earlier candidates are mapped into the current space first; see
        :doc:`/retuning` for a parameter added or dropped and for candidates
        that no longer fit (dropped, with a warning that counts them).
        ``clone`` unfits a search given here (scikit-learn clones estimator
        parameters): under ``clone`` or ``cross_val_score`` pass its
        ``cv_results_`` or a checkpoint path.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in ``RandomizedSearchCV`` (one row per fit when ``resource`` is
        set, with its budget in ``n_resources``), plus, for each candidate: ``step`` (0
        for the initial design, then 1, 2, ...), ``initial`` (bool),
        ``acquisition_value`` (NaN for initial points), and the model's
        ``predicted_mean`` and ``predicted_std`` of its mean test score of
        the refit metric (NaN for initial points).
    stop_reason_ : str
        Why the search stopped: ``"n_iter"`` (every planned candidate was
        evaluated), ``"max_time"``, ``"callback"``, ``"interrupted"`` (Ctrl-C:
        the candidates completed before it are kept, the best is refitted)
        or ``"exhausted"`` (the space had no new candidate left).
    search_time_ : float
        Seconds the search loop ran (the refit excluded).
    n_resources_ : list
        Only with ``resource``: the budgets the candidates climb, smallest
        first; the last is the full budget.
    checkpoint_path_ : str or None
        The journal file written (inside ``checkpoint`` when it is a
        directory); None without a checkpoint.
    n_resumed_ : int
        Rows of ``cv_results_`` whose fits were read from the checkpoint
        instead of being run.
    n_prior_ : int
        Earlier candidates the warm start used (0 without one).
    n_prior_dropped_ : int
        Earlier candidates that no longer fit the space.
    n_prior_reevaluated_ : int
        Earlier candidates evaluated again on the new data with a finite
        score both times.
    prior_rank_correlation_ : float or None
        Spearman rank correlation between the earlier and the new scores of
        the re-evaluated candidates: near 1, the data changed little; low or
        negative, the earlier results mislead. NaN with fewer than three
        re-evaluated candidates; None without a warm start.
    best_estimator_ : estimator
        Estimator refitted on the whole data with the best parameters.
        Not available if ``refit=False``.
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        Parameter setting that gave the best results on the hold out data.
    best_index_ : int
        Index (in ``cv_results_``) of the best candidate.
    scorer_ : function or a dict
        Scorer function(s) used on the held-out data.
    n_splits_ : int
        The number of cross-validation splits (folds/iterations).
    refit_time_ : float
        Seconds used for refitting the best model on the whole dataset.
    multimetric_ : bool
        Whether or not the scorers compute several metrics.
    classes_ : ndarray of shape (n_classes,)
        Class labels (only if ``refit`` and the estimator is a classifier).
    n_features_in_ : int
        Number of features seen during fit (only if ``refit``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (only if ``refit`` and the
        estimator exposes them).

    See Also
    --------
    CoarseToFineSearchCV : Random search that zooms into the best region.
    sklearn.model_selection.RandomizedSearchCV : Random search.

    Notes
    -----
    Each fit runs:

    1. Evaluate ``n_initial_points`` scrambled Sobol points of the cube
       (step 0).
    2. Standardise the scores of the refit metric (failed fits count as the
       worst finite score).
    3. Fit a Gaussian process with a Matérn kernel, one lengthscale per
       dimension (categorical dimensions by mismatch), by maximum a
       posteriori with dimension-scaled lengthscale priors, warm-started
       from the previous step. The kernel is Matérn-5/2 on fewer than 16
       scored candidates and the rougher Matérn-3/2 from then on, which
       follows the plateaus and edges of hyperparameter scores.
    4. Maximise the acquisition over the cube (a quasi-random sweep, then
       multi-start L-BFGS-B with analytic gradients, then an exact pass over
       the values of discrete dimensions), never proposing a candidate
       already evaluated. With ``n_points > 1``, add greedy maximisers of
       the acquisition averaged over fantasies of the earlier picks, and the
       maximiser of the predicted score. Once the median standardised error
       of the model's last 16 predictions is 2 or more, the last half of
       those fantasy picks come from a second GP with a smooth prior
       (Optuna's lengthscale prior, more noise, Matérn-5/2, unwarped
       scores), which sees a broad trend where the first sees ripples.
    5. Evaluate the batch, and go back to 2 until ``n_iter`` candidates.

    The last ``ceil(n_iter / 20)`` candidates maximise the predicted score
    instead of the acquisition (their ``acquisition_value`` is the predicted
    standardised score): once no evaluation follows, exploring has no use,
    and refining the best region does. Under ``max_time`` the last twentieth
    is that of the candidates the time box is predicted to leave room for,
    so a time-boxed search ends with this exploitation too.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_hpsearch import GPBayesSearchCV, LogUniform
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GPBayesSearchCV(
    ...     LogisticRegression(max_iter=500), {"C": LogUniform(1e-3, 1e3)},
    ...     n_iter=8, n_initial_points=4, random_state=0,
    ... ).fit(X, y)
    >>> [int(s) for s in search.cv_results_["step"]]
    [0, 0, 0, 0, 1, 2, 3, 4]
    >>> bool(search.best_score_ > 0.95)
    True
    """

    _parameter_constraints: dict = {
        **BaseSpaceSearchCV._parameter_constraints,
        "n_initial_points": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "acq_func": [StrOptions({"logei", "ei", "ucb", "pi"})],
        "n_points": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "ucb_beta": [Interval(numbers.Real, 0, None, closed="left")],
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
        n_initial_points="auto",
        acq_func="logei",
        n_points=1,
        ucb_beta=4.0,
    ):
        super().__init__(
            estimator,
            param_distributions,
            n_iter=n_iter,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
            resource=resource,
            min_resources=min_resources,
            max_resources=max_resources,
            reduction_factor=reduction_factor,
            max_time=max_time,
            callbacks=callbacks,
            checkpoint=checkpoint,
            checkpoint_mismatch=checkpoint_mismatch,
            warm_start=warm_start,
            prior_results=prior_results,
        )
        self.n_initial_points = n_initial_points
        self.acq_func = acq_func
        self.n_points = n_points
        self.ucb_beta = ucb_beta

    def _make_strategy(self, space, history, rng, n_iter, prior=None):
        return BayesStrategy(
            space,
            history,
            rng,
            n_iter,
            n_initial=self.n_initial_points,
            acq_func=self.acq_func,
            n_points=self._batch_size(),
            ucb_beta=self.ucb_beta,
            design=grid_design(self.param_distributions, space, n_iter),
            prior=prior,
        )

    def _batch_size(self) -> int:
        if self.n_points == "auto":
            n_splits = search_n_splits(self)
            return max(1, math.ceil(effective_n_jobs(self.n_jobs) / n_splits))
        return self.n_points
