"""An optimiser's checkpoint: journal every ask and tell, replay them on resume.

An ask/tell optimiser's user may ask several batches before telling, tell
candidates in any order, or tell points never asked. So the journal records
events: ``{"kind": "ask", "n", "X"}`` for each :meth:`ask` and ``{"kind":
"batch", ...}`` for each :meth:`tell` (a batch that ``maximize`` asked for
itself carries ``"asked": n``). On resume, the optimiser replays them in
order from its seed, checking that every replayed ask returns the journaled
candidates; candidates asked but never told are proposed again first.
"""

from __future__ import annotations

import inspect

import numpy as np

from sk_hpsearch.loop._fingerprint import data_digest, describe, describe_arguments
from sk_hpsearch.loop._journal import (
    CheckpointMismatchError,
    Journal,
    decode_floats,
    jsonable_params,
    rng_state,
)
from sk_hpsearch.strategies._base import Batch, Strategy

__all__ = ["IGNORED_ARGUMENTS", "OptimizerJournal", "RecordAsks"]

IGNORED_ARGUMENTS = {
    "verbose",
    "max_time",
    "callbacks",
    "n_iter",
    "checkpoint",
    "checkpoint_mismatch",
    "param_distributions",  # keyed as "space"
    "prior_results",  # keyed as "prior"
}
"""Optimiser arguments that do not change the candidates (``n_iter``: the
replay checks that the candidates agree)."""


class RecordAsks:
    """A strategy whose last ``ask(n)`` is remembered (``maximize``'s loop)."""

    def __init__(self, strategy: Strategy):
        self._strategy = strategy
        self.last_n: int | None = None

    def ask(self, n: int) -> Batch | None:
        self.last_n = n
        return self._strategy.ask(n)

    def __getattr__(self, name):
        return getattr(self._strategy, name)


class OptimizerJournal:
    """The journal of an ask/tell optimiser.

    Parameters
    ----------
    optimizer : BaseOptimizer
        Its ``checkpoint``, ``checkpoint_mismatch`` and arguments key the
        journal.
    strategy : Strategy
    """

    def __init__(self, optimizer, strategy: Strategy, prior=None):
        self.strategy = strategy
        names = [
            p
            for p in inspect.signature(type(optimizer).__init__).parameters
            if p != "self"
        ]
        key = {
            "arguments": describe_arguments(
                {name: getattr(optimizer, name) for name in names}, IGNORED_ARGUMENTS
            ),
            "space": describe(optimizer.param_distributions),
            "prior": None if prior is None else data_digest(prior.X, prior.scores),
        }
        self.journal = Journal(
            optimizer.checkpoint,
            owner=type(optimizer).__name__,
            key=key,
            mismatch=optimizer.checkpoint_mismatch,
            extra={"n_iter": optimizer.n_iter},
        )
        self.journal.open()
        self.path = self.journal.path
        self.replaying = False
        self._next = 0

    def replay(self, ask, tell) -> int:
        """Re-run the journaled events through ``ask(n)`` and ``tell(batch, s)``.

        ``ask(n) -> Batch`` and ``tell(batch, scores)`` are the optimiser's
        own steps (without journaling). Returns the number of candidates told.
        """
        self.replaying = True
        n_told = 0
        try:
            for record in self.journal.records:
                X = np.asarray(decode_floats(record["X"]), dtype=float)
                if record["kind"] == "ask" or record.get("asked") is not None:
                    n = record["n"] if record["kind"] == "ask" else record["asked"]
                    batch = ask(n)
                    got = np.empty((0, X.shape[1])) if batch is None else batch.X
                    if self.strategy.space.keys(got) != self.strategy.space.keys(X):
                        raise CheckpointMismatchError(
                            f"Replaying the checkpoint {self.path!r}: ask({n}) "
                            f"gave other candidates than journaled "
                            f"({record['params']!r}); the optimiser or its "
                            "environment changed. Pass "
                            "checkpoint_mismatch='restart' to start afresh."
                        )
                if record["kind"] == "batch":
                    scores = np.array(decode_floats(record["scores"]), dtype=float)
                    columns = {
                        k: decode_floats(v) for k, v in record["columns"].items()
                    }
                    tell(Batch(X, columns), scores)
                    n_told += len(X)
                self._next = max(self._next, int(record["batch"]) + 1)
        finally:
            self.replaying = False
        return n_told

    def record(
        self,
        kind: str,
        batch: Batch,
        *,
        n: int | None = None,
        scores=None,
        asked: int | None = None,
    ) -> None:
        """Append an ``"ask"`` (with ``n``) or a told ``"batch"`` (``scores``)."""
        if self.replaying:
            return
        space = self.strategy.space
        record = {
            "kind": kind,
            "batch": self._next,
            "X": batch.X,
            "params": [jsonable_params(p) for p in space.decode(batch.X)],
        }
        if kind == "ask":
            record["n"] = n
        else:
            record.update(
                scores=np.asarray(scores, dtype=float),
                columns=batch.columns,
                asked=asked,
                state={"rng": rng_state(self.strategy.rng), **self.strategy.state()},
            )
        self.journal.append(record)
        self._next += 1
