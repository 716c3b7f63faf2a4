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

The client asked is the one joblib's backend submits to: the one given as
``parallel_config(backend="dask", client=...)``, else the default client.

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
import time
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
    """The Dask cluster was lost in the middle of a search.

    Raised by ``fit`` of a search running under joblib's ``dask`` backend
    when its client can no longer reach the scheduler: the batch in flight
    cannot be collected, and the fits still running on the workers cannot be
    cancelled from the client. A batch lost with a *worker* is fitted again
    instead (up to 3 times), and raises nothing, unless no worker is left:
    when none comes back within 60 s to fit it again, this error is raised
    too, and its message names the setting that makes a ``LocalCluster``
    close restarted workers (``distributed.deploy.lost-worker-timeout``).

    The message names the search's checkpoint journal, if it has one: every
    batch completed before the loss is in it, and fitting the same search
    with the same ``checkpoint`` on a new cluster resumes from there,
    without refitting them.

    See Also
    --------
    CheckpointMismatchError : A checkpoint that does not match the search.

    Examples
    --------
    >>> from sk_hpsearch import ClusterLostError
    >>> issubclass(ClusterLostError, RuntimeError)
    True
    """


def _lost_on_cluster(exc: BaseException) -> bool:
    """Whether ``exc`` is distributed's report of work lost with a worker."""
    distributed = sys.modules.get("distributed")
    if distributed is None:  # without distributed imported, not a Dask loss
        return False
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError

    return isinstance(exc, FutureCancelledError | CommClosedError)


def _backend_client():
    """The Dask client that joblib's active backend submits to, else None.

    ``parallel_config(backend="dask", client=...)`` (or ``scheduler_host=``)
    gives joblib's ``DaskDistributedBackend`` a client of its own, stored as
    its ``client`` attribute (``joblib/_dask.py``, joblib 1.6), that need not
    be the default one; ``get_active_backend`` is how scikit-learn's own
    tests read the active backend. Re-check both names with every joblib
    release after 1.6 (``tests/test_dask.py::test_a_non_default_client_...``).
    """
    from joblib.parallel import get_active_backend

    try:
        backend, _ = get_active_backend()
    except Exception:  # pragma: no cover - a joblib that changed
        return None
    client = getattr(backend, "client", None)
    distributed = sys.modules.get("distributed")
    if distributed is None or not isinstance(client, distributed.Client):
        return None
    return client


def _no_worker(exc: BaseException) -> bool:
    """Whether ``exc`` is joblib's report that the cluster has no worker.

    joblib's Dask backend raises it from ``effective_n_jobs``, before it
    submits a batch, when no worker came within its
    ``wait_for_workers_timeout`` (``joblib/_dask.py``, joblib 1.6: a
    ``TimeoutError`` whose message starts "DaskDistributedBackend has no
    worker"). Re-check the message with every joblib release after 1.6.
    """
    return isinstance(exc, TimeoutError) and "has no worker" in str(exc)


def _live_client():
    """The Dask client of the search, if it is still connected, else None.

    The client of joblib's active ``dask`` backend, else the default one.
    """
    from distributed import get_client

    client = _backend_client()
    if client is None:
        try:
            client = get_client()
        except ValueError:
            return None
    return client if client.status == "running" else None


def _wait_for_a_worker(client, timeout: float) -> bool:
    """Wait until the scheduler has a worker; whether one came within ``timeout``.

    It asks the scheduler itself (``client.ncores()``), as joblib's backend
    does before it submits a batch (and gives up after its 10 s
    ``wait_for_workers_timeout`` when there is none). With a ``LocalCluster``,
    ``client.wait_for_workers`` reads the cluster object's copy of the
    scheduler's state instead: on a loaded machine, where a restarted worker
    took 12 s to come back, it was seen to return while the scheduler had no
    worker (the retry then failed in joblib's wait), and once to time out
    after 60 s.
    """
    deadline = time.monotonic() + timeout
    while not sum(client.ncores().values()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


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
        workers cannot be reached, nor their results collected), or if no
        worker came back within ``WAIT_FOR_WORKERS_S`` to fit a lost batch
        again (the message names the setting that closes restarted workers).
    distributed.client.FutureCancelledError or CommClosedError
        If the batch was lost ``max_retries + 1`` times.
    """
    attempt = 0
    while True:
        try:
            return evaluate()
        except Exception as exc:
            # a batch fitted again may find no worker up yet: joblib then
            # gives up before it submits anything, so waiting longer is safe
            no_worker = attempt > 0 and _no_worker(exc)
            if not (_lost_on_cluster(exc) or no_worker):
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
            what = (
                f"No Dask worker was up to fit again a batch of {n_candidates} "
                "candidates lost with a worker"
                if no_worker
                else f"A Dask worker was lost with the data of a batch of "
                f"{n_candidates} candidates"
            )
            warnings.warn(
                f"{what} ({type(exc).__name__}: {exc}); fitting the batch again "
                f"(retry {attempt} of {max_retries}).",
                RuntimeWarning,
                stacklevel=2,
            )
            if not _wait_for_a_worker(client, WAIT_FOR_WORKERS_S):
                raise ClusterLostError(_no_worker_message(n_candidates, exc)) from exc


def _no_worker_message(n_candidates: int, exc: BaseException) -> str:
    """Why a lost batch cannot be fitted again: no worker came back."""
    import dask

    timeout = dask.config.get("distributed.deploy.lost-worker-timeout", "15s")
    return (
        f"A batch of {n_candidates} candidates was lost with a Dask worker, and "
        f"no worker came back within {WAIT_FOR_WORKERS_S:g} s to fit it again: "
        "the cluster has no worker left. A LocalCluster (any SpecCluster) "
        "closes for good the nanny of a worker that is not back within "
        "distributed.deploy.lost-worker-timeout (now "
        f"{timeout}): raise it before starting the cluster (dask.config.set("
        '{"distributed.deploy.lost-worker-timeout": "300s"})), or add '
        f"workers, and fit again. ({type(exc).__name__}: {exc})"
    )
