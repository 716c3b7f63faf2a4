"""param_importances: known hierarchies recovered, every kind of search read.

The synthetic runs of ``benchmarks/importance.py`` have a known hierarchy
(``lr`` >> ``weight_decay`` >> ``eps``; a strong ``lr x momentum``
interaction); the full study (100 seeds) is in docs/benchmarks.md, these tests
run a few seeds.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import randint, uniform
from sklearn.base import BaseEstimator
from sklearn.datasets import load_iris
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
)

from sk_hpsearch import (
    CoarseToFineSearchCV,
    LogUniform,
    ParamImportances,
    param_importances,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.importance import main, run_search, true_shares

CV = [(np.array([0, 1]), np.array([2, 3])), (np.array([2, 3]), np.array([0, 1]))]
X4 = np.arange(4, dtype=float)[:, None]


class Quadratic(BaseEstimator):
    """Score ``-(log10 a + 2)^2 - 0.1 b``; fails when ``a > fail_above``."""

    def __init__(self, a=1.0, b=0.0, kind="x", fail_above=np.inf):
        self.a = a
        self.b = b
        self.kind = kind
        self.fail_above = fail_above

    def fit(self, X, y=None):
        if self.a > self.fail_above:
            raise ValueError("diverged")
        return self

    def score(self, X, y=None):
        bonus = 0.5 if self.kind == "y" else 0.0
        return -((np.log10(self.a) + 2) ** 2) - 0.1 * self.b + bonus


def _fit(search):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(X4)


def test_additive_shares_match_the_truth():
    search = run_search("adam", "random", seed=0)
    found = param_importances(search, n_bootstrap=0, random_state=0)
    truth = true_shares("adam", n=512, n_grid=24)
    assert found.names == ["lr", "weight_decay", "eps"]
    for name, value in found.as_dict().items():
        assert value == pytest.approx(truth[name], abs=0.04)
    assert found.interaction == pytest.approx(0.0, abs=0.02)
    assert found.n_candidates == 50 and found.metric == "score"


@pytest.mark.parametrize("function", ["adam", "interaction"])
def test_the_order_is_found_from_50_random_candidates_in_most_seeds(function):
    expected = ["lr", "weight_decay", "eps"] if function == "adam" else None
    hits = 0
    for seed in range(10):
        found = param_importances(
            run_search(function, "random", seed), n_bootstrap=0, random_state=seed
        )
        if function == "adam":
            hits += found.names == expected
        else:
            hits += (
                found.names == ["lr", "momentum", "eps"]
                and set(found.interaction_pair) == {"lr", "momentum"}
                and found.interaction > 0.05
            )
    assert hits >= 9


def test_the_order_is_found_from_a_gp_search():
    # The GP crowds the optimum; the ANOVA integrates over the uniform cube.
    found = param_importances(
        run_search("adam", "gp", seed=1, n_iter=30), n_bootstrap=0, random_state=0
    )
    assert found.names == ["lr", "weight_decay", "eps"]
    assert found.importances[0] > 0.6


def test_bootstrap_gives_an_uncertainty():
    found = param_importances(
        run_search("adam", "random", 0), n_bootstrap=4, random_state=0
    )
    assert found.importances_bootstrap.shape == (3, 4)
    np.testing.assert_allclose(
        found.importances_std, found.importances_bootstrap.std(axis=1)
    )
    assert np.all(found.importances_std > 0)
    assert found.importances_std[0] < 0.1
    text = str(found)
    assert text.splitlines()[1].startswith("lr") and "(interaction)" in text


def test_failed_candidates_count_as_the_worst():
    space = {"a": LogUniform(1e-4, 1e0), "b": uniform(0, 1)}
    search = _fit(
        RandomizedSearchCV(
            Quadratic(fail_above=0.1), space, n_iter=30, cv=CV, random_state=0
        )
    )
    assert np.isnan(search.cv_results_["mean_test_score"]).any()
    found = param_importances(search, n_bootstrap=0, random_state=0)
    assert found.n_failed == int(np.isnan(search.cv_results_["mean_test_score"]).sum())
    assert found.names[0] == "a"


def test_grid_search_lists_are_ordered_columns():
    grid = {"a": [1.0, 1e-3, 1e-2, 1e-1], "b": [0.0, 1.0]}  # unsorted on purpose
    search = _fit(GridSearchCV(Quadratic(), grid, cv=CV))
    found = param_importances(search, n_bootstrap=0, random_state=0)
    assert found.names == ["a", "b"]
    assert found.importances[0] > 0.8


def test_list_of_dicts_has_a_subspace_column():
    space = [
        {"a": LogUniform(1e-4, 1e0), "kind": ["x"]},
        {"a": LogUniform(1e-4, 1e0), "kind": ["y"], "b": randint(0, 3)},
    ]
    search = _fit(
        RandomizedSearchCV(Quadratic(), space, n_iter=40, cv=CV, random_state=0)
    )
    found = param_importances(search, n_bootstrap=0, random_state=0)
    assert set(found.names) == {
        "subspace",
        "a [0]",
        "a [1]",
        "kind [0]",
        "kind [1]",
        "b",
    }
    assert found.names[0] in {"a [0]", "a [1]"}
    assert found.as_dict()["kind [0]"] == pytest.approx(0.0, abs=1e-9)


def test_halving_search_reads_one_budget_level():
    X, y = load_iris(return_X_y=True)
    space = {"C": LogUniform(1e-4, 1e2), "tol": LogUniform(1e-5, 1e-1)}
    search = HalvingRandomSearchCV(
        LogisticRegression(), space, n_candidates=30, factor=3, cv=3, random_state=0
    ).fit(X, y)
    budgets = np.asarray(search.cv_results_["n_resources"])
    found = param_importances(search, n_bootstrap=0, random_state=0)
    assert found.n_resources in set(budgets.tolist())
    assert found.n_candidates == np.sum(budgets == found.n_resources) >= 10
    assert found.names[0] == "C"
    top = param_importances(search, n_resources="max", n_bootstrap=0, random_state=0)
    assert top.n_resources == budgets.max()
    with pytest.raises(ValueError, match="n_resources must be 'auto', 'max' or one"):
        param_importances(search, n_resources=7)


def test_multimetric_reads_the_refit_metric_or_scoring():
    X, y = load_iris(return_X_y=True)
    search = CoarseToFineSearchCV(
        LogisticRegression(),
        {"C": LogUniform(1e-4, 1e2), "tol": LogUniform(1e-5, 1e-1)},
        n_iter=12,
        cv=3,
        scoring={"acc": "accuracy", "nll": "neg_log_loss"},
        refit="acc",
        random_state=0,
    ).fit(X, y)
    assert param_importances(search, n_bootstrap=0).metric == "acc"
    assert param_importances(search, scoring="nll", n_bootstrap=0).metric == "nll"
    with pytest.raises(ValueError, match=r"no mean_test_f1; got scoring='f1'"):
        param_importances(search, scoring="f1")


def test_invalid_uses_raise_clear_errors():
    space = {"a": LogUniform(1e-4, 1e0), "b": uniform(0, 1)}
    with pytest.raises(ValueError, match="is not fitted"):
        param_importances(RandomizedSearchCV(Quadratic(), space))
    search = _fit(
        RandomizedSearchCV(Quadratic(), space, n_iter=8, cv=CV, random_state=0)
    )
    with pytest.raises(ValueError, match="n_bootstrap must be an int >= 0; got -1"):
        param_importances(search, n_bootstrap=-1)
    with pytest.raises(ValueError, match="n_samples must be an int >= 8"):
        param_importances(search, n_samples=2)
    with pytest.raises(ValueError, match="not a point of the distributions"):
        param_importances(
            search, param_distributions={"a": LogUniform(1, 2), "b": uniform(0, 1)}
        )
    with pytest.raises(ValueError, match="no budgets"):
        param_importances(search, n_resources=3)

    class Bare:
        cv_results_ = search.cv_results_

    with pytest.raises(ValueError, match="pass param_distributions="):
        param_importances(Bare())
    found = param_importances(Bare(), param_distributions=space, n_bootstrap=0)
    assert isinstance(found, ParamImportances)


def test_benchmark_runs_one_function_and_saves_every_seed(
    tmp_path, capsys, monkeypatch
):
    import benchmarks.importance

    # The brute-force true shares take seconds; a coarse version is enough here.
    monkeypatch.setattr(
        benchmarks.importance,
        "true_shares",
        lambda function: true_shares(function, n=64, n_grid=8),
    )
    out = tmp_path / "importance.json"
    args = ["--functions", "interaction", "--seeds", "1", "--gp-seeds", "0"]
    report = main([*args, "--n-iter", "12", "--out", str(out)])
    assert list(report) == ["interaction"]
    assert len(report["interaction"]["random"]) == 1
    assert report["interaction"]["gp"] == []
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert (
        saved["interaction"]["random"][0]["names"]
        == report["interaction"]["random"][0]["names"]
    )
    assert "interaction  random  seeds=1" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--functions", "nope"])
    assert "unknown functions ['nope']" in capsys.readouterr().err
