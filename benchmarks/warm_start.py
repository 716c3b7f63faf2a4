"""Warm starts under drift, and the cost of a checkpoint: the measurements.

For each task and seed: a search on the *old* data (``random_state=seed``);
then, on the *new* data, a cold search and a search warm-started from the
old one (both ``random_state=seed + 1000``, same ``n_iter``). Reported: the
evaluations the warm search needs to reach the cold search's final best
score, and both final scores at equal evaluations, for GPBayesSearchCV and
CoarseToFineSearchCV.

Run::

    python -m benchmarks.warm_start run --task svc_digits_grow --seeds 10 \\
        --out bench_out/warm_svc.json
    python -m benchmarks.warm_start report bench_out/warm_*.json
    python -m benchmarks.warm_start checkpoint-cost
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import warnings

import numpy as np
from scipy.stats import uniform
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sk_hpsearch import (
    BayesianOptimizer,
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
    OneMinusLogUniform,
)

CV = StratifiedKFold(3, shuffle=True, random_state=0)


def svc_digits_grow():
    """SVC on digits: tuned on 500 samples, re-tuned once 1000 are there."""
    X, y = load_digits(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))[:1000]
    X, y = X[order] / 16.0, y[order]
    space = {"C": LogUniform(1e-2, 1e3), "gamma": LogUniform(1e-4, 1.0)}
    return SVC(), space, (X[:500], y[:500]), (X, y)


def sgd_cancer_shift():
    """Elastic-net SGD on breast cancer: tuned on small tumours, re-tuned on all."""
    X, y = load_breast_cancer(return_X_y=True)
    small = X[:, 0] < np.median(X[:, 0])  # mean radius: a covariate shift
    rng = np.random.RandomState(0)
    old = small | (rng.uniform(size=len(y)) < 0.2)
    estimator = make_pipeline(
        StandardScaler(),
        SGDClassifier(loss="log_loss", penalty="elasticnet", random_state=0),
    )
    space = {
        "sgdclassifier__alpha": LogUniform(1e-6, 1.0),
        "sgdclassifier__l1_ratio": uniform(0, 1),
        "sgdclassifier__class_weight": [None, "balanced"],
    }
    return estimator, space, (X[old], y[old]), (X, y)


def skorch_mlp_drift():
    """A skorch MLP on digits: re-tuned on other digits, brighter and noisier."""
    import torch

    from benchmarks.skorch_task import DigitsMLP
    from sk_hpsearch.skorch import NeuralNetClassifier

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    old, new = order[:240], order[240:480]
    noise = np.random.RandomState(1).normal(0, 0.15, size=(240, 64))
    X_new = np.clip(X[new] * 0.8 + 0.2 + noise, 0, 1.2).astype(np.float32)
    net = NeuralNetClassifier(
        DigitsMLP,
        optimizer=torch.optim.SGD,
        max_epochs=5,
        train_split=None,
        iterator_train__shuffle=True,
        random_state=0,
        verbose=0,
    )
    space = {
        "lr": LogUniform(1e-3, 0.5),
        "optimizer__momentum": OneMinusLogUniform(0.5, 0.999),
        "module__hidden_units": LogUniform(16, 128, integer=True),
    }
    return net, space, (X[old], y[old]), (X_new, y[new])


TASKS = {f.__name__: f for f in (svc_digits_grow, sgd_cancer_shift, skorch_mlp_drift)}
SEARCHES = {
    "GPBayesSearchCV": GPBayesSearchCV,
    "CoarseToFineSearchCV": CoarseToFineSearchCV,
}


def run(task: str, seeds: int, n_iter: int, out: str) -> None:
    estimator, space, (X_old, y_old), (X_new, y_new) = TASKS[task]()
    records = []
    for seed in range(seeds):
        for name, cls in SEARCHES.items():
            options = {"n_iter": n_iter, "cv": CV, "refit": False}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                old = cls(estimator, space, random_state=seed, **options)
                old.fit(X_old, y_old)
                cold = cls(estimator, space, random_state=seed + 1000, **options)
                cold.fit(X_new, y_new)
                warm = cls(
                    estimator,
                    space,
                    random_state=seed + 1000,
                    prior_results=old.cv_results_,
                    **options,
                )
                warm.fit(X_new, y_new)
            records.append(
                {
                    "task": task,
                    "search": name,
                    "seed": seed,
                    "cold": np.asarray(cold.cv_results_["mean_test_score"]).tolist(),
                    "warm": np.asarray(warm.cv_results_["mean_test_score"]).tolist(),
                    "rank_correlation": warm.prior_rank_correlation_,
                }
            )
            print(task, name, seed, flush=True)
            os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
            with open(out, "w") as f:  # after every seed: a partial run counts
                json.dump({"n_iter": n_iter, "records": records}, f)


def _running_best(scores) -> np.ndarray:
    s = np.asarray(scores, dtype=float)
    return np.maximum.accumulate(np.where(np.isfinite(s), s, -np.inf))


def report(paths: list[str]) -> None:
    print(
        "| task | search | seeds | n_iter | evals for warm to reach the cold "
        "final best: median (IQR) | seeds reaching it in <= n_iter/2 | never "
        "| final best, cold | final best, warm | warm - cold > 0 / = 0 / < 0 "
        "| rank corr. (median) |"
    )
    print("|" + "---|" * 11)
    for path in paths:
        data = json.load(open(path))
        n_iter = data["n_iter"]
        groups: dict = {}
        for r in data["records"]:
            groups.setdefault((r["task"], r["search"]), []).append(r)
        for (task, search), rows in groups.items():
            needed, never, cold_final, warm_final, diff = [], 0, [], [], []
            for r in rows:
                target = _running_best(r["cold"])[-1]
                warm_best = _running_best(r["warm"])
                reached = np.flatnonzero(warm_best >= target - 1e-12)
                if len(reached):
                    needed.append(int(reached[0]) + 1)
                else:
                    never += 1
                    needed.append(n_iter + 1)  # counted as beyond the budget
                cold_final.append(target)
                warm_final.append(warm_best[-1])
                diff.append(warm_best[-1] - target)
            needed = np.array(needed)
            diff = np.array(diff)
            q1, med, q3 = np.percentile(needed, [25, 50, 75])
            corr = [r["rank_correlation"] for r in rows]
            corr = [c for c in corr if c is not None and np.isfinite(c)]
            print(
                f"| {task} | {search} | {len(rows)} | {n_iter} "
                f"| {med:g} ({q1:g}-{q3:g}) "
                f"| {int((needed <= n_iter / 2).sum())}/{len(rows)} | {never} "
                f"| {np.mean(cold_final):.4f} ± {np.std(cold_final):.4f} "
                f"| {np.mean(warm_final):.4f} ± {np.std(warm_final):.4f} "
                f"| {(diff > 1e-12).sum()} / {(np.abs(diff) <= 1e-12).sum()} / "
                f"{(diff < -1e-12).sum()} "
                f"| {np.median(corr) if corr else float('nan'):.2f} |"
            )


def checkpoint_cost(n_iter: int = 40, repeats: int = 3) -> None:
    """Seconds per batch: the journal's append next to the optimiser's own ask."""
    space = {
        "a": LogUniform(1e-3, 1e3),
        "b": uniform(0, 1),
        "c": LogUniform(1, 100, integer=True),
        "d": ["x", "y", "z"],
    }

    def f(a, b, c, d):
        return -((np.log10(a) - 1) ** 2) - (b - 0.3) ** 2 - (d != "y")

    rows = []
    for checkpoint in (False, True):
        for rep in range(repeats):
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "opt.jsonl") if checkpoint else None
                opt = BayesianOptimizer(
                    space, n_iter=n_iter, random_state=rep, checkpoint=path
                )
                journal_seconds = []
                if checkpoint:
                    opt._started()
                    append = opt._journal.journal.append

                    def timed(record, append=append, seconds=journal_seconds):
                        t = time.perf_counter()
                        append(record)
                        seconds.append(time.perf_counter() - t)

                    opt._journal.journal.append = timed
                t = time.perf_counter()
                opt.maximize(f)
                total = time.perf_counter() - t
                rows.append((checkpoint, total, journal_seconds))
                if checkpoint:
                    t = time.perf_counter()
                    BayesianOptimizer(
                        space, n_iter=n_iter, random_state=rep, checkpoint=path
                    ).ask()
                    replay = time.perf_counter() - t
                    rows[-1] += (replay,)
    plain = np.mean([r[1] for r in rows if not r[0]])
    with_ck = [r for r in rows if r[0]]
    appends = np.concatenate([r[2] for r in with_ck])
    print(f"BayesianOptimizer, 4-D space, n_iter={n_iter}, {repeats} repeats")
    print(
        f"  optimiser overhead per batch (no checkpoint): {plain / n_iter * 1e3:.1f} ms"
    )
    print(
        f"  with checkpoint: {np.mean([r[1] for r in with_ck]) / n_iter * 1e3:.1f} ms "
        f"per batch, of which the journal append (write + fsync): "
        f"median {np.median(appends) * 1e3:.2f} ms, max {appends.max() * 1e3:.2f} ms"
    )
    print(
        f"  replaying the {n_iter}-batch journal (resume): "
        f"{np.mean([r[3] for r in with_ck]):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--task", choices=sorted(TASKS), required=True)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--n-iter", type=int, default=20)
    p.add_argument("--out", required=True)
    p = sub.add_parser("report")
    p.add_argument("paths", nargs="+")
    p = sub.add_parser("checkpoint-cost")
    p.add_argument("--n-iter", type=int, default=40)
    args = parser.parse_args()
    if args.command == "run":
        run(args.task, args.seeds, args.n_iter, args.out)
    elif args.command == "report":
        report(args.paths)
    else:
        checkpoint_cost(args.n_iter)


if __name__ == "__main__":
    main()
