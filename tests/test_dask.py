"""Both searches on a real ``dask.distributed`` cluster, through joblib's backend.

Each cluster is started and stopped here: two worker processes of one thread
each (local processes, talking TCP on 127.0.0.1). The module's tests run in
one pytest-xdist group, so the suite starts these clusters once.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import runpy
import signal
import threading
import time
import warnings
from collections import Counter
from pathlib import Path

import joblib
import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV, ShuffleSplit

from sk_hpsearch import (
    ClusterLostError,
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
    load_checkpoint,
)
from sk_hpsearch.search import _cluster
from sk_hpsearch.search._cluster import retry_lost_batches

from ._cluster_fakes import (
    DeviceProbe,
    LoggedFitClassifier,
    SlowClassifier,
    WorkerKillingClassifier,
    fake_cuda_devices,
    logged_fits,
)
from ._fakes import BudgetClassifier, classification_data

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
from distributed import (  # noqa: E402
    Client,
    LocalCluster,
    Nanny,
    Scheduler,
    SpecCluster,
    get_task_stream,
)
from distributed.client import FutureCancelledError  # noqa: E402

pytestmark = pytest.mark.xdist_group("dask-cluster")

ROOT = Path(__file__).resolve().parents[1]
# Workers import the tests' estimators (pickled by reference) and this
# checkout of sk_hpsearch; one BLAS thread each, as the cores are few.
WORKER_ENV = {
    "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
    ),
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
SEARCHES = [CoarseToFineSearchCV, GPBayesSearchCV]
SPACE = {
    "alpha": LogUniform(1e-4, 1e2),
    "beta": stats.uniform(0, 1),
    "kind": list("abc"),
}
# Timings differ from run to run; every other column must be identical.
TIMES = {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"}


# A LocalCluster closes the nanny of a worker that has not come back within
# distributed.deploy.lost-worker-timeout (15 s by default) of its death, for
# good. A worker that a nanny restarts took 12 s and more to come back on a
# busy 2-core CI machine (tests run in parallel there): the tests that kill
# workers give it longer, as the user guide advises.
LOST_WORKER_TIMEOUT = "300s"


@pytest.fixture(scope="module", autouse=True)
def restarts_may_be_slow():
    with dask.config.set(
        {"distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT}
    ):
        yield


def local_cluster(
    n_workers: int = 2, env: dict | None = None, **kwargs
) -> LocalCluster:
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
        env=WORKER_ENV | (env or {}),
        **kwargs,
    )


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as cluster:
        yield cluster


@pytest.fixture
def client(cluster):
    with Client(cluster) as client:
        client.wait_for_workers(2, timeout=120)
        yield client


@pytest.fixture
def replicas_kept(client):
    """Stop the active memory manager, which drops broadcast replicas.

    Its ReduceReplicas policy keeps one copy of data that no queued task
    needs; the scheduler then runs every fit on the worker that holds it.
    """
    client.amm.stop()
    yield client
    client.amm.start()


def dask_fit(search, X, y, **config):
    with joblib.parallel_config(backend="dask", **config):
        return search.fit(X, y)


def assert_same_results(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    assert got["params"] == expected["params"]
    for key in expected.keys() - TIMES - {"params"}:
        np.testing.assert_array_equal(
            np.ma.getdata(got[key]), np.ma.getdata(expected[key]), err_msg=key
        )
        np.testing.assert_array_equal(
            np.ma.getmaskarray(got[key]), np.ma.getmaskarray(expected[key])
        )


def make_search(cls, budget: bool, estimator=None, **kwargs):
    kwargs.setdefault("n_iter", 8)
    kwargs.setdefault("cv", 2)
    kwargs.setdefault("random_state", 0)
    if cls is GPBayesSearchCV:
        kwargs.setdefault("n_points", 2)
        kwargs.setdefault("n_initial_points", 4)
    if budget:
        kwargs.update(resource="n_steps", max_resources=27, min_resources=3)
        return cls(estimator or BudgetClassifier(), SPACE, **kwargs)
    if estimator is None:
        return cls(LogisticRegression(), {"C": LogUniform(1e-3, 1e2)}, **kwargs)
    return cls(estimator, SPACE, **kwargs)


@pytest.mark.parametrize("budget", [False, True], ids=["plain", "budget"])
@pytest.mark.parametrize("cls", SEARCHES)
def test_same_cv_results_as_n_jobs_1(client, cls, budget):
    X, y = classification_data(120)
    expected = make_search(cls, budget, n_jobs=1).fit(X, y).cv_results_
    with get_task_stream(client) as tasks:
        search = dask_fit(make_search(cls, budget), X, y)
    assert_same_results(search.cv_results_, expected)
    fits = [t for t in tasks.data if "fit_and_score" in t["key"]]
    assert fits, "no fit ran on the cluster"
    best = int(np.argmin(expected["rank_test_score"]))
    assert search.best_params_ == expected["params"][best]


def test_n_points_auto_fills_the_workers(client, replicas_kept):
    X, y = classification_data(120)
    cv = ShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
    search = GPBayesSearchCV(
        SlowClassifier(delay=0.4),
        SPACE,
        n_iter=7,
        n_initial_points=3,
        n_points="auto",
        cv=cv,
        random_state=0,
    )
    with get_task_stream(client) as tasks:
        dask_fit(search, X, y, scatter=[X, y])
    steps = Counter(search.cv_results_["step"])
    # One split: ceil(2 threads / 1 split) = 2 candidates per step after the
    # initial design, whose 3 points are one batch.
    assert sorted(steps.values()) == [2, 2, 3]
    fits = [t for t in tasks.data if "fit_and_score" in t["key"]]
    assert {t["worker"] for t in fits} == set(client.scheduler_info()["workers"])
    computes = [
        next(ss for ss in t["startstops"] if ss["action"] == "compute") for t in fits
    ]  # a task's first span may be a transfer of its data, not the fit
    spans = [
        (t["worker"], ss["start"], ss["stop"])
        for t, ss in zip(fits, computes, strict=True)
    ]

    def overlap(a, b):
        return min(a[2], b[2]) - max(a[1], b[1])

    # The scheduler maps each worker's clock onto its own with an offset it
    # keeps re-estimating, so back-to-back fits may seem to overlap by a few
    # milliseconds; the fits sleep 0.4 s.
    pairs = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1 :]]
    assert any(a[0] != b[0] and overlap(a, b) > 0.2 for a, b in pairs), (
        "the two fits of a step did not run at the same time"
    )
    assert all(overlap(a, b) < 0.05 for a, b in pairs if a[0] == b[0]), (
        "two fits ran at once on a single-thread worker"
    )
    n_jobs_1 = GPBayesSearchCV(
        SlowClassifier(delay=0),
        SPACE,
        n_iter=5,
        n_initial_points=3,
        n_points="auto",
        cv=cv,
        n_jobs=1,
        random_state=0,
    ).fit(X, y)
    assert sorted(Counter(n_jobs_1.cv_results_["step"]).values()) == [1, 1, 3]


def count_scatters(client, monkeypatch) -> list:
    """Record ``(number of objects, broadcast)`` for every ``client.scatter``."""
    calls = []
    scatter = client.scatter

    def spy(data, *args, **kwargs):
        n = len(data) if isinstance(data, list | tuple) else 1
        calls.append((n, bool(kwargs.get("broadcast", False))))
        return scatter(data, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", spy)
    return calls


def test_scatter_sends_the_data_once_per_search(client, replicas_kept, monkeypatch):
    X, y = classification_data(200)  # X and y over joblib's 1 kB threshold
    calls = count_scatters(client, monkeypatch)

    def search(n_iter, batches):
        return GPBayesSearchCV(
            SlowClassifier(delay=0),
            SPACE,
            n_iter=n_iter,
            n_initial_points=3,
            cv=2,
            random_state=0,
            callbacks=lambda state: batches.append(1),
        )

    # Without scatter=: joblib sends X and y again for every batch.
    batches: list = []
    dask_fit(search(6, batches), X, y)
    assert len(batches) == 4
    assert calls == [(1, False)] * 2 * len(batches)

    # With scatter=[X, y]: sent once, to every worker, however many batches.
    for n_iter in (4, 7):
        calls.clear()
        batches = []
        with joblib.parallel_config(backend="dask", scatter=[X, y]):
            search(n_iter, batches).fit(X, y)
            held = client.has_what()
        assert len(batches) == n_iter - 2
        assert calls == [(2, True)]
        for keys in held.values():
            assert sum(k.startswith("ndarray-") for k in keys) == 2


def test_search_results_do_not_depend_on_scatter(client):
    X, y = classification_data(200)
    runs = [
        dask_fit(make_search(GPBayesSearchCV, budget=False), X, y, **config)
        for config in ({}, {"scatter": [X, y]})
    ]
    assert_same_results(runs[1].cv_results_, runs[0].cv_results_)


# --- checkpoints ----------------------------------------------------------------


def journal_batches(path) -> list[dict]:
    """The batch records of a checkpoint journal (JSON lines, header first)."""
    lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
    assert lines[0]["kind"] == "header"
    return [line for line in lines[1:] if line["kind"] == "batch"]


def journaled_candidates(path) -> Counter:
    """How often the journal holds each candidate (at each budget)."""
    return Counter(
        (json.dumps(params, sort_keys=True), batch.get("resource"))
        for batch in journal_batches(path)
        for params in batch["params"]
    )


@pytest.mark.parametrize("budget", [False, True], ids=["plain", "budget"])
@pytest.mark.parametrize("cls", SEARCHES)
def test_checkpointed_search_on_the_cluster_equals_n_jobs_1(
    client, cls, budget, tmp_path
):
    X, y = classification_data(120)
    expected = make_search(cls, budget, n_jobs=1).fit(X, y).cv_results_
    path = tmp_path / "search.jsonl"
    search = dask_fit(make_search(cls, budget, checkpoint=path), X, y)
    assert_same_results(search.cv_results_, expected)
    journaled = journaled_candidates(path)
    assert set(journaled.values()) == {1}
    assert sum(journaled.values()) == len(expected["params"])
    # the journal written through the cluster replays: nothing is fitted again
    again = dask_fit(make_search(cls, budget, checkpoint=path), X, y)
    assert again.n_resumed_ == len(expected["params"])
    assert_same_results(again.cv_results_, expected)


@pytest.mark.parametrize("cls", SEARCHES)
def test_killed_workers_with_a_checkpoint_journal_each_candidate_once(
    client, cls, tmp_path
):
    X, y = classification_data(200)
    expected = undisturbed_results(cls, X, y)
    path = tmp_path / "search.jsonl"
    search = killing_search(cls, tmp_path, client, kill_at=7, checkpoint=path)
    with pytest.warns(RuntimeWarning, match="Dask worker was lost"):
        dask_fit(search, X, y)
    assert_same_results(search.cv_results_, expected)
    journaled = journaled_candidates(path)
    assert set(journaled.values()) == {1}, "a candidate was journaled twice"
    assert sum(journaled.values()) == len(expected["params"])
    assert load_checkpoint(path)["params"] == expected["params"]


def test_lost_scheduler_keeps_the_checkpoint_and_a_new_cluster_resumes(tmp_path):
    X, y = classification_data(200)
    path = tmp_path / "search.jsonl"
    log, reference_log = tmp_path / "fits.log", tmp_path / "reference.log"

    def search(log, delay, **kwargs):
        estimator = LoggedFitClassifier(delay=delay, log=str(log))
        return make_search(GPBayesSearchCV, False, estimator=estimator, **kwargs)

    # n_iter=8: a batch of 4 initial points, then two steps of n_points=2
    expected = search(reference_log, 0.0, n_jobs=1).fit(X, y).cv_results_
    _, reference_fits = logged_fits(reference_log)
    k = 2  # batches completed when the scheduler is lost

    def close_scheduler_in_batch_k():
        while True:
            try:
                batches = journal_batches(path) if path.exists() else []
            except (json.JSONDecodeError, IndexError):  # a line being written
                batches = []
            journaled = sum(len(params) for b in batches for params in b["fits"])
            if len(batches) >= k and logged_fits(log)[0] > journaled:
                break  # the fits of batch k are running
            threading.Event().wait(0.05)
        cluster.sync(cluster.scheduler.close)

    with dask.config.set({"distributed.comm.timeouts.connect": "3s"}):
        with local_cluster() as cluster, Client(cluster):
            closer = threading.Thread(target=close_scheduler_in_batch_k, daemon=True)
            closer.start()
            with pytest.raises(ClusterLostError, match=re.escape(repr(str(path)))):
                dask_fit(search(log, 0.5, checkpoint=path), X, y)
            closer.join()

    # the journal holds the k batches completed, readable as results
    batches = journal_batches(path)
    assert [b["batch"] for b in batches] == list(range(k))
    n_rows = sum(len(b["params"]) for b in batches)
    assert load_checkpoint(path)["params"] == expected["params"][:n_rows]
    n_journaled_fits = sum(len(params) for b in batches for params in b["fits"])

    _, fits_before = logged_fits(log)
    with local_cluster() as cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=120)
        resumed = dask_fit(search(log, 0.5, checkpoint=path), X, y)
    _, fits_after = logged_fits(log)
    assert_same_results(resumed.cv_results_, expected)
    assert resumed.n_resumed_ == n_rows
    # the resume ran every fit the journal lacks, and none that it holds
    resumed_fits = fits_after[len(fits_before) :]
    assert Counter(resumed_fits) == Counter(reference_fits[n_journaled_fits:])


# --- faults -------------------------------------------------------------------


def worker_pids(client) -> list[int]:
    return sorted(client.run(os.getpid).values())


def killing_search(cls, tmp_path, client, kill_at, pids=None, **kwargs):
    """A search whose ``kill_at``-th fit kills ``pids`` (default: every worker)."""
    path = tmp_path / "pids"
    path.write_text(" ".join(str(p) for p in pids or worker_pids(client)))
    estimator = WorkerKillingClassifier(
        kill_at=kill_at, pids=str(path), counter=str(tmp_path / "fits")
    )
    budget = cls is CoarseToFineSearchCV
    return make_search(cls, budget=budget, estimator=estimator, **kwargs)


def undisturbed_results(cls, X, y) -> dict:
    """``cv_results_`` of :func:`killing_search`'s search, run with ``n_jobs=1``."""
    budget = cls is CoarseToFineSearchCV
    search = make_search(cls, budget, estimator=BudgetClassifier(), n_jobs=1)
    return search.fit(X, y).cv_results_


@pytest.mark.parametrize("cls", SEARCHES)
def test_killed_workers_lose_no_candidate(client, cls, tmp_path):
    X, y = classification_data(200)
    expected = undisturbed_results(cls, X, y)
    search = killing_search(cls, tmp_path, client, kill_at=7)
    with pytest.warns(RuntimeWarning, match="Dask worker was lost"):
        dask_fit(search, X, y)
    assert_same_results(search.cv_results_, expected)
    assert len(search.cv_results_["params"]) == len(expected["params"])


def test_a_non_default_client_gets_its_lost_batches_refitted(cluster, tmp_path):
    """The retry asks the client that joblib's backend uses, not the default."""
    X, y = classification_data(200)
    expected = undisturbed_results(GPBayesSearchCV, X, y)
    with Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=120)
        with pytest.raises(ValueError, match="No global client"):
            distributed.get_client()
        search = killing_search(GPBayesSearchCV, tmp_path, client, kill_at=7)
        with pytest.warns(RuntimeWarning, match="Dask worker was lost"):
            dask_fit(search, X, y, client=client)
    assert_same_results(search.cv_results_, expected)


def test_the_only_worker_killed_is_restarted_and_the_search_finishes(tmp_path):
    X, y = classification_data(200)
    expected = undisturbed_results(CoarseToFineSearchCV, X, y)
    with local_cluster(n_workers=1) as cluster, Client(cluster) as client:
        client.wait_for_workers(1, timeout=120)
        before = worker_pids(client)
        search = killing_search(CoarseToFineSearchCV, tmp_path, client, kill_at=7)
        # the batch may be lost with the worker's data (then fitted again, with
        # a warning), or rerun by the scheduler on the restarted worker
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "A Dask worker was lost")
            dask_fit(search, X, y)
        after = worker_pids(client)
    assert len(after) == 1 and after != before, "the worker was not restarted"
    assert_same_results(search.cv_results_, expected)


def scheduler_workers(client) -> int:
    return len(client.scheduler_info()["workers"])


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize(
    "lost_worker_timeout, comes_back", [("1s", False), (LOST_WORKER_TIMEOUT, True)]
)
def test_a_worker_restarted_later_than_the_lost_worker_timeout_is_gone_for_good(
    tmp_path, lost_worker_timeout, comes_back
):
    """Pins the cause of the lost workers that ``LOST_WORKER_TIMEOUT`` prevents.

    The nanny restarts a killed worker that takes 4 s to start: a cluster
    that waits 1 s for it closes the nanny (the worker being started may
    register for a moment before the closed nanny's kill reaches it; no
    worker stays), one that waits ``LOST_WORKER_TIMEOUT`` gets it back.
    """
    slow = tmp_path / "slow-start"
    env = {"SK_HPSEARCH_SLOW_START": str(slow)}
    config = {"distributed.deploy.lost-worker-timeout": lost_worker_timeout}
    with (
        dask.config.set(config),
        local_cluster(1, env=env, preload=["tests._slow_start"]) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(1, timeout=120)
        # the cluster acts on the worker's removal only once it knows the worker
        assert wait_until(lambda: len(cluster.scheduler_info["workers"]) == 1, 30)
        [pid] = worker_pids(client)
        slow.write_text("4")
        os.kill(pid, signal.SIGKILL)
        assert wait_until(lambda: scheduler_workers(client) == 0, timeout=30)
        if comes_back:
            assert wait_until(lambda: scheduler_workers(client) == 1, timeout=60)
            assert list(cluster.workers) == [0]
            assert worker_pids(client) != [pid]
        else:
            assert wait_until(lambda: not cluster.workers, timeout=30)
            time.sleep(10)  # longer than the restarted worker takes to start
            assert scheduler_workers(client) == 0


def test_broadcast_data_survives_a_killed_worker(client, replicas_kept, tmp_path):
    """The user guide's ``scatter=[X, y]`` with ``client.amm.stop()``: no retry."""
    X, y = classification_data(200)
    expected = undisturbed_results(GPBayesSearchCV, X, y)
    victim = worker_pids(client)[0]
    search = killing_search(GPBayesSearchCV, tmp_path, client, kill_at=5, pids=[victim])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dask_fit(search, X, y, scatter=[X, y])
    retried = [w for w in caught if "Dask worker was lost" in str(w.message)]
    assert not retried, "a batch was lost although its data had replicas"
    assert victim not in worker_pids(client), "the worker was not killed"
    assert_same_results(search.cv_results_, expected)


def test_upstream_randomized_search_still_dies_with_killed_workers(client, tmp_path):
    """Pins the joblib/distributed behaviour that ``_cluster.py`` works around.

    When this fails, joblib's Dask backend reruns the lost batch itself
    (re-check with every joblib release after 1.6): the retry can then go.
    """
    X, y = classification_data(200)
    search = killing_search(CoarseToFineSearchCV, tmp_path, client, kill_at=3)
    sk_search = RandomizedSearchCV(
        search.estimator, SPACE, n_iter=4, cv=2, random_state=0
    )
    with pytest.raises(FutureCancelledError, match="already forgotten"):
        dask_fit(sk_search, X, y)


def test_a_batch_lost_too_often_raises(client):
    calls = []

    def lost():
        calls.append(1)
        raise FutureCancelledError("batch-x", "already forgotten")

    with pytest.warns(RuntimeWarning, match=r"retry [12] of 2"):
        with pytest.raises(FutureCancelledError, match="already forgotten"):
            retry_lost_batches(lost, n_candidates=3, max_retries=2)
    assert len(calls) == 3


def test_a_retry_that_finds_no_worker_waits_and_retries(client):
    """A restarted worker may come later than joblib's 10 s wait: retry again."""
    no_worker = TimeoutError("DaskDistributedBackend has no worker after 10 seconds")
    outcomes = [FutureCancelledError("batch-x", "already forgotten"), no_worker]

    def flaky():
        if outcomes:
            raise outcomes.pop(0)
        return "fitted"

    with pytest.warns(RuntimeWarning) as caught:
        assert retry_lost_batches(flaky, n_candidates=3) == "fitted"
    messages = [str(w.message) for w in caught]
    assert "A Dask worker was lost" in messages[0]
    assert "No Dask worker was up to fit again" in messages[1]
    # on a first call, joblib's own error stands: nothing was lost
    outcomes = [no_worker]
    with pytest.raises(TimeoutError, match="has no worker"):
        retry_lost_batches(flaky, n_candidates=3)


def test_a_lost_batch_with_no_worker_left_is_a_clear_error(monkeypatch):
    """No worker back within the wait: the error names the lost-worker timeout."""
    monkeypatch.setattr(_cluster, "WAIT_FOR_WORKERS_S", 0.5)
    calls = []

    def lost():
        calls.append(1)
        raise FutureCancelledError("batch-x", "already forgotten")

    config = {"distributed.deploy.lost-worker-timeout": "7s"}
    with (
        dask.config.set(config),
        local_cluster(0) as cluster,
        Client(cluster),
        pytest.warns(RuntimeWarning, match="A Dask worker was lost"),
        pytest.raises(ClusterLostError) as caught,
    ):
        retry_lost_batches(lost, n_candidates=3)
    message = str(caught.value)
    assert "A batch of 3 candidates was lost with a Dask worker" in message
    assert "no worker came back within 0.5 s" in message
    assert "distributed.deploy.lost-worker-timeout (now 7s)" in message
    assert "already forgotten" in message
    assert isinstance(caught.value.__cause__, FutureCancelledError)
    assert len(calls) == 1


def test_other_errors_are_not_retried():
    calls = []

    def failing():
        calls.append(1)
        raise ValueError("not a cluster problem")

    with pytest.raises(ValueError, match="not a cluster problem"):
        retry_lost_batches(failing, n_candidates=1)
    assert len(calls) == 1


def test_lost_scheduler_is_a_clear_error(tmp_path):
    X, y = classification_data(200)
    started = tmp_path / "started"
    search = GPBayesSearchCV(
        SlowClassifier(delay=2.0, started=str(started)),
        SPACE,
        n_iter=8,
        cv=2,
        random_state=0,
    )
    with dask.config.set({"distributed.comm.timeouts.connect": "3s"}):
        with local_cluster() as cluster, Client(cluster):

            def close_scheduler():
                while not started.exists():
                    threading.Event().wait(0.05)
                cluster.sync(cluster.scheduler.close)

            closer = threading.Thread(target=close_scheduler, daemon=True)
            closer.start()
            with pytest.raises(ClusterLostError, match="connection to the Dask sch"):
                dask_fit(search, X, y)
            closer.join()


# --- GPUs -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def gpu_cluster():
    """Two workers, as one per GPU on a 2-GPU machine: each sees one GPU.

    Each worker has ``CUDA_VISIBLE_DEVICES`` set to its GPU, as dask-cuda's
    ``LocalCUDACluster`` does, two threads and the resource ``GPU=1``; torch
    is told (in the workers only) that the visible devices exist.
    """
    pytest.importorskip("skorch")
    workers = {
        f"gpu-{gpu}": {
            "cls": Nanny,
            "options": {
                "nthreads": 2,
                "env": {**WORKER_ENV, "CUDA_VISIBLE_DEVICES": str(gpu)},
                "resources": {"GPU": 1},
                "silence_logs": logging.CRITICAL,
            },
        }
        for gpu in (0, 1)
    }
    scheduler = {"cls": Scheduler, "options": {"dashboard_address": ":0"}}
    with SpecCluster(workers=workers, scheduler=scheduler) as cluster:
        with Client(cluster) as client:
            client.wait_for_workers(2, timeout=120)
            client.run(fake_cuda_devices)
        yield cluster


def probe_fits(gpu_cluster, tmp_path, device, **config):
    log = tmp_path / "fits.jsonl"
    search = GPBayesSearchCV(
        DeviceProbe(device=device, log=str(log), delay=0.3),
        SPACE,
        n_iter=10,
        n_initial_points=4,
        n_points="auto",
        cv=2,
        refit=False,  # a refit runs in this process, not on a worker
        random_state=0,
    )
    with Client(gpu_cluster):
        dask_fit(search, *classification_data(60), **config)
    return [json.loads(line) for line in log.read_text().splitlines()]


def gpu_of(fit) -> str:
    """The physical GPU of a fit: its device's index among the visible ones."""
    visible = fit["visible"].split(",")
    index = 0 if fit["device"] == "cuda" else int(fit["device"].split(":")[1])
    assert index < len(visible), f"{fit['device']} is not visible to its worker"
    return visible[index]


@pytest.mark.parametrize("device", ["auto", "round-robin"])
def test_one_net_per_gpu_on_a_cluster(gpu_cluster, tmp_path, device):
    fits = probe_fits(gpu_cluster, tmp_path, device, resources={"GPU": 1})
    assert len(fits) == 2 * 10
    assert all(f["device"] in ("cuda", "cuda:0") for f in fits)
    by_gpu: dict = {}
    for fit in fits:
        by_gpu.setdefault(gpu_of(fit), []).append((fit["start"], fit["end"]))
    assert set(by_gpu) == {"0", "1"}, "a GPU was left idle"
    for gpu, spans in by_gpu.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"two nets trained at once on GPU {gpu}"


def test_threads_sharing_a_gpu_still_fit_on_their_worker_gpu(gpu_cluster, tmp_path):
    fits = probe_fits(gpu_cluster, tmp_path, "round-robin")
    assert len(fits) == 2 * 10
    assert {gpu_of(fit) for fit in fits} == {"0", "1"}


def test_skorch_example_runs_on_the_cluster(cluster, capsys):
    pytest.importorskip("skorch")
    example = ROOT / "examples" / "skorch_dask.py"
    main = runpy.run_path(str(example), run_name="skorch_dask")["main"]
    argv = ["--scheduler", cluster.scheduler_address, "--n-iter", "3"]
    search = main([*argv, "--max-epochs", "1"])
    assert len(search.cv_results_["params"]) == 3
    out = capsys.readouterr().out
    assert "workers (CUDA_VISIBLE_DEVICES): ['cpu', 'cpu']" in out
    assert "best CV accuracy" in out
