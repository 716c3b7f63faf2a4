"""Run problem x method x seed searches and append their raw records.

Each run builds a fresh estimator and search, fits it under
``threadpool_limits(1)`` (BLAS and OpenMP pinned to one thread, and torch's
intra-op threads too when torch is loaded) with warnings silenced, and appends
one JSON line to the results file as soon as it finishes, so a long run can be
interrupted and resumed: runs whose key ``(problem, method, seed, n_iter,
n_jobs)`` already has an error-free record are not run again. Runs may go to
several worker processes at once (``run_all(processes=...)``); each record is
still appended as soon as its run finishes.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
import warnings
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.environment import source_digest
from benchmarks.measures import (
    best_so_far,
    extract_evaluations,
    full_budget_values,
    problem_values,
    resources_used,
)
from benchmarks.methods import METHODS, Method
from benchmarks.problems import PROBLEMS, Problem, load_plugins

__all__ = ["RunSpec", "load_records", "run_all", "run_one"]

RESULTS_FILE = "results.jsonl"


@dataclass(frozen=True)
class RunSpec:
    """One search to run.

    Parameters
    ----------
    stage : str
        Which study it belongs to (``main``, ``overhead``, ``parallel``,
        ``batch``, ``budget``, ``suite``).
    problem : str
        Problem name.
    method : str
        Method name.
    seed : int
        ``random_state`` of the search (and sampler seed for Optuna).
    n_iter : int
        Number of candidates.
    n_jobs : int, default=1
        Parallel workers of the search.
    """

    stage: str
    problem: str
    method: str
    seed: int
    n_iter: int
    n_jobs: int = 1

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        """What identifies a run across stages (stage excluded, for reuse)."""
        return (self.problem, self.method, self.seed, self.n_iter, self.n_jobs)


def _json_floats(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


_DIGEST: list[str] = []


def _sk_hpsearch_digest() -> str:
    """Digest of the sk_hpsearch sources this process imported (computed once)."""
    if not _DIGEST:
        _DIGEST.append(source_digest("sk_hpsearch"))
    return _DIGEST[0]


def _pin_torch_threads() -> None:
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


_DATA_CACHE: dict[str, tuple[Any, Any]] = {}


def _data(problem: Problem) -> tuple[Any, Any]:
    if problem.name not in _DATA_CACHE:
        _DATA_CACHE[problem.name] = problem.load_data()
    return _DATA_CACHE[problem.name]


_WARMED: set[tuple[str, int]] = set()


def _warm_up_workers(problem: Problem, n_jobs: int) -> None:
    """Start joblib's worker processes (and their imports) before timing.

    The first parallel call of a process pays for spawning the workers and
    importing scikit-learn in them; every method would otherwise be charged
    or spared that at random.
    """
    if n_jobs == 1 or (problem.name, n_jobs) in _WARMED:
        return
    from sklearn.model_selection import cross_val_score

    X, y = _data(problem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cross_val_score(
            problem.make_estimator(),
            X,
            y,
            cv=problem.cv,
            scoring=problem.scoring,
            n_jobs=n_jobs,
        )
    _WARMED.add((problem.name, n_jobs))


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Run one search and return its raw record.

    Parameters
    ----------
    spec : RunSpec
        What to run.

    Returns
    -------
    dict
        JSON-serialisable record: the spec, ``n_evals``, ``wall_time``,
        ``cpu_time`` (of this process: robust to other load on the machine
        when ``n_jobs=1``), ``cv_time``, ``refit_time``, ``overhead``,
        per-evaluation ``values`` (regret or CV score, None for failures),
        ``final`` and ``half`` best-so-far values (of full-budget fits only,
        for budgeted searches), ``final_sem`` (the standard error of the
        final CV score over folds), ``best_params``, ``n_fits`` (rows of
        ``cv_results_``; ``n_evals`` counts candidates), for problems with
        a resource ``resources`` and ``resources_full`` (budget units
        trained, and what training every candidate fully would take), and
        ``error`` (None, or the exception when the search raised).
    """
    problem, method = PROBLEMS[spec.problem], METHODS[spec.method]
    record: dict[str, Any] = {
        "stage": spec.stage,
        "problem": spec.problem,
        "kind": problem.kind,
        "goal": problem.goal,
        "method": spec.method,
        "ours": method.ours,
        "options": method.options,
        "seed": spec.seed,
        "n_iter": spec.n_iter,
        "n_jobs": spec.n_jobs,
        "error": None,
    }
    if method.ours:
        record["sk_hpsearch_sha256"] = _sk_hpsearch_digest()
    X, y = _data(problem)
    _warm_up_workers(problem, spec.n_jobs)
    try:
        search = method.build(
            problem.make_estimator(),
            problem.space,
            n_iter=spec.n_iter,
            cv=problem.cv,
            seed=spec.seed,
            n_jobs=spec.n_jobs,
            **_budget_options(problem, method),
            **({"scoring": problem.scoring} if problem.scoring else {}),
        )
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _pin_torch_threads()
            start, start_cpu = time.perf_counter(), time.process_time()
            search.fit(X, y)
            wall = time.perf_counter() - start
            cpu = time.process_time() - start_cpu
    except Exception as exc:  # a crashing search is a result to report
        record["error"] = "".join(traceback.format_exception_only(exc)).strip()
        record["traceback"] = traceback.format_exc(limit=8)
        return record
    evaluations = extract_evaluations(search)
    values = problem_values(problem, evaluations)
    judged = full_budget_values(values, evaluations, problem.goal)
    curve = best_so_far(judged, problem.goal)
    order = np.argsort(judged) if problem.goal == "min" else np.argsort(-judged)
    if len(values) and evaluations.score_std is not None:
        # The CV standard error of the best evaluation: the noise of "final".
        best_std = evaluations.score_std[order[0]]
        record["final_sem"] = float(best_std / np.sqrt(evaluations.n_splits))
    if problem.resource is not None:
        used, everything_full = resources_used(evaluations, problem.resource[1])
        record.update(resources=used, resources_full=everything_full)
    record.update(
        n_evals=evaluations.n_candidates,
        n_fits=len(values),
        wall_time=wall,
        cpu_time=cpu,
        cv_time=evaluations.cv_time,
        refit_time=evaluations.refit_time,
        overhead=wall - evaluations.cv_time - evaluations.refit_time,
        values=_json_floats(values),
        final=_json_floats(curve[-1:])[0] if curve.size else None,
        half=_json_floats(curve[spec.n_iter // 2 - 1 : spec.n_iter // 2])[0]
        if curve.size >= spec.n_iter // 2 > 0
        else None,
        best_params={k: _plain(v) for k, v in evaluations.params[order[0]].items()}
        if len(values)
        else None,
    )
    return record


def _budget_options(problem: Problem, method: Method) -> dict[str, Any]:
    """The ``resource`` and ``max_resources`` a budgeted method needs."""
    if not method.budgeted:
        return {}
    if problem.resource is None:
        raise ValueError(
            f"method {method.name!r} needs a problem with a resource; "
            f"{problem.name!r} has none"
        )
    name, full = problem.resource
    return {"resource": name, "max_resources": full}


def _plain(value: Any) -> Any:
    """Return a JSON-friendly version of a parameter value."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_records(path: Path) -> list[dict[str, Any]]:
    """Read the raw records of a results file (empty list if absent).

    Parameters
    ----------
    path : Path
        The JSON-lines file.

    Returns
    -------
    list of dict
        One record per run, in file order.
    """
    if not path.exists():
        return []
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_all(
    specs: Iterable[RunSpec],
    out_dir: Path,
    *,
    redo_stale: bool = False,
    log: Any = sys.stderr,
    processes: int = 1,
) -> list[dict[str, Any]]:
    """Run ``specs``, appending each record to the results file as it finishes.

    Parameters
    ----------
    specs : iterable of RunSpec
        The runs, in order. Runs with an error-free record already in the file
        are skipped (and their stage is not rewritten).
    out_dir : Path
        Directory of ``results.jsonl``.
    redo_stale : bool, default=False
        Also run again the runs of our methods recorded with other
        sk_hpsearch sources than the ones imported now (the report keeps the
        last record of each run).
    log : file-like, default=sys.stderr
        Where one progress line per run is printed.
    processes : int, default=1
        Runs at once, each in a worker process of its own (which imports the
        problem plugins first). Above 1 the records are appended in the
        order the runs finish, and the runs share the machine's cores, so
        their wall times (and overheads) are those of a loaded machine; the
        scores do not depend on it.

    Returns
    -------
    list of dict
        The records produced by this call, in the order they were appended.
    """
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RESULTS_FILE
    current = _sk_hpsearch_digest() if redo_stale else None
    done = {
        (r["problem"], r["method"], r["seed"], r["n_iter"], r["n_jobs"])
        for r in load_records(path)
        if r["error"] is None
        and not (redo_stale and r["ours"] and r.get("sk_hpsearch_sha256") != current)
    }
    todo = []
    for spec in specs:
        if spec.key not in done:
            todo.append(spec)
            done.add(spec.key)
    produced: list[dict[str, Any]] = []

    def append(spec: RunSpec, record: dict[str, Any]) -> None:
        with path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        produced.append(record)
        _log_run(spec, record, log)

    if processes == 1:
        for spec in todo:
            append(spec, run_one(spec))
        return produced
    with ProcessPoolExecutor(processes, initializer=load_plugins) as pool:
        futures = {pool.submit(run_one, spec): spec for spec in todo}
        try:
            for future in as_completed(futures):
                append(futures[future], future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return produced


def _log_run(spec: RunSpec, record: dict[str, Any], log: Any) -> None:
    """Print one progress line for a finished run."""
    status = record["error"] or (
        f"final={record['final']:.4g} wall={record['wall_time']:.2f}s "
        f"overhead={record['overhead']:.2f}s n_evals={record['n_evals']}"
        if record["final"] is not None
        else "no finite value"
    )
    print(
        f"[{spec.stage}] {spec.problem} {spec.method} seed={spec.seed} "
        f"n_iter={spec.n_iter} n_jobs={spec.n_jobs}: {status}",
        file=log,
        flush=True,
    )
