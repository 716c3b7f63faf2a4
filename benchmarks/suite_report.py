"""The real-task suite's report: Bayesmark's normalised score and mean ranks.

Notation, for one problem of the suite:

``best``
    The best CV score seen by any method, any seed, any budget.
``median``
    The median CV score of a random candidate, estimated from every
    candidate of every ``RandomizedSearchCV`` run of the problem (a failed
    fit counts as the worst score).
``score(run, k)``
    The best CV score among the first ``k`` evaluations of a run (a method
    that is ``anytime`` is read off its run at the largest budget; any other
    method has a run of its own at each budget).

The normalised score of a run at budget ``k`` is ``100 * (score(run, k) -
median) / (best - median)``: 100 is the best seen on the problem, 0 the
median random candidate, below 0 worse than that. A method's score at ``k``
is its mean over problems and seeds; its standard error is the seed-to-seed
one, of the per-seed means over problems. Its rank at ``k`` is the mean over
(problem, seed) cells of its rank among the methods that have every cell
(1 = best, ties share the mean rank).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
from scipy.stats import rankdata

from benchmarks.methods import METHODS

__all__ = [
    "SuiteScores",
    "normalised_score",
    "random_median",
    "suite_scores",
    "suite_section",
]

Record = dict[str, Any]


def _values(record: Record) -> np.ndarray:
    """Per-evaluation CV scores of a run, failures as ``-inf``."""
    return np.array(
        [-np.inf if v is None else v for v in record["values"]], dtype=float
    )


def random_median(records: list[Record]) -> float:
    """Return the median CV score of the random candidates of ``records``.

    Parameters
    ----------
    records : list of dict
        Runs of one problem; only ``RandomizedSearchCV``'s (``"random"``)
        are read, each at its largest ``n_iter`` per seed.

    Returns
    -------
    float
        The median over their candidates (NaN without random runs).
    """
    largest: dict[int, Record] = {}
    for r in records:
        if r["method"] == "random" and r["n_iter"] >= largest.get(
            r["seed"], {"n_iter": -1}
        ).get("n_iter"):
            largest[r["seed"]] = r
    values = [_values(r) for r in largest.values()]
    return float(np.median(np.concatenate(values))) if values else math.nan


def normalised_score(score: float, best: float, median: float) -> float:
    """Return ``100 * (score - median) / (best - median)``.

    Parameters
    ----------
    score : float
        A run's best CV score.
    best : float
        The best CV score seen on the problem.
    median : float
        The median random candidate's CV score.

    Returns
    -------
    float
        100 at ``best``, 0 at ``median``; NaN when ``best <= median`` (a
        problem on which half the random candidates are optimal separates
        nothing).

    Examples
    --------
    >>> normalised_score(0.9, best=0.95, median=0.75)
    75.0
    """
    if not best > median:
        return math.nan
    return 100.0 * (score - median) / (best - median)


class SuiteScores:
    """Normalised scores of the suite's runs, by method, budget, problem, seed.

    Parameters
    ----------
    records : list of dict
        Error-free records of the ``suite`` stage.
    budgets : list of int
        The budgets to score (every ``n_iter`` run, by default in the
        records).

    Attributes
    ----------
    budgets : list of int
        The budgets scored.
    problems : list of str
        The problems with a random-search estimate of the median.
    best, median : dict of str to float
        ``best`` and ``median`` of each problem.
    scores : dict
        ``scores[method][budget][(problem, seed)]``: the normalised score.
    raw : dict
        The same keys: the best CV score.
    """

    def __init__(self, records: list[Record], budgets: list[int]) -> None:
        self.budgets = budgets
        by_problem: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            by_problem[r["problem"]].append(r)
        self.best, self.median = {}, {}
        for problem, runs in by_problem.items():
            median = random_median(runs)
            if math.isnan(median):
                continue
            self.median[problem] = median
            self.best[problem] = max(float(np.max(_values(r))) for r in runs)
        self.problems = list(self.median)
        self.scores: dict[str, dict[int, dict[tuple[str, int], float]]] = {}
        self.raw: dict[str, dict[int, dict[tuple[str, int], float]]] = {}
        runs_of: dict[tuple[str, str, int], dict[int, Record]] = defaultdict(dict)
        for r in records:
            runs_of[(r["method"], r["problem"], r["seed"])][r["n_iter"]] = r
        for (method, problem, seed), runs in runs_of.items():
            if problem not in self.median:
                continue
            anytime = method in METHODS and METHODS[method].anytime
            for k in budgets:
                run = runs.get(k)
                if run is None and anytime:
                    longer = [n for n in runs if n >= k]
                    run = runs[min(longer)] if longer else None
                if run is None:
                    continue
                raw = float(np.max(_values(run)[:k]))
                cell = (problem, seed)
                self.raw.setdefault(method, {}).setdefault(k, {})[cell] = raw
                self.scores.setdefault(method, {}).setdefault(k, {})[cell] = (
                    normalised_score(raw, self.best[problem], self.median[problem])
                )

    def cells(self, method: str, budget: int) -> set[tuple[str, int]]:
        """Return the (problem, seed) cells ``method`` has at ``budget``."""
        return {
            c
            for c, v in self.scores.get(method, {}).get(budget, {}).items()
            if not math.isnan(v)
        }

    def mean_and_se(
        self,
        method: str,
        budget: int,
        cells: set[tuple[str, int]] | None = None,
        minus: str | None = None,
    ) -> tuple[float, float, int]:
        """Mean normalised score over cells, and its seed-to-seed s.e.

        Parameters
        ----------
        method : str
            The method.
        budget : int
            The budget.
        cells : set of (str, int), default=None
            The cells to average (default: all of the method's).
        minus : str, default=None
            Another method: then the paired difference ``method - minus``
            on the cells both have.

        Returns
        -------
        mean : float
            Mean over the cells.
        se : float
            Standard error of the per-seed means over problems (NaN with
            one seed).
        n_seeds : int
            Seeds among the cells.
        """
        cells = self.cells(method, budget) if cells is None else cells
        if minus is not None:
            cells = cells & self.cells(minus, budget)
        if not cells:
            return math.nan, math.nan, 0
        ours = self.scores[method][budget]
        theirs = self.scores[minus][budget] if minus is not None else {}
        per_seed: dict[int, list[float]] = defaultdict(list)
        for problem, seed in cells:
            value = ours[(problem, seed)] - theirs.get((problem, seed), 0.0)
            per_seed[seed].append(value)
        means = np.array([np.mean(v) for v in per_seed.values()])
        mean = float(np.mean([ours[c] - theirs.get(c, 0.0) for c in cells]))
        se = (
            float(np.std(means, ddof=1) / np.sqrt(len(means)))
            if len(means) > 1
            else (math.nan)
        )
        return mean, se, len(means)

    def mean_ranks(
        self, methods: list[str], budget: int
    ) -> tuple[dict[str, float], int]:
        """Mean rank of ``methods`` over the cells they all have.

        Parameters
        ----------
        methods : list of str
            The methods ranked together.
        budget : int
            The budget.

        Returns
        -------
        ranks : dict of str to float
            Mean rank (1 = best) of each method.
        n_cells : int
            The (problem, seed) cells ranked.
        """
        common = set.intersection(*(self.cells(m, budget) for m in methods))
        if not common:
            return {}, 0
        ranks = [
            rankdata([-self.raw[m][budget][c] for m in methods]) for c in sorted(common)
        ]
        return dict(zip(methods, np.mean(ranks, axis=0), strict=True)), len(common)


def suite_scores(records: list[Record]) -> SuiteScores:
    """Return the :class:`SuiteScores` of the ``suite`` stage's records.

    Parameters
    ----------
    records : list of dict
        Error-free records (of every stage).

    Returns
    -------
    SuiteScores
        Scored at every ``n_iter`` of the stage.
    """
    suite = [r for r in records if r["stage"] == "suite"]
    return SuiteScores(suite, sorted({r["n_iter"] for r in suite}))


# --- markdown ------------------------------------------------------------------

#: A method is ranked with the others when it has at least this fraction of
#: the (problem, seed) cells of the best-covered method at a budget.
FULL_COVERAGE = 0.8


def _fmt(x: float, digits: int = 1) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def _label(method: str) -> str:
    m = METHODS.get(method)
    label = m.label if m else method
    return f"**{label}**" if m is not None and m.ours else label


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return [*lines, *("| " + " | ".join(row) + " |" for row in rows), ""]


def _ranked(s: SuiteScores, methods: list[str], budget: int) -> list[str]:
    """The methods with (nearly) every cell at ``budget``."""
    counts = {m: len(s.cells(m, budget)) for m in methods}
    most = max(counts.values(), default=0)
    return [m for m in methods if most and counts[m] >= FULL_COVERAGE * most]


def _overall(s: SuiteScores, methods: list[str]) -> list[str]:
    ranks = {}
    for k in s.budgets:
        ranked = _ranked(s, methods, k)
        ranks[k] = s.mean_ranks(ranked, k) if len(ranked) > 1 else ({}, 0)
    rows = []
    for m in methods:
        seeds = {seed for k in s.budgets for _, seed in s.cells(m, k)}
        problems = {p for k in s.budgets for p, _ in s.cells(m, k)}
        cells = []
        for k in s.budgets:
            mean, se, _ = s.mean_and_se(m, k)
            cells.append(f"{_fmt(mean)} ± {_fmt(se)}" if not math.isnan(mean) else "-")
        rows.append(
            [
                _label(m),
                str(len(seeds)),
                str(len(problems)),
                *cells,
                *(_fmt(ranks[k][0].get(m, math.nan), 2) for k in s.budgets),
            ]
        )
    n_cells = ", ".join(f"{ranks[k][1]} at {k}" for k in s.budgets)
    return [
        "Mean normalised score over problems and seeds ± the seed-to-seed "
        "standard error (100 = the best seen on the problem, 0 = the median "
        "random candidate), and mean rank (1 = best) among the methods with "
        f"at least {FULL_COVERAGE:.0%} of the cells, on the (problem, seed) "
        f"cells they all have ({n_cells}).",
        "",
        *_table(
            [
                "method",
                "seeds",
                "problems",
                *(f"score at {k}" for k in s.budgets),
                *(f"rank at {k}" for k in s.budgets),
            ],
            rows,
        ),
    ]


def _partial(s: SuiteScores, methods: list[str]) -> list[str]:
    """Methods with few cells, against every method on the same cells."""
    lines: list[str] = []
    for k in s.budgets:
        ranked = _ranked(s, methods, k)
        for m in methods:
            cells = s.cells(m, k)
            if m in ranked or not cells:
                continue
            seeds = sorted({seed for _, seed in cells})
            row = [
                _fmt(s.mean_and_se(other, k, cells & s.cells(other, k))[0])
                for other in [m, *ranked]
            ]
            paired = ["-"]
            for other in ranked:
                diff, se, _ = s.mean_and_se(other, k, cells, minus=m)
                paired.append(f"{diff:+.1f} ± {_fmt(se)}")
            lines += [
                f"On the {len(cells)} cells of {_label(m)} at {k} evaluations "
                f"(seeds {seeds}), mean normalised score, and each method "
                f"minus {_label(m)} paired on those cells ± the seed-to-seed "
                "standard error:",
                "",
                *_table(
                    [_label(m), *(_label(o) for o in ranked)],
                    [row, paired],
                ),
            ]
    return lines


def _targets(s: SuiteScores, methods: list[str]) -> list[str]:
    rows = []
    for k in s.budgets:
        ranked = _ranked(s, methods, k)
        means = {m: s.mean_and_se(m, k)[0] for m in ranked}
        if not means:
            continue
        leader = max(means, key=lambda m: means[m])
        cells = [str(k), _label(leader)]
        if "gp" in means and len(means) > 1:
            runner_up = max((m for m in means if m != "gp"), key=lambda m: means[m])
            gap, se, _ = s.mean_and_se("gp", k, minus=runner_up)
            cells += [_label(runner_up), f"{_fmt(gap)} ± {_fmt(se)}"]
        else:
            cells += ["-", "-"]
        if "c2f" in means and "optuna_tpe" in means:
            gap, se, _ = s.mean_and_se("c2f", k, minus="optuna_tpe")
            cells.append(f"{_fmt(gap)} ± {_fmt(se)}")
        else:
            cells.append("-")
        rows.append(cells)
    return [
        "Paired differences of the mean normalised score (over the cells both "
        "methods have) ± their seed-to-seed standard error:",
        "",
        *_table(
            [
                "budget",
                "best mean",
                "best other than GPBayesSearchCV",
                "GPBayes - that one",
                "CoarseToFine - Optuna TPE",
            ],
            rows,
        ),
    ]


def _per_problem(s: SuiteScores, methods: list[str]) -> list[str]:
    lines: list[str] = []
    for k in s.budgets:
        rows = []
        for p in s.problems:
            means = {
                m: float(np.mean([v for (q, _), v in s.scores[m][k].items() if q == p]))
                for m in methods
                if any(q == p for q, _ in s.cells(m, k))
            }
            top = max(means.values(), default=math.nan)
            rows.append(
                [
                    p,
                    *(
                        "-"
                        if m not in means
                        else f"**{_fmt(means[m])}**"
                        if means[m] == top
                        else _fmt(means[m])
                        for m in methods
                    ),
                ]
            )
        lines += [
            f"Mean normalised score per problem at {k} evaluations (the best in bold):",
            "",
            *_table(["problem", *(_label(m) for m in methods)], rows),
        ]
    return lines


def _anchors(s: SuiteScores) -> list[str]:
    rows = [[p, f"{s.best[p]:.4f}", f"{s.median[p]:.4f}"] for p in s.problems]
    return [
        "The anchors of the normalisation (CV scores: accuracy, R², or the "
        "negated log loss or MAE):",
        "",
        *_table(["problem", "best seen (100)", "median random candidate (0)"], rows),
    ]


def _time_per_candidate(records: list[Record], methods: list[str]) -> list[str]:
    budgets = sorted({r["n_iter"] for r in records})
    rows = []
    for m in methods:
        cells = []
        for k in budgets:
            runs = [r for r in records if r["method"] == m and r["n_iter"] == k]
            if not runs:
                cells += ["-", "-"]
                continue
            wall = np.median([r["wall_time"] / r["n_evals"] for r in runs])
            over = np.median([r["overhead"] / r["n_evals"] for r in runs])
            cells += [_fmt(float(wall), 2), _fmt(float(over), 3)]
        rows.append([_label(m), *cells])
    return [
        "Seconds per candidate, median over runs (all problems): wall time of "
        "`fit` and the optimiser's overhead (wall time minus the time spent "
        "fitting and scoring). An anytime method runs only at the largest "
        "budget.",
        "",
        *_table(
            [
                "method",
                *(f"{what} at {k}" for k in budgets for what in ("wall", "overhead")),
            ],
            rows,
        ),
    ]


def suite_section(records: list[Record], methods: list[str]) -> list[str]:
    """Return the report's section on the real-task suite (empty without it).

    Parameters
    ----------
    records : list of dict
        Error-free records (of every stage).
    methods : list of str
        The methods, in the order of the tables.

    Returns
    -------
    list of str
        Markdown lines.
    """
    suite = [r for r in records if r["stage"] == "suite"]
    if not suite:
        return []
    s = suite_scores(records)
    present = [m for m in methods if m in s.scores]
    present += sorted(set(s.scores) - set(present))
    return [
        "## Real-task suite",
        "",
        f"{len(s.problems)} problems, budgets {s.budgets}, 5-fold CV. "
        "Normalised as Bayesmark does, per problem: 100 = the best CV score "
        "seen by any method, 0 = the median of the random-search runs' "
        "candidates.",
        "",
        *_overall(s, present),
        *_targets(s, present),
        *_partial(s, present),
        *_per_problem(s, present),
        *_anchors(s),
        *_time_per_candidate(suite, present),
    ]
