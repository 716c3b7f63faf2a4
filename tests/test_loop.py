"""The one search loop: stop reasons, callbacks, the time box, progress.

The loop itself is tested with a fake clock (no timed assertions); the
searches are tested end to end with the function classifier.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import ParameterGrid, RandomizedSearchCV
from sklearn.utils._param_validation import InvalidParameterError

import sk_hpsearch
from sk_hpsearch import (
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
    NoImprovementStopper,
    SearchState,
    TargetScoreStopper,
)
from sk_hpsearch.loop import _loop
from sk_hpsearch.loop._loop import SearchLoop
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import History
from sk_hpsearch.strategies._coarse_to_fine import (
    CoarseToFineStrategy,
    auto_round_sizes,
)

from ._fakes import BudgetClassifier, FunctionClassifier, classification_data

SEARCHES = [CoarseToFineSearchCV, GPBayesSearchCV]
SPACE = {
    "alpha": LogUniform(1e-4, 1e2),
    "beta": stats.uniform(0, 1),
    "kind": list("abc"),
}


def search(cls, space=SPACE, **kwargs):
    kwargs = {"n_iter": 8, "cv": 3, "random_state": 0, **kwargs}
    X, y = classification_data()
    return cls(FunctionClassifier(), space, **kwargs).fit(X, y)


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_full_search_stops_at_n_iter(cls):
    s = search(cls)
    assert s.stop_reason_ == "n_iter"
    assert len(s.cv_results_["params"]) == 8
    assert s.search_time_ > 0


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_small_space_is_exhausted(cls):
    with pytest.warns(UserWarning, match="only 3 distinct candidates"):
        s = search(cls, {"kind": list("abc"), "beta": [0.3]}, n_iter=5)
    assert s.stop_reason_ == "exhausted"
    assert len(s.cv_results_["params"]) == 3


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_target_score_stops_the_search(cls):
    # Scores are -f <= 0; -1.5 is reached early, far before 30 candidates.
    s = search(cls, n_iter=30, callbacks=TargetScoreStopper(-1.5))
    assert s.stop_reason_ == "callback"
    n = len(s.cv_results_["params"])
    assert n < 30
    assert s.best_score_ >= -1.5
    # It stopped after the first batch that reached the target.
    reached = np.maximum.accumulate(s.cv_results_["mean_test_score"]) >= -1.5
    assert reached[-1]
    batch_column = "round" if cls is CoarseToFineSearchCV else "step"
    batches = s.cv_results_[batch_column]
    assert not reached[batches != batches[-1]].any()


@pytest.mark.parametrize("cls", SEARCHES)
def test_callbacks_see_a_read_only_state_after_every_batch(cls):
    states = []

    def record(state):
        states.append(state)
        return False

    s = search(cls, callbacks=[record])
    assert all(isinstance(state, SearchState) for state in states)
    assert [st.n_batches for st in states] == list(range(1, len(states) + 1))
    last = states[-1]
    assert last.n_candidates == last.n_iter == 8
    np.testing.assert_array_equal(last.scores, s.cv_results_["mean_test_score"])
    assert last.best_params == s.best_params_
    assert last.params == list(s.cv_results_["params"])
    with pytest.raises(ValueError, match="read-only"):
        last.scores[0] = 1.0


def test_no_improvement_stops_after_patience_candidates():
    stop = NoImprovementStopper(patience=3)
    history = History(SearchSpace({"a": stats.uniform(0, 1)}))

    def state(scores):
        history.scores = np.array(scores, dtype=float)
        return SearchState(history, n_iter=99, n_batches=1, elapsed=0.0)

    assert not stop(state([0.1, 0.5, 0.4, 0.3]))  # three since 0.5, not more
    assert stop(state([0.1, 0.5, 0.4, 0.3, 0.5]))  # a tie is no improvement
    assert not stop(state([0.1, 0.5, 0.4, 0.3, 0.6]))
    assert not NoImprovementStopper(3, min_delta=0.05)(state([0.5, 0.1, 0.1, 0.56]))
    assert NoImprovementStopper(3, min_delta=0.1)(state([0.5, 0.1, 0.1, 0.56]))
    assert stop(state([np.nan] * 4))  # nothing succeeded in 3 candidates
    assert not stop(state([np.nan, np.nan, np.nan, 0.2]))


@pytest.mark.parametrize("patience", [0, 2.5, True, "3"])
def test_no_improvement_rejects_a_bad_patience(patience):
    with pytest.raises(ValueError, match=re.escape(f"got {patience!r}")):
        NoImprovementStopper(patience)


@pytest.mark.parametrize("cls", SEARCHES)
def test_no_improvement_stopper_in_a_search(cls):
    s = search(cls, n_iter=60, callbacks=NoImprovementStopper(patience=10))
    scores = s.cv_results_["mean_test_score"]
    if s.stop_reason_ == "callback":
        best_at = int(np.argmax(scores))
        assert len(scores) - 1 - best_at >= 10
    else:
        assert s.stop_reason_ == "n_iter"


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("max_time", -1.0, "max_time"),
        ("max_time", "1h", "max_time"),
        ("callbacks", "stop", "callbacks"),
        ("callbacks", [TargetScoreStopper(0), 3], "callbacks must be callables"),
    ],
)
def test_bad_loop_options_are_clear_errors(name, value, match):
    with pytest.raises((ValueError, InvalidParameterError), match=match):
        search(CoarseToFineSearchCV, **{name: value})


class _FakeClock:
    """``time.monotonic`` advanced by the evaluations, one second a candidate."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _one_dim_c2f(n_iter: int, n_rounds: int | str) -> CoarseToFineStrategy:
    """Coarse-to-fine over one uniform parameter ``a`` (zoom 0.5, top 3)."""
    space = SearchSpace({"a": stats.uniform(0, 1)})
    return CoarseToFineStrategy(
        space,
        History(space),
        np.random.RandomState(0),
        n_iter,
        n_rounds=n_rounds,
        zoom=0.5,
        top_k=3,
    )


@pytest.mark.parametrize(("max_time", "expected"), [(5.5, 5), (6.0, 6), (0.5, 1)])
def test_the_time_box_skips_a_batch_predicted_to_overrun(
    monkeypatch, max_time, expected
):
    clock = _FakeClock()
    monkeypatch.setattr(_loop.time, "monotonic", clock)
    strategy = _one_dim_c2f(20, n_rounds=20)

    def evaluate(batch):
        clock.now += len(batch)
        return np.zeros(len(batch))

    loop = SearchLoop(strategy, evaluate, n_iter=20, max_time=max_time)
    assert loop.run() == "max_time"
    # One-candidate batches of one second: the batch that would end after
    # max_time is not started, and the first always runs.
    assert len(strategy.history) == expected
    assert loop.elapsed == expected


@pytest.mark.parametrize(
    ("max_time", "horizons"), [(None, [20] * 20), (6.0, [20, 20] + [6] * 5)]
)
def test_the_time_box_sets_the_strategys_horizon(monkeypatch, max_time, horizons):
    clock = _FakeClock()
    monkeypatch.setattr(_loop.time, "monotonic", clock)
    strategy = _one_dim_c2f(20, n_rounds=20)
    seen = []
    ask = strategy.ask

    def recording_ask(n):
        seen.append(strategy.horizon)
        return ask(n)

    monkeypatch.setattr(strategy, "ask", recording_ask)

    def evaluate(batch):
        clock.now += len(batch)
        return np.zeros(len(batch))

    SearchLoop(strategy, evaluate, n_iter=20, max_time=max_time).run()
    # One second a candidate, known from the second batch on (the first pays
    # for starting the workers): after k of them, 6 - k seconds hold 6 - k
    # more, so the search is expected to end with 6 (the 7th ask is cancelled).
    assert seen == horizons


@pytest.mark.parametrize("n_workers", [1, 4])
def test_a_coarse_round_cannot_overrun_the_time_box(monkeypatch, n_workers):
    # n_iter=300 plans a first round of 100 candidates; the box holds 30 of
    # one second each. The first two batches have n_workers candidates (no
    # time per candidate yet); then the rounds are planned for the 30 the box
    # holds, so the search zooms instead of spending the box on its first round.
    clock = _FakeClock()
    monkeypatch.setattr(_loop.time, "monotonic", clock)
    strategy = _one_dim_c2f(300, n_rounds="auto")
    space = strategy.space
    sizes = []

    def evaluate(batch):
        sizes.append(len(batch))
        clock.now += len(batch)
        return -np.abs(space.decode(batch.X)[0]["a"] - 0.3) * np.ones(len(batch))

    loop = SearchLoop(
        strategy, evaluate, n_iter=300, max_time=30.0, n_workers=n_workers
    )
    assert loop.run() == "max_time"
    assert sizes[:2] == [n_workers, n_workers]
    assert loop.elapsed <= 30.0 and len(strategy.history) >= 27
    rounds = [r["n_candidates"] for r in strategy.regions]
    assert rounds[0] == 10 and len(rounds) >= 4  # auto_round_sizes(30, 1)
    assert sum(rounds) == len(strategy.history)  # the records count what ran


@pytest.mark.parametrize(
    ("n_iter", "n_rounds", "told", "horizon", "sizes"),
    [
        # auto, round 2 in progress (3 drawn, 1 asked): it may not grow past
        # what it drew, and the horizon's 8 after round 1 are rounds of <= 4
        (19, "auto", 11, 18, [10, 3, 3, 2]),
        # 3 rounds of 30, 35 told (5 of round 2): the 15 the horizon leaves
        # after round 1 are the last two rounds, so round 3 still runs
        (90, 3, 35, 45, [30, 8, 7]),
    ],
)
def test_a_re_plan_fits_the_horizon(n_iter, n_rounds, told, horizon, sizes):
    strategy = _one_dim_c2f(n_iter, n_rounds=n_rounds)
    while len(strategy.history) < told:
        n = min(strategy.batch_size(), told - len(strategy.history))
        batch = strategy.ask(n)
        strategy.tell(batch, np.zeros(len(batch)))
    strategy.plan_for(horizon)
    while len(strategy.history) < horizon:
        batch = strategy.ask(strategy.batch_size())
        strategy.tell(batch, np.zeros(len(batch)))
    rounds = [r["n_candidates"] for r in strategy.regions]
    assert rounds == sizes and sum(rounds) == horizon


def test_a_batch_forecast_to_overrun_is_asked_again_with_half_its_candidates(
    monkeypatch,
):
    # One second a candidate, but the evaluation forecasts two: a batch of
    # what the rate says the box holds is halved until its forecast fits.
    clock = _FakeClock()
    monkeypatch.setattr(_loop.time, "monotonic", clock)
    strategy = _one_dim_c2f(300, n_rounds=1)
    sizes = []

    def evaluate(batch):
        sizes.append(len(batch))
        clock.now += len(batch)
        return np.zeros(len(batch))

    loop = SearchLoop(
        strategy,
        evaluate,
        n_iter=300,
        max_time=10.0,
        predict_seconds=lambda batch: 2.0 * len(batch),
    )
    assert loop.run() == "max_time"
    assert sizes == [1, 1, 4, 2, 1] and loop.elapsed == 9


def test_a_promotion_forecast_to_overrun_ends_the_search(monkeypatch):
    # A promotion is asked whatever the size asked for: halving cannot shrink
    # it, so the search stops (it used to ask for it again without end).
    from sk_hpsearch.strategies._budget import Budgeted, BudgetedHistory

    clock = _FakeClock()
    monkeypatch.setattr(_loop.time, "monotonic", clock)
    space = SearchSpace({"a": stats.uniform(0, 1)})
    inner = CoarseToFineStrategy(
        space,
        BudgetedHistory(space, 3),
        np.random.RandomState(0),
        60,
        n_rounds=1,
        zoom=0.5,
        top_k=3,
    )
    strategy = Budgeted(inner, ladder=[1, 3, 9], reduction_factor=3)
    asks = []
    ask = strategy.ask

    def counted_ask(n):
        asks.append(n)
        assert len(asks) < 200, "the loop asks without end"
        return ask(n)

    monkeypatch.setattr(strategy, "ask", counted_ask)

    def evaluate(batch):
        clock.now += len(batch) * batch.resource
        return np.array([p["a"] for p in space.decode(batch.X)])

    loop = SearchLoop(strategy, evaluate, n_iter=60, max_time=40.0)
    assert loop.run() == "max_time" and clock.now <= 40.0


@pytest.mark.parametrize("name", ["CoarseToFineOptimizer", "BayesianOptimizer"])
def test_a_box_that_never_binds_leaves_an_optimisers_candidates_alone(name):
    cls = getattr(sk_hpsearch, name)
    candidates = []
    for max_time in (None, 1e6):
        opt = cls(
            {"x": stats.uniform(0, 1)}, n_iter=40, random_state=0, max_time=max_time
        )
        for _ in range(4):  # in four calls: the box sees 10 at a time
            opt.maximize(lambda x: -abs(x - 0.3), n_iter=10)
        candidates.append([p["x"] for p in opt.results_["params"]])
    assert candidates[0] == candidates[1]


def test_without_a_time_box_the_rounds_and_batches_are_the_planned_ones():
    strategy = _one_dim_c2f(60, n_rounds="auto")
    sizes = []

    def evaluate(batch):
        sizes.append(len(batch))
        return np.zeros(len(batch))

    SearchLoop(strategy, evaluate, n_iter=60).run()
    assert sizes == auto_round_sizes(60, 1)


@pytest.mark.parametrize("cls", SEARCHES)
def test_max_time_ends_a_search_with_the_candidates_completed(cls):
    s = search(cls, n_iter=50, max_time=1e-9)
    assert s.stop_reason_ == "max_time"
    # The first batch only: under a time box it has one candidate per worker
    # (n_jobs=1), not the whole first round (17) or initial design (5).
    assert len(s.cv_results_["params"]) == 1
    assert hasattr(s, "best_estimator_")


@pytest.mark.parametrize("cls", SEARCHES)
def test_verbose_prints_one_line_per_batch(cls, capsys):
    s = search(cls, n_iter=6, verbose=1)
    lines = [
        line for line in capsys.readouterr().out.splitlines() if line.startswith("[")
    ]
    batch_column = "round" if cls is CoarseToFineSearchCV else "step"
    assert len(lines) == len(np.unique(s.cv_results_[batch_column]))
    assert lines[-1].startswith(f"[{cls.__name__}] 6/6 candidates; best ")
    best = s.best_params_
    assert f"kind: '{best['kind']}'" in lines[-1]
    assert f"alpha: {best['alpha']:.4g}" in lines[-1]
    assert re.search(r"; \d+\.\d s$", lines[-1])


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_budgeted_search_drains_to_the_full_budget_after_a_stop(cls):
    X, y = classification_data()
    s = cls(
        BudgetClassifier(),
        SPACE,
        n_iter=20,
        cv=3,
        random_state=0,
        resource="n_steps",
        min_resources=1,
        callbacks=TargetScoreStopper(-3.0),
    ).fit(X, y)
    assert s.stop_reason_ == "callback"
    assert s.cv_results_["n_resources"][s.best_index_] == 27


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_space_of_lists_is_searched_in_grid_order(cls):
    space = [{"kind": list("abc"), "beta": [0.1, 0.3]}, {"kind": ["b"], "alpha": [1.0]}]
    X, y = classification_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n_iter > the grid's size
        ours = cls(FunctionClassifier(), space, n_iter=10, cv=3).fit(X, y)
        theirs = RandomizedSearchCV(FunctionClassifier(), space, n_iter=10, cv=3)
        theirs.fit(X, y)
    assert list(ours.cv_results_["params"]) == list(ParameterGrid(space))
    assert list(ours.cv_results_["params"]) == list(theirs.cv_results_["params"])
    for key in ("mean_test_score", "rank_test_score"):
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.best_index_ == theirs.best_index_


@pytest.mark.parametrize("cls", SEARCHES)
def test_the_non_finite_scores_warning_comes_once_per_search(cls):
    X, y = classification_data()
    space = {**SPACE, "fail": [False, True]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cls(FunctionClassifier(), space, n_iter=12, cv=3, random_state=0).fit(X, y)
    non_finite = [w for w in caught if "test scores are non-finite" in str(w.message)]
    assert len(non_finite) == 1
    assert any(issubclass(w.category, FitFailedWarning) for w in caught)


def test_the_loop_layers_are_public_where_users_need_them():
    for name in ("SearchState", "TargetScoreStopper", "NoImprovementStopper"):
        assert name in sk_hpsearch.__all__


class _Recorder:
    """A scikit-learn ``FitCallback`` that records task ends (and may stop)."""

    def __init__(self, stop_after_batches=None):
        self.stop_after_batches = stop_after_batches
        self.ended: list[str] = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        self.ended.append(context.task_name)
        n_batches = self.ended.count("batch")
        return context.task_name == "batch" and n_batches == self.stop_after_batches


@pytest.mark.parametrize("cls", SEARCHES)
def test_scikit_learn_callbacks_see_every_candidate_and_split(cls):
    pytest.importorskip("sklearn.callback")
    X, y = classification_data()
    ours, theirs = _Recorder(), _Recorder()
    # several batches: n_rounds="auto" would fit 8 candidates in one round
    rounds = {"n_rounds": 3} if cls is CoarseToFineSearchCV else {}
    s = cls(FunctionClassifier(), SPACE, n_iter=8, cv=3, random_state=0, **rounds)
    s.set_callbacks(ours).fit(X, y)
    r = RandomizedSearchCV(FunctionClassifier(), SPACE, n_iter=8, cv=3)
    r.set_callbacks(theirs).fit(X, y)
    name = "candidate-split-evaluation"
    assert ours.ended.count(name) == theirs.ended.count(name) == 8 * 3
    batch_column = "round" if cls is CoarseToFineSearchCV else "step"
    n_batches = len(np.unique(s.cv_results_[batch_column]))
    assert ours.ended.count("batch") == n_batches > 1
    assert ours.ended.count("search") == 1


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_scikit_learn_callback_returning_true_stops_the_search(cls):
    pytest.importorskip("sklearn.callback")
    X, y = classification_data()
    s = cls(FunctionClassifier(), SPACE, n_iter=30, cv=3, random_state=0)
    s.set_callbacks(_Recorder(stop_after_batches=2)).fit(X, y)
    assert s.stop_reason_ == "callback"
    batch_column = "round" if cls is CoarseToFineSearchCV else "step"
    assert len(np.unique(s.cv_results_[batch_column])) == 2


@pytest.mark.parametrize("cls", SEARCHES)
def test_scikit_learn_progress_bar_runs(cls):
    pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = classification_data()
    s = cls(FunctionClassifier(), SPACE, n_iter=6, cv=3, random_state=0)
    s.set_callbacks(ProgressBar()).fit(X, y)
    assert s.stop_reason_ == "n_iter"


class _Sleepy(FunctionClassifier):
    """Each fit sleeps: a fit-dominated search."""

    def fit(self, X, y, sample_weight=None):
        import time

        time.sleep(0.3)
        return super().fit(X, y)


def test_the_time_box_foresees_a_sequential_step_after_a_parallel_design():
    # 8 candidates x 2 folds fit at once on 16 threads: 0.3 s per candidate
    # looks like 0.04 s; the next step of one candidate takes 0.3 s again.
    X, y = classification_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from joblib import parallel_config

        with parallel_config(backend="threading"):
            s = GPBayesSearchCV(
                _Sleepy(),
                SPACE,
                n_iter=20,
                n_initial_points=8,
                cv=2,
                n_jobs=16,
                random_state=0,
                max_time=0.5,
            ).fit(X, y)
    assert s.stop_reason_ == "max_time"
    assert len(s.cv_results_["params"]) == 8


@pytest.mark.parametrize("cls", SEARCHES)
def test_a_time_box_before_the_full_budget_says_so(cls):
    X, y = classification_data()
    search = cls(
        BudgetClassifier(),
        SPACE,
        n_iter=20,
        cv=3,
        random_state=0,
        resource="n_steps",
        min_resources=1,
        max_time=1e-9,
    )
    with pytest.warns(UserWarning, match="No candidate reached the full budget"):
        search.fit(X, y)
    assert search.stop_reason_ == "max_time"
    assert search.best_params_["n_steps"] == search.cv_results_["n_resources"].max()
