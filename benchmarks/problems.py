"""The benchmark problems: synthetic functions and real tuning tasks.

A :class:`Problem` bundles an estimator factory, a data loader, a
:class:`~benchmarks.space.Param` space and a cross-validation splitter.
Synthetic problems also carry their :class:`~benchmarks.synthetic.TestFunction`
so that regret is computed from the true noiseless function.

Real tasks use only data sets bundled with scikit-learn (nothing downloads),
small enough that one cross-validated fit costs well under a second on one
core.

Extension point
---------------
Further tasks (e.g. a skorch network) are added with :func:`register_problem`
from a module listed in :data:`PLUGIN_MODULES`; such a module is imported by
:func:`load_plugins` if it exists, and its own import errors (torch or skorch
missing) make it silently absent. A skorch task would look like::

    # benchmarks/skorch_task.py (the real one registers skorch_mlp_digits)
    from benchmarks.problems import Problem, register_problem
    from benchmarks.space import floats, ints

    register_problem(Problem(
        name="skorch_mlp_digits", kind="real",
        make_estimator=lambda: NeuralNetClassifier(MLPModule, max_epochs=10),
        load_data=load_digits_float32,
        space=(floats("lr", 1e-4, 1e-1, "log"),
               floats("optimizer__momentum", 0.5, 0.999, "one_minus_log"),
               ints("module__hidden_units", 16, 256, "log")),
        cv=3, description="skorch MLP on digits"))
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import ElasticNet
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC

from benchmarks.space import Param, categorical, floats, ints
from benchmarks.synthetic import (
    FUNCTIONS,
    TestFunction,
    dummy_data,
    objective_estimator,
)

__all__ = [
    "PLUGIN_MODULES",
    "PROBLEMS",
    "Problem",
    "load_plugins",
    "register_problem",
]

#: Modules imported by :func:`load_plugins` (if present) to register problems.
PLUGIN_MODULES: tuple[str, ...] = ("benchmarks.skorch_task", "benchmarks.real_tasks")


@dataclass(frozen=True)
class Problem:
    """A tuning problem of the benchmark.

    Parameters
    ----------
    name : str
        Short name used on the command line and in the raw results.
    kind : {"synthetic", "real"}
        Synthetic problems are measured by regret (lower is better), real ones
        by cross-validated score (higher is better).
    make_estimator : callable
        Returns a fresh unfitted estimator.
    load_data : callable
        Returns ``(X, y)``.
    space : tuple of Param
        The search space.
    cv : int or cross-validation generator, default=3
        The splitter every method receives.
    description : str, default=""
        One line for the report.
    function : TestFunction, default=None
        For synthetic problems, the true function (for regret).
    resource : tuple of (str, int), default=None
        ``(parameter, full value)`` of an estimator parameter that acts as a
        training budget (e.g. ``("max_epochs", 27)``): the budget study runs
        the budgeted methods on problems that have one.
    scoring : str, default=None
        The ``scoring`` every method's search receives (None: the
        estimator's ``score``).
    """

    name: str
    kind: Literal["synthetic", "real"]
    make_estimator: Callable[[], BaseEstimator]
    load_data: Callable[[], tuple[Any, Any]]
    space: tuple[Param, ...]
    cv: Any = 3
    description: str = ""
    function: TestFunction | None = None
    resource: tuple[str, int] | None = None
    scoring: str | None = None

    @property
    def goal(self) -> Literal["min", "max"]:
        """``"min"`` for regret (synthetic), ``"max"`` for CV score (real)."""
        return "min" if self.kind == "synthetic" else "max"


PROBLEMS: dict[str, Problem] = {}


def register_problem(problem: Problem) -> Problem:
    """Add ``problem`` to :data:`PROBLEMS` (the extension point).

    Parameters
    ----------
    problem : Problem
        The problem; its name must be new.

    Returns
    -------
    Problem
        The same problem.
    """
    if problem.name in PROBLEMS:
        raise ValueError(f"problem {problem.name!r} is already registered")
    PROBLEMS[problem.name] = problem
    return problem


def load_plugins() -> list[str]:
    """Import the modules of :data:`PLUGIN_MODULES` that exist.

    Returns
    -------
    list of str
        The modules imported.
    """
    loaded = []
    for module_name in PLUGIN_MODULES:
        try:
            importlib.import_module(module_name)
        except ImportError:
            continue
        loaded.append(module_name)
    return loaded


# --- synthetic problems ----------------------------------------------------


for _function in FUNCTIONS.values():
    register_problem(
        Problem(
            name=_function.name,
            kind="synthetic",
            make_estimator=objective_estimator(_function),
            load_data=dummy_data,
            space=_function.space,
            cv=3,
            description=_function.description,
            function=_function,
        )
    )


# --- real tasks --------------------------------------------------------------


def _digits(n_samples: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], optionally a fixed stratified subsample."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    if n_samples:
        rng = np.random.RandomState(0)
        keep = np.sort(rng.permutation(len(y))[:n_samples])
        X, y = X[keep], y[keep]
    return X, y


_STRATIFIED = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

register_problem(
    Problem(
        name="svc_digits",
        kind="real",
        make_estimator=SVC,
        load_data=lambda: _digits(600),
        space=(floats("C", 1e-2, 1e4, "log"), floats("gamma", 1e-5, 1e0, "log")),
        cv=_STRATIFIED,
        description="SVC (RBF) on 600 digits, accuracy, 3-fold",
    )
)
register_problem(
    Problem(
        name="hgb_cancer",
        kind="real",
        make_estimator=lambda: HistGradientBoostingClassifier(
            max_iter=20, early_stopping=False, max_bins=63, random_state=0
        ),
        load_data=lambda: load_breast_cancer(return_X_y=True),
        space=(
            floats("learning_rate", 1e-3, 1.0, "log"),
            ints("max_leaf_nodes", 2, 64, "log"),
            ints("min_samples_leaf", 1, 100, "log"),
            floats("l2_regularization", 1e-6, 1e2, "log"),
        ),
        cv=_STRATIFIED,
        description="HistGradientBoosting (20 trees) on breast cancer, accuracy",
        resource=("max_iter", 20),
    )
)
register_problem(
    Problem(
        name="mlp_digits",
        kind="real",
        make_estimator=lambda: MLPClassifier(
            max_iter=30, random_state=0, n_iter_no_change=5
        ),
        load_data=lambda: _digits(400),
        space=(
            ints("hidden_layer_sizes", 8, 128, "log"),
            floats("learning_rate_init", 1e-4, 1e-1, "log"),
            floats("beta_1", 0.5, 0.999, "one_minus_log"),
            floats("alpha", 1e-6, 1e-1, "log"),
            categorical("activation", ("relu", "tanh")),
        ),
        cv=_STRATIFIED,
        description="MLPClassifier (Adam, 30 epochs) on 400 digits, accuracy",
    )
)
register_problem(
    Problem(
        name="enet_diabetes",
        kind="real",
        make_estimator=lambda: make_pipeline(
            PolynomialFeatures(2), StandardScaler(), ElasticNet(max_iter=2000)
        ),
        load_data=lambda: load_diabetes(return_X_y=True),
        space=(
            floats("elasticnet__alpha", 1e-5, 1e1, "log"),
            floats("elasticnet__l1_ratio", 0.0, 1.0),
        ),
        cv=KFold(n_splits=3, shuffle=True, random_state=0),
        description="ElasticNet on degree-2 features of diabetes, R^2, 3-fold",
    )
)
