"""Tests of sk_hpsearch._compat, the one user of private scikit-learn API.

If a scikit-learn release renames what ``_compat`` relies on, these tests are
the ones that say so.
"""

import numbers
import re
import threading
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    LeaveOneOut,
    RandomizedSearchCV,
    ShuffleSplit,
    StratifiedKFold,
    check_cv,
)
from sklearn.model_selection import _search as _sk_search
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from sk_hpsearch import CoarseToFineSearchCV, GPBayesSearchCV, _compat
from sk_hpsearch._compat import (
    HasMethods,
    Interval,
    StrOptions,
    defer_all_fits_failed,
    failed_candidates,
    fit_inputs,
    last_fit_outputs,
    replay_fits,
    search_cv,
    search_n_splits,
    yields_constant_splits,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:One or more of the test scores are non-finite:UserWarning"
)

X, y = make_classification(n_samples=30, n_features=4, random_state=0)


class MaybeFailingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; ``fit`` raises when ``fail`` is True."""

    def __init__(self, fail=False, shift=0.0):
        self.fail = fail
        self.shift = shift

    def fit(self, X, y):
        if self.fail:
            raise ValueError("Failing on purpose.")
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)

    def score(self, X, y):
        return float(np.mean(self.predict(X) == y)) + self.shift


class BatchSearchCV(BaseSearchCV):
    """Evaluates ``batches`` one ``evaluate_candidates`` call at a time.

    With ``defer=True`` the calls run inside ``defer_all_fits_failed``.
    """

    def __init__(
        self,
        estimator,
        batches,
        *,
        defer=True,
        scoring=None,
        refit=True,
        cv=3,
        error_score=np.nan,
    ):
        super().__init__(
            estimator,
            scoring=scoring,
            refit=refit,
            cv=cv,
            error_score=error_score,
            return_train_score=False,
        )
        self.batches = batches
        self.defer = defer

    def _run_search(self, evaluate_candidates):
        if not self.defer:
            for batch in self.batches:
                evaluate_candidates(batch)
            return
        with defer_all_fits_failed(self.error_score):
            for batch in self.batches:
                evaluate_candidates(batch)


FAIL = {"fail": True}
OK = {"fail": False}


# --- yields_constant_splits ------------------------------------------------


@pytest.mark.parametrize(
    ("cv", "expected"),
    [
        (KFold(3), True),
        (KFold(3, shuffle=False), True),
        (KFold(3, shuffle=True, random_state=0), True),
        (KFold(3, shuffle=True), False),
        (KFold(3, shuffle=True, random_state=np.random.RandomState(0)), False),
        (StratifiedKFold(3), True),
        (StratifiedKFold(3, shuffle=True, random_state=1), True),
        (ShuffleSplit(3, random_state=0), True),
        (ShuffleSplit(3), False),
        (GroupKFold(3), True),
        (LeaveOneOut(), True),
        (check_cv(3, y, classifier=True), True),
    ],
    ids=lambda value: re.sub(r" at 0x[0-9A-Fa-f]+", "", repr(value)),
)
def test_yields_constant_splits(cv, expected):
    result = yields_constant_splits(cv)
    assert type(result) is bool
    assert result is expected


def test_yields_constant_splits_agrees_with_the_splits():
    same = KFold(3, shuffle=True, random_state=0)
    first = [test.tolist() for _, test in same.split(X)]
    assert first == [test.tolist() for _, test in same.split(X)]
    varying = KFold(3, shuffle=True)
    draws = {tuple(next(varying.split(X))[1]) for _ in range(5)}
    assert len(draws) > 1


# --- defer_all_fits_failed -------------------------------------------------


def test_inside_the_context_a_failed_batch_only_warns():
    search = BatchSearchCV(
        MaybeFailingClassifier(),
        [[FAIL], [OK, {"fail": False, "shift": 1.0}], [FAIL, FAIL]],
    )
    with pytest.warns(FitFailedWarning) as record:
        search.fit(X, y)
    messages = [str(w.message) for w in record if w.category is FitFailedWarning]
    assert any(
        "All the 3 fits of this batch of candidates failed" in m for m in messages
    )
    assert any(
        "All the 6 fits of this batch of candidates failed" in m for m in messages
    )
    assert all("Failing on purpose." in m for m in messages)
    assert any("The search goes on" in m for m in messages)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 5
    assert np.isnan(scores[[0, 3, 4]]).all()
    assert np.isfinite(scores[[1, 2]]).all()
    assert search.best_params_ == {"fail": False, "shift": 1.0}
    assert search.best_index_ == 2


def test_at_exit_raises_if_every_fit_failed():
    search = BatchSearchCV(MaybeFailingClassifier(), [[FAIL], [FAIL, FAIL]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match=r"All the 9 fits failed") as info:
            search.fit(X, y)
    assert "Failing on purpose." in str(info.value)
    assert "error_score='raise'" in str(info.value)


def test_partly_failing_batch_warns_as_sklearn_does():
    search = BatchSearchCV(MaybeFailingClassifier(), [[OK, FAIL]])
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 6"):
        search.fit(X, y)
    assert np.isnan(search.cv_results_["mean_test_score"][1])


def test_error_score_raise_propagates_the_error():
    search = BatchSearchCV(
        MaybeFailingClassifier(), [[OK], [FAIL]], error_score="raise"
    )
    with pytest.raises(ValueError, match=r"Failing on purpose\."):
        search.fit(X, y)


def test_error_score_value_is_used_for_failed_fits():
    search = BatchSearchCV(MaybeFailingClassifier(), [[FAIL], [OK]], error_score=-1.0)
    with pytest.warns(FitFailedWarning, match="their scores are set to -1.0"):
        search.fit(X, y)
    assert search.cv_results_["mean_test_score"][0] == -1.0


class _RecordFailures(BatchSearchCV):
    """``BatchSearchCV`` that records ``failed_candidates`` after each batch."""

    def _run_search(self, evaluate_candidates):
        self.failed_ = []
        with defer_all_fits_failed(self.error_score, owner=self):
            for batch in self.batches:
                evaluate_candidates(batch)
                self.failed_.append(failed_candidates(len(batch)).tolist())


def test_failed_candidates_of_the_last_batch_whatever_error_score():
    # A finite error_score hides failures in cv_results_; the fits tell them.
    first_row = X[0]

    class FailsOnOneFold(MaybeFailingClassifier):
        """Fails, when ``shift == 1``, on the fold that holds out ``X[0]``."""

        def fit(self, X, y):
            if self.shift == 1.0 and not (X == first_row).all(axis=1).any():
                raise ValueError("one fold fails")
            return super().fit(X, y)

    batches = [[OK, FAIL], [OK], [FAIL], [{"shift": 1.0}, OK]]
    search = _RecordFailures(FailsOnOneFold(), batches, error_score=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        search.fit(X, y)
    assert search.failed_ == [[False, True], [False], [True], [True, False]]
    assert failed_candidates(2).tolist() == [False, False]  # outside: unknown


def test_without_the_context_sklearn_raises_at_the_first_failed_batch():
    # The same search without deferring: sklearn's behaviour, unchanged even
    # though defer_all_fits_failed has been used (and patched) before.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        BatchSearchCV(MaybeFailingClassifier(), [[FAIL], [OK]]).fit(X, y)
    search = BatchSearchCV(MaybeFailingClassifier(), [[FAIL], [OK]], defer=False)
    with pytest.raises(ValueError, match=r"All the 3 fits failed"):
        search.fit(X, y)


def test_plain_randomized_search_still_raises():
    with defer_all_fits_failed(np.nan):
        pass  # make sure the patch is installed
    search = RandomizedSearchCV(
        MaybeFailingClassifier(fail=True),
        {"shift": [0.0, 1.0]},
        n_iter=2,
        cv=3,
        random_state=0,
    )
    with pytest.raises(ValueError, match=r"All the 6 fits failed"):
        search.fit(X, y)


def test_plain_randomized_search_partial_failures_warn():
    with defer_all_fits_failed(np.nan):
        pass
    search = RandomizedSearchCV(
        MaybeFailingClassifier(), {"fail": [True, False]}, n_iter=2, cv=3
    )
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 6"):
        search.fit(X, y)


def test_context_is_restored_after_an_exception():
    with pytest.raises(RuntimeError, match="boom"):
        with defer_all_fits_failed(np.nan):
            raise RuntimeError("boom")
    search = BatchSearchCV(MaybeFailingClassifier(), [[FAIL], [OK]], defer=False)
    with pytest.raises(ValueError, match=r"All the 3 fits failed"):
        search.fit(X, y)


def test_nested_contexts_keep_their_own_record():
    inner_failed = BatchSearchCV(MaybeFailingClassifier(), [[FAIL]])
    outer = BatchSearchCV(MaybeFailingClassifier(), [[OK]], defer=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with defer_all_fits_failed(np.nan):
            outer.fit(X, y)  # one success recorded in the outer context
            with pytest.raises(ValueError, match=r"All the 3 fits failed"):
                inner_failed.fit(X, y)
    assert np.isfinite(outer.cv_results_["mean_test_score"]).all()


def test_deferring_is_per_thread():
    errors = []

    def plain_search():
        search = BatchSearchCV(MaybeFailingClassifier(), [[FAIL]], defer=False)
        try:
            search.fit(X, y)
        except ValueError as exc:
            errors.append(str(exc))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with defer_all_fits_failed(np.nan):
            thread = threading.Thread(target=plain_search)
            thread.start()
            thread.join()
    assert len(errors) == 1
    assert "All the 3 fits failed" in errors[0]


def _dict_scorer(estimator, X, y):
    return {"acc": estimator.score(X, y), "other": 1.0}


@pytest.mark.parametrize(
    "batches", [[[OK], [FAIL]], [[FAIL], [OK]]], ids=["ok-fail", "fail-ok"]
)
def test_failed_batch_with_a_callable_multimetric_scorer(batches):
    search = BatchSearchCV(
        MaybeFailingClassifier(), batches, scoring=_dict_scorer, refit="acc"
    )
    with pytest.warns(
        FitFailedWarning, match="fits of this batch of candidates failed"
    ):
        search.fit(X, y)
    assert search.multimetric_
    acc = search.cv_results_["mean_test_acc"]
    failed = [batch == [FAIL] for batch in batches]
    assert np.isnan(acc[failed]).all()
    assert np.isfinite(acc[~np.array(failed)]).all()


class _SeesItsCV(RandomizedSearchCV):
    """Records ``search_cv(self)`` inside ``_run_search``."""

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        self.seen_cv = search_cv(self)
        if callback_ctx is None:  # scikit-learn < 1.9
            super()._run_search(evaluate_candidates)
        else:
            super()._run_search(evaluate_candidates, callback_ctx=callback_ctx)


@pytest.mark.parametrize(
    "cv", [KFold(3, shuffle=True, random_state=0), GroupKFold(3), 3]
)
def test_search_cv_is_the_splitter_of_the_search(cv):
    search = _SeesItsCV(MaybeFailingClassifier(), {"fail": [False]}, n_iter=1, cv=cv)
    search.fit(X, y, groups=np.arange(len(y)) % 3)
    if isinstance(cv, int):  # fit's own StratifiedKFold, or the unshuffled fallback
        assert isinstance(search.seen_cv, KFold | StratifiedKFold)
        assert not search.seen_cv.shuffle
    else:
        assert search.seen_cv is cv
    assert yields_constant_splits(search.seen_cv)


def test_search_cv_falls_back_to_check_cv_without_the_private_attribute():
    class OldSearch:  # scikit-learn 1.6 sets no _checked_cv_orig
        cv = ShuffleSplit(3, random_state=None)

    assert search_cv(OldSearch()) is OldSearch.cv
    assert not yields_constant_splits(search_cv(OldSearch()))


def test_search_n_splits_inside_run_search():
    seen = {}

    class SeesItsSplits(_SeesItsCV):
        def _run_search(self, evaluate_candidates, *, callback_ctx=None):
            seen["n"] = search_n_splits(self)
            super()._run_search(evaluate_candidates, callback_ctx=callback_ctx)

    SeesItsSplits(MaybeFailingClassifier(), {"fail": [False]}, n_iter=1, cv=4).fit(X, y)
    assert seen["n"] == 4

    class OldSearch:  # scikit-learn 1.6: no n_splits_ before _run_search
        cv = KFold(5)

    assert search_n_splits(OldSearch()) == 5
    OldSearch.cv = LeaveOneOut()  # its number of splits needs the data
    assert search_n_splits(OldSearch()) == 1


# --- fit_inputs, replay_fits, last_fit_outputs (checkpoints) ----------------


class InputsSearchCV(BaseSearchCV):
    """Records what ``fit_inputs`` reads, evaluates ``batches`` (maybe replayed)."""

    def __init__(self, estimator, batches, replay=None, cv=3, n_jobs=None):
        super().__init__(estimator, cv=cv, n_jobs=n_jobs, refit=False)
        self.batches = batches
        self.replay = replay

    def _run_search(self, evaluate_candidates):
        self.inputs_ = fit_inputs(evaluate_candidates)
        with defer_all_fits_failed(self.error_score):
            for batch in self.batches:
                if self.replay is None:
                    evaluate_candidates(batch)
                    self.outputs_ = last_fit_outputs()
                else:
                    with replay_fits(batch, self.replay):
                        evaluate_candidates(batch)


def test_fit_inputs_reads_the_data_and_the_routed_parameters():
    groups = np.arange(len(y)) % 3
    search = InputsSearchCV(MaybeFailingClassifier(), [[OK]], cv=GroupKFold(3))
    search.fit(X, y, groups=groups)
    inputs = search.inputs_
    assert inputs["X"] is X and inputs["y"] is y
    assert inputs["fit_params"] == {}
    np.testing.assert_array_equal(inputs["split_params"]["groups"], groups)
    assert isinstance(inputs["cv"], GroupKFold)


def test_fit_inputs_is_none_for_a_foreign_callable():
    assert fit_inputs(lambda params: None) is None


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_replay_fits_rebuilds_cv_results_without_fitting(n_jobs):
    batch = [{"shift": 0.0}, {"shift": 0.5}]
    real = InputsSearchCV(MaybeFailingClassifier(), [batch]).fit(X, y)
    outputs = real.outputs_
    journal = [outputs[0:3], outputs[3:6]]
    failing = [{"shift": 0.0, "fail": True}, {"shift": 0.5, "fail": True}]
    replayed_journal = [[dict(o) for o in c] for c in journal]
    # the estimator would fail if it were fitted: the replay must not fit
    replayed = InputsSearchCV(
        MaybeFailingClassifier(fail=True),
        [failing],
        replay=replayed_journal,
        n_jobs=n_jobs,
    )
    replayed.fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "rank_test_score"):
        np.testing.assert_array_equal(replayed.cv_results_[key], real.cv_results_[key])
    assert _sk_search._fit_and_score is _compat._fit_original  # restored


def test_replay_fits_fits_candidates_without_a_journal():
    batch = [{"shift": 0.0}, {"shift": 0.5}]
    real = InputsSearchCV(MaybeFailingClassifier(), [batch]).fit(X, y)
    half = [[dict(o) for o in real.outputs_[0:3]], None]
    replayed = InputsSearchCV(MaybeFailingClassifier(), [batch], replay=half).fit(X, y)
    np.testing.assert_array_equal(
        replayed.cv_results_["mean_test_score"], real.cv_results_["mean_test_score"]
    )


def test_fit_and_score_is_looked_up_at_call_time():
    """The replay patches a module global that ``evaluate_candidates`` reads."""
    import inspect

    source = inspect.getsource(BaseSearchCV.fit)
    assert "delayed(_fit_and_score)" in source
    assert hasattr(_sk_search, "_fit_and_score")


# --- BaseSearchCV and the parameter constraints -----------------------------


def test_base_search_cv_is_the_base_of_sklearns_searches():
    """Every search here subclasses the class scikit-learn's own searches do."""
    assert issubclass(RandomizedSearchCV, _compat.BaseSearchCV)
    for search in (CoarseToFineSearchCV, GPBayesSearchCV):
        assert issubclass(search, _compat.BaseSearchCV)
    assert "_run_search" in vars(_compat.BaseSearchCV)


@pytest.mark.parametrize(
    ("constraint", "value"),
    [
        (Interval(numbers.Integral, 1, None, closed="left"), 0),
        (StrOptions({"auto"}), "often"),
        (HasMethods(["get_params"]), object()),
    ],
)
def test_constraints_reject_with_sklearns_error_naming_the_parameter(constraint, value):
    """Constraints added to ``_parameter_constraints`` are checked by ``fit``."""

    class ConstrainedSearchCV(BatchSearchCV):
        _parameter_constraints: dict = {
            **BatchSearchCV._parameter_constraints,
            "batches": [list],
            "defer": [bool],
            "knob": [constraint],
        }

        def __init__(self, estimator, batches, *, knob=None):
            super().__init__(estimator, batches)
            self.knob = knob

    ok = {Interval: 1, StrOptions: "auto", HasMethods: MaybeFailingClassifier()}
    ConstrainedSearchCV(
        MaybeFailingClassifier(), [[OK]], knob=ok[type(constraint)]
    ).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"'knob' parameter .*"):
        ConstrainedSearchCV(MaybeFailingClassifier(), [[OK]], knob=value).fit(X, y)


def test_searches_name_a_bad_parameter_and_its_value():
    """Our searches' own constraints give scikit-learn's error."""
    space = {"shift": [0.0, 0.1]}
    for search in (
        CoarseToFineSearchCV(MaybeFailingClassifier(), space, n_rounds=0),
        GPBayesSearchCV(MaybeFailingClassifier(), space, acq_func="often"),
    ):
        with pytest.raises(InvalidParameterError, match=r"'(n_rounds|acq_func)'.*Got"):
            search.fit(X, y)
