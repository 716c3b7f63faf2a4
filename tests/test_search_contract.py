"""The BaseSearchCV contract, for every sk_hpsearch search class.

Behaviour that must match scikit-learn is checked against scikit-learn: the
same code runs with ``RandomizedSearchCV`` and with our class.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
from scipy import stats
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    RandomizedSearchCV,
    cross_val_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import sk_hpsearch
from sk_hpsearch import CoarseToFineSearchCV, LogUniform

from ._fakes import BudgetClassifier, FunctionClassifier, classification_data

SEARCHES = [CoarseToFineSearchCV]
if hasattr(sk_hpsearch, "GPBayesSearchCV"):
    SEARCHES.append(sk_hpsearch.GPBayesSearchCV)

# The columns each class adds to RandomizedSearchCV's cv_results_.
EXTRA_COLUMNS = {
    "CoarseToFineSearchCV": {"round"},
    "GPBayesSearchCV": {
        "step",
        "initial",
        "acquisition_value",
        "predicted_mean",
        "predicted_std",
    },
}

SPACE = {
    "alpha": LogUniform(1e-4, 1e2),
    "beta": stats.uniform(0, 1),
    "kind": list("abc"),
}
LR_SPACE = {"C": LogUniform(1e-3, 1e2)}


def fast(cls, estimator=None, space=None, **kwargs):
    """A quick instance of ``cls`` over the function classifier."""
    kwargs.setdefault("n_iter", 6)
    kwargs.setdefault("cv", 3)
    kwargs.setdefault("random_state", 0)
    return cls(estimator or FunctionClassifier(), space or SPACE, **kwargs)


@parametrize_with_checks(
    [
        cls(LogisticRegression(), LR_SPACE, n_iter=3, cv=2, random_state=0)
        for cls in SEARCHES
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", SEARCHES)
def test_cv_results_match_randomized_search(cls):
    X, y = classification_data()
    kwargs = dict(n_iter=6, cv=3, random_state=0, return_train_score=True)
    ours = fast(cls, **kwargs).fit(X, y)
    theirs = RandomizedSearchCV(FunctionClassifier(), SPACE, **kwargs).fit(X, y)
    extra = set(ours.cv_results_) - set(theirs.cv_results_)
    assert extra == EXTRA_COLUMNS[cls.__name__]
    assert set(theirs.cv_results_) <= set(ours.cv_results_)
    for key, theirs_value in theirs.cv_results_.items():
        ours_value = ours.cv_results_[key]
        if isinstance(theirs_value, np.ndarray):
            assert ours_value.shape == theirs_value.shape, key
            if key.startswith("param_"):
                continue  # dtype follows the values drawn
            assert ours_value.dtype == theirs_value.dtype, key
        else:
            assert type(ours_value) is type(theirs_value), key
            assert len(ours_value) == len(theirs_value), key
    for attr in ("best_index_", "best_score_", "best_params_", "n_splits_"):
        assert type(getattr(ours, attr)) is type(getattr(theirs, attr)), attr
    assert (
        ours.best_estimator_.get_params()
        == FunctionClassifier(**ours.best_params_).get_params()
    )


@pytest.mark.parametrize("cls", SEARCHES)
def test_zero_scale_law_is_searched_as_randomized_search_does(cls):
    # scipy's rvs draws loc from a zero-scale law, its ppf gives NaN.
    X, y = classification_data()
    space = {**SPACE, "beta": stats.uniform(0.25, 0.0)}
    ours = fast(cls, space=space).fit(X, y)
    theirs = RandomizedSearchCV(
        FunctionClassifier(), space, n_iter=6, cv=3, random_state=0
    ).fit(X, y)
    assert set(theirs.cv_results_["param_beta"]) == {0.25}
    assert set(ours.cv_results_["param_beta"]) == {0.25}
    assert np.isfinite(ours.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("cls", SEARCHES)
def test_finds_better_than_prior_median(cls):
    X, y = classification_data()
    search = fast(cls, n_iter=24).fit(X, y)
    assert search.best_score_ > -1.0  # the right kind and alpha within a decade
    assert search.best_params_["kind"] == "b"


@pytest.mark.parametrize("cls", SEARCHES)
def test_in_pipeline_and_nested_cv(cls):
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    search = cls(
        pipe, {"clf__C": LogUniform(1e-3, 1e2)}, n_iter=4, cv=3, random_state=0
    )
    scores = cross_val_score(search, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    search.fit(X, y)
    assert 1e-3 <= search.best_params_["clf__C"] <= 1e2
    assert search.predict(X).shape == y.shape


@pytest.mark.parametrize("cls", SEARCHES)
def test_groups_are_passed_to_the_splitter(cls):
    X, y = classification_data()
    groups = np.repeat(np.arange(6), 10)
    search = fast(cls, cv=GroupKFold(n_splits=3)).fit(X, y, groups=groups)
    theirs = RandomizedSearchCV(
        FunctionClassifier(), SPACE, n_iter=2, cv=GroupKFold(n_splits=3)
    ).fit(X, y, groups=groups)
    assert search.n_splits_ == theirs.n_splits_ == 3
    with pytest.raises(ValueError, match="groups"):
        fast(cls, cv=GroupKFold(n_splits=3)).fit(X, y)


def _sklearn_scores(estimator, candidates, X, y, **fit_params):
    """scikit-learn's own mean test scores of ``candidates``, same folds."""
    grid = [{k: [v] for k, v in params.items()} for params in candidates]
    search = GridSearchCV(estimator, grid, cv=3).fit(X, y, **fit_params)
    return search.cv_results_["mean_test_score"]


@pytest.mark.parametrize("cls", SEARCHES)
def test_fit_params_and_metadata_routing(cls):
    # Compared with scikit-learn itself on the same candidates: whether the
    # scorer sees sample_weight without routing depends on its version.
    X, y = load_iris(return_X_y=True)
    weights = np.linspace(0.5, 2, len(y))
    plain = cls(LogisticRegression(), LR_SPACE, n_iter=3, cv=3, random_state=0)
    weighted = plain.fit(X, y, sample_weight=weights).cv_results_
    candidates = weighted["params"]
    np.testing.assert_allclose(
        weighted["mean_test_score"],
        _sklearn_scores(LogisticRegression(), candidates, X, y, sample_weight=weights),
    )
    unweighted = plain.fit(X, y).cv_results_["mean_test_score"]
    assert not np.allclose(weighted["mean_test_score"], unweighted)
    with sklearn.config_context(enable_metadata_routing=True):
        est = LogisticRegression().set_fit_request(sample_weight=True)
        est = est.set_score_request(sample_weight=True)
        routed = cls(est, LR_SPACE, n_iter=3, cv=3, random_state=0)
        routed.fit(X, y, sample_weight=weights)
        assert routed.cv_results_["params"] == candidates
        np.testing.assert_allclose(
            routed.cv_results_["mean_test_score"],
            _sklearn_scores(est, candidates, X, y, sample_weight=weights),
        )
    version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    if version >= (1, 9):  # the scorer sees the weights unrouted too
        np.testing.assert_allclose(
            routed.cv_results_["mean_test_score"], weighted["mean_test_score"]
        )


@pytest.mark.parametrize("cls", SEARCHES)
@pytest.mark.parametrize(
    "refit",
    [True, False, "accuracy", lambda results: 0],
    ids=["true", "false", "str", "callable"],
)
def test_refit_like_randomized_search(cls, refit):
    X, y = classification_data()
    scoring = "accuracy" if refit == "accuracy" else None
    ours = fast(cls, refit=refit, scoring=scoring).fit(X, y)
    theirs = RandomizedSearchCV(
        FunctionClassifier(), SPACE, n_iter=3, cv=3, refit=refit, scoring=scoring
    ).fit(X, y)
    for attr in ("best_estimator_", "best_index_", "best_params_", "best_score_"):
        assert hasattr(ours, attr) == hasattr(theirs, attr), attr
    if callable(refit):
        assert ours.best_index_ == 0


@pytest.mark.parametrize("cls", SEARCHES)
def test_multimetric_follows_refit_metric(cls):
    X, y = load_iris(return_X_y=True)
    scoring = {"acc": "accuracy", "nll": "neg_log_loss"}
    search = cls(
        LogisticRegression(),
        LR_SPACE,
        n_iter=4,
        cv=3,
        scoring=scoring,
        refit="nll",
        random_state=0,
    ).fit(X, y)
    assert {"mean_test_acc", "mean_test_nll"} <= set(search.cv_results_)
    assert search.best_index_ == np.argmax(search.cv_results_["mean_test_nll"])


def _acc_and_nll(estimator, X, y):
    """A callable scorer returning several metrics."""
    return {
        "acc": accuracy_score(y, estimator.predict(X)),
        "nll": -log_loss(y, estimator.predict_proba(X)),
    }


@pytest.mark.parametrize("cls", SEARCHES)
@pytest.mark.parametrize(
    "scoring",
    [{"acc": "accuracy", "nll": "neg_log_loss"}, _acc_and_nll],
    ids=["dict", "callable"],
)
@pytest.mark.parametrize(
    "refit",
    [False, lambda results: int(np.argmax(results["mean_test_nll"]))],
    ids=["false", "callable"],
)
def test_multimetric_without_a_metric_named_optimises_the_first(cls, scoring, refit):
    # RandomizedSearchCV accepts these; ours follow the first metric of scoring
    # (here "acc"), so they propose what refit="acc" proposes.
    X, y = load_iris(return_X_y=True)
    kw = {"n_iter": 6, "cv": 3, "scoring": scoring, "random_state": 0}
    search = cls(LogisticRegression(), LR_SPACE, refit=refit, **kw).fit(X, y)
    theirs = RandomizedSearchCV(
        LogisticRegression(), LR_SPACE, n_iter=6, cv=3, scoring=scoring, refit=refit
    ).fit(X, y)
    for attr in ("best_estimator_", "best_index_", "best_params_", "best_score_"):
        assert hasattr(search, attr) == hasattr(theirs, attr), attr
    named = cls(LogisticRegression(), LR_SPACE, refit="acc", **kw).fit(X, y)
    assert search.cv_results_["params"] == named.cv_results_["params"]
    if callable(refit):
        assert search.best_index_ == np.argmax(search.cv_results_["mean_test_nll"])


class _FailsFirstFits(FunctionClassifier):
    """``FunctionClassifier`` whose first ``n_failures`` fits (in order) fail."""

    n_failures = 0

    def fit(self, X, y, sample_weight=None):
        if _FailsFirstFits.n_failures > 0:
            _FailsFirstFits.n_failures -= 1
            raise ValueError("first fits fail")
        return super().fit(X, y, sample_weight)


def _two_scores(estimator, X, y):
    return {"a": estimator.score(X, y), "b": 2 * estimator.score(X, y)}


@pytest.mark.parametrize("cls", SEARCHES)
def test_callable_multimetric_scorer_whose_first_batch_failed(cls):
    # The first batch has no dict score to name the metrics yet.
    X, y = classification_data()
    _FailsFirstFits.n_failures = 3  # the first candidate, on each of 3 folds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search = fast(
            cls,
            _FailsFirstFits(),
            scoring=_two_scores,
            refit="b",
            n_iter=5,
            **one_per_batch(cls),
        ).fit(X, y)
    b = search.cv_results_["mean_test_b"]
    assert np.isnan(b[0]) and np.isfinite(b[1:]).all()
    assert len(search.cv_results_["params"]) == 5


@pytest.mark.parametrize("cls", SEARCHES)
def test_error_score(cls):
    X, y = classification_data()
    space = {**SPACE, "fail": [False, True]}
    with pytest.warns(FitFailedWarning):
        search = fast(cls, space=space, n_iter=10, error_score=-1e9).fit(X, y)
    failed = np.array([p["fail"] for p in search.cv_results_["params"]])
    assert failed.any() and (~failed).any()
    assert (search.cv_results_["mean_test_score"][failed] == -1e9).all()
    assert search.best_params_["fail"] is False
    with pytest.raises(ValueError, match="failed on purpose"):
        fast(cls, space=space, n_iter=10, error_score="raise").fit(X, y)


@pytest.mark.parametrize("cls", SEARCHES)
@pytest.mark.parametrize("resource", [None, "n_steps"])
def test_numeric_error_score_is_searched_as_nan_is(cls, resource):
    # error_score only fills cv_results_: a failed fit scored -1e9 (or 0) must
    # not enter the zoom's top candidates or the GP as a real score.
    X, y = classification_data()
    space = {**SPACE, "fail": [False, True]}
    runs = []
    for error_score in (np.nan, -1e9, 0.0):
        search = fast(
            cls,
            BudgetClassifier(),
            space=space,
            n_iter=10,
            error_score=error_score,
            resource=resource,
            refit=False,  # with error_score=0 a failed fit ranks first
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            runs.append(search.fit(X, y).cv_results_)
    failed = np.array([p["fail"] for p in runs[0]["params"]])
    assert failed.any()
    for results in runs[1:]:
        assert str(results["params"]) == str(runs[0]["params"])
    assert (runs[1]["mean_test_score"][failed] == -1e9).all()


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_batch_of_failures_keeps_results_already_computed(cls):
    X, y = classification_data()
    # One candidate per batch: batches whose fits all fail must not end the search.
    space = {"alpha": LogUniform(1e-4, 1e2), "fail": [False, True]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search = fast(cls, space=space, n_iter=8, **one_per_batch(cls)).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.isfinite(search.best_score_)
    assert search.best_params_["fail"] is False


@pytest.mark.parametrize("cls", SEARCHES)
def test_every_fit_failing_raises_like_sklearn(cls):
    X, y = classification_data()
    estimator = FunctionClassifier(fail=True)
    with pytest.raises(ValueError, match=r"All the .* fits failed"):
        RandomizedSearchCV(estimator, SPACE, n_iter=3, cv=3).fit(X, y)
    with pytest.raises(ValueError, match=r"All the .* fits failed"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            fast(cls, estimator).fit(X, y)


@pytest.mark.parametrize("cls", SEARCHES)
def test_return_train_score_and_verbose(cls, capsys):
    X, y = classification_data()
    search = fast(cls, return_train_score=True, verbose=1).fit(X, y)
    assert "mean_train_score" in search.cv_results_
    assert "Fitting 3 folds for each of" in capsys.readouterr().out
    assert "mean_train_score" not in fast(cls).fit(X, y).cv_results_


@pytest.mark.parametrize("cls", SEARCHES)
def test_same_random_state_same_results_whatever_n_jobs(cls):
    X, y = load_iris(return_X_y=True)
    runs = [
        cls(LogisticRegression(), LR_SPACE, n_iter=6, cv=3, random_state=3, n_jobs=n)
        .fit(X, y)
        .cv_results_
        for n in (1, 2)
    ]
    assert runs[0]["params"] == runs[1]["params"]
    np.testing.assert_array_equal(
        runs[0]["mean_test_score"], runs[1]["mean_test_score"]
    )
    other = cls(LogisticRegression(), LR_SPACE, n_iter=6, cv=3, random_state=4)
    assert other.fit(X, y).cv_results_["params"] != runs[0]["params"]


@pytest.mark.parametrize("cls", SEARCHES)
def test_n_iter_candidates_and_no_duplicates(cls):
    X, y = classification_data()
    space = {"kind": list("abc"), "beta": [0.1, 0.3, 0.5, 0.7]}
    search = fast(cls, space=space, n_iter=10).fit(X, y)
    params = search.cv_results_["params"]
    assert len(params) == 10
    assert len({tuple(sorted(p.items())) for p in params}) == 10


@pytest.mark.parametrize("cls", SEARCHES)
def test_small_space_is_exhausted_with_a_warning(cls):
    X, y = classification_data()
    with pytest.warns(UserWarning, match="only 6 distinct candidates"):
        search = fast(
            cls,
            space={"kind": list("abc"), "fail": [False, True]},
            n_iter=10,
            error_score=np.nan,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            search.fit(X, y)
    assert len(search.cv_results_["params"]) == 6


@pytest.mark.parametrize("cls", SEARCHES)
def test_list_of_dicts(cls):
    X, y = classification_data()
    space = [
        {"alpha": LogUniform(1e-4, 1e2), "kind": ["b"]},
        {"beta": stats.uniform(0, 1), "kind": ["a", "c"]},
    ]
    search = fast(cls, space=space, n_iter=12).fit(X, y)
    keys = {frozenset(p) for p in search.cv_results_["params"]}
    assert keys == {frozenset({"alpha", "kind"}), frozenset({"beta", "kind"})}
    assert search.best_params_["kind"] == "b"


@pytest.mark.parametrize("cls", SEARCHES)
def test_empty_dict_in_a_list_is_the_default_candidate(cls):
    # RandomizedSearchCV evaluates {} as the estimator's own parameters.
    X, y = classification_data()
    space = [{}, {"kind": list("abc")}]
    theirs = RandomizedSearchCV(FunctionClassifier(), space, n_iter=4, cv=3)
    ours = fast(cls, space=space, n_iter=4)
    for search in (theirs, ours):
        params = search.fit(X, y).cv_results_["params"]
        assert sorted(map(str, params)) == [
            "{'kind': 'a'}",
            "{'kind': 'b'}",
            "{'kind': 'c'}",
            "{}",
        ]
    assert ours.best_params_ == {"kind": "b"}
    with pytest.raises(ValueError, match="non-empty dict"):
        fast(cls, space=[{}]).fit(X, y)  # nothing to search at all


@pytest.mark.parametrize("cls", SEARCHES)
def test_native_types_reach_the_estimator(cls):
    X, y = classification_data()
    space = {
        "alpha": LogUniform(1, 100, integer=True),
        "beta": stats.randint(0, 3),
        "kind": ["a", None],
    }
    search = fast(cls, space=space).fit(X, y)
    for p in search.cv_results_["params"]:
        assert type(p["alpha"]) is int and type(p["beta"]) is int
        assert p["kind"] in ("a", None)


@pytest.mark.parametrize("cls", SEARCHES)
def test_shuffling_cv_without_seed_is_rejected(cls):
    X, y = classification_data()
    with pytest.raises(ValueError, match="must yield the same folds"):
        fast(cls, cv=KFold(3, shuffle=True)).fit(X, y)
    fast(cls, cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)


@pytest.mark.parametrize("cls", SEARCHES)
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_iter": 0}, "n_iter"),
        ({"param_distributions": {"alpha": 3}}, r"param_distributions\['alpha'\]"),
        ({"param_distributions": {}}, "non-empty dict"),
    ],
)
def test_bad_arguments_are_named(cls, params, match):
    X, y = classification_data()
    search = fast(cls).set_params(**params)
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)


@pytest.mark.parametrize("cls", SEARCHES)
def test_init_only_stores_arguments(cls):
    space = {"alpha": 3}  # invalid, but __init__ must not look at it
    search = cls(FunctionClassifier(), space, n_iter=-5)
    assert search.param_distributions is space and search.n_iter == -5


def one_per_batch(cls) -> dict:
    """Arguments that make ``cls`` evaluate one candidate per batch."""
    if cls is CoarseToFineSearchCV:
        return {"n_rounds": 8}
    return {"n_initial_points": 1, "n_points": 1}


class _FailsOnFewSamples(FunctionClassifier):
    """``FunctionClassifier`` that fails on fewer than 35 samples."""

    def fit(self, X, y, sample_weight=None):
        if len(X) < 35:
            raise ValueError("too few samples")
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_nested_sklearn_search_still_raises_when_all_its_fits_fail(cls):
    # The inner GridSearchCV sees 40 samples per outer fold, 26-27 per inner
    # fold: every inner fit fails, so it must raise, as under RandomizedSearchCV,
    # and not go on with NaN scores because the outer search defers failures.
    X, y = classification_data(60)
    inner = GridSearchCV(_FailsOnFewSamples(), {"beta": [0.1, 0.2]}, cv=3)
    space = {"estimator__alpha": [0.01, 0.1]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match=r"All the .* fits failed"):
            RandomizedSearchCV(inner, space, n_iter=2, cv=3).fit(X, y)
        with pytest.raises(ValueError, match=r"All the .* fits failed"):
            cls(inner, space, n_iter=2, cv=3, random_state=0).fit(X, y)
