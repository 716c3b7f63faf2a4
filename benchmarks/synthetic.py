"""Test functions with a known optimum, wrapped as scikit-learn estimators.

A :class:`TestFunction` maps a dict of hyperparameters to a loss ``f`` whose
minimum ``f_min`` over the (integer- and category-constrained) domain is known.
:func:`objective_estimator` turns it into a scikit-learn estimator class whose
constructor arguments are exactly those hyperparameters, whose ``fit`` does
nothing and whose ``score(X, y)`` is ``-f(params)``. Searching it with a real
cross-validation on a tiny dummy data set (:func:`dummy_data`) runs the whole
``BaseSearchCV`` machinery while the fits cost nothing, so the optimiser's own
overhead is what the wall time shows.

Classic functions: Branin (2-D), Hartmann-6 (6-D), Levy (10-D). The
"hyperparameter-shaped" ones put the optimum in log space, as real tuning does:

``adam``
    A learning rate that matters (asymmetric valley in log10(lr) around 1e-3),
    an Adam epsilon that barely does, a weight decay that matters a little.
``momentum``
    SGD with momentum: the loss depends on log10(1 - beta) and on the effective
    step ``lr / (1 - beta)``; the optimum is beta ~ 0.9968.
``mlp``
    Integer hidden units (best 256, log scale), a categorical activation, a
    learning rate whose best value moves with the width, and an L2 penalty.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from benchmarks.space import Param, categorical, floats, ints

__all__ = [
    "FUNCTIONS",
    "TestFunction",
    "dummy_data",
    "objective_estimator",
]


@dataclass(frozen=True)
class TestFunction:
    """A loss over named hyperparameters with a known minimum.

    Parameters
    ----------
    name : str
        Short name.
    space : tuple of Param
        The domain.
    f : callable
        ``f(params) -> float`` for a mapping of parameter name to value.
    f_min : float
        The minimum of ``f`` over the domain.
    description : str
        One line for the report.
    """

    name: str
    space: tuple[Param, ...]
    f: Callable[[Mapping[str, Any]], float]
    f_min: float
    description: str

    def __call__(self, params: Mapping[str, Any]) -> float:
        """Evaluate the loss at ``params``."""
        return float(self.f(params))

    def regret(self, params: Mapping[str, Any]) -> float:
        """Return ``f(params) - f_min`` (clipped at 0 against round-off)."""
        return max(self(params) - self.f_min, 0.0)


# --- classic functions ------------------------------------------------------


def _branin(p: Mapping[str, Any]) -> float:
    x1, x2 = float(p["x1"]), float(p["x2"])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def _hartmann6(p: Mapping[str, Any]) -> float:
    x = np.array([float(p[f"x{i}"]) for i in range(1, 7)])
    inner = np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)
    return float(-np.sum(_H6_ALPHA * np.exp(-inner)))


def _levy(p: Mapping[str, Any]) -> float:
    x = np.array([float(p[f"x{i}"]) for i in range(1, 11)])
    w = 1 + (x - 1) / 4
    head = np.sin(np.pi * w[0]) ** 2
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(head + body + tail)


# --- hyperparameter-shaped functions ----------------------------------------


def _softplus(z: float) -> float:
    return math.log1p(math.exp(-abs(z))) + max(z, 0.0)


def _lr_valley(u: float) -> float:
    """Asymmetric valley: slow learning below the optimum, divergence above."""
    return 0.25 * u * u if u <= 0 else u * u


def _adam(p: Mapping[str, Any]) -> float:
    u = math.log10(p["learning_rate"]) + 3.0
    eps_effect = 0.05 * _softplus(math.log10(p["adam_epsilon"]) + 4.0)
    wd = 0.05 * (math.log10(p["weight_decay"]) + 4.0) ** 2 / 4
    return _lr_valley(u) + eps_effect + wd


def _momentum(p: Mapping[str, Any]) -> float:
    m = math.log10(1.0 - float(p["momentum"]))
    step = math.log10(p["learning_rate"]) - m
    return 0.5 * (step + 1.0) ** 2 + 0.5 * (m + 2.5) ** 2


_ACTIVATION_PENALTY = {"relu": 0.0, "tanh": 0.15, "logistic": 0.4}


def _mlp(p: Mapping[str, Any]) -> float:
    width = math.log2(int(p["hidden_units"])) - 8.0
    best_lr = -3.0 - 0.25 * width
    u = math.log10(p["learning_rate"]) - best_lr
    alpha = math.log10(p["alpha"]) + 4.0
    return (
        _lr_valley(u)
        + 0.08 * width**2
        + 0.02 * alpha**2
        + _ACTIVATION_PENALTY[p["activation"]]
    )


FUNCTIONS: dict[str, TestFunction] = {
    f.name: f
    for f in [
        TestFunction(
            "branin",
            (floats("x1", -5.0, 10.0), floats("x2", 0.0, 15.0)),
            _branin,
            0.397887357729738,
            "Branin, 2-D, three global minima",
        ),
        TestFunction(
            "hartmann6",
            tuple(floats(f"x{i}", 0.0, 1.0) for i in range(1, 7)),
            _hartmann6,
            -3.32236801141551,
            "Hartmann-6, 6-D, multimodal",
        ),
        TestFunction(
            "levy10",
            tuple(floats(f"x{i}", -10.0, 10.0) for i in range(1, 11)),
            _levy,
            0.0,
            "Levy, 10-D, minimum at x = 1",
        ),
        TestFunction(
            "adam",
            (
                floats("learning_rate", 1e-6, 1.0, "log"),
                floats("adam_epsilon", 1e-10, 1e-1, "log"),
                floats("weight_decay", 1e-8, 1e-1, "log"),
            ),
            _adam,
            0.05 * _softplus(-6.0),
            "lr matters (best 1e-3), Adam eps barely, weight decay a little",
        ),
        TestFunction(
            "momentum",
            (
                floats("learning_rate", 1e-5, 1.0, "log"),
                floats("momentum", 0.5, 0.9999, "one_minus_log"),
            ),
            _momentum,
            0.0,
            "SGD momentum: effect in log10(1-beta), best beta ~ 0.9968",
        ),
        TestFunction(
            "mlp",
            (
                floats("learning_rate", 1e-5, 1e-1, "log"),
                ints("hidden_units", 8, 1024, "log"),
                categorical("activation", ("relu", "tanh", "logistic")),
                floats("alpha", 1e-7, 1e-1, "log"),
            ),
            _mlp,
            0.0,
            "integer hidden units (log, best 256), categorical activation",
        ),
    ]
}


# --- estimator wrapper -------------------------------------------------------


class _ObjectiveEstimator(BaseEstimator):
    """Base of the generated estimators: no-op fit, ``score = -f(params)``."""

    function: TestFunction

    def fit(self, X: Any, y: Any = None) -> _ObjectiveEstimator:
        """Do nothing (the hyperparameters alone define the score)."""
        self.is_fitted_ = True
        return self

    def score(self, X: Any, y: Any = None) -> float:
        """Return minus the test function at the current hyperparameters."""
        return -self.function(self.get_params())


def objective_estimator(function: TestFunction) -> type[BaseEstimator]:
    """Return (and cache) the estimator class of a test function.

    The class has one keyword constructor argument per parameter of
    ``function.space`` (defaults: the middle of the range or the first choice),
    so ``get_params``, ``set_params`` and ``clone`` behave as for any
    scikit-learn estimator. It is a module attribute, so it pickles by
    reference (for ``n_jobs > 1``).

    Parameters
    ----------
    function : TestFunction
        The function to wrap.

    Returns
    -------
    type
        A :class:`~sklearn.base.BaseEstimator` subclass.
    """
    class_name = f"{function.name.capitalize()}Objective"
    if class_name in globals():
        return globals()[class_name]
    defaults = {
        p.name: p.choices[0] if p.kind == "categorical" else (p.low + p.high) / 2
        for p in function.space
    }

    def __init__(self: BaseEstimator, **params: Any) -> None:
        for name, default in defaults.items():
            setattr(self, name, params.pop(name, default))
        if params:
            raise TypeError(f"unexpected parameters {sorted(params)}")

    kw = inspect.Parameter.KEYWORD_ONLY
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, kw, default=d) for n, d in defaults.items()]
    )
    cls = type(
        class_name,
        (_ObjectiveEstimator,),
        {
            "__init__": __init__,
            "function": function,
            "__module__": __name__,
            "__qualname__": class_name,
            "__doc__": f"Estimator whose score is minus {function.description}.",
        },
    )
    globals()[class_name] = cls
    return cls


for _function in FUNCTIONS.values():
    objective_estimator(_function)


def dummy_data(n_samples: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Return a tiny data set for the no-op fits of objective estimators.

    Parameters
    ----------
    n_samples : int, default=30
        Number of rows.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    y : ndarray of shape (n_samples,)
    """
    X = np.arange(n_samples, dtype=float).reshape(-1, 1)
    return X, np.zeros(n_samples)
