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
#: A more careful budget, for when the first epoch ranks candidates poorly.
BUDGET_FROM_3: dict[str, Any] = {"min_resources": 3, "reduction_factor": 3}


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
    without_budget : str, default=None
        For a search with a learning-curve budget, the method that is the
        same search without one. Such a method runs only on problems with a
        ``resource``, in the budget study.
    anytime : bool, default=False
        Whether its proposals do not depend on ``n_iter``, so that the first
        ``k`` evaluations of a run are those of a run with ``n_iter=k`` (same
        seed): the real-task suite then runs it once, at its largest budget,
        and reads the smaller budgets off that run.
    """

    name: str
    label: str
    ours: bool
    requires: tuple[str, ...]
    build: Builder
    options: dict[str, Any] = field(default_factory=dict)
    without_budget: str | None = None
    anytime: bool = False

    @property
    def budgeted(self) -> bool:
        """Whether it searches with a learning-curve budget."""
        return self.without_budget is not None

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


def _sklearn_param(p: Param) -> Any:
    if p.kind == "categorical":
        return list(p.choices)
    if p.kind == "int":
        return stats.randint(int(p.low), int(p.high) + 1)
    if p.scale == "log":
        return stats.loguniform(p.low, p.high)
    return stats.uniform(p.low, p.high - p.low)


def _skopt_param(p: Param) -> Any:
    from skopt.space import Categorical, Integer, Real

    prior = "log-uniform" if p.scale == "log" else "uniform"
    if p.kind == "categorical":
        return Categorical(list(p.choices))
    if p.kind == "int":
        return Integer(int(p.low), int(p.high), prior=prior)
    return Real(p.low, p.high, prior=prior)


def _optuna_param(p: Param) -> Any:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    log = p.scale == "log"
    if p.kind == "categorical":
        return CategoricalDistribution(list(p.choices))
    if p.kind == "int":
        return IntDistribution(int(p.low), int(p.high), log=log)
    return FloatDistribution(p.low, p.high, log=log)


def _ours_param(p: Param) -> Any:
    from sk_hpsearch import LogUniform, OneMinusLogUniform

    if p.kind == "categorical":
        return list(p.choices)
    if p.scale == "log":
        return LogUniform(p.low, p.high, integer=p.kind == "int")
    if p.scale == "one_minus_log":
        return OneMinusLogUniform(p.low, p.high)
    return _sklearn_param(p)


def _translator(
    translate_param: Callable[[Param], Any], library: str
) -> Callable[[tuple[Param, ...]], dict[str, Any]]:
    def translate(space: tuple[Param, ...]) -> dict[str, Any]:
        return {p.name: translate_param(p) for p in space}

    translate.__doc__ = f"""Translate a space to {library}.

    Parameters
    ----------
    space : tuple of Param
        The library-neutral space.

    Returns
    -------
    dict
        Parameter name to the library's distribution (or list of choices).
    """
    return translate


sklearn_space = _translator(
    _sklearn_param, "``RandomizedSearchCV`` distributions (scipy.stats)"
)
skopt_space = _translator(_skopt_param, "scikit-optimize dimensions")
optuna_space = _translator(_optuna_param, "Optuna distributions")
ours_space = _translator(_ours_param, "sk_hpsearch distributions")


# --- builders ----------------------------------------------------------------


def _builder(
    translate: Callable[[tuple[Param, ...]], dict[str, Any]],
    make_search: Callable[..., BaseEstimator],
) -> Builder:
    """A :class:`Method`'s ``build``: translate the space, then make the search.

    ``make_search(estimator, distributions, n_iter=, cv=, n_jobs=,
    random_state=, **extra)`` builds the library's search.
    """

    def build(
        estimator: BaseEstimator,
        space: tuple[Param, ...],
        *,
        n_iter: int,
        cv: Any,
        seed: int,
        n_jobs: int | None,
        **extra: Any,
    ) -> BaseEstimator:
        return make_search(
            estimator,
            translate(space),
            n_iter=n_iter,
            cv=cv,
            n_jobs=n_jobs,
            random_state=seed,
            **extra,
        )

    return build


def _random_search(estimator: BaseEstimator, space: dict, **kw: Any) -> Any:
    from sklearn.model_selection import RandomizedSearchCV

    return RandomizedSearchCV(estimator, space, error_score=np.nan, **kw)


def _skopt_search(estimator: BaseEstimator, space: dict, **kw: Any) -> Any:
    from skopt import BayesSearchCV

    return BayesSearchCV(estimator, space, error_score=np.nan, **kw)


def _optuna(sampler_name: str) -> Builder:
    def make_search(
        estimator: BaseEstimator, space: dict, *, n_iter: int, **kw: Any
    ) -> Any:
        import optuna
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = getattr(optuna.samplers, sampler_name)(seed=kw["random_state"])
        study = optuna.create_study(direction="maximize", sampler=sampler)
        with warnings.catch_warnings():  # "OptunaSearchCV is experimental"
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return OptunaSearchCV(
                estimator,
                space,
                n_trials=n_iter,
                error_score=np.nan,
                study=study,
                **kw,
            )

    return _builder(optuna_space, make_search)


def _ours(
    name: str,
    label: str,
    class_name: str,
    options: dict[str, Any] | None = None,
    without_budget: str | None = None,
) -> Method:
    """sk_hpsearch's ``class_name`` as a method, ``options`` passed and recorded."""
    options = dict(options or {})

    def make_search(estimator: BaseEstimator, space: dict, **kw: Any) -> Any:
        import sk_hpsearch

        return getattr(sk_hpsearch, class_name)(estimator, space, **options, **kw)

    return Method(
        name,
        label,
        True,
        (f"sk_hpsearch:{class_name}",),
        _builder(ours_space, make_search),
        options,
        without_budget,
    )


def _ask_tell(optimizer: str) -> Builder:
    """Build :class:`~benchmarks.peers.AskTellSearchCV` over ``optimizer``.

    It takes the library-neutral space as it is (each optimizer's wrapper
    translates it).
    """

    def make_search(estimator: BaseEstimator, space: tuple, **kw: Any) -> Any:
        from benchmarks.peers import AskTellSearchCV

        return AskTellSearchCV(
            estimator, space, optimizer=optimizer, error_score=np.nan, **kw
        )

    return _builder(tuple, make_search)


_random = _builder(sklearn_space, _random_search)
_skopt = _builder(skopt_space, _skopt_search)


METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        Method(
            "random",
            "RandomizedSearchCV",
            False,
            ("sklearn",),
            _random,
            anytime=True,
        ),
        Method("skopt", "skopt BayesSearchCV", False, ("skopt",), _skopt, anytime=True),
        Method(
            "optuna_tpe",
            "OptunaSearchCV TPE",
            False,
            ("optuna", "optuna_integration", "pandas"),
            _optuna("TPESampler"),
            anytime=True,
        ),
        Method(
            "optuna_gp",
            "OptunaSearchCV GP",
            False,
            ("optuna", "optuna_integration", "pandas", "torch"),
            _optuna("GPSampler"),
            anytime=True,
        ),
        Method("hebo", "HEBO", False, ("hebo", "torch"), _ask_tell("hebo")),
        Method(
            "smac",
            "SMAC3 HPO facade",
            False,
            ("smac", "ConfigSpace"),
            _ask_tell("smac"),
        ),
        Method("ax", "Ax Client", False, ("ax:Client",), _ask_tell("ax"), anytime=True),
        _ours("c2f", "CoarseToFineSearchCV", "CoarseToFineSearchCV"),
        _ours("gp", "GPBayesSearchCV", "GPBayesSearchCV"),
        _ours(
            "gp_q8", "GPBayesSearchCV n_points=8", "GPBayesSearchCV", {"n_points": 8}
        ),
        _ours(
            "c2f_budget",
            "CoarseToFineSearchCV, budget",
            "CoarseToFineSearchCV",
            BUDGET,
            without_budget="c2f",
        ),
        _ours(
            "c2f_budget3",
            "CoarseToFineSearchCV, budget from 3",
            "CoarseToFineSearchCV",
            BUDGET_FROM_3,
            without_budget="c2f",
        ),
        _ours(
            "gp_budget",
            "GPBayesSearchCV, budget",
            "GPBayesSearchCV",
            BUDGET,
            without_budget="gp",
        ),
    ]
}

#: Methods of the main comparison (``gp_q8`` only runs in the batch study, the
#: budgeted ones only in the budget study).
MAIN_METHODS = ("random", "skopt", "optuna_tpe", "optuna_gp", "c2f", "gp")

#: Methods of the budget study: full training, and the same searches budgeted.
BUDGET_METHODS = ("random", "c2f", "gp", "c2f_budget", "c2f_budget3", "gp_budget")


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
