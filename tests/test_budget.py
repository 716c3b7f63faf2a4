"""Learning-curve budgets: successive halving inside both searches."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier

from sk_hpsearch import CoarseToFineSearchCV, GPBayesSearchCV, LogUniform
from sk_hpsearch.strategies._budget import budget_ladder

from ._fakes import BudgetClassifier, classification_data

SEARCHES = [CoarseToFineSearchCV, GPBayesSearchCV]
SPACE = {"alpha": LogUniform(1e-4, 1e2), "kind": list("abc")}


def budgeted(cls, **kwargs):
    kwargs = {"n_iter": 12, "cv": 3, "random_state": 0, "resource": "n_steps", **kwargs}
    return cls(BudgetClassifier(n_steps=27), SPACE, **kwargs)


@pytest.mark.parametrize(
    "low, high, factor, expected",
    [
        (1, 27, 3, [1, 3, 9, 27]),
        (1, 20, 3, [2, 7, 20]),
        (3, 3, 2, [3]),
        (0.1, 1.0, 10, [0.1, 1.0]),
        (1, 100, 2, [2, 3, 6, 12, 25, 50, 100]),
        (2.5, 27, 3, [3, 9, 27]),  # an integer full budget: integer rungs
        (1e-9, 27, 3, [1, 3, 9, 27]),
    ],
)
def test_budget_ladder(low, high, factor, expected):
    ladder = budget_ladder(low, high, factor)
    assert ladder == pytest.approx(expected)
    assert ladder[-1] == high and ladder[0] >= low
    assert all(type(v) is type(high) for v in ladder)


@pytest.mark.parametrize("cls", SEARCHES)
def test_candidates_climb_the_ladder(cls):
    X, y = classification_data()
    search = budgeted(cls).fit(X, y)
    results = search.cv_results_
    n_res = np.asarray(results["n_resources"])
    assert set(n_res) <= {1, 3, 9, 27}
    assert [p["n_steps"] for p in results["params"]] == list(n_res)
    candidates = {
        tuple(sorted((k, v) for k, v in p.items() if k != "n_steps"))
        for p in results["params"]
    }
    assert len(candidates) == 12  # n_iter counts candidates, not fits
    assert (n_res == 1).sum() == 12
    # Promotion is selective: far less than training every candidate fully.
    assert n_res.sum() < 0.6 * 12 * 27
    # The best is chosen among full-budget fits.
    assert results["n_resources"][search.best_index_] == 27
    assert search.best_params_["n_steps"] == 27
    assert search.best_estimator_.n_steps == 27


@pytest.mark.parametrize("cls", SEARCHES)
def test_first_candidate_is_trained_fully(cls):
    X, y = classification_data()
    search = budgeted(cls, n_iter=1).fit(X, y)
    assert list(search.cv_results_["n_resources"]) == [1, 3, 9, 27]


@pytest.mark.parametrize("cls", SEARCHES)
def test_best_full_budget_fit_wins_over_a_better_short_fit(cls):
    X, y = classification_data()
    search = budgeted(cls).fit(X, y)
    full = np.asarray(search.cv_results_["n_resources"]) == 27
    scores = search.cv_results_["mean_test_score"]
    assert search.best_score_ == scores[full].max()


@pytest.mark.parametrize("cls", SEARCHES)
def test_callable_refit_is_respected(cls):
    X, y = classification_data()
    search = budgeted(cls, refit=lambda results: 1).fit(X, y)
    assert search.best_index_ == 1


def _fit_sgd_on_iris(cls, **kwargs):
    """``cls`` over an SGDClassifier (``max_iter=9``, an int) with a budget."""
    X, y = load_iris(return_X_y=True)
    est = SGDClassifier(max_iter=9, tol=None, random_state=0)
    search = cls(
        est,
        {"alpha": LogUniform(1e-6, 1e-1)},
        cv=3,
        random_state=0,
        resource="max_iter",
        **kwargs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # small budgets
        return search.fit(X, y)


@pytest.mark.parametrize("cls", SEARCHES)
def test_real_estimator_budget(cls):
    search = _fit_sgd_on_iris(cls, n_iter=6, min_resources=1, reduction_factor=3)
    assert set(search.cv_results_["n_resources"]) <= {1, 3, 9}
    assert search.best_estimator_.max_iter == 9


@pytest.mark.parametrize("cls", SEARCHES)
def test_float_min_resources_keeps_an_integer_resource_integral(cls):
    search = _fit_sgd_on_iris(cls, n_iter=3, min_resources=1.5)
    budgets = search.cv_results_["n_resources"]
    assert set(budgets) <= {3, 9}
    assert all(isinstance(p["max_iter"], int) for p in search.cv_results_["params"])
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("cls", SEARCHES)
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"resource": "epochs"}, "resource='epochs' is not a parameter"),
        ({"resource": "alpha"}, "resource='alpha' is also in param_distributions"),
        ({"resource": "kind"}, "also in param_distributions"),
        ({"min_resources": 50}, "min_resources must be <= max_resources"),
        ({"reduction_factor": 1}, "reduction_factor"),
    ],
)
def test_bad_budget_arguments_are_named(cls, kwargs, match):
    X, y = classification_data()
    with pytest.raises(ValueError, match=match):
        budgeted(cls, **kwargs).fit(X, y)


@pytest.mark.parametrize("cls", SEARCHES)
def test_auto_max_resources_needs_a_number(cls):
    X, y = classification_data()
    search = cls(BudgetClassifier(n_steps=None), SPACE, resource="n_steps", cv=3)
    with pytest.raises(ValueError, match="max_resources='auto' takes"):
        search.fit(X, y)
    search.set_params(max_resources=9, n_iter=3).fit(X, y)
    assert max(search.cv_results_["n_resources"]) == 9


@pytest.mark.parametrize("cls", SEARCHES)
def test_few_candidates_climb_each_rung(cls):
    X, y = classification_data()
    search = budgeted(cls, n_iter=27).fit(X, y)
    n_res = np.asarray(search.cv_results_["n_resources"])
    counts = [int((n_res == budget).sum()) for budget in (1, 3, 9, 27)]
    assert counts[0] == 27
    # A candidate promoted while in the top third may later drop out of it,
    # so a rung can hold a little more than a third of the one below (ASHA).
    # A GP fitted to the scores of all budgets at once kept proposing
    # candidates that beat the record after 1 epoch: 15 of 27 climbed.
    for lower, upper in itertools.pairwise(counts):
        assert 1 <= upper <= lower / 2
    # Far fewer resources than training the 27 candidates fully.
    assert n_res.sum() <= 27 * 27 / 4


def test_the_model_fits_the_largest_budget_with_enough_scores():
    from scipy.stats import uniform

    from sk_hpsearch.space._space import SearchSpace
    from sk_hpsearch.strategies._base import Batch, Strategy
    from sk_hpsearch.strategies._budget import Budgeted, BudgetedHistory

    space = SearchSpace({"a": uniform(0, 1), "b": uniform(0, 1)})  # D = 2

    class Given(Strategy):
        """Proposes the points it is given."""

        points = np.empty((0, 2))

        def _ask(self, n):
            return Batch(self.points[:n])

        def batch_size(self):
            return len(self.points)

    def evaluate(batch):
        # The score grows with the budget: 1 and 27 epochs are not one function.
        return np.array([p["a"] + batch.resource for p in space.decode(batch.X)])

    history = BudgetedHistory(space, 3)
    inner = Given(space, history, np.random.RandomState(0), 12)
    budgeted = Budgeted(inner, ladder=[1, 3, 9], reduction_factor=3)

    def run(points):
        inner.points = points
        batch = budgeted.ask(len(points))
        inner.points = np.empty((0, 2))
        while batch is not None:  # the batch, then the promotions it earns
            budgeted.tell(batch, evaluate(batch))
            batch = budgeted.ask(1)

    run(space.sample(3, np.random.RandomState(0)))
    X, scores = history.model_data()  # 3 < D + 2 scores at budget 3: budget 1
    assert len(X) == 3 and np.all(scores < 2)
    run(space.sample(9, np.random.RandomState(1)))
    X, scores = history.model_data()  # 12 at budget 1, 4 at budget 3, 1 at 9
    assert len(X) == 4 and np.all((scores > 3) & (scores < 4))
    np.testing.assert_allclose(space.decode(X)[0]["a"] + 3, scores[0])


def test_a_budget_wrapper_passes_the_horizon_to_the_strategy_it_wraps():
    from sk_hpsearch.space._space import SearchSpace
    from sk_hpsearch.strategies._bayes import BayesStrategy
    from sk_hpsearch.strategies._budget import Budgeted, BudgetedHistory

    space = SearchSpace({"a": LogUniform(1e-3, 1.0)})
    inner = BayesStrategy(
        space,
        BudgetedHistory(space, 3),
        np.random.RandomState(0),
        40,
        n_initial=5,
        acq_func="logei",
        n_points=1,
        ucb_beta=2.0,
    )
    budgeted = Budgeted(inner, ladder=[1, 3, 9], reduction_factor=3)
    assert budgeted.horizon == inner.horizon == 40
    budgeted.plan_for(12)  # what the search loop does under a time box
    assert inner.horizon == budgeted.horizon == 12
