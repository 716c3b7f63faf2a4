"""Command line of the benchmark: ``python -m benchmarks``.

Five studies ("stages"), run one search at a time:

``main``
    Every problem x method x seed at ``--n-iter`` evaluations, ``n_jobs=1``.
``overhead``
    The optimiser overhead on ``--overhead-problem`` at each of
    ``--overhead-sizes`` evaluations.
``parallel``
    ``n_jobs=1`` versus ``n_jobs=2`` wall time on ``--parallel-problem``.
``batch``
    ``GPBayesSearchCV`` with ``n_points=1`` versus ``n_points=8`` at equal
    evaluations on ``--batch-problems``.
``budget``
    Learning-curve budgets: on ``--budget-problems`` (problems with a
    resource, e.g. a skorch net's ``max_epochs``), our searches with and
    without a budget, and ``RandomizedSearchCV``, at ``--budget-n-iter``
    candidates; the records count the epochs (or trees) trained.
``suite``
    The real-task suite (:mod:`benchmarks.real_tasks`): every method on
    ``--suite-problems`` at each of ``--suite-budgets`` evaluations,
    ``--suite-seeds`` seeds; a method whose proposals do not depend on
    ``n_iter`` (``Method.anytime``) runs once, at the largest budget. The
    report normalises the scores as Bayesmark does.

Raw records go to ``OUT/results.jsonl`` (runs already there are reused, so an
interrupted run resumes), then ``OUT/report.md``, ``OUT/curves.png`` and
``OUT/environment.json`` are regenerated from all records in the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.environment import describe_environment
from benchmarks.methods import (
    BUDGET_METHODS,
    MAIN_METHODS,
    METHODS,
    missing_requirement,
)
from benchmarks.problems import PROBLEMS, load_plugins
from benchmarks.real_tasks import REAL_SUITE
from benchmarks.report import write_report
from benchmarks.runner import RunSpec, run_all

__all__ = ["build_parser", "main", "plan"]

#: First seed of the parallel study (distinct from the main study's seeds).
PARALLEL_SEED0 = 100

QUICK = {
    "problems": "branin,enet_diabetes",
    "seeds": 1,
    "real_seeds": 1,
    "n_iter": 6,
    "overhead_problem": "branin",
    "overhead_sizes": "3,6",
    "overhead_seeds": 1,
    "parallel_problem": "branin",
    "parallel_seeds": 1,
    "batch_problems": "branin",
    "batch_seeds": 1,
    "batch_n_iters": "6,12",
    "budget_problems": "hgb_cancer",
    "budget_seeds": 1,
    "budget_n_iter": 6,
}


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _ints(text: str) -> list[int]:
    return [int(t) for t in _names(text)]


def _caps(items: list[str]) -> dict[str, int]:
    caps = {}
    for item in items:
        name, _, number = item.partition("=")
        if name not in METHODS or not number.isdigit():
            raise argparse.ArgumentTypeError(f"bad --cap {item!r}: use METHOD=N")
        caps[name] = int(number)
    return caps


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m benchmarks``.

    Returns
    -------
    argparse.ArgumentParser
        The parser.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--problems",
        default=None,
        help="comma list (default: all but the real-task suite's)",
    )
    add(
        "--methods",
        default=",".join(dict.fromkeys(MAIN_METHODS + BUDGET_METHODS)),
        help="comma list (budgeted ones run only in the budget stage)",
    )
    add("--seeds", type=int, default=10, help="seeds for synthetic problems")
    add("--real-seeds", type=int, default=5, help="seeds for real tasks")
    add(
        "--cap",
        action="append",
        default=[],
        metavar="METHOD=N",
        help="at most N seeds for METHOD in every stage (for slow peers)",
    )
    add(
        "--real-cap",
        action="append",
        default=[],
        metavar="METHOD=N",
        help="at most N seeds for METHOD on real tasks (default: --cap)",
    )
    add("--n-iter", type=int, default=50, help="evaluations per search")
    add("--stages", default="main,overhead,parallel,batch,budget", help="comma list")
    add("--overhead-problem", default="hartmann6")
    add("--overhead-sizes", default="50,100,200")
    add("--overhead-seeds", type=int, default=1)
    add("--parallel-problem", default="svc_digits")
    add("--parallel-seeds", type=int, default=1)
    add("--batch-problems", default="hartmann6,mlp")
    add("--batch-seeds", type=int, default=5)
    add(
        "--batch-n-iters",
        default=None,
        help="comma list of evaluations per search (default: --n-iter)",
    )
    add(
        "--budget-problems",
        default=None,
        help="comma list (default: every problem with a resource)",
    )
    add("--budget-seeds", type=int, default=5)
    add("--budget-n-iter", type=int, default=27)
    add(
        "--suite-problems",
        default=None,
        help="comma list (default: every problem of the real-task suite)",
    )
    add("--suite-budgets", default="16,32,64", help="comma list of n_iter")
    add("--suite-seeds", type=int, default=5)
    add("--out", type=Path, default=Path("benchmarks/results"))
    add(
        "--processes",
        type=int,
        default=1,
        help="searches run at once, one per worker process (their times then "
        "share the cores: keep 1 where times are compared)",
    )
    add("--quick", action="store_true", help="a smoke run of a few seconds")
    add("--report-only", action="store_true", help="only rebuild the report")
    add(
        "--redo-stale",
        action="store_true",
        help="run again our methods' runs recorded with other sk_hpsearch sources",
    )
    return parser


def plan(args: argparse.Namespace, methods: list[str]) -> Iterator[RunSpec]:
    """Yield the runs of the requested stages, seeds in the outer loop.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed command line.
    methods : list of str
        Available methods (the budgeted ones run only in the budget stage).

    Yields
    ------
    RunSpec
        One search to run.
    """
    stages = _names(args.stages)
    budgeted = [m for m in methods if METHODS[m].budgeted]
    budget_study = [m for m in BUDGET_METHODS if m in methods]
    methods = [m for m in methods if m not in budgeted]
    caps = _caps(args.cap)
    real_caps = {**caps, **_caps(args.real_cap)}
    problems = (
        _names(args.problems)
        if args.problems
        else [p for p in PROBLEMS if p not in REAL_SUITE]
    )

    def seeds_of(method: str, n_seeds: int, problem: str = "") -> int:
        real = problem in PROBLEMS and PROBLEMS[problem].kind == "real"
        return min(n_seeds, (real_caps if real else caps).get(method, n_seeds))

    if "main" in stages:
        for seed in range(max(args.seeds, args.real_seeds)):
            for name in problems:
                n = (
                    args.seeds
                    if PROBLEMS[name].kind == "synthetic"
                    else args.real_seeds
                )
                for method in methods:
                    if seed < seeds_of(method, n, name):
                        yield RunSpec("main", name, method, seed, args.n_iter)
    if "overhead" in stages:
        for size in _ints(args.overhead_sizes):
            for seed in range(args.overhead_seeds):
                for method in methods:
                    if seed < seeds_of(
                        method, args.overhead_seeds, args.overhead_problem
                    ):
                        yield RunSpec(
                            "overhead", args.overhead_problem, method, seed, size
                        )
    if "parallel" in stages:
        # Seeds of their own, so that the n_jobs=1 and n_jobs=2 runs of a
        # method run back to back (under the same load on the machine).
        for seed in range(PARALLEL_SEED0, PARALLEL_SEED0 + args.parallel_seeds):
            for method in methods:
                n = seeds_of(method, args.parallel_seeds, args.parallel_problem)
                if seed - PARALLEL_SEED0 < n:
                    for n_jobs in (1, 2):
                        yield RunSpec(
                            "parallel",
                            args.parallel_problem,
                            method,
                            seed,
                            args.n_iter,
                            n_jobs,
                        )
    if "batch" in stages and "gp" in methods and METHODS["gp_q8"].is_available():
        n_iters = _ints(args.batch_n_iters) if args.batch_n_iters else [args.n_iter]
        for seed in range(args.batch_seeds):
            for name in _names(args.batch_problems):
                for n_iter in n_iters:
                    for method in ("gp", "gp_q8"):
                        yield RunSpec("batch", name, method, seed, n_iter)
    if "budget" in stages:
        names = (
            _names(args.budget_problems)
            if args.budget_problems is not None
            else [p for p in problems if PROBLEMS[p].resource is not None]
        )
        for seed in range(args.budget_seeds):
            for name in names:
                for method in budget_study:
                    if seed < seeds_of(method, args.budget_seeds, name):
                        yield RunSpec("budget", name, method, seed, args.budget_n_iter)
    if "suite" in stages:
        yield from _suite_plan(args, methods, seeds_of)


def _suite_plan(
    args: argparse.Namespace,
    methods: list[str],
    seeds_of: Callable[[str, int, str], int],
) -> Iterator[RunSpec]:
    """The runs of the real-task suite, seeds in the outer loop."""
    names = _names(args.suite_problems) if args.suite_problems else list(REAL_SUITE)
    budgets = sorted(_ints(args.suite_budgets))
    for seed in range(args.suite_seeds):
        for name in names:
            for method in methods:
                if seed >= seeds_of(method, args.suite_seeds, name):
                    continue
                for n_iter in budgets[-1:] if METHODS[method].anytime else budgets:
                    yield RunSpec("suite", name, method, seed, n_iter)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` if None).

    Returns
    -------
    int
        Exit status.
    """
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if args.quick:
        defaults = build_parser().parse_args([])
        for key, value in QUICK.items():
            if getattr(args, key) == getattr(defaults, key):
                setattr(args, key, value)
    load_plugins()
    requested = _names(args.methods)
    unknown = [m for m in requested if m not in METHODS] + [
        p
        for p in _names(args.problems or "")
        + _names(args.budget_problems or "")
        + _names(args.suite_problems or "")
        if p not in PROBLEMS
    ]
    if unknown:
        print(f"unknown methods or problems: {unknown}", file=sys.stderr)
        return 2
    if args.processes < 1:
        print(f"--processes must be at least 1, got {args.processes}", file=sys.stderr)
        return 2
    skipped = {m: missing_requirement(METHODS[m]) for m in requested}
    skipped = {m: why for m, why in skipped.items() if why is not None}
    for method, why in skipped.items():
        print(f"skipping {method}: cannot import {why}", file=sys.stderr)
    methods = [m for m in requested if m not in skipped]
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    env_path = out / "environment.json"
    if not args.report_only:
        environment = describe_environment(argv)
        previous = json.loads(env_path.read_text()) if env_path.exists() else {}
        invocation = {k: environment[k] for k in ("date", "command")}
        invocation["sk_hpsearch_source_sha256"] = environment[
            "sk_hpsearch_source_sha256"
        ]
        environment["invocations"] = [*previous.get("invocations", []), invocation]
        environment["skipped_methods"] = skipped
        environment["settings"] = {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
        }
        env_path.write_text(json.dumps(environment, indent=2) + "\n")
        run_all(
            plan(args, methods),
            out,
            redo_stale=args.redo_stale,
            processes=args.processes,
        )
    write_report(out)
    print(f"wrote {out / 'report.md'}", file=sys.stderr)
    return 0
