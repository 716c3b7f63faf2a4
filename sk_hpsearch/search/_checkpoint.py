"""A search's checkpoint: journal every batch, replay the journal on resume.

Resuming re-runs the search from its seed. The fits of every candidate the
journal holds (at that budget) are handed to scikit-learn's own
``evaluate_candidates`` in place of real fits (:func:`_compat.replay_fits`),
so ``cv_results_`` is built by scikit-learn exactly as in an uninterrupted
run, the strategy is told the same scores and reaches the same state, and no
completed fit runs again; the others are fitted and journaled. While the
search retraces the journal batch by batch, the random generator's state is
checked after each one; where it departs (a longer ``n_iter``, a search
stopped early whose budget promotions were drained), a warning says so.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from sk_hpsearch._compat import fit_inputs, last_fit_outputs, replay_fits
from sk_hpsearch.loop._fingerprint import (
    data_digest,
    describe,
    describe_arguments,
    splits_digest,
)
from sk_hpsearch.loop._journal import (
    CheckpointMismatchError,
    Journal,
    decode_floats,
    jsonable_params,
    rng_state,
)
from sk_hpsearch.search._cluster import ClusterLostError
from sk_hpsearch.search._evaluator import Evaluator
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import Batch, Strategy

__all__ = ["IGNORED_ARGUMENTS", "SearchCheckpoint"]

IGNORED_ARGUMENTS = {
    "n_jobs",
    "pre_dispatch",
    "verbose",
    "max_time",
    "callbacks",
    "n_iter",
    "checkpoint",
    "checkpoint_mismatch",
    "param_distributions",  # keyed as "space"
    "warm_start",  # keyed as "prior": the earlier results used
    "prior_results",
}
"""Search arguments that do not change the candidates or their scores, or
whose change the replay itself checks (``n_iter``: a longer or shorter run
of the same search replays while the candidates agree; ``max_time``: with a
checkpoint the time box only stops the search)."""

_FIT_KEYS = (
    "test_scores",
    "train_scores",
    "n_test_samples",
    "fit_time",
    "score_time",
    "fit_error",
)


def journal_path(checkpoint, owner: str, data: str) -> str:
    """The journal file of ``checkpoint``: itself, or one file per data set.

    A directory (an existing one, or a path ending with a separator) holds one
    journal per data set and splits, named by their digest, so the searches
    of nested cross-validation (one per outer fold) never share one.
    """
    path = os.fspath(checkpoint)
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        return os.path.join(path, f"{owner}-{data[:16]}.jsonl")
    return path


class SearchCheckpoint:
    """The checkpoint of one fit of a search: replay, then record.

    Parameters
    ----------
    search : BaseSpaceSearchCV
        The search being fitted (its arguments key the journal).
    evaluate_candidates : callable
        scikit-learn's callback (its closure holds the data, see
        :func:`~sk_hpsearch._compat.fit_inputs`).
    space : SearchSpace
    strategy : Strategy
        The search's strategy (its state is journaled with every batch).
    evaluator : Evaluator
    prior : Prior, default=None
        A warm start's earlier results (part of the key).

    Attributes
    ----------
    path : str
        The journal file.
    n_replayed : int
        Rows of ``cv_results_`` restored from the journal so far.
    """

    def __init__(
        self,
        search,
        evaluate_candidates,
        space: SearchSpace,
        strategy: Strategy,
        evaluator: Evaluator,
        prior=None,
    ):
        self.space = space
        self.strategy = strategy
        self.evaluator = evaluator
        owner = type(search).__name__
        key = {
            "arguments": describe_arguments(
                search.get_params(deep=False), IGNORED_ARGUMENTS
            ),
            "space": describe(search.param_distributions),
            "prior": None if prior is None else data_digest(prior.X, prior.scores),
        }
        inputs = fit_inputs(evaluate_candidates)
        if inputs is None:  # pragma: no cover - a scikit-learn that changed
            warnings.warn(
                "The checkpoint cannot see the data with this scikit-learn "
                "version: it is keyed to the arguments and the space only.",
                UserWarning,
                stacklevel=3,
            )
            key["data"] = key["splits"] = "unknown"
        else:
            key["data"] = data_digest(inputs["X"], inputs["y"], inputs["fit_params"])
            splits = inputs["cv"].split(
                inputs["X"], inputs["y"], **inputs["split_params"]
            )
            key["splits"] = splits_digest(splits)
        self.path = journal_path(
            search.checkpoint, owner, data_digest(key["data"], key["splits"])
        )
        self.journal = Journal(
            self.path,
            owner=owner,
            key=key,
            mismatch=search.checkpoint_mismatch,
            extra={
                "n_iter": search.n_iter,
                "n_splits": getattr(search, "n_splits_", None),
            },
        )
        self.records = self.journal.open()
        self._pool: dict = {}  # (point key, budget) -> journaled fits
        for record in self.records:
            keys = space.keys(np.asarray(decode_floats(record["X"]), dtype=float))
            for key, fits in zip(keys, record["fits"], strict=True):
                self._pool.setdefault((key, record.get("resource")), fits)
        self._next = 1 + max((int(r["batch"]) for r in self.records), default=-1)
        self.n_replayed = 0
        self._n_batches = 0  # batches evaluated in this fit
        self._in_order = True  # every batch so far is the journaled one
        self._fits: list | None = None
        self._new = False

    def evaluate(self, batch: Batch) -> np.ndarray:
        """Fit ``batch``, its journaled candidates replayed, not refitted."""
        self._follow(batch)
        resource = _native(batch.resource)
        found = [self._pool.get((key, resource)) for key in self.space.keys(batch.X)]
        outputs = [None if f is None else [_decode_fit(x) for x in f] for f in found]
        n_found = sum(f is not None for f in found)
        try:
            if n_found:
                params, _ = self.evaluator.candidates(batch)
                with replay_fits(params, outputs):
                    scores = self.evaluator(batch)
            else:
                scores = self.evaluator(batch)
        except ClusterLostError as exc:
            raise ClusterLostError(
                f"{exc} The checkpoint {self.path!r} holds the {self._next} "
                "batches completed before: fit the search again with the same "
                "checkpoint, on a new cluster, to resume without refitting them."
            ) from exc
        self.n_replayed += n_found
        self._new = n_found < len(batch)
        self._fits = last_fit_outputs()
        return scores

    def _follow(self, batch: Batch) -> None:
        """Check that the search retraces the journal; warn once if not."""
        k = self._n_batches
        if not self._in_order or k >= len(self.records):
            self._in_order = False
            return
        record = self.records[k]
        journaled = np.asarray(decode_floats(record["X"]), dtype=float)
        if (
            journaled.shape == batch.X.shape
            and self.space.keys(journaled) == self.space.keys(batch.X)
            and record.get("resource") == _native(batch.resource)
            and record.get("ids") == batch.ids
        ):
            return
        self._in_order = False
        n_iter = self.journal.header.get("n_iter")
        hint = ""
        if n_iter is not None and n_iter != self.strategy.n_iter:
            hint = f" (n_iter changed from {n_iter}, which changes the plan)"
        warnings.warn(
            f"Resuming from the checkpoint {self.path!r}, the search departs "
            f"from the journal at batch {k}{hint}: from there on, candidates "
            "are fitted unless the journal holds their fits.",
            UserWarning,
            stacklevel=4,
        )

    def on_told(self, batch: Batch, scores: np.ndarray) -> None:
        """After the strategy was told ``batch``: journal it, or check the state."""
        k = self._n_batches
        self._n_batches += 1
        state = {"rng": rng_state(self.strategy.rng), **self.strategy.state()}
        if not self._new:
            record = self.records[k] if self._in_order else None
            if record is not None and record["state"]["rng"] != state["rng"]:
                raise CheckpointMismatchError(
                    f"Replaying the checkpoint {self.path!r}: after batch {k} the "
                    "random generator is not in the journaled state, so the "
                    "search would not continue as the journaled one did; pass "
                    "checkpoint_mismatch='restart' to start afresh."
                )
            return
        params, _ = self.evaluator.candidates(batch)
        fits = self._fits or []
        n_splits = len(fits) // max(1, len(batch))
        record = {
            "kind": "batch",
            "batch": self._next,
            "X": batch.X,
            "params": [jsonable_params(p) for p in params],
            "columns": batch.columns,
            "resource": batch.resource,
            "ids": batch.ids,
            "scores": np.asarray(scores, dtype=float),
            "fits": [
                [_encode_fit(f) for f in fits[j * n_splits : (j + 1) * n_splits]]
                for j in range(len(batch))
            ],
            "state": state,
        }
        self.journal.append(record)
        self._next += 1
        self._fits = None


def _native(value):
    return value.item() if isinstance(value, np.generic) else value


def _encode_fit(fit: dict) -> dict:
    return {k: fit[k] for k in _FIT_KEYS if k in fit}


def _decode_fit(fit: dict) -> dict:
    out = dict(fit)
    for key in ("test_scores", "train_scores", "fit_time", "score_time"):
        if key in out:
            out[key] = decode_floats(out[key])
    return out
