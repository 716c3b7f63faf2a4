"""Coarse-to-fine random search: sample everywhere, then zoom in."""

from __future__ import annotations

import numbers

import numpy as np

from sk_hpsearch._compat import Interval, StrOptions
from sk_hpsearch.search._base import BaseSpaceSearchCV
from sk_hpsearch.strategies._base import grid_design
from sk_hpsearch.strategies._coarse_to_fine import CoarseToFineStrategy

__all__ = ["AUTO_ROUNDS_WITH_RESOURCE", "CoarseToFineSearchCV"]

#: Rounds of ``n_rounds="auto"`` when the search has a ``resource``.
AUTO_ROUNDS_WITH_RESOURCE = 3


class CoarseToFineSearchCV(BaseSpaceSearchCV):
    """Random search that zooms, round after round, into the best region.

    A drop-in replacement for :class:`~sklearn.model_selection.RandomizedSearchCV`:
    the same arguments with the same defaults and meanings, the same fitted
    attributes, and ``n_iter`` candidates evaluated in all. Round 1 samples
    the whole space like ``RandomizedSearchCV``; each later round samples a
    smaller box of the unit cube (the prior's CDF) centred on the best
    candidate so far, so a ``LogUniform`` parameter is zoomed in decades.

    Parameters
    ----------
    estimator : estimator object
        An object implementing ``fit``; either it provides ``score`` or
        ``scoring`` must be passed.
    param_distributions : dict or list of dicts
        Parameter names (str) mapped to a distribution with ``rvs``, ``cdf``
        and ``ppf`` (:class:`LogUniform`, :class:`OneMinusLogUniform` or any
        frozen ``scipy.stats`` distribution) or to a list of values
        (categorical). A list of dicts is searched jointly, as in
        ``RandomizedSearchCV``.
    n_iter : int, default=10
        Total number of candidates evaluated, over all rounds. Fewer when the
        space has fewer distinct candidates (with a warning).
    scoring : str, callable, list, tuple or dict, default=None
        As in ``RandomizedSearchCV``. With several metrics the zoom follows
        the metric named by ``refit``; with ``refit=False`` or a callable
        ``refit``, the first metric of ``scoring`` (the first key a
        callable multi-metric scorer returns).
    n_jobs : int, default=None
        Number of jobs to run in parallel: the candidates x folds of a round
        are fitted in parallel. ``None`` means 1 unless in a
        :obj:`joblib.parallel_backend` context.
    refit : bool, str or callable, default=True
        As in ``RandomizedSearchCV``.
    cv : int, cross-validation generator or iterable, default=None
        As in ``RandomizedSearchCV``, but every call to ``split`` must give
        the same folds (rounds are compared on the same data): a shuffling
        splitter needs an integer ``random_state``.
    verbose : int, default=0
        As in ``RandomizedSearchCV``.
    pre_dispatch : int or str, default='2*n_jobs'
        As in ``RandomizedSearchCV``.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of every round: the same value gives the same
        candidates and the same ``cv_results_`` whatever ``n_jobs``.
    error_score : 'raise' or numeric, default=np.nan
        Score of a failed fit. Failed candidates never define a region; the
        search raises only if every fit of every round failed.
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
    n_rounds : int or "auto", default="auto"
        Number of rounds. An integer splits ``n_iter`` evenly between them
        (earlier rounds get the remainder). ``"auto"``: round 1 has a third
        of ``n_iter`` (rounded up), at least 10 (all of ``n_iter`` if
        fewer), and the later rounds at most
        ``max(4, d)`` candidates each, ``d`` being the number of parameters
        (of the largest dict of a list): the box then moves and resizes
        after every few candidates (32 candidates over 2 parameters: rounds
        of 11, 4, 4, 4, 3, 3 and 3). With ``resource``, ``"auto"`` is 3
        rounds.
    zoom : float, default=0.5
        Factor in (0, 1) by which the box side shrinks: round 2 has side
        ``zoom`` (relative to the cube); after a round that does not improve
        the best score the side is multiplied by ``zoom``; after one whose
        new best lies on the edge of the box it is divided by ``zoom`` (the
        optimum may lie outside); otherwise it is kept and the box moves to
        the new best.
    top_k : int, default=5
        How many of the best candidates shape the next box (it is longer
        along the dimensions where they are spread out) and weight the
        values of categorical parameters.
    max_time : float, default=None
        Time box in seconds. A batch that the evaluation times observed so
        far predict would end after ``max_time`` is not started; the batch
        in flight is never cut, and the first batch always runs. The search
        then ends as if ``n_iter`` were reached (``stop_reason_ ==
        "max_time"``). Batches hold at most as many candidates as the time
        left does (the first two: as many as there are workers), and the
        rounds are planned for the candidates the box is predicted to hold,
        so the search zooms within it; the candidates then depend on the
        time each takes on this machine. With ``checkpoint`` the box only
        stops the search (a resumed run retraces the journal). See the user
        guide's "A time box".
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
        checkpoint journal. The first round re-evaluates the ``top_k``
        earlier best candidates on the new data and draws its other
        candidates in the box around them (the earlier region) instead of
        the whole space; the rounds then zoom as usual, on the new scores
        only. The earlier candidates are mapped into the current space
        first: a parameter dropped from it is ignored, one added takes the
        estimator's value, and a candidate that no longer fits (a value
        outside a narrowed range, a value removed from a list) is dropped
        with a warning that counts them.
        ``clone`` unfits a search given here (scikit-learn clones estimator
        parameters): under ``clone`` or ``cross_val_score`` pass its
        ``cv_results_`` or a checkpoint path.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in ``RandomizedSearchCV`` (one row per fit when ``resource`` is
        set, with its budget in ``n_resources``), plus the column ``round`` (1-based) of
        each candidate.
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
    regions_ : list of dict
        One dict per round: ``{"round", "n_candidates", "width", "params"}``
        (``n_candidates``: those it proposed, fewer than planned in a round
        that a stop or the time box cut short) where ``params`` maps each
        parameter to the ``(low, high)`` range the round sampled, in the
        user's units, or a categorical parameter to the
        ``{value: probability}`` it used. With a list of dicts, ``params`` is a
        list (one dict each) and ``"subspace_weights"`` is added. The last
        entry is where the search looked last: a good range for the next one.
    classes_ : ndarray of shape (n_classes,)
        Class labels (only if ``refit`` and the estimator is a classifier).
    n_features_in_ : int
        Number of features seen during fit (only if ``refit``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (only if ``refit`` and the
        estimator exposes them).

    See Also
    --------
    GPBayesSearchCV : Chooses each candidate with a Gaussian-process model.
    sklearn.model_selection.RandomizedSearchCV : One round over the whole space.

    Notes
    -----
    The search runs in ``n_rounds`` rounds:

    1. Round 1 draws its candidates from the whole space (the prior).
    2. After each round, the box of the next one is centred on the best
       candidate so far (finite scores of the refit metric only), with side
       ``width`` set by TuRBO's success/failure rule (see ``zoom``) and
       stretched per dimension by the spread of the ``top_k`` best candidates.
       Categorical values (and, for a list of dicts, each dict) are drawn
       with probability ``(1 - width) * frequency among the top_k + width *
       uniform``.
    3. Candidates are drawn in the box and never repeat an evaluated one; if
       the box runs out of distinct candidates, the rest are drawn from the
       whole space.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_hpsearch import CoarseToFineSearchCV, LogUniform
    >>> X, y = load_iris(return_X_y=True)
    >>> search = CoarseToFineSearchCV(
    ...     LogisticRegression(max_iter=500), {"C": LogUniform(1e-3, 1e3)},
    ...     n_iter=9, n_rounds=3, random_state=0,
    ... ).fit(X, y)
    >>> [int(r) for r in search.cv_results_["round"]]
    [1, 1, 1, 2, 2, 2, 3, 3, 3]
    >>> bool(search.best_score_ > 0.95)
    True
    """

    _parameter_constraints: dict = {
        **BaseSpaceSearchCV._parameter_constraints,
        "n_rounds": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "zoom": [Interval(numbers.Real, 0, 1, closed="neither")],
        "top_k": [Interval(numbers.Integral, 1, None, closed="left")],
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
        n_rounds="auto",
        zoom=0.5,
        top_k=5,
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
        self.n_rounds = n_rounds
        self.zoom = zoom
        self.top_k = top_k

    def _make_strategy(self, space, history, rng, n_iter, prior=None):
        return CoarseToFineStrategy(
            space,
            history,
            rng,
            n_iter,
            n_rounds=_rounds(self.n_rounds, self.resource),
            zoom=self.zoom,
            top_k=self.top_k,
            design=grid_design(self.param_distributions, space, n_iter),
            prior=prior,
        )

    def _store_strategy(self, strategy):
        # A round whose first batch the time box declined proposed nothing.
        self.regions_ = [r for r in _unwrapped(strategy).regions if r["n_candidates"]]


def _rounds(n_rounds, resource):
    """``n_rounds`` for the strategy: with a resource, ``"auto"`` is 3 rounds.

    Small rounds under learning-curve budgets zoom on scores of the smallest
    budgets and promote more candidates: on the budget tests' problem (27
    candidates, budgets 1 to 27), 222 budget units against 138 with 3 rounds.
    """
    return AUTO_ROUNDS_WITH_RESOURCE if n_rounds == "auto" and resource else n_rounds


def _unwrapped(strategy):
    """The strategy inside a budget wrapper, or ``strategy`` itself."""
    return getattr(strategy, "strategy", strategy)
