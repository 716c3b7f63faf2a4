"""Batches judged by rounds and by wall-clock: parallel modes side by side.

Every method runs an ask/tell loop on a synthetic test function (the loss is
known, so the regret ``f - f_min`` is exact), asking a whole batch, then
telling all its losses, as ``q`` parallel workers would when evaluations take
equally long:

``gp_q1`` / ``gp_q8``
    :class:`~sk_hpsearch.BayesianOptimizer`, ``ask(1)`` or ``ask(8)``: the
    batches of ``GPBayesSearchCV(n_points=1 | 8)``.
``gp_auto``
    The same with ``n_points="auto"``'s batch for 8 workers and 5-fold CV,
    ``ceil(8 / 5) = 2`` candidates.
``optuna_tpe_8`` / ``optuna_gp_8``
    Optuna's ``TPESampler`` / ``GPSampler`` (default options), 8 trials asked
    before any is told: what ``OptunaSearchCV(n_jobs=8)`` does when its 8
    threads' trials take equally long (each sampler sees the others as
    running trials).
``skopt_8``
    scikit-optimize's ``Optimizer`` as ``BayesSearchCV`` builds it, asked
    ``n_points=8`` at a time (its constant liar).

Three clocks: evaluations; rounds (batches); and waves of fits on 8 workers
with 5-fold CV, a wall-clock proxy (a batch of ``q`` candidates is ``5 q``
fits, ``ceil(5 q / 8)`` waves: ``q=1`` leaves 3 workers idle).

Run::

    python -m benchmarks.batches run --out benchmarks/results/batches.jsonl \\
        --problems hartmann6,levy10,mlp,adam --seeds 3 --n-iter 128
    python -m benchmarks.batches report benchmarks/results/batches.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.methods import optuna_space, ours_space, skopt_space
from benchmarks.runner import _pin_torch_threads, _sk_hpsearch_digest
from benchmarks.synthetic import FUNCTIONS

WORKERS, SPLITS = 8, 5


def _ours(space, n_iter, seed):
    from sk_hpsearch import BayesianOptimizer

    opt = BayesianOptimizer(ours_space(space), n_iter=n_iter, random_state=seed)

    def tell(params, losses):
        opt.tell(params, [-v for v in losses])

    return opt.ask, tell


def _optuna(sampler: str) -> Callable:
    def make(space, n_iter, seed):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler_cls = getattr(optuna.samplers, sampler)
        study = optuna.create_study(sampler=sampler_cls(seed=seed))
        dists = optuna_space(space)
        trials = []

        def ask(n):
            trials[:] = [study.ask(dists) for _ in range(n)]
            return [t.params for t in trials]

        def tell(params, losses):
            for trial, loss in zip(trials, losses, strict=True):
                study.tell(trial, loss)

        return ask, tell

    return make


def _skopt(space, n_iter, seed):
    from skopt import Optimizer

    dims = skopt_space(space)
    names = list(dims)
    opt = Optimizer(list(dims.values()), random_state=seed)

    def ask(n):
        return [dict(zip(names, x, strict=True)) for x in opt.ask(n_points=n)]

    def tell(params, losses):
        opt.tell([[p[n] for n in names] for p in params], list(losses))

    return ask, tell


METHODS = {
    "gp_q1": (1, _ours),
    "gp_q8": (8, _ours),
    "gp_auto": (math.ceil(WORKERS / SPLITS), _ours),
    "optuna_tpe_8": (8, _optuna("TPESampler")),
    "optuna_gp_8": (8, _optuna("GPSampler")),
    "skopt_8": (8, _skopt),
}
"""Each method's batch size and its ``make(space, n_iter, seed) -> (ask, tell)``."""


def run_one(problem: str, method: str, seed: int, n_iter: int) -> dict:
    """One ask/tell loop; the loss of every evaluation in order, and the time.

    BLAS, OpenMP and torch run on one thread (torch's from the first ask on,
    as a sampler may import it lazily): ``cpu_s`` sums the process's threads,
    so each optimiser's CPU time is that of one core whatever the
    environment's thread settings.
    """
    function = FUNCTIONS[problem]
    q, make = METHODS[method]
    ask, tell = make(function.space, n_iter, seed)
    losses, rounds = [], []
    start = time.process_time()
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while len(losses) < n_iter:
            _pin_torch_threads()
            params = ask(min(q, n_iter - len(losses)))
            if not params:
                break
            batch = [float(function.f(p)) for p in params]
            _pin_torch_threads()
            tell(params, batch)
            losses += batch
            rounds.append(len(batch))
    return {
        "problem": problem,
        "method": method,
        "seed": seed,
        "n_iter": n_iter,
        "regret": [v - function.f_min for v in losses],
        "batch_sizes": rounds,
        "cpu_s": time.process_time() - start,
        "sources_digest": _sk_hpsearch_digest(),
    }


def run(out: Path, problems: list[str], methods: list[str], seeds: int, n_iter: int):
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["problem"], r["method"], r["seed"], r["n_iter"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    for seed in range(seeds):
        for problem in problems:
            for method in methods:
                if (problem, method, seed, n_iter) in done:
                    continue
                record = run_one(problem, method, seed, n_iter)
                with out.open("a") as f:
                    f.write(json.dumps(record) + "\n")
                print(problem, method, seed, f"{record['cpu_s']:.1f} s", flush=True)


def _best_after(record: dict, clock: str, t: int) -> float:
    """Running-best regret after ``t`` units of ``clock``."""
    regret = np.minimum.accumulate(record["regret"])
    if clock == "evaluations":
        n = t
    else:
        sizes = record["batch_sizes"]
        cost = [
            1 if clock == "rounds" else math.ceil(SPLITS * q / WORKERS) for q in sizes
        ]
        n = int(
            sum(
                q for q, spent in zip(sizes, np.cumsum(cost), strict=True) if spent <= t
            )
        )
    return float(regret[min(n, len(regret)) - 1]) if n else math.inf


def report(path: Path, points: dict[str, list[int]] | None = None) -> None:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    points = points or {
        "evaluations": [32, 64, 100, 128],
        "rounds": [4, 8, 12, 16],
        "waves": [10, 20, 40, 80],
    }
    problems = sorted({r["problem"] for r in records})
    methods = [m for m in METHODS if any(r["method"] == m for r in records)]
    print(f"sources digest(s): {sorted({r['sources_digest'] for r in records})}")
    for clock, ts in points.items():
        print(f"\n#### Median regret at equal {clock} (seeds in brackets)\n")
        print("| problem | " + " | ".join(f"{clock[:-1]} {t}" for t in ts) + " |")
        print("|---|" + "---|" * len(ts))
        for problem in problems:
            for method in methods:
                rows = [
                    r
                    for r in records
                    if r["problem"] == problem and r["method"] == method
                ]
                if not rows:
                    continue
                cells = []
                for t in ts:
                    values = [_best_after(r, clock, t) for r in rows]
                    cells.append(f"{np.median(values):.3g}")
                print(
                    f"| {problem} {method} ({len(rows)}) | " + " | ".join(cells) + " |"
                )
    print("\n#### Optimiser CPU seconds per candidate (median)\n")
    for method in methods:
        per = [r["cpu_s"] / len(r["regret"]) for r in records if r["method"] == method]
        print(f"- {method}: {np.median(per):.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--problems", default="hartmann6,levy10,mlp,adam")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--n-iter", type=int, default=128)
    p = sub.add_parser("report")
    p.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(
            args.out,
            args.problems.split(","),
            args.methods.split(","),
            args.seeds,
            args.n_iter,
        )
    else:
        report(args.path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
