"""HEBO, SMAC3 and Ax as search estimators over the same CV objective.

These optimisers have no scikit-learn search class, so each is wrapped in an
ask/tell adapter (:class:`HEBOAdapter`, :class:`SMACAdapter`,
:class:`AxAdapter`) and run by :class:`AskTellSearchCV`, a ``BaseSearchCV``
whose ``_run_search`` asks one candidate, evaluates it through
``evaluate_candidates`` and tells the optimiser its mean test score. Every
method thus evaluates the same deterministic objective (same estimator,
folds and scoring) and yields the same ``cv_results_`` as the other searches.

The adapters translate a :class:`~benchmarks.space.Param` space as a user of
each library would: log-scaled floats and integers on a log scale, the
momentum-like ``one_minus_log`` parameters uniform (no peer has that scale),
categories as unordered choices (encoded by their index, since the
libraries accept only strings or numbers as choices). All of them minimise,
so they are told the negated score; a failed fit is told the worst score
seen so far.
"""

from __future__ import annotations

import math
import tempfile
from typing import Any, Protocol

import numpy as np
from sklearn.base import BaseEstimator

from benchmarks.space import Param
from sk_hpsearch._compat import BaseSearchCV, defer_all_fits_failed

__all__ = ["ADAPTERS", "AskTellSearchCV", "AxAdapter", "HEBOAdapter", "SMACAdapter"]


class Adapter(Protocol):
    """An optimiser that proposes one candidate at a time."""

    def ask(self) -> dict[str, Any]:
        """Return the next candidate's parameters (estimator values)."""

    def tell(self, params: dict[str, Any], score: float) -> None:
        """Report the score (higher is better, NaN if failed) of a candidate."""


def _decode(space: tuple[Param, ...], raw: dict[str, Any]) -> dict[str, Any]:
    """Estimator parameters from a library's values keyed ``x0, x1, ...``."""
    params = {}
    for i, p in enumerate(space):
        value = raw[f"x{i}"]
        if p.kind == "categorical":
            params[p.name] = p.choices[int(value)]
        elif p.kind == "int":
            params[p.name] = round(float(value))
        else:
            params[p.name] = float(value)
    return params


class _Minimised:
    """Losses told to a minimiser: ``-score``, failures as the worst seen."""

    def __init__(self) -> None:
        self.worst = -math.inf

    def loss(self, score: float) -> float:
        if np.isfinite(score):
            self.worst = max(self.worst, -score)
            return -score
        return self.worst if np.isfinite(self.worst) else 1e6


class HEBOAdapter:
    """HEBO (Huawei's heteroscedastic evolutionary BO), default settings.

    Parameters
    ----------
    space : tuple of Param
        The search space.
    n_iter : int
        Candidates to propose (unused: HEBO does not plan its budget).
    seed : int
        Seed of HEBO's scrambled initial design and of the global numpy and
        torch generators, which HEBO draws from.
    """

    def __init__(self, space: tuple[Param, ...], n_iter: int, seed: int) -> None:
        import torch
        from hebo.design_space.design_space import DesignSpace
        from hebo.optimizers.hebo import HEBO

        # HEBO draws from the global generators: seed them for a reproducible run.
        np.random.seed(seed)  # noqa: NPY002
        torch.manual_seed(seed)
        self.space = space
        self.losses = _Minimised()
        self.optimizer = HEBO(
            DesignSpace().parse([self._dimension(i, p) for i, p in enumerate(space)]),
            scramble_seed=seed,
        )
        self._pending: Any = None

    @staticmethod
    def _dimension(i: int, p: Param) -> dict[str, Any]:
        name = f"x{i}"
        if p.kind == "categorical":
            return {
                "name": name,
                "type": "cat",
                "categories": [str(k) for k in range(len(p.choices))],
            }
        log = p.scale == "log"
        if p.kind == "int":
            kind = "pow_int" if log else "int"
            return {"name": name, "type": kind, "lb": int(p.low), "ub": int(p.high)}
        kind = "pow" if log else "num"
        return {"name": name, "type": kind, "lb": p.low, "ub": p.high}

    def ask(self) -> dict[str, Any]:
        """Return HEBO's next suggestion."""
        self._pending = self.optimizer.suggest(n_suggestions=1)
        return _decode(self.space, self._pending.iloc[0].to_dict())

    def tell(self, params: dict[str, Any], score: float) -> None:
        """Observe the loss of the last suggestion."""
        loss = self.losses.loss(score)
        self.optimizer.observe(self._pending, np.array([[loss]]))


class SMACAdapter:
    """SMAC3's hyperparameter-optimisation facade (random forest, EI).

    Parameters
    ----------
    space : tuple of Param
        The search space.
    n_iter : int
        ``n_trials`` of the scenario (SMAC sizes its initial design from it).
    seed : int
        The scenario's seed.
    """

    def __init__(self, space: tuple[Param, ...], n_iter: int, seed: int) -> None:
        from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
        from smac import HyperparameterOptimizationFacade, Scenario

        configspace = ConfigurationSpace(seed=seed)
        for i, p in enumerate(space):
            name, log = f"x{i}", p.scale == "log"
            if p.kind == "categorical":
                configspace.add(
                    Categorical(name, [str(k) for k in range(len(p.choices))])
                )
            elif p.kind == "int":
                configspace.add(Integer(name, (int(p.low), int(p.high)), log=log))
            else:
                configspace.add(Float(name, (p.low, p.high), log=log))
        self._directory = tempfile.TemporaryDirectory(prefix="smac_")
        scenario = Scenario(
            configspace,
            deterministic=True,
            n_trials=n_iter,
            seed=seed,
            output_directory=self._directory.name,
        )
        self.optimizer = HyperparameterOptimizationFacade(
            scenario,
            lambda config, seed=0: 0.0,  # never called: ask/tell only
            overwrite=True,
            logging_level=40,
        )
        self.space = space
        self.losses = _Minimised()
        self._pending: Any = None

    def ask(self) -> dict[str, Any]:
        """Return SMAC's next configuration."""
        self._pending = self.optimizer.ask()
        return _decode(self.space, dict(self._pending.config))

    def tell(self, params: dict[str, Any], score: float) -> None:
        """Tell SMAC the cost of the last configuration."""
        from smac.runhistory.dataclasses import TrialValue

        loss = self.losses.loss(score)
        self.optimizer.tell(self._pending, TrialValue(cost=loss))


class AxAdapter:
    """Ax's ``Client`` with its default generation strategy (Sobol, then BoTorch).

    Parameters
    ----------
    space : tuple of Param
        The search space.
    n_iter : int
        Candidates to propose (unused: the default strategy does not plan
        its budget).
    seed : int
        The client's ``random_seed``.
    """

    def __init__(self, space: tuple[Param, ...], n_iter: int, seed: int) -> None:
        from ax import ChoiceParameterConfig, Client, RangeParameterConfig

        parameters: list[Any] = []
        for i, p in enumerate(space):
            name = f"x{i}"
            if p.kind == "categorical":
                parameters.append(
                    ChoiceParameterConfig(
                        name=name,
                        parameter_type="str",
                        values=[str(k) for k in range(len(p.choices))],
                        is_ordered=False,
                    )
                )
            else:
                parameters.append(
                    RangeParameterConfig(
                        name=name,
                        parameter_type="int" if p.kind == "int" else "float",
                        bounds=(p.low, p.high),
                        scaling="log" if p.scale == "log" else "linear",
                    )
                )
        self.client = Client(random_seed=seed)
        self.client.configure_experiment(parameters=parameters)
        self.client.configure_optimization(objective="score")
        self.space = space
        self._trial = -1

    def ask(self) -> dict[str, Any]:
        """Return the next trial's parameters."""
        ((self._trial, raw),) = self.client.get_next_trials(max_trials=1).items()
        return _decode(self.space, raw)

    def tell(self, params: dict[str, Any], score: float) -> None:
        """Complete the last trial (or mark it failed)."""
        if np.isfinite(score):
            self.client.complete_trial(
                trial_index=self._trial, raw_data={"score": float(score)}
            )
        else:
            self.client.mark_trial_failed(trial_index=self._trial)


#: Adapter class of each optimiser name of :class:`AskTellSearchCV`.
ADAPTERS: dict[str, type] = {
    "hebo": HEBOAdapter,
    "smac": SMACAdapter,
    "ax": AxAdapter,
}


class AskTellSearchCV(BaseSearchCV):
    """Search driven by an ask/tell optimiser, one candidate at a time.

    Parameters
    ----------
    estimator : estimator object
        The estimator to tune.
    space : tuple of Param
        The search space.
    optimizer : {"hebo", "smac", "ax"}
        Which adapter of :data:`ADAPTERS` proposes the candidates.
    n_iter : int, default=10
        Candidates evaluated.
    scoring, n_jobs, refit, cv, verbose, pre_dispatch, error_score, \
return_train_score
        As in :class:`~sklearn.model_selection.RandomizedSearchCV`.
    random_state : int, default=None
        The optimiser's seed (0 if None).

    Attributes
    ----------
    cv_results_, best_params_, best_score_, best_estimator_, n_splits_, \
refit_time_
        As in :class:`~sklearn.model_selection.RandomizedSearchCV`.
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        space: tuple[Param, ...],
        *,
        optimizer: str,
        n_iter: int = 10,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: bool = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: str = "2*n_jobs",
        random_state: int | None = None,
        error_score: float = np.nan,
        return_train_score: bool = False,
    ) -> None:
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.space = space
        self.optimizer = optimizer
        self.n_iter = n_iter
        self.random_state = random_state

    def _run_search(self, evaluate_candidates: Any) -> None:
        adapter = ADAPTERS[self.optimizer](
            self.space,
            self.n_iter,
            0 if self.random_state is None else self.random_state,
        )
        # scikit-learn raises as soon as one call of evaluate_candidates has
        # no successful fit, which for batches of one candidate ends the
        # search at its first failed candidate: defer that check to the end
        # of the search, as sk_hpsearch's own searches do.
        with defer_all_fits_failed(self.error_score, owner=self):
            for _ in range(self.n_iter):
                params = adapter.ask()
                results = evaluate_candidates([params])
                adapter.tell(params, float(results["mean_test_score"][-1]))
