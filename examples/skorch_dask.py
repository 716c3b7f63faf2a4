"""Tune the skorch MLP of ``skorch_mlp.py`` on a Dask cluster, one worker per GPU.
================================================================================

Where this machine has CUDA GPUs, the script starts one single-threaded Dask
worker per GPU, each with ``CUDA_VISIBLE_DEVICES`` set to its GPU and the
resource ``GPU=1`` (what dask-cuda's ``LocalCUDACluster`` does); the nets
ask for ``device="auto"``, so every fit trains on the GPU of the worker that
runs it, and ``resources={"GPU": 1}`` keeps one net per GPU. Without GPUs it
starts two CPU workers, and the same code runs. ``--scheduler ADDRESS`` uses
a running cluster instead (start its workers as ``docs/cluster.rst`` shows).

``X`` and ``y`` are scattered once to every worker; ``GPBayesSearchCV``
proposes enough candidates per step to fill the workers (``n_points="auto"``).

Run with ``python examples/skorch_dask.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import cloudpickle
import joblib
import torch
from distributed import Client, LocalCluster, Nanny, Scheduler, SpecCluster

from sk_hpsearch import GPBayesSearchCV

sys.path.insert(0, str(Path(__file__).resolve().parent))
import skorch_mlp

# The workers need the module's MLP class, and may not have this folder.
cloudpickle.register_pickle_by_value(skorch_mlp)


def gpu_cluster(n_gpus: int) -> SpecCluster:
    """One worker per GPU, each seeing only its GPU (as ``cuda:0``)."""
    workers = {
        f"gpu-{gpu}": {
            "cls": Nanny,
            "options": {
                "nthreads": 1,
                "env": {"CUDA_VISIBLE_DEVICES": str(gpu)},
                "resources": {"GPU": 1},
            },
        }
        for gpu in range(n_gpus)
    }
    scheduler = {"cls": Scheduler, "options": {"dashboard_address": ":0"}}
    return SpecCluster(workers=workers, scheduler=scheduler)


def start_cluster(n_cpu_workers: int):
    """A GPU cluster where there are GPUs, else CPU workers; and its config."""
    n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n_gpus:
        return gpu_cluster(n_gpus), {"resources": {"GPU": 1}}
    cluster = LocalCluster(
        n_workers=n_cpu_workers,
        threads_per_worker=1,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    return cluster, {}


def run(client: Client, args, config: dict) -> GPBayesSearchCV:
    """The search, its fits on the cluster."""
    X, X_test, y, y_test = skorch_mlp.load_data(args.seed)
    net = skorch_mlp.make_net(args.max_epochs, "auto", args.seed)
    search = GPBayesSearchCV(
        net,
        skorch_mlp.SPACE,
        n_iter=args.n_iter,
        n_points="auto",
        cv=3,
        random_state=args.seed,
    )
    client.amm.stop()  # keep the scattered copies on every worker
    where = client.run(lambda: os.environ.get("CUDA_VISIBLE_DEVICES", "cpu"))
    print(f"workers (CUDA_VISIBLE_DEVICES): {sorted(where.values())}")
    start = time.perf_counter()
    with joblib.parallel_config(backend="dask", scatter=[X, y], **config):
        search.fit(X, y)
    wall = time.perf_counter() - start
    print(
        f"{len(search.cv_results_['params'])} candidates in {wall:.1f} s; "
        f"best CV accuracy {search.best_score_:.4f}, "
        f"held-out {search.score(X_test, y_test):.4f}; "
        f"best {search.best_params_}"
    )
    return search


def main(argv: list[str] | None = None) -> GPBayesSearchCV:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running scheduler")
    parser.add_argument("--workers", type=int, default=2, help="CPU workers")
    parser.add_argument("--n-iter", type=int, default=16, help="candidates")
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.scheduler:
        with Client(args.scheduler) as client:
            workers = client.scheduler_info()["workers"].values()
            gpu = all(w.get("resources", {}).get("GPU") for w in workers)
            config = {"resources": {"GPU": 1}} if gpu else {}
            return run(client, args, config)
    cluster, config = start_cluster(args.workers)
    with cluster, Client(cluster) as client:
        return run(client, args, config)


if __name__ == "__main__":
    main()
