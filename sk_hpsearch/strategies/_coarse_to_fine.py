"""Coarse-to-fine random search as a strategy: sample everywhere, then zoom in."""

from __future__ import annotations

from functools import partial

import numpy as np

from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import Batch, History, Strategy
from sk_hpsearch.strategies._zoom import Region, zoom

__all__ = [
    "MIN_FIRST_ROUND",
    "MIN_ROUND_SIZE",
    "CoarseToFineStrategy",
    "auto_round_sizes",
    "round_sizes",
]

#: Fewest candidates of a round after the first with ``n_rounds="auto"``.
MIN_ROUND_SIZE = 4
#: Fewest candidates of round 1 with ``n_rounds="auto"`` (all of ``n_iter``
#: if fewer): as many random candidates as Optuna's TPE draws before it
#: models (``n_startup_trials=10``), so that the first box is placed on
#: enough of the space.
MIN_FIRST_ROUND = 10


class CoarseToFineStrategy(Strategy):
    """Rounds of random candidates, each in a box around the best so far.

    Parameters
    ----------
    space, history, rng, n_iter
        As in :class:`Strategy`.
    n_rounds : int or "auto"
        Number of rounds; ``n_iter`` is split evenly between them (earlier
        rounds get the remainder). ``"auto"``: see :func:`auto_round_sizes`.
    zoom : float
        Factor in (0, 1) by which the box side shrinks (TuRBO's
        success/failure rule, see :meth:`_next_region`).
    top_k : int
        How many of the best candidates shape the next box.
    design : ndarray of shape (k, D), default=None
        Canonical points to evaluate as the first (and only) round instead
        of random ones (a whole grid of lists, in ``ParameterGrid`` order).
    prior : tuple of ndarray, default=None
        ``(X, scores)`` of an earlier search (a warm start): the first round
        re-evaluates the best ``top_k`` of them and samples the rest in the
        box of side ``zoom`` around them, the earlier region.

    Attributes
    ----------
    regions : list of dict
        One dict per round that sampled: ``{"round", "n_candidates", "width",
        "params"}`` (see ``CoarseToFineSearchCV.regions_``).

    Notes
    -----
    The rounds are planned for :attr:`~Strategy.horizon`. When it falls
    below the plan's total (a time box that will end the search before
    ``n_iter``), the rounds not started are planned anew for it and the
    round in progress ends at its new size (not below what it has asked), so
    that the search still zooms before the box ends it.
    """

    def __init__(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.RandomState,
        n_iter: int,
        *,
        n_rounds: int | str,
        zoom: float,
        top_k: int,
        design: np.ndarray | None = None,
        prior: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        super().__init__(space, history, rng, n_iter)
        self.prior = prior
        self.zoom = zoom
        self.top_k = top_k
        self._n_rounds = n_rounds
        self._n_dims = max(map(len, space.subspaces))  # of the largest dict
        self.sizes = [len(design)] if design is not None else self._plan(n_iter)
        self._planned_for = n_iter  # the total the rounds are planned for
        self._design = design
        self.regions: list[dict] = []
        self._whole = self._region = Region.whole(space)
        self._round = 0  # rounds started
        self._best_before: int | None = None
        self._planned = np.empty((0, space.n_dims))
        self._drawn = 0

    def batch_size(self) -> int:
        """The rest of the current round, or the whole next one."""
        if len(self._planned) or self._round >= len(self.sizes):
            return max(1, len(self._planned))
        return self.sizes[self._round]

    def state(self) -> dict:
        """Rounds started, the current box's side, candidates planned."""
        return {
            **super().state(),
            "round": self._round,
            "width": float(self._region.width),
            "planned_left": len(self._planned),
        }

    def _plan(self, total: int) -> list[int]:
        """Round sizes for ``total`` candidates."""
        if self._n_rounds == "auto":
            return auto_round_sizes(total, self._n_dims)
        return round_sizes(total, self._n_rounds)

    def _plan_from(self, r: int, rest: int) -> list[int]:
        """Sizes of round ``r`` (from 1) and the later ones for ``rest``
        candidates: ``"auto"``'s whole plan from round 1, its rounds of at
        most ``max(MIN_ROUND_SIZE, d)`` after it; ``n_rounds``' remaining
        rounds."""
        if self._n_rounds == "auto":
            if r == 1:
                return self._plan(rest)
            return _by_step(rest, max(MIN_ROUND_SIZE, self._n_dims))
        return round_sizes(rest, max(1, self._n_rounds - r + 1))

    def _replan(self) -> None:
        """Plan the rounds for a horizon below the current plan's total.

        The rounds over keep their sizes. The round in progress ends at the
        size the plan of the candidates left after them gives it, never
        below what it proposed nor above what it drew; the rest is planned
        as ``n_rounds`` plans it (``"auto"``: rounds of at most
        ``max(MIN_ROUND_SIZE, d)``).
        """
        total, r = max(1, self.horizon), self._round
        self._planned_for = total
        if r == 0:
            self.sizes = self._plan(total)
            return
        rest = max(1, total - sum(self.sizes[: r - 1]))
        asked = self._drawn - len(self._planned)
        size = min(self._drawn, max(asked, self._plan_from(r, rest)[0]))
        self._planned = self._planned[: size - asked]
        self._drawn = size
        later = self._plan_from(r + 1, rest - size) if rest > size else []
        self.sizes = [*self.sizes[: r - 1], size, *later]

    def _ask(self, n: int) -> Batch | None:
        if self._design is None and self.horizon < self._planned_for:
            self._replan()
        while not len(self._planned):
            if self._round >= len(self.sizes):
                if self.history.n_remaining <= 0:
                    return None
                self.sizes.append(self.sizes[-1])  # asked beyond the plan
            self._start_round()
        X, self._planned = self._planned[:n], self._planned[n:]
        self._count_asked()
        return Batch(X, {"round": [self._round] * len(X)})

    def _count_asked(self) -> None:
        """The record of the round in progress counts the candidates it
        proposed (all it drew once it is over; fewer when a time box or a stop
        cut it)."""
        if self.regions and self.regions[-1]["round"] == self._round:
            self.regions[-1]["n_candidates"] = self._drawn - len(self._planned)

    def cancel(self, batch: Batch) -> None:
        """Take back a batch; its points are asked again first."""
        super().cancel(batch)
        if batch.is_new and batch.columns["round"][0] == self._round:
            self._planned = np.vstack([batch.X, self._planned])
            self._count_asked()

    def _start_round(self) -> None:
        """Draw the candidates of the next round in its box."""
        r, size = self._round, self.sizes[self._round]
        self._round += 1
        if r > 0:
            improved = self.history.best_index() != self._best_before
            self._region = self._next_region(self._region, improved)
        first = np.empty((0, self.space.n_dims))
        if r == 0 and self._design is None and self.prior is not None:
            first, self._region = self._warm_start(size)
        sample = partial(self._region.sample, self.space, self.rng)
        if self._design is not None:
            X = self._design
        else:  # new points, none of them one of the earlier best (``first``)
            again = set(self.space.keys(first))
            drawn = self.history.draw_new(sample, size)
            drawn = drawn[[key not in again for key in self.space.keys(drawn)]]
            X = np.vstack([first, drawn[: size - len(first)]])
        if len(X) < size:  # the box ran out of distinct candidates
            whole = partial(self._whole.sample, self.space, self.rng)
            X = np.vstack([X, self.history.draw_new(whole, size - len(X))])
        if len(X):
            self.regions.append(
                {
                    "round": r + 1,
                    "n_candidates": len(X),
                    **self._region.describe(self.space),
                }
            )
        self._best_before = self.history.best_index()
        self._planned = X
        self._drawn = len(X)  # what the round in progress drew

    def _warm_start(self, size: int) -> tuple[np.ndarray, Region]:
        """The best earlier candidates to re-evaluate, and the box around them."""
        X, scores = self.prior
        finite = np.isfinite(scores)
        if not finite.any():
            return np.empty((0, self.space.n_dims)), self._region
        order = np.argsort(-np.where(finite, scores, -np.inf), kind="stable")
        best = X[order[: min(self.top_k, size, int(finite.sum()))]]
        region = zoom(self.space, X, scores, width=self.zoom, top_k=self.top_k)
        return best, region

    def _next_region(self, region: Region, improved: bool) -> Region:
        """Apply the success/failure rule to the side, then zoom on the best."""
        history = self.history
        best = history.best_index()
        if best is None:
            return Region.whole(self.space)
        if region.width == 1.0:
            width = self.zoom
        elif not improved:
            width = region.width * self.zoom
        elif region.contains_on_edge(self.space, history.X[best]):
            width = min(1.0, region.width / self.zoom)
        else:
            width = region.width
        return zoom(
            self.space, history.X, history.scores, width=width, top_k=self.top_k
        )


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


def _by_step(total: int, step: int) -> list[int]:
    """``total`` split evenly over as few rounds as keep each to ``step``."""
    return round_sizes(total, -(-total // step))


def auto_round_sizes(total: int, n_dims: int) -> list[int]:
    """Rounds for ``n_rounds="auto"``: a coarse third, then small fine rounds.

    Round 1 gets a third of ``total`` (rounded up), as with ``n_rounds=3``,
    but at least ``MIN_FIRST_ROUND`` (or all of ``total`` if fewer);
    the rest is split evenly (earlier rounds get the remainder) over as few
    rounds as keep each to at most ``max(MIN_ROUND_SIZE, n_dims)``
    candidates, so the box moves and resizes after every few candidates
    rather than twice.

    Parameters
    ----------
    total : int
        Candidates over all rounds.
    n_dims : int
        Parameters searched (those of the largest dict of a list).

    Returns
    -------
    list of int

    Examples
    --------
    >>> auto_round_sizes(32, 2)
    [11, 4, 4, 4, 3, 3, 3]
    >>> auto_round_sizes(32, 10)
    [11, 7, 7, 7]
    >>> auto_round_sizes(16, 5)
    [10, 3, 3]
    >>> auto_round_sizes(8, 3)
    [8]
    """
    first = max(-(-total // 3), min(MIN_FIRST_ROUND, total))
    rest = total - first
    if rest <= 0:
        return [first]
    return [first, *_by_step(rest, max(MIN_ROUND_SIZE, n_dims))]
