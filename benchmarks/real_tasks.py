"""The real-task suite: tuning problems that separate the methods.

Importing this module registers the problems of :data:`REAL_SUITE` (it is
listed in :data:`benchmarks.problems.PLUGIN_MODULES`). Every problem is a
scikit-learn model (or a skorch net, when torch and skorch import) on data
bundled with scikit-learn or generated with a fixed seed, scored by 5-fold
cross-validation on fixed shuffled folds. Every model has a fixed
``random_state``, so a problem's score is a deterministic function of its
hyperparameters and the seeds of a run vary only the search. Data are
subsampled so that one 5-fold evaluation costs about half a second or less
on one core.

The selection covers the model families a user tunes (RBF kernels, nearest
neighbours, trees, forests and boosting, linear models with a regularisation
on a log scale, neural networks with Adam's betas and SGD's momentum), four
metrics (accuracy, log loss, R², mean absolute error) and 2 to 10
hyperparameters, floats, integers and categories mixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_classification,
    make_friedman1,
)
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import ElasticNet, LogisticRegression, SGDClassifier
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeRegressor

from benchmarks.problems import Problem, register_problem
from benchmarks.space import Param, categorical, floats, ints

__all__ = ["REAL_SUITE", "real_suite"]

#: Folds of every classification problem of the suite.
STRATIFIED5 = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
#: Folds of every regression problem of the suite.
KFOLD5 = KFold(n_splits=5, shuffle=True, random_state=0)


def _subsample(X: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random subset of ``n`` rows (all rows if ``n`` is 0)."""
    if not n or n >= len(y):
        return X, y
    keep = np.sort(np.random.RandomState(0).permutation(len(y))[:n])
    return X[keep], y[keep]


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return _subsample(X / 16.0, y, n)


def _cancer() -> tuple[np.ndarray, np.ndarray]:
    return load_breast_cancer(return_X_y=True)


def _wine() -> tuple[np.ndarray, np.ndarray]:
    return load_wine(return_X_y=True)


def _diabetes() -> tuple[np.ndarray, np.ndarray]:
    return load_diabetes(return_X_y=True)


def _friedman(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    return make_friedman1(n_samples=n, n_features=10, noise=1.0, random_state=0)


def _classification(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        n_samples=n,
        n_features=20,
        n_informative=6,
        n_redundant=4,
        flip_y=0.05,
        class_sep=0.8,
        random_state=0,
    )


def _problem(
    name: str,
    make_estimator: Callable[[], BaseEstimator],
    load_data: Callable[[], tuple[np.ndarray, np.ndarray]],
    space: list[Param],
    scoring: str,
    description: str,
    *,
    classification: bool,
) -> Problem:
    """A suite problem: 5-fold CV, stratified for classification."""
    return Problem(
        name=name,
        kind="real",
        make_estimator=make_estimator,
        load_data=load_data,
        space=tuple(space),
        cv=STRATIFIED5 if classification else KFOLD5,
        description=description,
        scoring=scoring,
    )


_SUITE: list[Problem] = [
    _problem(
        "rt_svc_cancer",
        lambda: make_pipeline(StandardScaler(), SVC(random_state=0)),
        _cancer,
        [
            floats("svc__C", 1e-3, 1e4, "log"),
            floats("svc__gamma", 1e-5, 1e1, "log"),
            categorical("svc__class_weight", (None, "balanced")),
        ],
        "accuracy",
        "RBF SVC on breast cancer (569), accuracy",
        classification=True,
    ),
    _problem(
        "rt_krr_friedman",
        KernelRidge,
        _friedman,
        [
            floats("alpha", 1e-6, 1e1, "log"),
            floats("gamma", 1e-4, 1e1, "log"),
            categorical("kernel", ("rbf", "laplacian")),
        ],
        "r2",
        "kernel ridge on Friedman #1 (300, 10 features), R²",
        classification=False,
    ),
    _problem(
        "rt_knn_wine",
        lambda: make_pipeline(StandardScaler(), KNeighborsClassifier()),
        _wine,
        [
            ints("kneighborsclassifier__n_neighbors", 1, 64, "log"),
            categorical("kneighborsclassifier__weights", ("uniform", "distance")),
            floats("kneighborsclassifier__p", 1.0, 3.0),
        ],
        "neg_log_loss",
        "k-NN on wine (178), log loss",
        classification=True,
    ),
    _problem(
        "rt_tree_diabetes",
        lambda: DecisionTreeRegressor(random_state=0),
        _diabetes,
        [
            ints("max_depth", 1, 20),
            ints("min_samples_split", 2, 128, "log"),
            ints("min_samples_leaf", 1, 64, "log"),
            floats("max_features", 0.1, 1.0),
            categorical("criterion", ("squared_error", "absolute_error", "poisson")),
        ],
        "neg_mean_absolute_error",
        "decision tree on diabetes (442), MAE",
        classification=False,
    ),
    _problem(
        "rt_rf_cancer",
        lambda: RandomForestClassifier(random_state=0, n_jobs=1),
        _cancer,
        [
            ints("n_estimators", 4, 16, "log"),
            ints("max_depth", 1, 16),
            ints("min_samples_leaf", 1, 32, "log"),
            floats("max_features", 0.05, 1.0, "log"),
            categorical("criterion", ("gini", "entropy")),
            categorical("bootstrap", (True, False)),
        ],
        "neg_log_loss",
        "random forest on breast cancer (569), log loss",
        classification=True,
    ),
    _problem(
        "rt_gb_synth",
        lambda: GradientBoostingClassifier(random_state=0),
        _classification,
        [
            floats("learning_rate", 1e-3, 1.0, "log"),
            ints("n_estimators", 4, 32, "log"),
            ints("max_depth", 1, 6),
            floats("subsample", 0.3, 1.0),
            floats("max_features", 0.1, 1.0),
        ],
        "accuracy",
        "gradient boosting on a generated task (400, 20 features), accuracy",
        classification=True,
    ),
    _problem(
        "rt_hgb_friedman",
        lambda: HistGradientBoostingRegressor(
            early_stopping=False, max_bins=63, random_state=0
        ),
        _friedman,
        [
            floats("learning_rate", 1e-3, 1.0, "log"),
            ints("max_iter", 4, 32, "log"),
            ints("max_leaf_nodes", 2, 32, "log"),
            ints("min_samples_leaf", 1, 64, "log"),
            floats("l2_regularization", 1e-6, 1e2, "log"),
            floats("max_features", 0.2, 1.0),
        ],
        "r2",
        "histogram boosting on Friedman #1 (300), R²",
        classification=False,
    ),
    _problem(
        "rt_logreg_digits",
        lambda: LogisticRegression(max_iter=200, random_state=0),
        lambda: _digits(600),
        [
            floats("C", 1e-5, 1e3, "log"),
            categorical("class_weight", (None, "balanced")),
            categorical("fit_intercept", (True, False)),
        ],
        "neg_log_loss",
        "logistic regression on digits (600), log loss",
        classification=True,
    ),
    _problem(
        "rt_sgd10_synth",
        lambda: make_pipeline(
            StandardScaler(), SGDClassifier(tol=None, random_state=0)
        ),
        _classification,
        [
            floats("sgdclassifier__alpha", 1e-7, 1e0, "log"),
            floats("sgdclassifier__l1_ratio", 0.0, 1.0),
            floats("sgdclassifier__eta0", 1e-4, 1e0, "log"),
            floats("sgdclassifier__power_t", 0.1, 1.0),
            ints("sgdclassifier__max_iter", 5, 100, "log"),
            categorical(
                "sgdclassifier__loss",
                ("hinge", "log_loss", "modified_huber", "squared_hinge"),
            ),
            categorical(
                "sgdclassifier__learning_rate",
                ("optimal", "constant", "invscaling", "adaptive"),
            ),
            categorical("sgdclassifier__penalty", ("l2", "l1", "elasticnet")),
            categorical("sgdclassifier__average", (False, True)),
            categorical("sgdclassifier__class_weight", (None, "balanced")),
        ],
        "accuracy",
        "SGD linear classifier, 10 hyperparameters, generated task (400), accuracy",
        classification=True,
    ),
    _problem(
        "rt_enet_friedman",
        lambda: make_pipeline(
            PolynomialFeatures(2), StandardScaler(), ElasticNet(max_iter=2000)
        ),
        _friedman,
        [
            floats("elasticnet__alpha", 1e-5, 1e1, "log"),
            floats("elasticnet__l1_ratio", 0.0, 1.0),
        ],
        "neg_mean_absolute_error",
        "elastic net on degree-2 features of Friedman #1 (300), MAE",
        classification=False,
    ),
    _problem(
        "rt_mlp_adam_digits",
        lambda: MLPClassifier(max_iter=10, random_state=0),
        lambda: _digits(400),
        [
            ints("hidden_layer_sizes", 8, 128, "log"),
            floats("learning_rate_init", 1e-4, 1e-1, "log"),
            floats("beta_1", 0.5, 0.999, "one_minus_log"),
            floats("beta_2", 0.9, 0.9999, "one_minus_log"),
            floats("alpha", 1e-6, 1e0, "log"),
            ints("batch_size", 32, 256, "log"),
            categorical("activation", ("relu", "tanh")),
        ],
        "accuracy",
        "MLP (Adam, 10 epochs) on digits (400), accuracy",
        classification=True,
    ),
    _problem(
        "rt_mlp_sgd_friedman",
        lambda: TransformedTargetRegressor(
            make_pipeline(
                StandardScaler(),
                MLPRegressor(solver="sgd", max_iter=15, random_state=0),
            ),
            transformer=StandardScaler(),
        ),
        _friedman,
        [
            ints("regressor__mlpregressor__hidden_layer_sizes", 4, 128, "log"),
            floats("regressor__mlpregressor__learning_rate_init", 1e-4, 1e0, "log"),
            floats("regressor__mlpregressor__momentum", 0.5, 0.999, "one_minus_log"),
            categorical("regressor__mlpregressor__nesterovs_momentum", (True, False)),
            floats("regressor__mlpregressor__alpha", 1e-6, 1e0, "log"),
            ints("regressor__mlpregressor__batch_size", 16, 128, "log"),
        ],
        "r2",
        "MLP (SGD with momentum, 15 epochs) on Friedman #1 (300), R²",
        classification=False,
    ),
]


def _skorch_problem() -> Problem | None:
    """The skorch net of the suite, or None without torch and skorch."""
    try:
        from benchmarks.skorch_task import make_skorch_problem
    except ImportError:
        return None
    problem = make_skorch_problem(n_samples=300, max_epochs=5, name="rt_skorch_digits")
    # Batches of at least 32 and at most 128 units keep a 5-fold evaluation
    # under a second.
    smaller = {
        "batch_size": ints("batch_size", 32, 128, "log"),
        "module__hidden_units": ints("module__hidden_units", 16, 128, "log"),
    }
    space = tuple(smaller.get(p.name, p) for p in problem.space)
    return replace(
        problem,
        space=space,
        cv=STRATIFIED5,
        scoring="accuracy",
        resource=None,
        description="skorch MLP (SGD with momentum, 5 epochs) on digits (300), "
        "accuracy",
    )


def real_suite() -> list[Problem]:
    """Return the suite's problems (the skorch one only where it imports).

    Returns
    -------
    list of Problem
        Problems of kind ``"real"``, 5-fold cross-validation, each with its
        ``scoring``.
    """
    skorch = _skorch_problem()
    return [*_SUITE, *([skorch] if skorch is not None else [])]


#: Names of the suite's problems, in the order of the report.
REAL_SUITE: tuple[str, ...] = tuple(register_problem(p).name for p in real_suite())
