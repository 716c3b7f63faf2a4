"""Ask/tell optimisers: the searches' strategies for any Python function.

``ask(n)`` returns parameter dicts in native Python types, ``tell(params,
scores)`` records what the user measured, and ``maximize(func)`` runs the
one search loop over ``func(**params)``. The strategies are those of the
search classes: with the same seed and the same scores, an optimiser
proposes exactly the candidates the search class proposes.
"""

from __future__ import annotations

import math
import numbers
import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from sk_hpsearch.loop._callbacks import check_callbacks
from sk_hpsearch.loop._loop import SearchLoop
from sk_hpsearch.loop._warm_start import prior_from
from sk_hpsearch.optimize._checkpoint import OptimizerJournal, RecordAsks
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import (
    Batch,
    History,
    Strategy,
    grid_design,
    planned_n_iter,
)
from sk_hpsearch.strategies._bayes import BayesStrategy
from sk_hpsearch.strategies._coarse_to_fine import CoarseToFineStrategy

__all__ = ["BayesianOptimizer", "CoarseToFineOptimizer"]


def _check_integer(name: str, value, low: int, *, or_auto: bool = False) -> None:
    if or_auto and isinstance(value, str) and value == "auto":
        return
    integer = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not integer or value < low:
        expected = f"an integer >= {low}" + (' or "auto"' if or_auto else "")
        raise ValueError(f"{name} must be {expected}; got {name}={value!r}.")


def _check_real(name: str, value, low: float, high: float | None = None) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and value > low and (high is None or value < high)
    if not ok:
        bounds = f"in ({low}, {high})" if high is not None else f"> {low}"
        raise ValueError(f"{name} must be a number {bounds}; got {name}={value!r}.")


class BaseOptimizer(BaseEstimator, ABC):
    """Ask/tell over a space of parameter distributions (shared machinery).

    Subclasses set their algorithm options and build their strategy in
    :meth:`_make_strategy`; everything else (the space, the history, the
    random generator, the results table, the loop) is here. As scikit-learn
    objects, optimisers have ``get_params``, ``set_params``, a ``repr`` of
    their arguments, and ``clone`` gives a fresh one with the same options.
    """

    def __init__(
        self,
        param_distributions,
        *,
        n_iter: int,
        random_state=None,
        max_time: float | None = None,
        callbacks=None,
        verbose: int = 0,
        checkpoint=None,
        checkpoint_mismatch: str = "raise",
        prior_results=None,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state
        self.max_time = max_time
        self.callbacks = callbacks
        self.verbose = verbose
        self.checkpoint = checkpoint
        self.checkpoint_mismatch = checkpoint_mismatch
        self.prior_results = prior_results
        self._strategy: Strategy | None = None

    @abstractmethod
    def _make_strategy(
        self,
        space: SearchSpace,
        rng: np.random.RandomState,
        n_iter: int,
        design: np.ndarray | None,
        prior: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Strategy:
        """The optimiser's strategy over ``space`` planned for ``n_iter``.

        ``design`` is the grid of an all-lists space that ``n_iter`` covers
        (see :func:`grid_design`), evaluated first, as the searches do.
        """

    def _check_params(self) -> None:
        """Validate the common options (the subclass adds its own)."""
        _check_integer("n_iter", self.n_iter, 1)
        if self.max_time is not None:
            _check_real("max_time", self.max_time, 0.0)
        check_callbacks(self.callbacks)
        if self.checkpoint is not None and not isinstance(
            self.checkpoint, str | os.PathLike
        ):
            raise ValueError(
                "checkpoint must be a file path or None; got "
                f"checkpoint={self.checkpoint!r}."
            )
        if self.checkpoint_mismatch not in ("raise", "restart"):
            raise ValueError(
                "checkpoint_mismatch must be 'raise' or 'restart'; got "
                f"checkpoint_mismatch={self.checkpoint_mismatch!r}."
            )

    def _started(self) -> Strategy:
        """The strategy, built on first use (validation happens here)."""
        if self._strategy is None:
            self._check_params()
            space = SearchSpace(self.param_distributions)
            n_iter = planned_n_iter(space, self.n_iter)
            rng = check_random_state(self.random_state)
            design = grid_design(self.param_distributions, space, n_iter)
            prior = None
            if self.prior_results is not None:
                prior = prior_from(self.prior_results, space, "score", {})
            strategy = self._make_strategy(
                space,
                rng,
                n_iter,
                design,
                prior=None if prior is None else (prior.X, prior.scores),
            )
            self._asked: dict[tuple, tuple[Batch, int]] = {}
            self._rows: list[dict] = []
            self._journal = None
            self._n_resumed = 0
            self._strategy = strategy
            if self.checkpoint is not None:
                self._journal = OptimizerJournal(self, strategy, prior)
                self._n_resumed = self._journal.replay(
                    self._ask_batch, self._tell_batch
                )
                self._reissue = list(self._asked)
        return self._strategy

    def _ask_batch(self, n: int) -> Batch | None:
        """The strategy's next batch, remembered until told."""
        strategy = self._strategy
        batch = strategy.ask(n)
        if batch is not None:
            for row, key in enumerate(strategy.space.keys(batch.X)):
                self._asked[key] = (batch, row)
        return batch

    def _tell_batch(self, batch: Batch, scores: np.ndarray) -> None:
        """Tell the strategy and add the results rows."""
        for key in self._strategy.space.keys(batch.X):
            self._asked.pop(key, None)
        self._strategy.tell(batch, scores)
        self._append_rows(batch, scores)

    def _pending(self, n: int) -> Batch | None:
        """Up to ``n`` candidates asked before a resume and never told."""
        if self._journal is None:
            return None
        keys = []
        while self._reissue and len(keys) < n:
            key = self._reissue.pop(0)
            if key in self._asked:
                keys.append(key)
        if not keys:
            return None
        rows = [self._asked[key] for key in keys]
        X = np.array([batch.X[row] for batch, row in rows])
        columns = {
            name: [batch.columns[name][row] for batch, row in rows]
            for name in rows[0][0].columns
        }
        return Batch(X, columns)

    @property
    def checkpoint_path_(self) -> str | None:
        """The journal file, None without ``checkpoint``."""
        self._started()
        return None if self._journal is None else self._journal.path

    @property
    def n_resumed_(self) -> int:
        """Candidates told by replaying the journal (0 without one)."""
        self._started()
        return self._n_resumed

    @property
    def space_(self) -> SearchSpace:
        """The space the optimiser searches (the unit cube and its decoding)."""
        return self._started().space

    def ask(self, n: int = 1) -> list[dict]:
        """Propose up to ``n`` new candidates.

        Parameters
        ----------
        n : int, default=1
            How many candidates to propose together (for parallel
            evaluation). Candidates asked and not told yet are never
            proposed again.

        Returns
        -------
        list of dict
            Parameter dicts in native Python types (``int``, ``float``,
            ``str``, ...). Fewer than ``n`` (possibly none) when the space
            has run out of new candidates, and, for coarse-to-fine, when the
            round has fewer left (the next round's box needs this one's
            scores). The GP's first batch is filled up to ``n`` with
            further design points when its initial design is smaller.
        """
        _check_integer("n", n, 1)
        strategy = self._started()
        pending = self._pending(n)  # asked before a resume: not lost
        if pending is not None:
            return strategy.space.decode(pending.X)
        batch = self._ask_batch(n)
        if batch is None:
            return []
        if self._journal is not None:
            self._journal.record("ask", batch, n=n)
        return strategy.space.decode(batch.X)

    def tell(self, params, scores) -> BaseOptimizer:
        """Record the scores of evaluated candidates (greater is better).

        Parameters
        ----------
        params : dict or list of dict
            Candidates, usually from :meth:`ask`; others (evaluated by other
            means) are recorded too, if they lie in the space.
        scores : float or sequence of float
            One score per candidate; NaN (or None) for a failed evaluation,
            which the strategy treats as the worst seen.

        Returns
        -------
        self : object
        """
        if isinstance(params, Mapping):
            params, scores = [params], [scores]
        params = list(params)
        scores = np.array(
            [np.nan if s is None else s for s in np.ravel(scores)], dtype=float
        )
        if len(params) != len(scores):
            raise ValueError(
                f"tell got {len(params)} parameter dicts and {len(scores)} scores; "
                "give one score per candidate."
            )
        strategy = self._started()
        X = strategy.space.snap(strategy.space.encode(params))
        columns: dict[str, list] = {}
        for row, key in enumerate(strategy.space.keys(X)):
            batch, index = self._asked.get(key, (None, None))
            if batch is None:
                continue
            X[row] = batch.X[index]  # the point as asked, not re-encoded
            for name, values in batch.columns.items():
                columns.setdefault(name, [None] * len(X))[row] = values[index]
        batch = Batch(X, columns)
        self._tell_batch(batch, scores)
        if self._journal is not None:
            self._journal.record("batch", batch, scores=scores)
        return self

    def maximize(self, func: Callable[..., float], n_iter: int | None = None):
        """Maximise ``func(**params)`` with the one search loop.

        Parameters
        ----------
        func : callable
            Called as ``func(**params)`` for each candidate; returns the score
            (greater is better). An exception counts as a failed evaluation
            (NaN score, with a warning); a Ctrl-C ends the search after the
            evaluations completed (``stop_reason_ == "interrupted"``).
        n_iter : int, default=None
            Candidates to evaluate in this call; None: the rest of the
            optimiser's ``n_iter``. Beyond its plan, the GP goes on with its
            closing exploitation and coarse-to-fine with more rounds of the
            last round's size.

        Returns
        -------
        self : object
            With ``best_params_``, ``best_score_``, ``results_``,
            ``stop_reason_`` and ``search_time_``.
        """
        strategy = self._started()
        if n_iter is not None:
            _check_integer("n_iter", n_iter, 1)
        target = len(strategy.history) + (
            n_iter if n_iter is not None else strategy.n_iter - len(strategy.history)
        )

        def evaluate(batch: Batch) -> np.ndarray:
            return np.array(
                [_call(func, p) for p in strategy.space.decode(batch.X)], dtype=float
            )

        while (pending := self._pending(max(1, len(self._asked)))) is not None:
            self.tell(strategy.space.decode(pending.X), evaluate(pending))
        recorder = RecordAsks(strategy)

        def on_told(batch: Batch, scores: np.ndarray) -> None:
            self._append_rows(batch, scores)
            if self._journal is not None:
                self._journal.record(
                    "batch", batch, scores=scores, asked=recorder.last_n
                )

        loop = SearchLoop(
            recorder,
            evaluate,
            n_iter=target,
            max_time=self.max_time,
            callbacks=check_callbacks(self.callbacks),
            verbose=self.verbose,
            owner=type(self).__name__,
            on_told=on_told,
            replayable=self._journal is not None,
        )
        self.stop_reason_ = loop.run()
        self.search_time_ = loop.elapsed
        return self

    def _append_rows(self, batch: Batch, scores: np.ndarray) -> None:
        """Append a told batch to the results table."""
        for j, params in enumerate(self._strategy.space.decode(batch.X)):
            row = {"params": params, "score": float(scores[j])}
            row.update({name: values[j] for name, values in batch.columns.items()})
            self._rows.append(row)

    @property
    def results_(self) -> dict:
        """Every candidate told, in order, as a ``cv_results_``-like dict.

        ``params`` (list of dict), one column per parameter (``param_<name>``,
        a masked array where a candidate lacks it), ``score`` (ndarray), and
        the strategy's columns (``step``, ``round``, ...).
        """
        self._started()
        rows = self._rows
        out: dict = {"params": [r["params"] for r in rows]}
        names = dict.fromkeys(k for r in rows for k in r["params"])
        for name in names:
            values = [r["params"].get(name) for r in rows]
            mask = [name not in r["params"] for r in rows]
            out[f"param_{name}"] = np.ma.MaskedArray(
                np.array(values, dtype=object), mask=mask
            )
        out["score"] = np.array([r["score"] for r in rows], dtype=float)
        extra = dict.fromkeys(
            k for r in rows for k in r if k not in ("params", "score")
        )
        for name in extra:
            out[name] = np.array([r.get(name) for r in rows], dtype=object)
        return out

    def _best(self) -> int:
        history = self._started().history
        best = history.best_index()
        if best is None:
            raise AttributeError(
                f"{type(self).__name__} has no successful candidate yet: tell it "
                "scores (or call maximize) first."
            )
        return best

    @property
    def best_index_(self) -> int:
        """Index (in ``results_``) of the best candidate so far."""
        return self._best()

    @property
    def best_params_(self) -> dict:
        """Parameters of the best candidate so far."""
        return self._rows[self._best()]["params"]

    @property
    def best_score_(self) -> float:
        """Best score so far."""
        return self._rows[self._best()]["score"]


def _call(func: Callable[..., float], params: dict) -> float:
    """``func(**params)``, NaN (with a warning) if it raises or is not a number."""
    try:
        value = func(**params)
    except Exception as error:  # a failed evaluation, as error_score=nan
        warnings.warn(
            f"The evaluation of {params!r} failed and scores NaN: "
            f"{type(error).__name__}: {error}",
            UserWarning,
            stacklevel=4,
        )
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"func must return a number (the score); got {value!r} for {params!r}."
        ) from None


class BayesianOptimizer(BaseOptimizer):
    """Gaussian-process Bayesian optimisation, ask/tell.

    The strategy of :class:`~sk_hpsearch.GPBayesSearchCV` for any function:
    a scrambled Sobol initial design, then each candidate maximises log
    expected improvement under a Gaussian process fitted in the unit cube
    (the prior's CDF: a ``LogUniform`` learning rate is modelled in
    decades, a ``OneMinusLogUniform`` momentum in decades of ``1 - beta``).

    Parameters
    ----------
    param_distributions : dict or list of dicts
        As in :class:`~sk_hpsearch.GPBayesSearchCV`.
    n_iter : int
        The number of candidates the search plans for (the last
        ``ceil(n_iter / 20)`` maximise the predicted score), and the default
        length of :meth:`maximize`.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial design and the acquisition optimiser.
    n_initial_points : int or "auto", default="auto"
        As in :class:`~sk_hpsearch.GPBayesSearchCV`. A first :meth:`ask` for
        more candidates than the design has gets further design points, so
        that every worker starts.
    acq_func : {"logei", "ei", "ucb", "pi"}, default="logei"
        As in :class:`~sk_hpsearch.GPBayesSearchCV`.
    n_points : int, default=1
        Candidates per step in :meth:`maximize` (``ask(n)`` sets its own).
    ucb_beta : float, default=4.0
        Exploration weight of ``acq_func="ucb"``.
    max_time : float, default=None
        Time box of :meth:`maximize`, in seconds (as in the searches).
    callbacks : callable or list of callables, default=None
        Called after every batch of :meth:`maximize` with a
        :class:`~sk_hpsearch.SearchState`; True stops.
    verbose : int, default=0
        ``>= 1``: one progress line per batch of :meth:`maximize`.
    checkpoint : str or path-like, default=None
        A journal file (JSON lines): every :meth:`ask` and :meth:`tell` (and
        every batch of :meth:`maximize`) is appended and fsynced. An
        optimiser created with an existing journal replays it on first use
        (the same candidates, scores and state, nothing evaluated again);
        candidates asked and never told are proposed again first. Keyed to
        the arguments and the space (``n_iter``, ``max_time``, ``callbacks``
        and ``verbose`` may change). See :func:`~sk_hpsearch.load_checkpoint`.
    checkpoint_mismatch : {"raise", "restart"}, default="raise"
        When ``checkpoint`` was written by another optimiser: raise
        :class:`~sk_hpsearch.CheckpointMismatchError` saying what changed, or
        move it to ``<checkpoint>.bak`` (with a warning) and start afresh.
    prior_results : optimiser, search, dict or path, default=None
        Earlier results to start from (a warm start): another optimiser, a
        fitted search, their results (``results_`` or ``cv_results_``), or a
        checkpoint journal. The best earlier candidates are proposed first,
        as in the searches' ``prior_results``.

    Attributes
    ----------
    checkpoint_path_ : str or None
        The journal file; None without ``checkpoint``.
    n_resumed_ : int
        Candidates told by replaying the journal (0 without one).
    results_ : dict
        Every candidate told, in order: ``params``, ``param_<name>``,
        ``score``, and the GP's columns (``step``, ``initial``,
        ``acquisition_value``, ``predicted_mean``, ``predicted_std``).
    best_params_ : dict
        The best candidate so far.
    best_score_ : float
        Its score.
    best_index_ : int
        Its row in ``results_``.
    stop_reason_ : str
        After :meth:`maximize`: why it stopped (as the searches').
    search_time_ : float
        After :meth:`maximize`: seconds it ran.

    See Also
    --------
    GPBayesSearchCV : The same strategy as a scikit-learn search.
    CoarseToFineOptimizer : Random search that zooms in, ask/tell.

    Examples
    --------
    >>> from sk_hpsearch import BayesianOptimizer, LogUniform
    >>> opt = BayesianOptimizer({"x": LogUniform(1e-3, 1e3)}, n_iter=12,
    ...                         random_state=0)
    >>> import math
    >>> opt.maximize(lambda x: -(math.log10(x) - 1) ** 2).best_params_["x"]
    10...
    >>> opt.stop_reason_
    'n_iter'
    """

    def __init__(
        self,
        param_distributions,
        *,
        n_iter: int,
        random_state=None,
        n_initial_points="auto",
        acq_func: str = "logei",
        n_points: int = 1,
        ucb_beta: float = 4.0,
        max_time: float | None = None,
        callbacks=None,
        verbose: int = 0,
        checkpoint=None,
        checkpoint_mismatch: str = "raise",
        prior_results=None,
    ):
        super().__init__(
            param_distributions,
            n_iter=n_iter,
            random_state=random_state,
            max_time=max_time,
            callbacks=callbacks,
            verbose=verbose,
            checkpoint=checkpoint,
            checkpoint_mismatch=checkpoint_mismatch,
            prior_results=prior_results,
        )
        self.n_initial_points = n_initial_points
        self.acq_func = acq_func
        self.n_points = n_points
        self.ucb_beta = ucb_beta

    def _check_params(self) -> None:
        super()._check_params()
        _check_integer("n_initial_points", self.n_initial_points, 1, or_auto=True)
        if self.acq_func not in ("logei", "ei", "ucb", "pi"):
            raise ValueError(
                "acq_func must be one of 'logei', 'ei', 'ucb', 'pi'; got "
                f"acq_func={self.acq_func!r}."
            )
        _check_integer("n_points", self.n_points, 1)
        if not isinstance(self.ucb_beta, numbers.Real) or self.ucb_beta < 0:
            raise ValueError(
                f"ucb_beta must be a number >= 0; got ucb_beta={self.ucb_beta!r}."
            )

    def _make_strategy(self, space, rng, n_iter, design, prior=None):
        return BayesStrategy(
            space,
            History(space),
            rng,
            n_iter,
            n_initial=self.n_initial_points,
            acq_func=self.acq_func,
            n_points=self.n_points,
            ucb_beta=self.ucb_beta,
            design=design,
            prior=prior,
        )


class CoarseToFineOptimizer(BaseOptimizer):
    """Coarse-to-fine random search, ask/tell.

    The strategy of :class:`~sk_hpsearch.CoarseToFineSearchCV` for any
    function: round 1 samples the whole space, each later round a smaller
    box of the unit cube around the best candidate so far.

    Parameters
    ----------
    param_distributions : dict or list of dicts
        As in :class:`~sk_hpsearch.CoarseToFineSearchCV`.
    n_iter : int
        Candidates planned over all rounds (split between them as
        ``n_rounds`` says), and the default length of :meth:`maximize`.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of every round.
    n_rounds : int or "auto", default="auto"
        As in :class:`~sk_hpsearch.CoarseToFineSearchCV`.
    zoom : float, default=0.5
        As in :class:`~sk_hpsearch.CoarseToFineSearchCV`.
    top_k : int, default=5
        As in :class:`~sk_hpsearch.CoarseToFineSearchCV`.
    max_time : float, default=None
        Time box of :meth:`maximize`, in seconds (as in the searches).
    callbacks : callable or list of callables, default=None
        Called after every batch of :meth:`maximize` with a
        :class:`~sk_hpsearch.SearchState`; True stops.
    verbose : int, default=0
        ``>= 1``: one progress line per batch of :meth:`maximize`.
    checkpoint : str or path-like, default=None
        A journal file (JSON lines): every :meth:`ask` and :meth:`tell` (and
        every batch of :meth:`maximize`) is appended and fsynced. An
        optimiser created with an existing journal replays it on first use
        (the same candidates, scores and state, nothing evaluated again);
        candidates asked and never told are proposed again first. Keyed to
        the arguments and the space (``n_iter``, ``max_time``, ``callbacks``
        and ``verbose`` may change). See :func:`~sk_hpsearch.load_checkpoint`.
    checkpoint_mismatch : {"raise", "restart"}, default="raise"
        When ``checkpoint`` was written by another optimiser: raise
        :class:`~sk_hpsearch.CheckpointMismatchError` saying what changed, or
        move it to ``<checkpoint>.bak`` (with a warning) and start afresh.
    prior_results : optimiser, search, dict or path, default=None
        Earlier results to start from (a warm start): another optimiser, a
        fitted search, their results (``results_`` or ``cv_results_``), or a
        checkpoint journal. The best earlier candidates are proposed first,
        as in the searches' ``prior_results``.

    Attributes
    ----------
    checkpoint_path_ : str or None
        The journal file; None without ``checkpoint``.
    n_resumed_ : int
        Candidates told by replaying the journal (0 without one).
    results_ : dict
        Every candidate told, in order: ``params``, ``param_<name>``,
        ``score`` and ``round``.
    regions_ : list of dict
        The box of each round started (as ``CoarseToFineSearchCV.regions_``).
    best_params_ : dict
        The best candidate so far.
    best_score_ : float
        Its score.
    best_index_ : int
        Its row in ``results_``.
    stop_reason_ : str
        After :meth:`maximize`: why it stopped (as the searches').
    search_time_ : float
        After :meth:`maximize`: seconds it ran.

    Notes
    -----
    A round's candidates are drawn when its first one is asked for; the
    next round's box is set from the scores told by then.

    See Also
    --------
    CoarseToFineSearchCV : The same strategy as a scikit-learn search.
    BayesianOptimizer : Gaussian-process Bayesian optimisation, ask/tell.

    Examples
    --------
    >>> from sk_hpsearch import CoarseToFineOptimizer, LogUniform
    >>> opt = CoarseToFineOptimizer({"x": LogUniform(1e-3, 1e3)}, n_iter=4,
    ...                             n_rounds=2, random_state=0)
    >>> batch = opt.ask(2)
    >>> _ = opt.tell(batch, [-abs(p["x"] - 10) for p in batch])
    >>> len(opt.ask(2)), opt.regions_[1]["round"]
    (2, 2)
    """

    def __init__(
        self,
        param_distributions,
        *,
        n_iter: int,
        random_state=None,
        n_rounds: int | str = "auto",
        zoom: float = 0.5,
        top_k: int = 5,
        max_time: float | None = None,
        callbacks=None,
        verbose: int = 0,
        checkpoint=None,
        checkpoint_mismatch: str = "raise",
        prior_results=None,
    ):
        super().__init__(
            param_distributions,
            n_iter=n_iter,
            random_state=random_state,
            max_time=max_time,
            callbacks=callbacks,
            verbose=verbose,
            checkpoint=checkpoint,
            checkpoint_mismatch=checkpoint_mismatch,
            prior_results=prior_results,
        )
        self.n_rounds = n_rounds
        self.zoom = zoom
        self.top_k = top_k

    def _check_params(self) -> None:
        super()._check_params()
        _check_integer("n_rounds", self.n_rounds, 1, or_auto=True)
        _check_real("zoom", self.zoom, 0.0, 1.0)
        _check_integer("top_k", self.top_k, 1)

    def _make_strategy(self, space, rng, n_iter, design, prior=None):
        return CoarseToFineStrategy(
            space,
            History(space),
            rng,
            n_iter,
            n_rounds=self.n_rounds,
            zoom=self.zoom,
            top_k=self.top_k,
            design=design,
            prior=prior,
        )

    @property
    def regions_(self) -> list[dict]:
        """The box of each round started, in the user's units."""
        return self._started().regions
