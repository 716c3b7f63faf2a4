"""A time box's end: ``GPBayesSearchCV(max_time=...)`` against one that knows its end.

Each run is a ``GPBayesSearchCV`` on a synthetic test function (the regret
``f - f_min`` is exact) whose estimator sleeps ``--fit-seconds`` in every
fit, so that candidates take real time, boxed by ``--max-time`` seconds with
an ``n_iter`` it cannot reach. ``--n-iter-from FILE`` runs instead, for each
problem and seed, a search with ``n_iter`` the number of candidates that
FILE's run evaluated and no box: the same search knowing where it ends.
Sources run side by side (each from its own checkout, ``PYTHONPATH``) share
the machine's load, so their runs hold about the same number of candidates.

Run::

    python -m benchmarks.time_box run --out F --tag current \\
        --problems hartmann6,mlp,adam,branin --seeds 10 --max-time 10
    python -m benchmarks.time_box run --out F --tag known --n-iter-from F
    python -m benchmarks.time_box report F
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.methods import METHODS
from benchmarks.problems import PROBLEMS
from benchmarks.runner import _data, _sk_hpsearch_digest
from benchmarks.synthetic import FUNCTIONS


def _sleeping(estimator: Any, seconds: float) -> Any:
    """``estimator`` of a class whose ``fit`` first sleeps ``seconds``."""
    base = type(estimator)

    def fit(self, X, y=None):
        time.sleep(seconds)
        return base.fit(self, X, y)

    cls = type(f"Sleeping{base.__name__}", (base,), {"fit": fit})
    return cls(**estimator.get_params())


def run_one(
    problem: str,
    seed: int,
    *,
    max_time: float | None,
    fit_seconds: float,
    n_iter: int = 10_000,
) -> dict[str, Any]:
    """One search; its regret after every candidate, candidates and times.

    Parameters
    ----------
    problem : str
        A synthetic problem of :data:`benchmarks.problems.PROBLEMS`.
    seed : int
    max_time : float or None
        The box in seconds; None runs ``n_iter`` candidates.
    fit_seconds : float
        Sleep of every fit (``cv`` fits a candidate).
    n_iter : int, default=10000
    """
    spec = PROBLEMS[problem]
    estimator = _sleeping(spec.make_estimator(), fit_seconds)
    X, y = _data(spec)
    search = METHODS["gp"].build(
        estimator, spec.space, n_iter=n_iter, cv=spec.cv, seed=seed, n_jobs=1
    )
    search.set_params(max_time=max_time)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        search.fit(X, y)
        wall = time.perf_counter() - start
    function = FUNCTIONS[problem]
    regret = [function.regret(p) for p in search.cv_results_["params"]]
    return {
        "problem": problem,
        "seed": seed,
        "max_time": max_time,
        "fit_seconds": fit_seconds,
        "n_iter": n_iter,
        "n": len(regret),
        "wall": wall,
        "stop": search.stop_reason_,
        "final": float(np.min(regret)),
        "regret": regret,
        "sources_digest": _sk_hpsearch_digest(),
    }


def run(
    out: Path,
    tag: str,
    jobs: list[tuple[str, int, int | None]],
    *,
    max_time: float,
    fit_seconds: float,
) -> None:
    """Run ``(problem, seed, n_iter)`` jobs (``n_iter`` None: the box), one
    JSON line each."""
    with out.open("a") as f:
        for problem, seed, n_iter in jobs:
            if n_iter is None:
                result = run_one(
                    problem, seed, max_time=max_time, fit_seconds=fit_seconds
                )
            else:
                result = run_one(
                    problem, seed, max_time=None, fit_seconds=fit_seconds, n_iter=n_iter
                )
            f.write(json.dumps({"tag": tag, **result}) + "\n")
            f.flush()
            print(tag, problem, seed, result["n"], f"{result['final']:.3g}")


def report(path: Path) -> None:
    """Per problem and tag: median regret and candidates; paired log10 ratio
    of each tag's regret to the first tag's, mean ± standard error."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    tags = list(dict.fromkeys(r["tag"] for r in records))
    by = {(r["tag"], r["problem"], r["seed"]): r for r in records}
    print("| problem | " + " | ".join(tags) + " |")
    print("|---|" + "---|" * len(tags))
    for problem in dict.fromkeys(r["problem"] for r in records):
        cells = []
        for tag in tags:
            seeds = [s for t, p, s in by if t == tag and p == problem]
            final = [by[tag, problem, s]["final"] for s in seeds]
            n = [by[tag, problem, s]["n"] for s in seeds]
            cell = f"{np.median(final):.3g} ({np.median(n):.0f})"
            shared = [s for s in seeds if (tags[0], problem, s) in by]
            if tag != tags[0] and len(shared) > 1:
                d = np.log10(
                    [
                        max(by[tag, problem, s]["final"], 1e-300)
                        / max(by[tags[0], problem, s]["final"], 1e-300)
                        for s in shared
                    ]
                )
                se = d.std(ddof=1) / np.sqrt(len(d))
                cell += f", {d.mean():+.2f} ± {se:.2f}"
            cells.append(cell)
        print(f"| {problem} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--problems", default="hartmann6,mlp,adam,branin")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--max-time", type=float, default=10.0)
    p.add_argument("--fit-seconds", type=float, default=0.02)
    p.add_argument("--n-iter-from", type=Path, default=None)
    p = sub.add_parser("report")
    p.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.command == "report":
        report(args.path)
        return 0
    if args.n_iter_from is None:
        jobs = [
            (problem, seed, None)
            for seed in range(args.seeds)
            for problem in args.problems.split(",")
        ]
    else:
        done = [json.loads(line) for line in args.n_iter_from.read_text().splitlines()]
        first = done[0]["tag"]
        jobs = [(r["problem"], r["seed"], r["n"]) for r in done if r["tag"] == first]
    run(args.out, args.tag, jobs, max_time=args.max_time, fit_seconds=args.fit_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
