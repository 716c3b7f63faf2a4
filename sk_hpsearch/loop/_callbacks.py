"""Ready-made stopping callbacks, and the check of user callbacks.

A callback is any callable ``callback(state) -> bool`` called after every
batch with a :class:`~sk_hpsearch.loop._state.SearchState`; True stops the
search after that batch (``stop_reason_ == "callback"``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from sk_hpsearch.loop._state import SearchState

__all__ = ["NoImprovementStopper", "TargetScoreStopper", "check_callbacks"]


class TargetScoreStopper:
    """Stop once the best score reaches ``target``.

    Parameters
    ----------
    target : float
        The score (of the refit metric, greater is better) that is good
        enough.

    Examples
    --------
    >>> from sk_hpsearch import TargetScoreStopper
    >>> stop = TargetScoreStopper(0.95)
    >>> stop
    TargetScoreStopper(target=0.95)
    """

    def __init__(self, target: float):
        self.target = target

    def __call__(self, state: SearchState) -> bool:
        """Whether the best score so far is at least ``target``."""
        return bool(state.best_score >= self.target)

    def __repr__(self) -> str:
        return f"TargetScoreStopper(target={self.target!r})"


class NoImprovementStopper:
    """Stop when the last ``patience`` candidates did not improve the best.

    Parameters
    ----------
    patience : int
        Candidates without an improvement that end the search.
    min_delta : float, default=0.0
        An improvement must exceed the best score before it by more than
        this.

    Examples
    --------
    >>> from sk_hpsearch import NoImprovementStopper
    >>> NoImprovementStopper(patience=20)
    NoImprovementStopper(patience=20, min_delta=0.0)
    """

    def __init__(self, patience: int, min_delta: float = 0.0):
        if (
            isinstance(patience, bool)
            or not isinstance(patience, numbers.Integral)
            or patience < 1
        ):
            raise ValueError(f"patience must be a positive integer; got {patience!r}.")
        self.patience = patience
        self.min_delta = min_delta

    def __call__(self, state: SearchState) -> bool:
        """Whether none of the last ``patience`` candidates improved enough."""
        scores = np.where(np.isfinite(state.scores), state.scores, -np.inf)
        if len(scores) <= self.patience:
            return False
        before = scores[: -self.patience].max()
        recent = scores[-self.patience :].max()
        if not math.isfinite(before):
            return not math.isfinite(recent)
        return bool(recent <= before + self.min_delta)

    def __repr__(self) -> str:
        return (
            f"NoImprovementStopper(patience={self.patience!r}, "
            f"min_delta={self.min_delta!r})"
        )


def check_callbacks(callbacks) -> list[Callable[[SearchState], bool]]:
    """The ``callbacks`` argument as a list of callables.

    Raises
    ------
    ValueError
        If ``callbacks`` is not None, a callable or a sequence of callables.
    """
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    if isinstance(callbacks, Sequence) and not isinstance(callbacks, str):
        bad = [c for c in callbacks if not callable(c)]
        if not bad:
            return list(callbacks)
        raise ValueError(
            f"callbacks must be callables taking the search state; got {bad[0]!r} "
            f"in callbacks={callbacks!r}."
        )
    raise ValueError(
        "callbacks must be None, a callable or a list of callables; got "
        f"callbacks={callbacks!r}."
    )
