"""Which hyperparameters matter for the skorch MLP on digits?

A ``RandomizedSearchCV`` of the benchmark's skorch task (an MLP trained by
SGD with momentum on 600 digits, 3-fold CV; the space of
:mod:`benchmarks.skorch_task`: learning rate, momentum, batch size, hidden
units, layers, activation), read by ``param_importances``: the hierarchy to
hold against the seeds' (learning rate first; momentum, mini-batch size and
hidden units next; layers after).

Run ``python -m benchmarks.skorch_importance --help``.
"""

from __future__ import annotations

import argparse
import time
import warnings

from scipy.stats import randint
from sklearn.model_selection import RandomizedSearchCV

from benchmarks.skorch_task import load_digits_float32, make_skorch_problem
from sk_hpsearch import LogUniform, OneMinusLogUniform, param_importances

SPACE = {
    "lr": LogUniform(1e-3, 0.5),
    "optimizer__momentum": OneMinusLogUniform(0.5, 0.999),
    "batch_size": LogUniform(16, 128, integer=True),
    "module__hidden_units": LogUniform(16, 256, integer=True),
    "module__num_layers": randint(1, 4),
    "module__activation": ["relu", "tanh"],
}


def main(argv=None):
    """Run the search, print its importances; return them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=60)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    problem = make_skorch_problem(max_epochs=args.max_epochs)
    X, y = load_digits_float32(600)
    search = RandomizedSearchCV(
        problem.make_estimator(),
        SPACE,
        n_iter=args.n_iter,
        cv=problem.cv,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        error_score=float("nan"),
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    print(
        f"RandomizedSearchCV, n_iter={args.n_iter}, max_epochs={args.max_epochs}: "
        f"{time.perf_counter() - start:.0f} s, best accuracy "
        f"{search.best_score_:.3f} with {search.best_params_}"
    )
    start = time.perf_counter()
    found = param_importances(search, n_bootstrap=32, random_state=args.seed)
    print(f"param_importances: {time.perf_counter() - start:.1f} s")
    print(found)
    return found


if __name__ == "__main__":
    main()
