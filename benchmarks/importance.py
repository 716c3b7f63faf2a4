"""Validate ``param_importances`` on functions with a known hierarchy.

Two synthetic "training runs" whose score is a known function of the
hyperparameters (on their log scales), with fold noise:

``adam``
    ``lr`` >> ``weight_decay`` >> ``eps``, additive (no interaction).
``interaction``
    the best ``lr`` moves with the momentum (the effective step is
    ``lr / (1 - beta)``): ``lr`` > ``momentum`` >> ``eps``, and a strong
    ``lr x momentum`` interaction.

For each seed, a search (50 candidates of ``RandomizedSearchCV``, or of
``GPBayesSearchCV``) is read by ``param_importances``; a seed succeeds when
the order of the parameters is the true one (and, for ``interaction``, the
top pair is ``lr x momentum`` with a share above 0.05). The true shares are
computed by brute force on the function itself. With ``--optuna``, Optuna's
PED-ANOVA and fANOVA read the same random-search results: agreement with ours
(Spearman rank correlation), their success rate, and the time of each.

Run ``python -m benchmarks.importance --help``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
import zlib

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator
from sklearn.model_selection import RandomizedSearchCV

from sk_hpsearch import (
    GPBayesSearchCV,
    LogUniform,
    OneMinusLogUniform,
    param_importances,
)

__all__ = ["FUNCTIONS", "SyntheticRun", "run_search", "true_shares"]

NOISE = 0.05


def _adam(p) -> float:
    a, w, e = np.log10(p["lr"]), np.log10(p["weight_decay"]), np.log10(p["eps"])
    return -((a + 3) ** 2 + 0.3 * (w + 4) ** 2 + 0.03 * (e + 8) ** 2)


def _interaction(p) -> float:
    a, m, e = np.log10(p["lr"]), np.log10(1 - p["momentum"]), np.log10(p["eps"])
    return -((a - m + 1) ** 2 + 0.03 * (e + 8) ** 2)


FUNCTIONS = {
    "adam": (
        _adam,
        {
            "lr": LogUniform(1e-6, 1.0),
            "weight_decay": LogUniform(1e-7, 1e-1),
            "eps": LogUniform(1e-10, 1e-4),
        },
        ["lr", "weight_decay", "eps"],
    ),
    "interaction": (
        _interaction,
        {
            "lr": LogUniform(1e-5, 1e-1),
            "momentum": OneMinusLogUniform(0.9, 0.999),
            "eps": LogUniform(1e-10, 1e-4),
        },
        ["lr", "momentum", "eps"],
    ),
}


class SyntheticRun(BaseEstimator):
    """``score`` = a known function of the hyperparameters + fold noise."""

    def __init__(
        self, function="adam", lr=1e-3, weight_decay=1e-4, eps=1e-8, momentum=0.9
    ):
        self.function = function
        self.lr = lr
        self.weight_decay = weight_decay
        self.eps = eps
        self.momentum = momentum

    def fit(self, X, y=None):
        return self

    def score(self, X, y=None):
        f, space, _ = FUNCTIONS[self.function]
        params = {name: getattr(self, name) for name in space}
        seed = zlib.crc32(repr((sorted(params.items()), float(X[0, 0]))).encode())
        return f(params) + NOISE * np.random.default_rng(seed).standard_normal()


def run_search(function: str, kind: str, seed: int, n_iter: int = 50):
    """A fitted search (``kind`` "random" or "gp") of ``function``."""
    _, space, _ = FUNCTIONS[function]
    X = np.arange(6, dtype=float)[:, None]
    cv = [(np.arange(6) != i, np.arange(6) == i) for i in (0, 1, 2)]
    cv = [(np.flatnonzero(tr), np.flatnonzero(te)) for tr, te in cv]
    common = dict(n_iter=n_iter, cv=cv, random_state=seed)
    if kind == "random":
        search = RandomizedSearchCV(SyntheticRun(function), space, **common)
    else:
        search = GPBayesSearchCV(SyntheticRun(function), space, **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(X)


def true_shares(function: str, n: int = 4096, n_grid: int = 64) -> dict:
    """First-order shares of the function itself, by brute force."""
    f, space, names = FUNCTIONS[function]
    rng = np.random.default_rng(0)
    U = rng.uniform(size=(n, len(names)))
    values = {k: space[k].ppf(U[:, j]) for j, k in enumerate(names)}

    def evaluate(vals):
        return np.array([f({k: vals[k][i] for k in names}) for i in range(n)])

    total = evaluate(values).var()
    shares = {}
    for name in names:
        effect = []
        for u in (np.arange(n_grid) + 0.5) / n_grid:
            vals = dict(values)
            vals[name] = np.full(n, space[name].ppf(u))
            effect.append(evaluate(vals).mean())
        shares[name] = float(np.var(effect) / total)
    return shares


def _success(function: str, names, pair=None, interaction=None) -> bool:
    expected = FUNCTIONS[function][2]
    ok = list(names) == expected
    if function == "interaction" and pair is not None:
        ok = ok and set(pair) == {"lr", "momentum"} and interaction > 0.05
    return bool(ok)


def _optuna(search, function: str, seed: int) -> dict:
    import optuna
    from optuna.importance import (
        FanovaImportanceEvaluator,
        PedAnovaImportanceEvaluator,
        get_param_importances,
    )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    _, space, _ = FUNCTIONS[function]
    distributions = {}
    for name, dist in space.items():
        low, high = dist.support()
        log = isinstance(dist, LogUniform)
        distributions[name] = optuna.distributions.FloatDistribution(low, high, log=log)
    results = search.cv_results_
    study = optuna.create_study(direction="maximize")
    for params, value in zip(
        results["params"], results["mean_test_score"], strict=True
    ):
        study.add_trial(
            optuna.trial.create_trial(
                params=params, distributions=distributions, value=float(value)
            )
        )
    out = {}
    for name, evaluator in (
        ("ped_anova", PedAnovaImportanceEvaluator()),
        ("fanova", FanovaImportanceEvaluator(seed=seed)),
    ):
        start = time.perf_counter()
        found = get_param_importances(study, evaluator=evaluator, normalize=False)
        out[name] = {"importances": found, "seconds": time.perf_counter() - start}
    return out


def main(argv=None) -> dict:
    """Run the study and print its tables; return the raw numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--gp-seeds", type=int, default=20)
    parser.add_argument("--n-iter", type=int, default=50)
    parser.add_argument("--n-bootstrap", type=int, default=0)
    parser.add_argument("--optuna", action="store_true")
    parser.add_argument(
        "--functions",
        default=",".join(FUNCTIONS),
        help=f"comma-separated, among {', '.join(FUNCTIONS)} (default: all)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="write the raw numbers (JSON), rewritten after every seed",
    )
    args = parser.parse_args(argv)
    functions = [name.strip() for name in args.functions.split(",") if name.strip()]
    unknown = sorted(set(functions) - set(FUNCTIONS))
    if unknown:
        parser.error(f"unknown functions {unknown}; choose among {list(FUNCTIONS)}")
    report = {}

    def save():
        if args.out:
            with open(args.out, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=1)

    for function in functions:
        report[function] = {"true": true_shares(function)}
        for kind, n_seeds in (("random", args.seeds), ("gp", args.gp_seeds)):
            rows = report[function][kind] = []
            for seed in range(n_seeds):
                search = run_search(function, kind, seed, args.n_iter)
                start = time.perf_counter()
                found = param_importances(
                    search, n_bootstrap=args.n_bootstrap, random_state=seed
                )
                row = {
                    "seed": seed,
                    "names": found.names,
                    "importances": found.importances.tolist(),
                    "pair": list(found.interaction_pair),
                    "interaction": found.interaction,
                    "seconds": time.perf_counter() - start,
                }
                row["success"] = _success(
                    function, found.names, found.interaction_pair, found.interaction
                )
                if args.optuna and kind == "random":
                    ours = found.as_dict()
                    for name, item in _optuna(search, function, seed).items():
                        theirs = item["importances"]
                        order = sorted(theirs, key=theirs.get, reverse=True)
                        keys = list(ours)
                        row[name] = {
                            "names": order,
                            "success": _success(function, order),
                            "spearman": float(
                                spearmanr(
                                    [ours[k] for k in keys], [theirs[k] for k in keys]
                                ).statistic
                            ),
                            "seconds": item["seconds"],
                        }
                rows.append(row)
                save()  # an interrupted run keeps the seeds it completed
            if not rows:
                continue
            rate = np.mean([r["success"] for r in rows])
            mean = np.mean([r["importances"] for r in rows], axis=0)
            print(
                f"{function:<12} {kind:<7} seeds={len(rows):<4} success={rate:.2f} "
                f"median time={np.median([r['seconds'] for r in rows]):.2f}s "
                f"mean shares (sorted)={np.round(mean, 3).tolist()}"
            )
            for name in ("ped_anova", "fanova"):
                if name in rows[0]:
                    print(
                        f"{'':<12} {name:<10} success="
                        f"{np.mean([r[name]['success'] for r in rows]):.2f} "
                        f"spearman vs ours median="
                        f"{np.nanmedian([r[name]['spearman'] for r in rows]):.2f} "
                        f"mean={np.nanmean([r[name]['spearman'] for r in rows]):.2f} "
                        "median time="
                        f"{np.median([r[name]['seconds'] for r in rows]):.2f}s"
                    )
        print(f"{function:<12} true shares: {report[function]['true']}")
    save()
    return report


if __name__ == "__main__":
    main()
