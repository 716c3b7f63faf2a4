"""A read-only view of a search so far, for callbacks and progress lines."""

from __future__ import annotations

from functools import cached_property

from sk_hpsearch.strategies._base import History

__all__ = ["SearchState", "format_progress"]


class SearchState:
    """What a search has found so far, as its callbacks see it.

    Built after every batch; changing it changes nothing in the search.

    Attributes
    ----------
    n_candidates : int
        Candidates evaluated so far (each counted once, whatever its budget).
    n_iter : int
        Candidates the search plans to evaluate.
    n_batches : int
        Batches evaluated so far (promotions to a larger budget included).
    elapsed : float
        Seconds since the search started.
    scores : ndarray of shape (n_candidates,)
        Each candidate's score (at the largest budget it reached), NaN for a
        failure; read-only.
    best_score : float
        The best finite score so far, NaN if none.
    best_params : dict or None
        The parameters of that candidate, in the user's units.
    params : list of dict
        Every candidate's parameters, in order.
    """

    def __init__(
        self, history: History, *, n_iter: int, n_batches: int, elapsed: float
    ):
        self._history = history
        self.n_candidates = len(history)
        self.n_iter = n_iter
        self.n_batches = n_batches
        self.elapsed = elapsed
        scores = history.scores.copy()
        scores.setflags(write=False)
        self.scores = scores
        best = history.best_index()
        self.best_score = float("nan") if best is None else float(scores[best])
        self._best = best

    @cached_property
    def best_params(self) -> dict | None:
        """The best candidate's parameters (decoded on first access)."""
        if self._best is None:
            return None
        return self._history.space.decode(self._history.X[[self._best]])[0]

    @cached_property
    def params(self) -> list[dict]:
        """Every candidate's parameters (decoded on first access)."""
        return self._history.space.decode(self._history.X[: self.n_candidates])

    def __repr__(self) -> str:
        return (
            f"SearchState(n_candidates={self.n_candidates}, n_iter={self.n_iter}, "
            f"best_score={self.best_score:.6g}, elapsed={self.elapsed:.3g})"
        )


def format_progress(owner: str, state: SearchState) -> str:
    """One progress line: candidates done, best score and its parameters, time.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import uniform
    >>> from sk_hpsearch.space._space import SearchSpace
    >>> history = History(SearchSpace({"a": uniform(0, 2)}))
    >>> history.record(np.array([[0.25], [0.5]]), np.array([0.5, 0.75]))
    >>> state = SearchState(history, n_iter=10, n_batches=1, elapsed=1.5)
    >>> format_progress("Search", state)
    '[Search] 2/10 candidates; best 0.75 with {a: 1}; 1.5 s'
    """
    if state.best_params is None:
        best = "no successful candidate yet"
    else:
        shown = ", ".join(f"{k}: {_short(v)}" for k, v in state.best_params.items())
        best = f"best {state.best_score:.6g} with {{{shown}}}"
    return (
        f"[{owner}] {state.n_candidates}/{state.n_iter} candidates; {best}; "
        f"{state.elapsed:.1f} s"
    )


def _short(value) -> str:
    """A parameter value printed briefly (floats to 4 significant digits)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value) if isinstance(value, str) else str(value)
