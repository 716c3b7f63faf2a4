"""Batches lost with a Dask worker are fitted again; a lost scheduler is named.

Why a batch is lost (joblib 1.6, distributed 2026.8): joblib's Dask backend
sends each large argument of a ``Parallel`` call (``X``, ``y``) once per call,
with ``client.scatter(arg, hash=False)``, to *one* worker and without
replicas (``joblib/_dask.py``, ``DaskDistributedBackend._to_func_args``).
The scheduler can recompute a task's result, never data that the client
scattered: when every worker holding that data dies, it logs "Removing worker
... caused the cluster to lose scattered data, which can't be recovered",
forgets the key, and cancels every task of the call that depends on it. The
fits that were running on the dead worker and all those still to run come
back as ``FutureCancelledError: ... cancelled for reason: already
forgotten``, which ``Parallel`` raises; a scatter in flight to the dying
worker raises ``CommClosedError`` instead. scikit-learn's own searches die
the same way. Nothing of the batch has reached the search's results then
(``evaluate_candidates`` appends only after ``Parallel`` returns), so calling
it again with the same candidates scatters the data anew to the live workers
and gives the very results the undisturbed run would.

Data scattered up front with ``parallel_config(backend="dask", scatter=[X,
y])`` is broadcast to every worker and, while the scheduler's active memory
manager is stopped (``client.amm.stop()``), stays there: one lost worker then
loses no data, the scheduler reruns its tasks elsewhere and no batch is lost.

Upstream: not yet reported to joblib; the report's text is in
``docs/cluster.rst``. Re-check with every joblib release after 1.6:
``tests/test_dask.py::test_upstream_randomized_search_still_dies_with_killed_workers``
fails once joblib reruns such batches itself, and this module can then go.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import TypeVar

__all__ = ["ClusterLostError", "MAX_LOST_BATCH_RETRIES", "retry_lost_batches"]

#: How often one batch is fitted again after losing its data with a worker.
MAX_LOST_BATCH_RETRIES = 3

#: Seconds to wait for a live worker before fitting a lost batch again.
WAIT_FOR_WORKERS_S = 60.0

T = TypeVar("T")


class ClusterLostError(RuntimeError):
    """The connection to the Dask scheduler is lost: the search cannot go on."""


def _lost_on_cluster(exc: BaseException) -> bool:
    """Whether ``exc`` is distributed's report of work lost with a worker."""
    distributed = sys.modules.get("distributed")
    if distributed is None:  # without distributed imported, not a Dask loss
        return False
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError

    return isinstance(exc, FutureCancelledError | CommClosedError)


def _live_client():
    """The default Dask client if it is still connected, else None."""
    from distributed import get_client

    try:
        client = get_client()
    except ValueError:
        return None
    return client if client.status == "running" else None


def retry_lost_batches(
    evaluate: Callable[[], T],
    *,
    n_candidates: int,
    max_retries: int = MAX_LOST_BATCH_RETRIES,
) -> T:
    """``evaluate()``, called again while a Dask worker's death loses the batch.

    Parameters
    ----------
    evaluate : callable
        Fits and scores one batch (a call of ``evaluate_candidates``), and
        leaves nothing behind when it raises.
    n_candidates : int
        Candidates of the batch, for the messages.
    max_retries : int, default=MAX_LOST_BATCH_RETRIES
        Calls after the first, at most.

    Returns
    -------
    object
        What ``evaluate`` returned.

    Raises
    ------
    ClusterLostError
        If the client has lost the scheduler (the fits already running on the
        workers cannot be reached, nor their results collected).
    distributed.client.FutureCancelledError or CommClosedError
        If the batch was lost ``max_retries + 1`` times.
    """
    attempt = 0
    while True:
        try:
            return evaluate()
        except Exception as exc:
            if not _lost_on_cluster(exc):
                raise
            client = _live_client()
            if client is None or "scheduler-connection-lost" in str(exc):
                raise ClusterLostError(
                    "The connection to the Dask scheduler was lost while a batch "
                    f"of {n_candidates} candidates was being fitted: the search "
                    "cannot go on. The fits still running on the workers cannot "
                    "be cancelled from here, nor their results collected. Start a "
                    f"cluster and fit again. ({type(exc).__name__}: {exc})"
                ) from exc
            if attempt == max_retries:
                raise
            attempt += 1
            warnings.warn(
                f"A Dask worker was lost with the data of a batch of {n_candidates} "
                f"candidates ({type(exc).__name__}: {exc}); fitting the batch "
                f"again (retry {attempt} of {max_retries}).",
                RuntimeWarning,
                stacklevel=2,
            )
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
