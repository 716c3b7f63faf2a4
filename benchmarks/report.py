"""Aggregate raw benchmark records into a markdown report and figures.

Reads ``results.jsonl`` and ``environment.json`` from a results directory and
writes ``report.md``, ``curves.png`` (best-so-far curves, median and
inter-quartile band over seeds) and ``overhead.png``. Records are grouped by
what they are, not by the stage that produced them: the main tables use every
``n_jobs=1`` run at the most common ``n_iter`` of the ``main`` stage (except
the parallel study's, which have seeds of their own).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from benchmarks.measures import best_so_far
from benchmarks.methods import MAIN_METHODS, METHODS
from benchmarks.problems import PROBLEMS
from benchmarks.runner import RESULTS_FILE, load_records
from benchmarks.suite_report import suite_section

__all__ = ["write_report"]

Record = dict[str, Any]

#: Methods with fewer seeds on a problem are left out of its mean rank.
MIN_RANK_SEEDS = 3


# --- small numeric helpers -----------------------------------------------


def _curve(record: Record, n_iter: int) -> np.ndarray:
    """Best-so-far curve of a run, padded with its last value to ``n_iter``."""
    worst = np.inf if record["goal"] == "min" else -np.inf
    values = np.array(
        [worst if v is None else v for v in record["values"][:n_iter]], dtype=float
    )
    curve = best_so_far(values, record["goal"])
    if 0 < curve.size < n_iter:
        curve = np.concatenate([curve, np.full(n_iter - curve.size, curve[-1])])
    return curve


def _value(record: Record, key: str) -> float:
    v = record.get(key)
    if v is None:
        return np.inf if record["goal"] == "min" else -np.inf
    return float(v)


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) == 0:
        return (math.nan, math.nan, math.nan)
    q = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return float(q[1]), float(q[0]), float(q[2])


def _fmt(x: float, kind: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if kind == "score":
        return f"{round(x, 4) + 0.0:.4f}"  # + 0.0: no "-0.0000"
    if kind == "time":
        return f"{x:.2f}" if abs(x) >= 0.01 else f"{x:.3f}"
    if kind == "ratio":
        return f"{x:.2f}" if 0.01 <= abs(x) < 100 else f"{x:.2g}"
    return f"{x:.3g}"


def _med_iqr(values: Sequence[float], kind: str) -> tuple[str, str]:
    med, lo, hi = _quartiles(values)
    return _fmt(med, kind), f"[{_fmt(lo, kind)}, {_fmt(hi, kind)}]"


def _ratio(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if b == 0:
        return 1.0 if a == 0 else math.inf
    return a / b


def _geomean(values: Iterable[float]) -> float:
    vals = [v for v in values if np.isfinite(v) and v > 0]
    return float(np.exp(np.mean(np.log(vals)))) if vals else math.nan


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _label(method: str) -> str:
    m = METHODS.get(method)
    label = m.label if m else method
    return f"**{label}**" if m is not None and m.ours else label


# --- selection -------------------------------------------------------------


def _ok(records: Iterable[Record]) -> list[Record]:
    return [r for r in records if r["error"] is None]


def _main_n_iter(records: list[Record]) -> int | None:
    sizes = [r["n_iter"] for r in records if r["stage"] == "main"]
    return max(set(sizes), key=sizes.count) if sizes else None


def _group(records: Iterable[Record], *keys: str) -> dict[tuple, list[Record]]:
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        groups[tuple(r[k] for k in keys)].append(r)
    for runs in groups.values():
        runs.sort(key=lambda r: r["seed"])
    return groups


def _dedupe(records: Iterable[Record]) -> list[Record]:
    """Keep the last record of each run key (a resumed run may repeat one)."""
    latest = {}
    for r in records:
        latest[(r["problem"], r["method"], r["seed"], r["n_iter"], r["n_jobs"])] = r
    return list(latest.values())


# --- sections ----------------------------------------------------------------


def _environment_section(env: dict[str, Any], records: list[Record]) -> list[str]:
    lines = ["## Environment", ""]
    if not env:
        return [*lines, "No environment.json found.", ""]
    lines += [
        f"- Last run: {env.get('date')} (UTC)",
        f"- Machine: {env.get('cpu_model')}, nproc={env.get('nproc')}, "
        f"{env.get('platform')}, Python {env.get('python')}",
        f"- sk_hpsearch commit {env.get('git_commit')}, source digest(s) of the "
        "runs: "
        + ", ".join(
            sorted(
                {r["sk_hpsearch_sha256"] for r in records if "sk_hpsearch_sha256" in r}
            )
        ),
        "- BLAS/OpenMP (and torch) threads pinned to 1 with threadpoolctl; "
        "wall times are of `search.fit` only.",
        "",
        "Commands (in order):",
        "",
    ]
    for inv in env.get("invocations", []):
        lines.append(f"- `{inv['command']}` ({inv['date']})")
    if env.get("skipped_methods"):
        lines += ["", f"Skipped (not installed): {env['skipped_methods']}"]
    lines += ["", *_table(["package", "version"], sorted(env["versions"].items()))]
    return lines


def _main_tables(
    runs: dict[tuple, list[Record]], n_iter: int, methods: list[str]
) -> tuple[list[str], dict[str, dict[str, dict[str, float]]]]:
    """Per-problem tables; also return medians[problem][method][measure]."""
    lines: list[str] = []
    medians: dict[str, dict[str, dict[str, float]]] = {}
    problems = [p for p in PROBLEMS if any((p, m) in runs for m in methods)]
    problems += sorted({p for p, _ in runs} - set(problems))
    for problem in problems:
        present = [m for m in methods if (problem, m) in runs]
        if not present:
            continue
        first = runs[(problem, present[0])][0]
        kind = "score" if first["goal"] == "max" else "regret"
        what = (
            "final regret f(best) - f* (lower is better)"
            if kind == "regret"
            else "best mean CV score (higher is better)"
        )
        p = PROBLEMS.get(problem)
        lines += [
            f"### {problem}" + (f" — {p.description}" if p and p.description else ""),
            "",
            f"{what}; `n_iter={n_iter}`, `n_jobs=1`. Half = after "
            f"{n_iter // 2} evaluations. IQR = [25th, 75th] percentile over seeds. "
            f"Mean rank (1 = best) over the seeds common to the methods with at "
            f"least {MIN_RANK_SEEDS} seeds.",
            "",
        ]
        # Rank the methods that have at least MIN_RANK_SEEDS seeds, on the
        # seeds they all have; methods with fewer seeds get no rank.
        seed_sets = {m: {r["seed"] for r in runs[(problem, m)]} for m in present}
        rankable = [m for m in present if len(seed_sets[m]) >= MIN_RANK_SEEDS]
        if len(rankable) < 2:
            rankable = present
        common = set.intersection(*(seed_sets[m] for m in rankable))
        ranks = _mean_ranks(runs, problem, rankable, sorted(common), kind)
        rows = []
        medians[problem] = {}
        for m in present:
            rs = runs[(problem, m)]
            final = [_value(r, "final") for r in rs]
            half = [_value(r, "half") for r in rs]
            wall = [r["wall_time"] for r in rs]
            over = [r["overhead"] for r in rs]
            cpu = [r.get("cpu_time", math.nan) for r in rs]
            medians[problem][m] = {
                "final": _quartiles(final)[0],
                "overhead": _quartiles(over)[0],
                "cpu": _quartiles(cpu)[0],
                "kind": kind,  # type: ignore[dict-item]
            }
            rows.append(
                [
                    _label(m),
                    str(len(rs)),
                    *_med_iqr(final, kind),
                    *_med_iqr(half, kind),
                    _fmt(ranks.get(m, math.nan), "ratio"),
                    _fmt(_quartiles(wall)[0], "time"),
                    _fmt(_quartiles(over)[0], "time"),
                    _fmt(_quartiles(cpu)[0], "time"),
                ]
            )
        lines += _table(
            [
                "method",
                "seeds",
                "final median",
                "final IQR",
                "half median",
                "half IQR",
                f"mean rank ({len(common)} seeds)",
                "wall (s)",
                "overhead (s)",
                "CPU (s)",
            ],
            rows,
        )
    return lines, medians


def _mean_ranks(
    runs: dict[tuple, list[Record]],
    problem: str,
    methods: list[str],
    seeds: list[int],
    kind: str,
) -> dict[str, float]:
    if not seeds:
        return {}
    by_seed = {
        m: {r["seed"]: _value(r, "final") for r in runs[(problem, m)]} for m in methods
    }
    ranks = []
    for s in seeds:
        vals = np.array([by_seed[m][s] for m in methods])
        ranks.append(rankdata(vals if kind == "regret" else -vals))
    return dict(zip(methods, np.mean(ranks, axis=0), strict=True))


def _summary(
    medians: dict[str, dict[str, dict[str, float]]], methods: list[str]
) -> list[str]:
    ours = [m for m in methods if METHODS[m].ours]
    peers = [m for m in methods if not METHODS[m].ours]
    if not ours or not peers:
        return []
    lines = [
        "## Summary: ours versus each peer",
        "",
        "Each cell compares the medians over seeds of one problem (seed counts "
        "are in the per-problem tables).",
        "",
    ]
    sections = [
        (
            "final",
            "Median final regret, ratio ours / peer (below 1: ours better)",
            ("regret",),
            "ratio",
        ),
        (
            "final",
            "Median best CV score, difference ours - peer (above 0: ours better)",
            ("score",),
            "score",
        ),
        (
            "overhead",
            "Median optimiser overhead (wall), ratio ours / peer (n_jobs=1; below "
            "1: ours cheaper)",
            ("regret", "score"),
            "ratio",
        ),
        (
            "cpu",
            "Median CPU time of the whole search on synthetic problems (fits are "
            "no-ops, so this is the optimiser's cost; it still grows with the load "
            "on shared cores), ratio ours / peer",
            ("regret",),
            "ratio",
        ),
    ]
    for measure, title, kinds, how in sections:
        problems = [
            p
            for p, by_m in medians.items()
            if next(iter(by_m.values()))["kind"] in kinds
        ]
        if not problems:
            continue
        rows = []
        for o in ours:
            for p in peers:
                cells = []
                for prob in problems:
                    a = medians[prob].get(o, {}).get(measure, math.nan)
                    b = medians[prob].get(p, {}).get(measure, math.nan)
                    cells.append(a - b if how == "score" else _ratio(a, b))
                finite = [c for c in cells if np.isfinite(c)]
                if how == "score":
                    agg = float(np.median(finite)) if finite else math.nan
                else:
                    agg = _geomean(cells)
                rows.append(
                    [
                        f"{_label(o)} / {_label(p)}",
                        *(_fmt(c, how) for c in cells),
                        _fmt(agg, how),
                    ]
                )
        agg_name = "median" if how == "score" else "geometric mean"
        lines += [
            f"### {title}",
            "",
            *_table(["ours / peer", *problems, agg_name], rows),
        ]
    return lines


def _overhead_runs(
    records: list[Record], methods: list[str]
) -> tuple[str, set[int], list[int], dict[tuple, list[Record]]] | None:
    """Runs of the overhead study: its problem and seeds, at every size run."""
    stage = [r for r in records if r["stage"] == "overhead"]
    if not stage:
        return None
    problem = stage[0]["problem"]
    seeds = {r["seed"] for r in stage}
    sel = [
        r
        for r in records
        if r["problem"] == problem
        and r["n_jobs"] == 1
        and r["seed"] in seeds
        and r["method"] in methods
    ]
    sizes = sorted({r["n_iter"] for r in sel})
    return problem, seeds, sizes, _group(sel, "method", "n_iter")


def _overhead_section(records: list[Record], methods: list[str]) -> list[str]:
    found = _overhead_runs(records, methods)
    if found is None:
        return []
    problem, seeds, sizes, groups = found
    rows = []
    for m in methods:
        cells = []
        for n in sizes:
            rs = groups.get((m, n), [])
            med = _quartiles([r["overhead"] for r in rs])[0]
            cpu = _quartiles([r.get("cpu_time", math.nan) for r in rs])[0]
            per_eval = _fmt(1000 * med / n, "time")
            cells.append(
                f"{_fmt(med, 'time')} ({per_eval}) / {_fmt(cpu, 'time')}" if rs else "-"
            )
        first, last = (
            _quartiles([r.get("cpu_time", math.nan) for r in groups.get((m, n), [])])[0]
            for n in (sizes[0], sizes[-1])
        )
        rows.append([_label(m), *cells, _fmt(_ratio(last, first), "ratio")])
    return [
        f"## Optimiser overhead growth ({problem}, n_jobs=1, seeds {sorted(seeds)})",
        "",
        "Median wall overhead in seconds (milliseconds per evaluation) / median "
        "CPU seconds of the search; overhead = wall time - Σ n_splits·(mean_fit_time "
        "+ mean_score_time) - refit time.",
        "",
        *_table(
            [
                "method",
                *[f"{n} evals" for n in sizes],
                f"CPU growth {sizes[-1]}/{sizes[0]}",
            ],
            rows,
        ),
    ]


def _parallel_section(records: list[Record], methods: list[str]) -> list[str]:
    # Only pairs whose n_jobs=1 and n_jobs=2 runs were both made by the
    # parallel study (back to back, under the same load on the machine).
    stage = [r for r in records if r["stage"] == "parallel"]
    pairs = {(r["method"], r["seed"]) for r in stage if r["n_jobs"] == 1} & {
        (r["method"], r["seed"]) for r in stage if r["n_jobs"] == 2
    }
    stage = [r for r in stage if (r["method"], r["seed"]) in pairs]
    if not stage:
        return []
    problem, n_iter = stage[0]["problem"], stage[0]["n_iter"]
    seeds = {r["seed"] for r in stage}
    groups = _group(stage, "method", "n_jobs")
    kind = "score" if stage[0]["goal"] == "max" else "regret"
    rows = []
    for m in methods:
        one, two = groups.get((m, 1), []), groups.get((m, 2), [])
        if not two:
            continue
        w1 = {r["seed"]: r["wall_time"] for r in one}
        speedups = [w1[r["seed"]] / r["wall_time"] for r in two if r["seed"] in w1]
        rows.append(
            [
                _label(m),
                _fmt(_quartiles(list(w1.values()))[0], "time"),
                _fmt(_quartiles([r["wall_time"] for r in two])[0], "time"),
                _fmt(_quartiles(speedups)[0], "ratio"),
                _fmt(_quartiles([_value(r, "final") for r in one])[0], kind),
                _fmt(_quartiles([_value(r, "final") for r in two])[0], kind),
            ]
        )
    return [
        f"## Parallel speed-up ({problem}, n_iter={n_iter}, seeds {sorted(seeds)})",
        "",
        "Wall time of `fit` with n_jobs=1 and n_jobs=2, run back to back "
        "(joblib workers started before timing); speed-up = wall(1) / wall(2), "
        "median over seeds.",
        "",
        *_table(
            [
                "method",
                "wall n_jobs=1 (s)",
                "wall n_jobs=2 (s)",
                "speed-up",
                "final n_jobs=1",
                "final n_jobs=2",
            ],
            rows,
        ),
    ]


def _batch_section(records: list[Record]) -> list[str]:
    stage = [r for r in records if r["stage"] == "batch"]
    if not stage:
        return []
    problems = list(dict.fromkeys(r["problem"] for r in stage))
    n_iters = sorted({r["n_iter"] for r in stage})
    seeds = {r["seed"] for r in stage}
    sel = [
        r
        for r in records
        if r["problem"] in problems
        and r["n_iter"] in n_iters
        and r["n_jobs"] == 1
        and r["seed"] in seeds
        and r["method"] in ("gp", "gp_q8")
    ]
    groups = _group(sel, "problem", "n_iter", "method")
    rows = []
    for p in problems:
        for n_iter in n_iters:
            one = groups.get((p, n_iter, "gp"), [])
            eight = groups.get((p, n_iter, "gp_q8"), [])
            if not (one or eight):
                continue
            kind = "score" if (one or eight)[0]["goal"] == "max" else "regret"
            rows.append(
                [
                    p,
                    str(n_iter),
                    f"{len(one)} / {len(eight)}",
                    *_med_iqr([_value(r, "final") for r in one], kind),
                    *_med_iqr([_value(r, "final") for r in eight], kind),
                    _fmt(_quartiles([r["wall_time"] for r in one])[0], "time"),
                    _fmt(_quartiles([r["wall_time"] for r in eight])[0], "time"),
                ]
            )
    return [
        "## Batch size: GPBayesSearchCV n_points=1 vs 8 (n_jobs=1)",
        "",
        "Quality at equal evaluations (final regret or CV score), median and IQR "
        "over seeds, at each number of evaluations.",
        "",
        *_table(
            [
                "problem",
                "n_iter",
                "seeds (1 / 8)",
                "n_points=1 median",
                "n_points=1 IQR",
                "n_points=8 median",
                "n_points=8 IQR",
                "wall 1 (s)",
                "wall 8 (s)",
            ],
            rows,
        ),
    ]


def _budget_rows(runs: list[Record], full: list[Record]) -> list[str]:
    """One row of the budget table: quality, noise, budget units, time."""
    resources = _quartiles([r["resources"] for r in runs])[0]
    everything = _quartiles([r["resources_full"] for r in runs])[0]
    finals = [_value(r, "final") for r in runs]
    delta = _quartiles(finals)[0] - _quartiles([_value(r, "final") for r in full])[0]
    return [
        _label(runs[0]["method"]),
        str(len(runs)),
        *_med_iqr(finals, "score"),
        _fmt(delta, "score") if full else "-",
        _fmt(_quartiles([r.get("final_sem", math.nan) for r in runs])[0], "score"),
        f"{resources:.0f}",
        _fmt(_ratio(everything, resources), "ratio"),
        _fmt(_quartiles([r["wall_time"] for r in runs])[0], "time"),
    ]


def _budget_section(records: list[Record]) -> list[str]:
    stage = [r for r in records if r["stage"] == "budget" and "resources" in r]
    if not stage:
        return []
    lines = [
        "## Learning-curve budgets",
        "",
        "Each search tries the same number of candidates; the budgeted ones "
        "(`min_resources=1`, `reduction_factor=3`) train every candidate on a "
        "small budget first and continue only the promising ones "
        "(asynchronous successive halving). *Best CV* is the best full-budget "
        "score; *Δ vs full* is the difference of its median from the same "
        "search without a budget; *CV s.e.* is the median standard error of "
        "the best candidate's CV score over folds (the noise of one "
        "evaluation); *units* are epochs or trees trained over every fit of "
        "every fold plus the refit, and *fewer* is how many times fewer than "
        "training every candidate on the full budget.",
        "",
    ]
    for problem in dict.fromkeys(r["problem"] for r in stage):
        sel = [r for r in stage if r["problem"] == problem]
        n_iter = sel[0]["n_iter"]
        groups = _group([r for r in sel if r["n_iter"] == n_iter], "method")
        rows = []
        for (method,), runs in groups.items():
            unbudgeted = METHODS[method].without_budget
            full = groups.get((unbudgeted,), []) if unbudgeted else []
            rows.append(_budget_rows(runs, full))
        name, units = PROBLEMS[problem].resource if problem in PROBLEMS else ("", 0)
        lines += [
            f"### {problem}: `{name}` up to {units}, n_iter={n_iter}",
            "",
            *_table(
                [
                    "method",
                    "seeds",
                    "best CV median",
                    "best CV IQR",
                    "Δ vs full",
                    "CV s.e.",
                    "units",
                    "fewer",
                    "wall (s)",
                ],
                rows,
            ),
        ]
    return lines


def _anomalies(records: list[Record]) -> list[str]:
    bad = [r for r in records if r["error"] is not None]
    short = [
        r for r in records if r["error"] is None and r.get("n_evals") != r["n_iter"]
    ]
    if not bad and not short:
        return [
            "## Failures",
            "",
            "None: every search ran and evaluated n_iter candidates.",
            "",
        ]
    lines = ["## Failures and anomalies", ""]
    for r in bad:
        lines.append(
            f"- {r['problem']} / {r['method']} seed={r['seed']} n_iter={r['n_iter']} "
            f"n_jobs={r['n_jobs']}: `{r['error']}`"
        )
    for r in short:
        lines.append(
            f"- {r['problem']} / {r['method']} seed={r['seed']}: evaluated "
            f"{r.get('n_evals')} candidates for n_iter={r['n_iter']}"
        )
    return [*lines, ""]


# --- figures -----------------------------------------------------------------


def _plot_curves(
    runs: dict[tuple, list[Record]], n_iter: int, methods: list[str], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = list(dict.fromkeys(p for p, _ in runs))
    ncols = min(5, max(1, len(problems)))
    nrows = math.ceil(len(problems) / ncols) or 1
    width, height = max(3.6 * ncols, 10.0), 3.0 * nrows + 0.9
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    colors = dict(zip(methods, plt.cm.tab10.colors, strict=False))
    x = np.arange(1, n_iter + 1)
    for ax, problem in zip(axes.flat, problems, strict=False):
        early, late = [], []  # for the y range of score plots
        for m in methods:
            rs = runs.get((problem, m))
            if not rs:
                continue
            curves = np.array([_curve(r, n_iter) for r in rs])
            if rs[0]["goal"] == "min":
                curves = np.maximum(curves, 1e-8)
                ax.set_yscale("log")
            lo, med, hi = np.percentile(curves, [25, 50, 75], axis=0)
            style = "-" if METHODS[m].ours else "--"
            ax.plot(x, med, style, color=colors[m], label=METHODS[m].label, lw=1.5)
            ax.fill_between(x, lo, hi, color=colors[m], alpha=0.12)
            early.append(med[min(9, n_iter - 1)])
            late.append(hi[-1])
        if runs[(problem, next(m for m in methods if (problem, m) in runs))][0][
            "goal"
        ] == "max" and np.all(np.isfinite(early + late)):
            # Scores: show from the worst median after 10 evaluations up.
            bottom, top = min(early), max(late)
            pad = 0.1 * (top - bottom) or 0.01
            ax.set_ylim(bottom - pad, top + pad)
        ax.set_title(problem, fontsize=10)
        ax.set_xlabel("evaluations", fontsize=8)
        ax.set_ylabel(
            "regret"
            if runs[next(k for k in runs if k[0] == problem)][0]["goal"] == "min"
            else "best CV score",
            fontsize=8,
        )
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(problems) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.suptitle("Best-so-far: median and IQR over seeds (ours solid, peers dashed)")
    fig.tight_layout(rect=(0, 0.75 / height, 1, 1 - 0.35 / height))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_overhead(records: list[Record], methods: list[str], path: Path) -> None:
    found = _overhead_runs(records, methods)
    if found is None:
        return
    problem, _, sizes, groups = found
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    plotted = False
    for m in methods:
        pts = [
            (n, _quartiles([r.get("cpu_time", math.nan) for r in groups[(m, n)]])[0])
            for n in sizes
            if (m, n) in groups
        ]
        pts = [(n, y) for n, y in pts if np.isfinite(y) and y > 0]
        if pts:
            plotted = True
            ax.plot(
                *zip(*pts, strict=True),
                "o-" if METHODS[m].ours else "s--",
                label=METHODS[m].label,
            )
    if not plotted:
        plt.close(fig)
        return
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("CPU time of the search (s)")
    ax.set_title(f"Optimiser cost growth on {problem} (no-op fits)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- entry point --------------------------------------------------------------


def write_report(out_dir: Path) -> Path:
    """Write ``report.md``, ``curves.png`` and ``overhead.png`` in ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Directory holding ``results.jsonl`` (and ``environment.json``).

    Returns
    -------
    Path
        The report's path.
    """
    out_dir = Path(out_dir)
    all_records = _dedupe(load_records(out_dir / RESULTS_FILE))
    records = _ok(all_records)
    env_path = out_dir / "environment.json"
    env = json.loads(env_path.read_text()) if env_path.exists() else {}
    n_iter = _main_n_iter(records)
    methods = [m for m in MAIN_METHODS if any(r["method"] == m for r in records)]
    methods += sorted(
        {r["method"] for r in records if not METHODS[r["method"]].budgeted}
        - set(MAIN_METHODS)
        - {"gp_q8"}
    )
    lines = [
        "# sk_hpsearch benchmark report",
        "",
        f"Generated from `{RESULTS_FILE}` ({len(all_records)} runs). Figures: "
        "`curves.png` (best-so-far), `overhead.png`.",
        "",
        "Spaces: every method gets the same space in its best native form "
        "(log-uniform priors where the scale is logarithmic). No peer has a "
        "log10(1 - β) scale: RandomizedSearchCV, skopt and Optuna get the "
        "momentum-like parameters (`momentum`, MLP `beta_1`) **uniform in β**, "
        "as a user would write; ours get `OneMinusLogUniform`. "
        "RandomizedSearchCV gets `randint` for integers (scipy has no log-integer "
        "distribution). Peers run with their defaults otherwise.",
        "",
    ]
    if n_iter is not None:
        # The parallel study's n_jobs=1 runs use seeds of their own, and the
        # batch study may run more seeds than the main one: only the main
        # study's seeds of each problem are compared.
        seeds = {(r["problem"], r["seed"]) for r in records if r["stage"] == "main"}
        main = [
            r
            for r in records
            if r["n_jobs"] == 1
            and r["n_iter"] == n_iter
            and r["stage"] != "parallel"
            and (r["problem"], r["seed"]) in seeds
        ]
        runs = _group([r for r in main if r["method"] in methods], "problem", "method")
        tables, medians = _main_tables(runs, n_iter, methods)
        lines += _summary(medians, methods)
        lines += ["## Per problem", "", *tables]
        _plot_curves(runs, n_iter, methods, out_dir / "curves.png")
    lines += _overhead_section(records, methods)
    lines += _parallel_section(records, [*methods, "gp_q8"])
    lines += _batch_section(records)
    lines += _budget_section(records)
    lines += suite_section(records, methods)
    lines += _anomalies(all_records)
    lines += _environment_section(env, records)
    _plot_overhead(records, methods, out_dir / "overhead.png")
    path = out_dir / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path
