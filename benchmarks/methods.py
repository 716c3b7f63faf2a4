"""Search methods under comparison, each given the space in its native form.

A :class:`Method` knows which modules it needs and how to build its search
estimator from a :class:`~benchmarks.space.Param` space. The translation is
the one a careful user of each library would write:

============== ================= ===================== =====================
``Param``       scikit-learn      scikit-optimize       Optuna
============== ================= ===================== =====================
float, linear   ``uniform``       ``Real``              ``FloatDistribution``
float, log      ``loguniform``    ``Real(log-uniform)`` ``...(log=True)``
float, 1-log    ``uniform`` beta  ``Real`` beta         ``FloatDistribution``
int, linear     ``randint``       ``Integer``           ``IntDistribution``
int, log        ``randint``       ``Integer(log-...)``  ``...(log=True)``
categorical     list              ``Categorical``       ``Categorical...``
============== ================= ===================== =====================

None of the peers has a log10(1 - beta) scale, so they get beta uniform, as a
user would write it; scipy has no log-scaled integer distribution, so
``RandomizedSearchCV`` gets ``randint``. Our searches get
``LogUniform(..., integer=...)`` and ``OneMinusLogUniform``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator

from benchmarks.space import Param

__all__ = ["BUDGET", "BUDGET_METHODS", "METHODS", "Method", "available_methods"]

Builder = Callable[..., BaseEstimator]

#: Learning-curve budget of the budgeted methods: rungs ``max / 3**k`` down to 1.
BUDGET: dict[str, Any] = {"min_resources": 1, "reduction_factor": 3}


@dataclass(frozen=True)
class Method:
    """A search method of the benchmark.

    Parameters
    ----------
    name : str
        Short name used on the command line and in the raw results.
    label : str
        Human-readable name for the report.
    ours : bool
        Whether it is one of sk_hpsearch's searches.
    requires : tuple of str
        ``"module"`` or ``"module:attribute"`` that must import.
    build : callable
        ``build(estimator, space, *, n_iter, cv, seed, n_jobs)`` returning an
        unfitted search estimator (budgeted methods also take ``resource``
        and ``max_resources``).
    options : dict
        Extra keyword arguments recorded with the results (e.g. ``n_points``).
    budgeted : bool, default=False
        Whether it searches with a learning-curve budget: it runs only on
        problems with a ``resource``, in the budget study.
    """

    name: str
    label: str
    ours: bool
    requires: tuple[str, ...]
    build: Builder
    options: dict[str, Any] = field(default_factory=dict)
    budgeted: bool = False

    def is_available(self) -> bool:
        """Return whether every required module (and attribute) imports."""
        return missing_requirement(self) is None


def missing_requirement(method: Method) -> str | None:
    """Return the first requirement of ``method`` that does not import.

    Parameters
    ----------
    method : Method
        The method to check.

    Returns
    -------
    str or None
        The missing ``module`` or ``module:attribute``, or None.
    """
    for requirement in method.requires:
        module_name, _, attribute = requirement.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return requirement
        if attribute and not hasattr(module, attribute):
            return requirement
    return None


# --- space translations --------------------------------------------------


def sklearn_space(space: tuple[Param, ...]) -> dict[str, Any]:
    """Translate a space to ``RandomizedSearchCV`` distributions (scipy.stats).

    Parameters
    ----------
    space : tuple of Param
        The library-neutral space.

    Returns
    -------
    dict
        Parameter name to the library's distribution (or list of choices).
    """
    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "categorical":
            out[p.name] = list(p.choices)
        elif p.kind == "int":
            out[p.name] = stats.randint(int(p.low), int(p.high) + 1)
        elif p.scale == "log":
            out[p.name] = stats.loguniform(p.low, p.high)
        else:
            out[p.name] = stats.uniform(p.low, p.high - p.low)
    return out


def skopt_space(space: tuple[Param, ...]) -> dict[str, Any]:
    """Translate a space to scikit-optimize dimensions.

    Parameters
    ----------
    space : tuple of Param
        The library-neutral space.

    Returns
    -------
    dict
        Parameter name to the library's distribution (or list of choices).
    """
    from skopt.space import Categorical, Integer, Real

    out: dict[str, Any] = {}
    for p in space:
        prior = "log-uniform" if p.scale == "log" else "uniform"
        if p.kind == "categorical":
            out[p.name] = Categorical(list(p.choices))
        elif p.kind == "int":
            out[p.name] = Integer(int(p.low), int(p.high), prior=prior)
        else:
            out[p.name] = Real(p.low, p.high, prior=prior)
    return out


def optuna_space(space: tuple[Param, ...]) -> dict[str, Any]:
    """Translate a space to Optuna distributions.

    Parameters
    ----------
    space : tuple of Param
        The library-neutral space.

    Returns
    -------
    dict
        Parameter name to the library's distribution (or list of choices).
    """
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for p in space:
        log = p.scale == "log"
        if p.kind == "categorical":
            out[p.name] = CategoricalDistribution(list(p.choices))
        elif p.kind == "int":
            out[p.name] = IntDistribution(int(p.low), int(p.high), log=log)
        else:
            out[p.name] = FloatDistribution(p.low, p.high, log=log)
    return out


def ours_space(space: tuple[Param, ...]) -> dict[str, Any]:
    """Translate a space to sk_hpsearch distributions.

    Parameters
    ----------
    space : tuple of Param
        The library-neutral space.

    Returns
    -------
    dict
        Parameter name to the library's distribution (or list of choices).
    """
    from sk_hpsearch import LogUniform, OneMinusLogUniform

    out: dict[str, Any] = {}
    for p in space:
        if p.kind == "categorical":
            out[p.name] = list(p.choices)
        elif p.scale == "log":
            out[p.name] = LogUniform(p.low, p.high, integer=p.kind == "int")
        elif p.scale == "one_minus_log":
            out[p.name] = OneMinusLogUniform(p.low, p.high)
        elif p.kind == "int":
            out[p.name] = stats.randint(int(p.low), int(p.high) + 1)
        else:
            out[p.name] = stats.uniform(p.low, p.high - p.low)
    return out


# --- builders ----------------------------------------------------------------


def _random(
    estimator: BaseEstimator,
    space: tuple[Param, ...],
    *,
    n_iter: int,
    cv: Any,
    seed: int,
    n_jobs: int | None,
) -> BaseEstimator:
    from sklearn.model_selection import RandomizedSearchCV

    return RandomizedSearchCV(
        estimator,
        sklearn_space(space),
        n_iter=n_iter,
        cv=cv,
        n_jobs=n_jobs,
        random_state=seed,
        error_score=np.nan,
    )


def _skopt(
    estimator: BaseEstimator,
    space: tuple[Param, ...],
    *,
    n_iter: int,
    cv: Any,
    seed: int,
    n_jobs: int | None,
) -> BaseEstimator:
    from skopt import BayesSearchCV

    return BayesSearchCV(
        estimator,
        skopt_space(space),
        n_iter=n_iter,
        cv=cv,
        n_jobs=n_jobs,
        random_state=seed,
        error_score=np.nan,
    )


def _optuna(sampler_name: str) -> Builder:
    def build(
        estimator: BaseEstimator,
        space: tuple[Param, ...],
        *,
        n_iter: int,
        cv: Any,
        seed: int,
        n_jobs: int | None,
    ) -> BaseEstimator:
        import optuna
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler_class = getattr(optuna.samplers, sampler_name)
        study = optuna.create_study(
            direction="maximize", sampler=sampler_class(seed=seed)
        )
        with warnings.catch_warnings():  # "OptunaSearchCV is experimental"
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return OptunaSearchCV(
                estimator,
                optuna_space(space),
                n_trials=n_iter,
                cv=cv,
                n_jobs=n_jobs,
                random_state=seed,
                error_score=np.nan,
                study=study,
            )

    return build


def _ours(class_name: str, **options: Any) -> Builder:
    def build(
        estimator: BaseEstimator,
        space: tuple[Param, ...],
        *,
        n_iter: int,
        cv: Any,
        seed: int,
        n_jobs: int | None,
        **budget: Any,
    ) -> BaseEstimator:
        import sk_hpsearch

        search_class = getattr(sk_hpsearch, class_name)
        return search_class(
            estimator,
            ours_space(space),
            n_iter=n_iter,
            cv=cv,
            n_jobs=n_jobs,
            random_state=seed,
            **options,
            **budget,
        )

    return build


METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        Method("random", "RandomizedSearchCV", False, ("sklearn",), _random),
        Method("skopt", "skopt BayesSearchCV", False, ("skopt",), _skopt),
        Method(
            "optuna_tpe",
            "OptunaSearchCV TPE",
            False,
            ("optuna", "optuna_integration", "pandas"),
            _optuna("TPESampler"),
        ),
        Method(
            "optuna_gp",
            "OptunaSearchCV GP",
            False,
            ("optuna", "optuna_integration", "pandas", "torch"),
            _optuna("GPSampler"),
        ),
        Method(
            "c2f",
            "CoarseToFineSearchCV",
            True,
            ("sk_hpsearch:CoarseToFineSearchCV",),
            _ours("CoarseToFineSearchCV"),
        ),
        Method(
            "gp",
            "GPBayesSearchCV",
            True,
            ("sk_hpsearch:GPBayesSearchCV",),
            _ours("GPBayesSearchCV"),
        ),
        Method(
            "gp_q8",
            "GPBayesSearchCV n_points=8",
            True,
            ("sk_hpsearch:GPBayesSearchCV",),
            _ours("GPBayesSearchCV", n_points=8),
            {"n_points": 8},
        ),
        Method(
            "c2f_budget",
            "CoarseToFineSearchCV, budget",
            True,
            ("sk_hpsearch:CoarseToFineSearchCV",),
            _ours("CoarseToFineSearchCV", **BUDGET),
            BUDGET,
            budgeted=True,
        ),
        Method(
            "gp_budget",
            "GPBayesSearchCV, budget",
            True,
            ("sk_hpsearch:GPBayesSearchCV",),
            _ours("GPBayesSearchCV", **BUDGET),
            BUDGET,
            budgeted=True,
        ),
    ]
}

#: Methods of the main comparison (``gp_q8`` only runs in the batch study, the
#: budgeted ones only in the budget study).
MAIN_METHODS = ("random", "skopt", "optuna_tpe", "optuna_gp", "c2f", "gp")

#: Methods of the budget study: full training, and the same searches budgeted.
BUDGET_METHODS = ("random", "c2f", "gp", "c2f_budget", "gp_budget")


def available_methods(names: tuple[str, ...] | list[str]) -> list[str]:
    """Return the subset of ``names`` whose requirements import.

    Parameters
    ----------
    names : sequence of str
        Method names (keys of :data:`METHODS`).

    Returns
    -------
    list of str
        The available ones, in the given order.
    """
    return [n for n in names if METHODS[n].is_available()]
