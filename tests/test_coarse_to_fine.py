"""Rounds of CoarseToFineSearchCV and CoarseToFineOptimizer."""

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from sk_hpsearch import CoarseToFineOptimizer, CoarseToFineSearchCV, LogUniform
from sk_hpsearch.strategies._coarse_to_fine import (
    MIN_FIRST_ROUND,
    MIN_ROUND_SIZE,
    auto_round_sizes,
    round_sizes,
)

from ._fakes import BudgetClassifier, classification_data

SPACE = {"C": LogUniform(1e-3, 1e3), "tol": LogUniform(1e-5, 1e-1)}


@given(st.integers(1, 500), st.integers(1, 40))
def test_round_sizes_split_evenly(total, n_rounds):
    sizes = round_sizes(total, n_rounds)
    assert sum(sizes) == total
    assert len(sizes) == min(total, n_rounds)
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)


@given(st.integers(1, 500), st.integers(1, 40))
def test_auto_rounds_are_a_coarse_third_then_small_even_rounds(total, n_dims):
    first, *later = auto_round_sizes(total, n_dims)
    assert first + sum(later) == total
    assert first == max(math.ceil(total / 3), min(MIN_FIRST_ROUND, total))
    step = max(MIN_ROUND_SIZE, n_dims)
    if later:
        assert max(later) <= step and min(later) >= 1
        assert max(later) - min(later) <= 1
        # as few rounds as that size allows
        assert len(later) == math.ceil((total - first) / step)


def rounds_of(search) -> list[int]:
    counts = Counter(int(r) for r in search.cv_results_["round"])
    return [counts[r] for r in sorted(counts)]


def test_the_default_rounds_are_auto():
    X, y = load_iris(return_X_y=True)
    estimator = LogisticRegression(max_iter=300)
    search = CoarseToFineSearchCV(estimator, SPACE, n_iter=32, cv=3, random_state=0)
    search.fit(X, y)
    assert search.n_rounds == "auto"
    assert rounds_of(search) == [11, 4, 4, 4, 3, 3, 3] == auto_round_sizes(32, 2)
    assert [r["round"] for r in search.regions_] == list(range(1, 8))
    search.set_params(n_rounds=3, n_iter=12).fit(X, y)
    assert rounds_of(search) == [4, 4, 4]


def test_auto_counts_the_parameters_of_the_largest_dict():
    X, y = load_iris(return_X_y=True)
    space = [
        {"C": LogUniform(1e-3, 1e3)},
        {k: LogUniform(1e-5, 1.0) for k in ("tol", "C")}
        | {"fit_intercept": [True, False], "class_weight": [None, "balanced"]}
        | {"intercept_scaling": LogUniform(0.1, 10.0)},
    ]
    search = CoarseToFineSearchCV(
        LogisticRegression(max_iter=300), space, n_iter=30, cv=2, random_state=0
    ).fit(X, y)
    # 5 parameters: rounds of 5 (of 4 with at most 4, of 7 counting every column)
    assert rounds_of(search) == auto_round_sizes(30, 5) == [10, 5, 5, 5, 5]


def test_auto_is_three_rounds_with_a_resource():
    X, y = classification_data()
    search = CoarseToFineSearchCV(
        BudgetClassifier(n_steps=27),
        {"alpha": LogUniform(1e-3, 1e1)},
        n_iter=12,
        cv=3,
        resource="n_steps",
        random_state=0,
    ).fit(X, y)
    assert len(search.regions_) == 3
    assert sorted({int(r) for r in search.cv_results_["round"]}) == [1, 2, 3]


def test_the_optimizer_has_the_same_auto_rounds():
    opt = CoarseToFineOptimizer(SPACE, n_iter=32, random_state=0)
    assert opt.n_rounds == "auto"
    for size in auto_round_sizes(32, 2):
        batch = opt.ask(size)
        assert len(batch) == size
        opt.tell(batch, [-abs(math.log10(p["C"])) for p in batch])
    assert [r["n_candidates"] for r in opt.regions_] == auto_round_sizes(32, 2)


@pytest.mark.parametrize("bad", ["fast", 0, 2.5, True])
def test_a_bad_n_rounds_is_named(bad):
    if bad is not True:  # scikit-learn's validation takes a bool for an int
        search = CoarseToFineSearchCV(LogisticRegression(), SPACE, n_rounds=bad)
        with pytest.raises(ValueError, match="'n_rounds' parameter"):
            search.fit(*load_iris(return_X_y=True))
    message = rf"n_rounds must be .* \"auto\"; got n_rounds={bad!r}"
    with pytest.raises(ValueError, match=message):
        CoarseToFineOptimizer(SPACE, n_iter=4, n_rounds=bad).ask(1)
