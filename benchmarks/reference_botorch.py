"""BoTorch's standard loop on the benchmark's continuous synthetic problems.

A reference point, not a peer of the main study: BoTorch is a library for
writing Bayesian optimisation loops, not a drop-in search. This script runs
the loop of its tutorials with its defaults: ``SingleTaskGP`` (RBF kernel
with Hvarfner et al.'s dimension-scaled lengthscale prior, ``Standardize``
outcome transform) fitted by ``fit_gpytorch_mll``; analytic
``LogExpectedImprovement`` for one point per step, ``qLogExpectedImprovement``
for ``q > 1``; ``optimize_acqf`` with 10 restarts and 512 raw samples. The
initial design is scrambled Sobol with ``max(5, d + 1)`` points, as
``GPBayesSearchCV``'s default, and the budget is ``n_iter`` evaluations.

Each seed prints one JSON line; the last line is the median regret::

    python -m benchmarks.reference_botorch --problems hartmann6,levy10 \\
        --q 1 --seeds 0:20 --n-iter 50

It needs ``pip install -e ".[reference]"`` (BoTorch), which CI does not
install.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
from scipy.stats import qmc

from benchmarks.synthetic import FUNCTIONS, TestFunction

__all__ = ["botorch_regret", "main"]


def _continuous_bounds(function: TestFunction) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of a problem whose parameters are linear floats."""
    for param in function.space:
        if param.kind != "float" or param.scale != "linear":
            raise ValueError(
                f"problem {function.name!r}: parameter {param.name!r} is "
                f"{param.kind} on a {param.scale} scale; this reference runs "
                "only linear float spaces."
            )
    low = np.array([p.low for p in function.space], dtype=float)
    high = np.array([p.high for p in function.space], dtype=float)
    return low, high


def botorch_regret(function: TestFunction, q: int, seed: int, n_iter: int) -> float:
    """Final regret of BoTorch's standard loop on ``function``.

    Parameters
    ----------
    function : TestFunction
        A problem whose parameters are all linear floats.
    q : int
        Points proposed per step.
    seed : int
        Seeds the Sobol design and torch.
    n_iter : int
        Number of evaluations in all.

    Returns
    -------
    float
        ``f(best point) - f_min``.
    """
    import torch
    from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Standardize
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    low, high = _continuous_bounds(function)
    names = [p.name for p in function.space]
    d = len(names)

    def params(u: np.ndarray) -> dict[str, float]:
        return {n: float(v) for n, v in zip(names, low + u * (high - low), strict=True)}

    def scores(U: np.ndarray) -> np.ndarray:
        return np.array([-function(params(u)) for u in U])

    torch.manual_seed(seed)
    U = qmc.Sobol(d, scramble=True, seed=seed).random(max(5, d + 1))
    Y = scores(U)
    bounds = torch.stack([torch.zeros(d), torch.ones(d)]).double()
    while len(Y) < n_iter:
        k = min(q, n_iter - len(Y))
        X_t = torch.tensor(U, dtype=torch.float64)
        Y_t = torch.tensor(Y, dtype=torch.float64).unsqueeze(-1)
        model = SingleTaskGP(X_t, Y_t, outcome_transform=Standardize(m=1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        if k == 1:
            acquisition = LogExpectedImprovement(model, best_f=Y_t.max())
        else:
            acquisition = qLogExpectedImprovement(model, best_f=Y_t.max())
        candidates, _ = optimize_acqf(
            acquisition, bounds=bounds, q=k, num_restarts=10, raw_samples=512
        )
        new = candidates.detach().numpy()
        U = np.vstack([U, new])
        Y = np.concatenate([Y, scores(new)])
    return function.regret(params(U[np.argmax(Y)]))


def main(argv: list[str] | None = None) -> None:
    """Run the reference and print one JSON line per seed, then the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="hartmann6,levy10")
    parser.add_argument("--q", type=int, default=1, help="points per step")
    parser.add_argument("--seeds", default="0:20", help="range a:b")
    parser.add_argument("--n-iter", type=int, default=50)
    args = parser.parse_args(argv)
    first, last = (int(s) for s in args.seeds.split(":"))
    import torch

    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    warnings.simplefilter("ignore")  # BoTorch's numerical and input warnings
    for name in args.problems.split(","):
        regrets = []
        for seed in range(first, last):
            start = time.perf_counter()
            regret = botorch_regret(FUNCTIONS[name], args.q, seed, args.n_iter)
            regrets.append(regret)
            record = {
                "problem": name,
                "q": args.q,
                "seed": seed,
                "n_iter": args.n_iter,
                "regret": regret,
                "seconds": round(time.perf_counter() - start, 1),
            }
            print(json.dumps(record), flush=True)
        summary = {"problem": name, "q": args.q, "seeds": len(regrets)}
        print(json.dumps({**summary, "median_regret": float(np.median(regrets))}))


if __name__ == "__main__":
    main()
