"""Searches on a local Dask cluster: speed-up with workers, overhead against loky.

``python -m benchmarks.dask_cluster --out DIR`` writes ``DIR/dask_cluster.json``
(every timing, the machine's load) and prints the tables of
``docs/benchmarks.md``. Two measures:

speed-up
    Wall time of ``CoarseToFineSearchCV.fit`` (24 candidates in 3 rounds,
    3-fold: 72 fits) on a ``LocalCluster`` of 1 and of 2 worker processes of
    one thread each, with ``scatter=[X, y]`` and the replicas kept
    (``client.amm.stop()``). Three fit-dominated tasks: an SVC on digits
    (CPU-bound, about 0.1 s a fit here), fits that keep a core busy for
    ``--sleep`` seconds of CPU time (CPU-bound, of a known length; also
    timed with loky's ``n_jobs=1`` and ``n_jobs=2`` for comparison), and
    fits that sleep ``--sleep`` seconds (no CPU: what the Dask path itself
    allows when the cores are free).
overhead
    Very short fits (``FastClassifier``, no work): wall time of the same
    search with joblib's ``loky`` backend (``n_jobs=2``) and on the 2-worker
    cluster; the difference per fit is the Dask path's overhead.

Each time is the median of ``--repeats`` searches, after one warm-up search
on the same workers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from sk_hpsearch import CoarseToFineSearchCV, LogUniform

ROOT = Path(__file__).resolve().parents[1]
SVC_SPACE = {"C": LogUniform(1e-1, 1e3), "gamma": LogUniform(1e-4, 1e-2)}
FAKE_SPACE = {"alpha": LogUniform(1e-4, 1e2)}


class SleepClassifier(ClassifierMixin, BaseEstimator):
    """Its fit waits ``delay`` seconds; its score depends on ``alpha``."""

    def __init__(self, alpha=1.0, delay=0.0):
        self.alpha = alpha
        self.delay = delay

    def fit(self, X, y):
        time.sleep(self.delay)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y):
        return -abs(np.log10(self.alpha))


class SpinClassifier(SleepClassifier):
    """Its fit keeps one core busy for ``delay`` seconds of CPU time."""

    def fit(self, X, y):
        end = time.process_time() + self.delay
        while time.process_time() < end:
            pass
        self.classes_ = np.unique(y)
        return self


def _search(estimator, space, n_iter=24, n_rounds=3):
    return CoarseToFineSearchCV(
        estimator, space, n_iter=n_iter, n_rounds=n_rounds, cv=3, random_state=0
    )


def _time(fit, repeats: int) -> list[float]:
    fit()  # warm-up: imports and first transfers on the workers
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return times


def _cluster(n_workers: int):
    from distributed import LocalCluster

    env = {
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
        ),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
        env=env,
    )


def _on_cluster(n_workers: int, tasks: dict, repeats: int) -> dict:
    from distributed import Client

    times = {}
    with _cluster(n_workers) as cluster, Client(cluster) as client:
        client.amm.stop()  # keep the scattered replicas (see docs/cluster.rst)
        for name, (estimator, space, X, y) in tasks.items():

            def fit(estimator=estimator, space=space, X=X, y=y):
                with joblib.parallel_config(backend="dask", scatter=[X, y]):
                    _search(estimator, space).fit(X, y)

            times[name] = _time(fit, repeats)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sleep", type=float, default=0.25)
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X = X / 16
    quick_X, quick_y = X[:200], y[:200]
    tasks = {
        "svc_digits": (SVC(), SVC_SPACE, X, y),
        "sleep": (SleepClassifier(delay=args.sleep), FAKE_SPACE, quick_X, quick_y),
        "spin": (SpinClassifier(delay=args.sleep), FAKE_SPACE, quick_X, quick_y),
        "short_fits": (SleepClassifier(), FAKE_SPACE, quick_X, quick_y),
    }
    load = {"before": os.getloadavg()}
    dask_times = {n: _on_cluster(n, tasks, args.repeats) for n in (1, 2)}
    loky = _time(
        lambda: (
            _search(SleepClassifier(), FAKE_SPACE)
            .set_params(n_jobs=2)
            .fit(quick_X, quick_y)
        ),
        args.repeats,
    )
    spin = SpinClassifier(delay=args.sleep)
    loky_spin = {
        n_jobs: _time(
            lambda n_jobs=n_jobs: (
                _search(spin, FAKE_SPACE)
                .set_params(n_jobs=n_jobs)
                .fit(quick_X, quick_y)
            ),
            args.repeats,
        )
        for n_jobs in (1, 2)
    }
    load["after"] = os.getloadavg()
    record = {
        "cpus": os.cpu_count(),
        "load_average": load,
        "repeats": args.repeats,
        "sleep_s": args.sleep,
        "fits_per_search": 24 * 3,
        "dask_workers": {str(n): t for n, t in dask_times.items()},
        "loky_n_jobs_2_short_fits": loky,
        "loky_spin": {str(n): t for n, t in loky_spin.items()},
        "python": sys.version.split()[0],
        "versions": {
            name: __import__(name).__version__
            for name in ("joblib", "dask", "distributed", "sklearn")
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dask_cluster.json").write_text(json.dumps(record, indent=2) + "\n")

    med = {
        n: {k: statistics.median(v) for k, v in t.items()}
        for n, t in dask_times.items()
    }
    print("| task | 1 worker (s) | 2 workers (s) | speed-up |")
    print("|---|---|---|---|")
    for name in ("svc_digits", "spin", "sleep"):
        one, two = med[1][name], med[2][name]
        print(f"| {name} | {one:.2f} | {two:.2f} | {one / two:.2f} |")
    one, two = (statistics.median(loky_spin[n]) for n in (1, 2))
    print(f"| spin, loky n_jobs=1 / 2 | {one:.2f} | {two:.2f} | {one / two:.2f} |")
    fits = record["fits_per_search"]
    loky_s, dask_s = statistics.median(loky), med[2]["short_fits"]
    print()
    print("| backend (2 workers), 72 short fits | wall (s) | per fit (ms) |")
    print("|---|---|---|")
    print(f"| loky | {loky_s:.2f} | {1000 * loky_s / fits:.1f} |")
    print(f"| dask | {dask_s:.2f} | {1000 * dask_s / fits:.1f} |")
    print(f"\nload average before/after: {load['before']} / {load['after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
