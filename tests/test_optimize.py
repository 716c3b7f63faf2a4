"""The ask/tell optimisers: the searches' strategies for any function."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

from sk_hpsearch import (
    BayesianOptimizer,
    CoarseToFineOptimizer,
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
    OneMinusLogUniform,
    TargetScoreStopper,
)
from sk_hpsearch.loop._loop import SearchLoop

from ._fakes import FunctionClassifier, classification_data

SPACE = {
    "alpha": LogUniform(1e-4, 1e2),
    "beta": stats.uniform(0, 1),
    "kind": list("abc"),
}


def objective(alpha, beta, kind):
    return FunctionClassifier(alpha=alpha, beta=beta, kind=kind).score(None)


def _replay(opt, search, batches):
    """Drive ``opt`` in the search's batches with the search's scores."""
    params = list(search.cv_results_["params"])
    scores = search.cv_results_["mean_test_score"]
    start = 0
    for size in batches:
        asked = opt.ask(size)
        assert asked == params[start : start + size]
        opt.tell(asked, scores[start : start + size])
        start += size
    assert start == len(params)


@pytest.mark.parametrize("n_points", [1, 3])
def test_bayesian_optimizer_proposes_what_the_search_proposes(n_points):
    X, y = classification_data()
    kwargs = {"n_iter": 14, "random_state": 3, "n_initial_points": 5}
    search = GPBayesSearchCV(
        FunctionClassifier(), SPACE, cv=3, n_points=n_points, **kwargs
    ).fit(X, y)
    opt = BayesianOptimizer(SPACE, n_points=n_points, **kwargs)
    steps = search.cv_results_["step"]
    _replay(opt, search, [int((steps == s).sum()) for s in np.unique(steps)])
    np.testing.assert_array_equal(opt.results_["step"], steps)
    assert opt.best_params_ == search.best_params_
    assert opt.best_score_ == search.best_score_


def test_coarse_to_fine_optimizer_proposes_what_the_search_proposes():
    X, y = classification_data()
    kwargs = {"n_iter": 12, "random_state": 1, "n_rounds": 3, "top_k": 2}
    search = CoarseToFineSearchCV(FunctionClassifier(), SPACE, cv=3, **kwargs)
    search.fit(X, y)
    opt = CoarseToFineOptimizer(SPACE, **kwargs)
    _replay(opt, search, [4, 4, 4])
    assert opt.regions_ == search.regions_


def test_the_initial_design_asked_one_at_a_time_is_the_same():
    whole = BayesianOptimizer(SPACE, n_iter=10, random_state=0).ask(5)
    opt = BayesianOptimizer(SPACE, n_iter=10, random_state=0)
    assert [opt.ask()[0] for _ in range(5)] == whole


def test_a_first_ask_larger_than_the_design_is_filled_up_to_n():
    opt = BayesianOptimizer(SPACE, n_iter=30, random_state=0, n_initial_points=5)
    first = opt.ask(8)  # 5 design points, then 3 more of the Sobol sequence
    assert len(first) == 8
    assert len({tuple(sorted(p.items())) for p in first}) == 8
    whole = BayesianOptimizer(SPACE, n_iter=30, random_state=0, n_initial_points=5)
    assert whole.ask(5) == first[:5]
    opt.tell(first, np.arange(8.0))
    assert opt.results_["initial"].all() and (opt.results_["step"] == 0).all()
    assert len(opt.ask(8)) == 8 and not opt.results_["initial"][8:].any()


def test_a_later_batch_of_the_design_keeps_its_size():
    # Only the first batch is filled: the rest of a design asked in parts
    # comes as it is, then the model's batches.
    opt = BayesianOptimizer(SPACE, n_iter=30, random_state=0, n_initial_points=5)
    first = opt.ask(3)
    assert len(opt.ask(4)) == 2
    again = BayesianOptimizer(SPACE, n_iter=30, random_state=0, n_initial_points=5)
    told = again.ask(3)
    again.tell(told, [1.0, 2.0, 3.0])
    assert told == first and len(again.ask(4)) == 2


def test_a_cancelled_filled_design_batch_is_asked_again_first():
    opt = BayesianOptimizer(SPACE, n_iter=30, random_state=0, n_initial_points=5)
    strategy = opt._started()
    batch = strategy.ask(8)
    assert len(batch.X) == 8
    strategy.cancel(batch)
    np.testing.assert_array_equal(strategy.ask(8).X, batch.X)


def test_ask_gives_native_types_and_never_repeats_a_pending_candidate():
    space = {
        "lr": LogUniform(1e-4, 1e-1),
        "momentum": OneMinusLogUniform(0.9, 0.999),
        "units": LogUniform(16, 512, integer=True),
        "layers": stats.randint(1, 4),
        "act": ["relu", "tanh"],
    }
    opt = BayesianOptimizer(space, n_iter=20, random_state=0, n_initial_points=3)
    first = opt.ask(3)
    second = opt.ask(2)  # nothing told: still new candidates (past the design)
    for params in first + second:
        assert type(params["lr"]) is float and 1e-4 <= params["lr"] <= 1e-1
        assert type(params["units"]) is int and type(params["layers"]) is int
        assert params["act"] in ("relu", "tanh")
    keys = [tuple(sorted(p.items())) for p in first + second]
    assert len(set(keys)) == 5
    opt.tell(first + second, [0.1, None, np.nan, 0.3, 0.2])
    assert opt.best_score_ == 0.3
    assert np.isnan(opt.results_["score"][1:3]).all()


def test_tell_records_candidates_it_did_not_propose():
    opt = CoarseToFineOptimizer(SPACE, n_iter=6, random_state=0)
    opt.tell({"alpha": 0.01, "beta": 0.3, "kind": "b"}, 0.0)
    assert opt.best_params_ == {"alpha": pytest.approx(0.01), "beta": 0.3, "kind": "b"}
    asked = opt.ask(2)
    opt.tell(asked, [-1.0, -2.0])
    assert list(opt.results_["round"]) == [None, 1, 1]


def test_tell_needs_one_score_per_candidate():
    opt = BayesianOptimizer(SPACE, n_iter=6, random_state=0)
    params = opt.ask(2)
    with pytest.raises(ValueError, match="2 parameter dicts and 1 scores"):
        opt.tell(params, [0.5])


def test_best_before_any_success_is_a_clear_attribute_error():
    opt = BayesianOptimizer(SPACE, n_iter=6)
    assert not hasattr(opt, "best_params_")
    opt.tell(opt.ask(), [np.nan])
    with pytest.raises(AttributeError, match="no successful candidate yet"):
        _ = opt.best_score_


@pytest.mark.parametrize("cls", [BayesianOptimizer, CoarseToFineOptimizer])
def test_maximize_finds_the_optimum_of_a_function(cls):
    opt = cls(SPACE, n_iter=30, random_state=0).maximize(objective)
    assert opt.stop_reason_ == "n_iter"
    assert len(opt.results_["params"]) == 30
    assert opt.best_params_["kind"] == "b"
    assert opt.best_score_ > -1.0
    assert opt.search_time_ > 0


def test_maximize_continues_and_counts_n_iter_per_call():
    opt = BayesianOptimizer(SPACE, n_iter=12, random_state=0)
    opt.maximize(objective, n_iter=7)
    assert len(opt.results_["score"]) == 7
    opt.maximize(objective)  # the rest of the plan
    assert len(opt.results_["score"]) == 12


def test_maximize_scores_a_raising_function_as_a_failure():
    def flaky(alpha, beta, kind):
        if kind == "c":
            raise RuntimeError("diverged")
        return objective(alpha, beta, kind)

    opt = CoarseToFineOptimizer(SPACE, n_iter=9, random_state=0)
    with pytest.warns(UserWarning, match="RuntimeError: diverged"):
        opt.maximize(flaky)
    results = opt.results_
    failed = np.array([p["kind"] == "c" for p in results["params"]])
    assert failed.any()
    np.testing.assert_array_equal(np.isnan(results["score"]), failed)


def test_maximize_rejects_a_function_that_returns_no_number():
    opt = CoarseToFineOptimizer(SPACE, n_iter=3, random_state=0)
    with pytest.raises(TypeError, match="func must return a number"):
        opt.maximize(lambda **params: "good")


def test_ctrl_c_in_maximize_keeps_the_work_done():
    calls = []

    def interrupted_on_the_ninth(**params):
        calls.append(params)
        if len(calls) == 9:
            raise KeyboardInterrupt
        return objective(**params)

    opt = BayesianOptimizer(SPACE, n_iter=20, random_state=0, n_initial_points=5)
    with pytest.warns(UserWarning, match="interrupted: keeping the 8 candidates"):
        opt.maximize(interrupted_on_the_ninth)
    assert opt.stop_reason_ == "interrupted"
    assert len(opt.results_["params"]) == 8
    assert opt.results_["params"] == calls[:8]


def test_ctrl_c_before_any_batch_completes_propagates():
    def interrupted(**params):
        raise KeyboardInterrupt

    opt = CoarseToFineOptimizer(SPACE, n_iter=6, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        opt.maximize(interrupted)


def test_maximize_stops_on_a_callback_and_a_time_box():
    opt = BayesianOptimizer(
        SPACE, n_iter=40, random_state=0, callbacks=TargetScoreStopper(-1.5)
    ).maximize(objective)
    assert opt.stop_reason_ == "callback" and opt.best_score_ >= -1.5
    boxed = BayesianOptimizer(SPACE, n_iter=40, random_state=0, max_time=1e-9)
    assert boxed.maximize(objective).stop_reason_ == "max_time"
    # The first batch only: one candidate under a time box (one worker), not
    # the whole initial design (5).
    assert len(boxed.results_["params"]) == 1


def test_a_list_of_dicts_space():
    space = [{"kind": ["a"], "alpha": LogUniform(1e-3, 1)}, {"kind": ["b", "c"]}]
    opt = BayesianOptimizer(space, n_iter=8, random_state=0)
    opt.maximize(lambda kind, alpha=1.0: -abs(math.log10(alpha)) - (kind != "b"))
    assert opt.best_params_ == {"kind": "b"}


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (
            BayesianOptimizer,
            {"n_iter": 0},
            "n_iter must be an integer >= 1; got n_iter=0",
        ),
        (BayesianOptimizer, {"acq_func": "qei"}, "acq_func='qei'"),
        (BayesianOptimizer, {"n_points": 1.5}, "n_points=1.5"),
        (BayesianOptimizer, {"ucb_beta": -1}, "ucb_beta=-1"),
        (BayesianOptimizer, {"n_initial_points": 0}, "n_initial_points=0"),
        (CoarseToFineOptimizer, {"zoom": 1.5}, "zoom=1.5"),
        (CoarseToFineOptimizer, {"n_rounds": 0}, "n_rounds=0"),
        (CoarseToFineOptimizer, {"max_time": -1}, "max_time=-1"),
        (CoarseToFineOptimizer, {"callbacks": 3}, "callbacks=3"),
    ],
)
def test_bad_options_are_clear_errors(cls, kwargs, match):
    opt = cls(SPACE, **{"n_iter": 5, **kwargs})
    with pytest.raises(ValueError, match=re.escape(match)):
        opt.ask()


def test_the_loop_is_the_searches_loop():
    # One loop for every algorithm: the optimisers run SearchLoop too.
    import sk_hpsearch.optimize._optimizer as module

    assert module.SearchLoop is SearchLoop


@pytest.mark.parametrize(
    "cls",
    [
        (BayesianOptimizer, GPBayesSearchCV),
        (CoarseToFineOptimizer, CoarseToFineSearchCV),
    ],
)
@pytest.mark.parametrize(
    "space",
    [
        {"alpha": [0.5, 1.0, 2.0], "kind": ["a", "b"]},
        [{"kind": ["a", "c"], "beta": [0.1, 0.3]}, {"kind": ["b"]}],
    ],
    ids=["dict", "list-of-dicts"],
)
def test_a_space_of_lists_is_proposed_in_grid_order_as_the_searches_do(cls, space):
    opt_cls, search_cls = cls
    X, y = classification_data()
    search = search_cls(FunctionClassifier(), space, n_iter=6, cv=3, random_state=0)
    search.fit(X, y)
    opt = opt_cls(space, n_iter=6, random_state=0)
    assert opt.ask(6) == list(search.cv_results_["params"])


def test_an_optimiser_beyond_its_space_warns_and_is_exhausted():
    opt = CoarseToFineOptimizer({"kind": list("ab"), "beta": [0.3]}, n_iter=5)
    with pytest.warns(UserWarning, match="only 2 distinct candidates"):
        opt.maximize(lambda kind, beta: objective(0.01, beta, kind))
    assert opt.stop_reason_ == "exhausted"
    assert opt.ask() == []


@pytest.mark.parametrize("cls", [BayesianOptimizer, CoarseToFineOptimizer])
def test_a_candidate_told_from_outside_is_never_asked(cls):
    space = {"x": stats.randint(0, 6)}
    opt = cls(space, n_iter=6, random_state=0)
    first = opt.ask()[0]
    planned = [p for p in cls(space, n_iter=6, random_state=0).ask(6) if p != first]
    opt.tell({"x": planned[0]["x"]}, 0.5)  # a point the plan had for later
    opt.tell(first, 0.1)
    later = []
    while asked := opt.ask(4):
        later.extend(p["x"] for p in asked)
    assert planned[0]["x"] not in later and first["x"] not in later
    assert sorted(later) == sorted({0, 1, 2, 3, 4, 5} - {first["x"], planned[0]["x"]})


@pytest.mark.parametrize("cls", [BayesianOptimizer, CoarseToFineOptimizer])
def test_a_stopped_maximize_leaves_nothing_reserved(cls):
    space = {"x": stats.randint(0, 8)}
    # several batches: n_rounds="auto" would ask all 8 candidates in one round
    rounds = {"n_rounds": 4} if cls is CoarseToFineOptimizer else {}
    opt = cls(space, n_iter=8, random_state=0, max_time=1e-9, **rounds)
    opt.maximize(lambda x: -abs(x - 3))
    assert opt.stop_reason_ == "max_time"
    opt.set_params(max_time=None).maximize(lambda x: -abs(x - 3))
    assert opt.stop_reason_ == "exhausted"
    assert sorted(p["x"] for p in opt.results_["params"]) == list(range(8))


def test_coarse_to_fine_goes_on_past_its_plan():
    opt = CoarseToFineOptimizer(SPACE, n_iter=6, n_rounds=2, random_state=0)
    opt.maximize(objective)
    opt.maximize(objective, n_iter=3)
    assert len(opt.results_["params"]) == 9
    assert list(opt.results_["round"][-3:]) == [3, 3, 3]


def test_optimisers_are_scikit_learn_objects():
    from sklearn.base import clone

    opt = BayesianOptimizer(SPACE, n_iter=7, random_state=0, acq_func="ei")
    assert repr(opt).startswith("BayesianOptimizer(")
    assert "acq_func='ei'" in repr(opt)
    opt.maximize(objective, n_iter=5)
    fresh = clone(opt)
    assert fresh.get_params().keys() == opt.get_params().keys()
    assert (fresh.n_iter, fresh.acq_func, fresh.random_state) == (7, "ei", 0)
    assert fresh.ask(5) == opt.results_["params"][:5]  # same seed, from scratch
