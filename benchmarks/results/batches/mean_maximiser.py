"""Regret of the posterior-mean maximiser fitted to a batch run's points.

For each seed, runs ``BayesianOptimizer`` with batches of 8 to 120 told
evaluations and with batches of 1 to 121 (the points each has when it picks
its last round's, or its first closing, mean maximiser), fits the GP to
those points as the strategy does (warm-started, then with restarts), and
prints the regret of the maximiser of its posterior mean. Columns: seed;
then for the batch and the sequential run, the best regret so far and the
mean maximiser's regret with the warm-started and the restarted fit.

Run from the repository root::

    PYTHONPATH=. python benchmarks/results/batches/mean_maximiser.py hartmann6 12
"""

import sys
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.methods import ours_space
from benchmarks.synthetic import FUNCTIONS
from sk_hpsearch import BayesianOptimizer
from sk_hpsearch.strategies._bayes import _propose


def run_to(function, q: int, n_told: int, seed: int):
    """The optimiser after ``n_told`` evaluations asked ``q`` at a time."""
    opt = BayesianOptimizer(ours_space(function.space), n_iter=128, random_state=seed)
    losses: list[float] = []
    while len(losses) < n_told:
        params = opt.ask(min(q, n_told - len(losses)))
        batch = [float(function.f(p)) for p in params]
        opt.tell(params, [-v for v in batch])
        losses += batch
    return opt, min(losses) - function.f_min


def mean_maximiser_regret(function, opt, restart: bool) -> float:
    """Regret of the maximiser of the posterior mean of the fitted GP."""
    strategy = opt._started()
    X, *_ = _propose(
        strategy.space,
        strategy.history,
        strategy._model_data(),
        1,
        strategy.gp_params,
        restart,
        "ucb",
        0.0,
        np.random.RandomState(0),
    )
    return float(function.f(strategy.space.decode(X)[0])) - function.f_min


def main(problem: str, n_seeds: int) -> None:
    function = FUNCTIONS[problem]
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(n_seeds):
            row = []
            for q, n_told in ((8, 120), (1, 121)):
                opt, best = run_to(function, q, n_told, seed)
                row += [best] + [
                    mean_maximiser_regret(function, opt, r) for r in (False, True)
                ]
            print(seed, " ".join(f"{v:.2e}" for v in row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
