"""Quickstart: tune an SVC on the digits dataset, on the right scale.
==================================================================

``C`` and ``gamma`` act multiplicatively, so both are sampled log-uniformly.
The same budget (``n_iter`` candidates, 3-fold CV, the same ``random_state``)
is given to scikit-learn's ``RandomizedSearchCV`` and to sk_hpsearch's
searches; the table shows the best cross-validated accuracy, the accuracy of
the refitted model on a held-out split, and the wall time.

Run with ``python examples/quickstart.py`` (under a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.svm import SVC

import sk_hpsearch
from sk_hpsearch import CoarseToFineSearchCV, LogUniform

SPACE = {"C": LogUniform(1e-2, 1e3), "gamma": LogUniform(1e-5, 1e-1)}


def searches(n_iter: int, seed: int) -> dict:
    """The searches compared, each with the same budget and seed."""
    common = dict(n_iter=n_iter, cv=3, n_jobs=-1, random_state=seed)
    candidates = {
        "RandomizedSearchCV": RandomizedSearchCV(SVC(), SPACE, **common),
        "CoarseToFineSearchCV": CoarseToFineSearchCV(SVC(), SPACE, **common),
    }
    if hasattr(sk_hpsearch, "GPBayesSearchCV"):
        candidates["GPBayesSearchCV"] = sk_hpsearch.GPBayesSearchCV(
            SVC(), SPACE, **common
        )
    return candidates


def main(argv: list[str] | None = None) -> list[dict]:
    """Run every search and print a table; return its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    rows = []
    print(f"SVC on digits, n_iter={args.n_iter}, 3-fold CV, random_state={args.seed}")
    print(f"{'search':<22} {'best CV acc':>11} {'test acc':>9} {'time (s)':>9}  best")
    for name, search in searches(args.n_iter, args.seed).items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        row = {
            "search": name,
            "best_cv": search.best_score_,
            "test": search.score(X_test, y_test),
            "seconds": seconds,
            "best_params": search.best_params_,
        }
        rows.append(row)
        params = ", ".join(f"{k}={v:.3g}" for k, v in row["best_params"].items())
        print(
            f"{name:<22} {row['best_cv']:>11.4f} {row['test']:>9.4f} "
            f"{seconds:>9.1f}  {params}"
        )
    return rows


if __name__ == "__main__":
    main()
