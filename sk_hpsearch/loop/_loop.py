"""The one search loop: ask, evaluate, tell, hooks; stop or go on.

Every search class and every optimiser runs :class:`SearchLoop`; they differ
only in the strategy (what to ask) and the evaluation (cross-validation, or
the user's function). The hooks run after every batch: the progress line,
user callbacks that may stop the search, an evaluator that asks to stop
(scikit-learn's callbacks), and the time box. A Ctrl-C ends the loop after
the evaluations already completed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from sk_hpsearch.loop._state import SearchState, format_progress
from sk_hpsearch.strategies._base import Batch, Strategy

__all__ = ["STOP_REASONS", "SearchLoop"]

STOP_REASONS = ("n_iter", "max_time", "callback", "interrupted", "exhausted")
"""Why a search stopped: its planned candidates were evaluated, the time box
was full, a callback asked, the user pressed Ctrl-C, or the space (or the
strategy) had no new candidate left."""


class SearchLoop:
    """Run a strategy against an evaluation until a stop condition.

    Parameters
    ----------
    strategy : Strategy
        Proposes batches (``ask``) and records scores (``tell``).
    evaluate : callable
        ``evaluate(batch) -> scores`` of shape (m,), NaN for a failure.
    n_iter : int
        Candidates to evaluate (the search asked for this many; the strategy
        may plan for fewer when the space is smaller).
    max_time : float or None
        Seconds: a batch that the evaluation times so far predict would end
        after ``max_time`` is not started (the batch in flight is never cut;
        the first batch always runs).
    callbacks : list of callable
        ``callback(state) -> bool`` after every batch; True stops.
    verbose : int
        ``>= 1`` prints one progress line per batch.
    owner : str
        The name the progress lines start with.
    stop_requested : callable, default=None
        ``stop_requested() -> bool`` after every batch (an evaluator whose
        scikit-learn callbacks asked to stop).
    on_told : callable, default=None
        ``on_told(batch, scores)`` after the strategy was told a batch (an
        optimiser's results table).
    predict_seconds : callable, default=None
        ``predict_seconds(batch) -> float or None``: the evaluation's own
        forecast of a batch's duration (the searches' from their fit times
        and workers). The time box takes the larger of it and the wall time
        per candidate and unit of budget observed so far.
    n_workers : int, default=1
        Evaluations that run at once. Under a time box a batch has at most
        this many candidates until the time per candidate is known (the
        first two batches), then at most as many as the time left holds (and
        at least ``n_workers``), so that a strategy's large batch (a
        coarse-to-fine round) cannot overrun the box; a batch forecast to
        end after the box is asked again with half its candidates, down to
        one, before the search stops.
    replayable : bool, default=False
        The run keeps a journal that a resumed run must retrace batch by
        batch. The time box then only stops the search: batch sizes and plans
        that follow the time it observes could not be repeated by a resumed
        run, whose replayed fits take no time.

    Attributes
    ----------
    stop_reason : str or None
        One of :data:`STOP_REASONS`, once :meth:`run` returned.
    elapsed : float
        Seconds spent in :meth:`run`.
    n_batches : int
        Batches evaluated and told.

    Notes
    -----
    Under a time box (and without ``replayable``) the strategy's
    :attr:`~Strategy.horizon` is set before each batch
    (:meth:`~Strategy.plan_for`) to the candidates the search is predicted
    to end with: those told, plus as many as the time left holds at the wall
    time per new candidate since the first batch (asking, evaluating and any
    promotions included; the first batch pays for starting the workers), at
    most ``n_iter`` in all (the strategy's own ``n_iter`` while the box
    would not end the search earlier). A strategy that plans its end (the
    GP's closing exploitation, coarse-to-fine's rounds) thus plans for the
    end the time box brings. :meth:`run` sets it back to ``n_iter`` when it returns.
    """

    def __init__(
        self,
        strategy: Strategy,
        evaluate: Callable[[Batch], np.ndarray],
        *,
        n_iter: int,
        max_time: float | None = None,
        callbacks: Sequence[Callable[[SearchState], bool]] = (),
        verbose: int = 0,
        owner: str = "search",
        stop_requested: Callable[[], bool] | None = None,
        on_told: Callable[[Batch, np.ndarray], None] | None = None,
        predict_seconds: Callable[[Batch], float | None] | None = None,
        n_workers: int = 1,
        replayable: bool = False,
    ):
        self.strategy = strategy
        self.evaluate = evaluate
        self.n_iter = n_iter
        self.max_time = max_time
        self.callbacks = list(callbacks)
        self.verbose = verbose
        self.owner = owner
        self.stop_requested = stop_requested
        self.on_told = on_told
        self.predict_seconds = predict_seconds
        self.n_workers = n_workers
        self.replayable = replayable
        self._in_flight: Batch | None = None
        self.stop_reason: str | None = None
        self.elapsed = 0.0
        self.n_batches = 0
        self._start = 0.0
        self._eval_seconds = 0.0  # evaluation wall time so far
        self._eval_cost = 0.0  # candidates x budget evaluated so far
        self._last_ask = 0.0  # seconds the last ask took
        self._rated_since: float | None = None  # the end of the first batch
        self._n_rated = 0  # new candidates evaluated since then

    def run(self) -> str:
        """Run to a stop; return the stop reason (also in ``stop_reason``).

        Raises
        ------
        KeyboardInterrupt
            If interrupted before any batch completed (nothing to keep).
        """
        self._start = time.monotonic()
        try:
            reason = self._search()
            self._drain()
        except KeyboardInterrupt:
            if self._in_flight is not None:
                self.strategy.cancel(self._in_flight)
            if self.n_batches == 0:
                raise
            reason = "interrupted"
            warnings.warn(
                f"{self.owner} interrupted: keeping the {len(self.strategy.history)} "
                "candidates evaluated so far (the batch in flight is lost).",
                UserWarning,
                stacklevel=3,
            )
        finally:
            # The box's horizon holds for this run only: later asks (an
            # optimiser's next call) plan for ``n_iter`` again.
            self.strategy.plan_for(self.strategy.n_iter)
        self.stop_reason = reason
        self.elapsed = time.monotonic() - self._start
        return reason

    def _search(self) -> str:
        """Batches of new candidates until a stop condition; its reason."""
        strategy = self.strategy
        while True:
            remaining = self.n_iter - strategy.n_candidates
            if strategy.history.n_remaining <= 0:
                return "exhausted"
            if remaining <= 0:
                return "n_iter"
            if self._over_time(self._last_ask):
                return "max_time"
            n = min(strategy.batch_size(), remaining)
            if self._plans:
                left = self._candidates_left(remaining)
                # Only a box that ends the search early moves its horizon.
                limited = left < remaining
                strategy.plan_for(
                    strategy.n_candidates + left if limited else strategy.n_iter
                )
                n = min(n, max(self.n_workers, left if self._n_rated else 0))
            asked = time.monotonic()
            batch = self._in_flight = strategy.ask(n)
            self._last_ask = time.monotonic() - asked
            if batch is None:
                return "exhausted"
            while self._over_time(self._predicted_seconds(batch)):
                strategy.cancel(batch)
                self._in_flight = None
                if not self._plans or len(batch) == 1 or not batch.is_new:
                    return "max_time"
                smaller = self._in_flight = strategy.ask(len(batch) // 2)
                if smaller is None:
                    return "exhausted"
                if len(smaller) >= len(batch):  # not new points: nothing to halve
                    strategy.cancel(smaller)
                    self._in_flight = None
                    return "max_time"
                batch = smaller
            if self._run_batch(batch):
                return "callback"

    def _drain(self) -> None:
        """Work the strategy still owes (budget promotions), within the time box.

        The callbacks are not asked again: they already stopped the search,
        or it ended; this only lets the best candidate reach the full budget.
        """
        while (batch := self.strategy.drain()) is not None:
            if self._over_time(self._predicted_seconds(batch)):
                self.strategy.cancel(batch)
                return
            self._run_batch(batch, callbacks=False)

    def _run_batch(self, batch: Batch, callbacks: bool = True) -> bool:
        """Evaluate and tell one batch, then run the hooks; whether to stop."""
        started = time.monotonic()
        self._in_flight = batch
        scores = np.asarray(self.evaluate(batch), dtype=float)
        self._eval_seconds += time.monotonic() - started
        self._eval_cost += _cost(batch)
        if self._rated_since is None:
            self._rated_since = time.monotonic()
        elif batch.is_new:
            self._n_rated += len(batch)
        self.strategy.tell(batch, scores)
        self._in_flight = None
        if self.on_told is not None:
            self.on_told(batch, scores)
        self.n_batches += 1
        state = SearchState(
            self.strategy.history,
            n_iter=self.n_iter,
            n_batches=self.n_batches,
            elapsed=time.monotonic() - self._start,
        )
        if self.verbose >= 1:
            print(format_progress(self.owner, state), flush=True)
        if not callbacks:
            return False
        stop = [bool(callback(state)) for callback in self.callbacks]
        if self.stop_requested is not None and self.stop_requested():
            stop.append(True)
        return any(stop)

    def _predicted_seconds(self, batch: Batch) -> float:
        """Evaluation seconds of ``batch``: the larger of the two forecasts."""
        observed = 0.0
        if self._eval_cost:
            observed = self._eval_seconds / self._eval_cost * _cost(batch)
        own = self.predict_seconds(batch) if self.predict_seconds else None
        return observed if own is None else max(observed, own)

    @property
    def _plans(self) -> bool:
        """Whether the time box shapes the batches and the plan."""
        return self.max_time is not None and not self.replayable

    def _candidates_left(self, remaining: int) -> int:
        """New candidates the time box is predicted to leave room for, at most
        ``remaining`` (all of them before a rate is known).

        The rate is that of the batches after the first, which pays for
        starting the workers and warming up.
        """
        if self._n_rated == 0:
            return remaining
        now = time.monotonic()
        per_candidate = (now - self._rated_since) / self._n_rated
        if per_candidate <= 0:
            return remaining
        left = (self.max_time - (now - self._start)) / per_candidate
        return int(min(remaining, max(0.0, left)))

    def _over_time(self, seconds: float) -> bool:
        """Whether ``seconds`` more would end after ``max_time``."""
        if self.max_time is None or self.n_batches == 0:
            return False
        return time.monotonic() - self._start + seconds > self.max_time


def _cost(batch: Batch) -> float:
    """A batch's work in candidate x budget units (budget 1 without budgets)."""
    return len(batch) * (1.0 if batch.resource is None else float(batch.resource))
