"""GPBayesSearchCV behaviour beyond the shared BaseSearchCV contract."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sk_hpsearch import GPBayesSearchCV, LogUniform

from ._fakes import FunctionClassifier, classification_data

SPACE = {
    "alpha": LogUniform(1e-4, 1e2),
    "beta": stats.uniform(0, 1),
    "kind": list("abc"),
}


def search(**kwargs):
    kwargs = {"n_iter": 14, "cv": 2, "random_state": 0, **kwargs}
    space = kwargs.pop("space", SPACE)
    return GPBayesSearchCV(FunctionClassifier(), space, **kwargs).fit(
        *classification_data(20)
    )


def regret(s) -> float:
    return -s.best_score_


def test_extra_columns_describe_each_step():
    s = search(n_initial_points=5)
    r = s.cv_results_
    assert list(r["step"]) == [0] * 5 + list(range(1, 10))
    assert list(r["initial"]) == [True] * 5 + [False] * 9
    assert np.isnan(r["acquisition_value"][:5].astype(float)).all()
    for key in ("acquisition_value", "predicted_mean", "predicted_std"):
        assert np.isfinite(r[key][5:].astype(float)).all(), key
    assert (r["predicted_std"][5:].astype(float) >= 0).all()


def test_model_beats_its_own_initial_design():
    s = search(n_iter=20, n_initial_points=6)
    scores = s.cv_results_["mean_test_score"]
    assert scores[6:].max() > scores[:6].max()
    assert regret(s) < 0.2 and s.best_params_["kind"] == "b"


def test_predictions_track_the_scores():
    s = search(n_iter=24, n_initial_points=6)
    r = s.cv_results_
    error = np.abs(r["predicted_mean"][6:] - r["mean_test_score"][6:])
    assert np.median(error) < 0.5


@pytest.mark.parametrize("acq_func", ["logei", "ei", "ucb", "pi"])
def test_every_acquisition_function_works(acq_func):
    s = search(acq_func=acq_func, n_iter=12)
    assert len(s.cv_results_["params"]) == 12 and regret(s) < 1.5


@pytest.mark.parametrize("n_points", [1, 4])
def test_batches(n_points):
    s = search(n_points=n_points, n_iter=13, n_initial_points=5)
    steps = np.asarray(s.cv_results_["step"])
    assert np.bincount(steps)[1:].max() == n_points
    params = [tuple(sorted(p.items())) for p in s.cv_results_["params"]]
    assert len(set(params)) == 13


def test_batches_over_a_list_of_dicts_are_new_and_reproducible():
    space = [
        {"alpha": LogUniform(1e-4, 1e2), "kind": ["b"]},
        {"beta": stats.uniform(0, 1), "kind": ["a", "c"]},
    ]
    runs = [
        search(space=space, n_iter=21, n_initial_points=5, n_points=8) for _ in range(2)
    ]
    params = runs[0].cv_results_["params"]
    assert len({tuple(sorted(p.items())) for p in params}) == 21
    assert params == runs[1].cv_results_["params"]


def test_auto_batch_fills_the_workers():
    s = search(n_points="auto", n_jobs=4, cv=2, n_iter=9, n_initial_points=5)
    assert np.bincount(np.asarray(s.cv_results_["step"]))[1] == 2  # ceil(4 / 2)


def test_one_dimension_and_only_categorical():
    s = search(space={"alpha": LogUniform(1e-4, 1e2)}, n_iter=10)
    assert abs(np.log10(s.best_params_["alpha"]) + 2) < 0.3
    s = search(space={"kind": list("abc"), "beta": [0.1, 0.3, 0.5]}, n_iter=9)
    assert len({tuple(sorted(p.items())) for p in s.cv_results_["params"]}) == 9
    assert s.best_params_ == {"kind": "b", "beta": 0.3}


def test_constant_scores_do_not_break_the_model():
    space = {"fail": [False], "beta": stats.uniform(0.29, 0.02)}
    s = search(space=space, n_iter=8)
    assert len(s.cv_results_["params"]) == 8


def test_list_of_dicts_share_one_budget():
    space = [
        {"alpha": LogUniform(1e-4, 1e2), "kind": ["b"]},
        {"beta": stats.uniform(0, 1), "kind": ["a", "c"]},
    ]
    s = search(space=space, n_iter=16)
    params = s.cv_results_["params"]
    assert len(params) == 16
    later = [p for p, step in zip(params, s.cv_results_["step"], strict=True) if step]
    # The model learns that the first dict is better and spends on it.
    assert sum("alpha" in p for p in later) > len(later) / 2


def test_failed_fits_are_treated_as_the_worst():
    space = {**SPACE, "fail": [False, True]}
    with pytest.warns(Warning):
        s = search(space=space, n_iter=16, error_score=np.nan)
    failed = np.array([p["fail"] for p in s.cv_results_["params"]])
    model_steps = np.asarray(s.cv_results_["step"]) > 0
    assert failed[~model_steps].any()
    assert failed[model_steps].mean() < 0.5
    assert s.best_params_["fail"] is False


def test_initial_points_are_space_filling():
    s = search(space={"beta": stats.uniform(0, 1)}, n_iter=8, n_initial_points=8)
    betas = np.sort([p["beta"] for p in s.cv_results_["params"]])
    # Scrambled Sobol: one point in each eighth of the interval.
    assert (np.floor(betas * 8) == np.arange(8)).all()


def test_hyperparameter_fit_restarts_early_then_periodically(monkeypatch):
    import sk_hpsearch.strategies._bayes as bayes

    calls = []

    def recording_fit_gp(X, *args, restart, **kwargs):
        calls.append((len(X), restart))
        return bayes_fit_gp(X, *args, restart=restart, **kwargs)

    bayes_fit_gp = bayes.fit_gp
    monkeypatch.setattr(bayes, "fit_gp", recording_fit_gp)
    space = {"beta": stats.uniform(0, 1)}  # D = 1: always restart below 15 points
    search(space=space, n_iter=26, n_initial_points=5)
    assert [n for n, _ in calls] == list(range(5, 26))
    for step, (n, restart) in enumerate(calls, start=1):
        assert restart == (n < 15 or step % bayes.RESTART_EVERY == 0)


def _record_proposals(monkeypatch) -> list[tuple[int, str, float]]:
    """``(points told, acquisition, UCB beta)`` of every GP proposal from now on."""
    import sk_hpsearch.strategies._bayes as bayes

    calls = []
    propose = bayes._propose

    def spy(space, history, data, q, gp_params, restart, acq_func, ucb_beta, rng, **kw):
        calls.append((len(history), acq_func, ucb_beta))
        return propose(
            space, history, data, q, gp_params, restart, acq_func, ucb_beta, rng, **kw
        )

    monkeypatch.setattr(bayes, "_propose", spy)
    return calls


@pytest.mark.parametrize(("n_iter", "n_final"), [(14, 1), (41, 3)])
def test_the_last_candidates_maximise_the_predicted_score(monkeypatch, n_iter, n_final):
    calls = _record_proposals(monkeypatch)
    search(n_iter=n_iter, acq_func="ei", ucb_beta=2.0)
    final = [(n, acq, beta) for n, acq, beta in calls if n >= n_iter - n_final]
    assert final == [(n, "ucb", 0.0) for n in range(n_iter - n_final, n_iter)]
    assert all(acq == "ei" for n, acq, _ in calls if n < n_iter - n_final)


def _strategy(n_points: int, n_iter: int = 60):
    from sk_hpsearch.space._space import SearchSpace
    from sk_hpsearch.strategies._base import History
    from sk_hpsearch.strategies._bayes import BayesStrategy

    space = SearchSpace({"x": stats.uniform(0, 1), "y": stats.uniform(0, 1)})
    return BayesStrategy(
        space,
        History(space),
        np.random.RandomState(0),
        n_iter,
        n_initial=5,
        acq_func="logei",
        n_points=n_points,
        ucb_beta=2.0,
    )


def _told(strategy, scores_of):
    batch = strategy.ask(strategy.batch_size())
    strategy.tell(batch, scores_of(batch))
    return batch


def test_miscalibration_is_the_median_standardised_error_of_the_last_16():
    from sk_hpsearch.strategies._base import Batch
    from sk_hpsearch.strategies._bayes import MISCALIBRATION_WINDOW

    strategy = _strategy(n_points=4)
    _told(strategy, lambda b: -((b.X - 0.3) ** 2).sum(axis=1))  # initial design
    errors = []
    while len(errors) < MISCALIBRATION_WINDOW + 4:
        assert strategy.miscalibration == (
            None
            if len(errors) < MISCALIBRATION_WINDOW
            else pytest.approx(np.median(errors[-MISCALIBRATION_WINDOW:]))
        )
        # Scores off by a known number of predicted standard deviations.
        offsets = np.arange(1.0, 5.0) + len(errors)
        batch = strategy.ask(4)
        mean = np.asarray(batch.columns["predicted_mean"], dtype=float)
        std = np.asarray(batch.columns["predicted_std"], dtype=float)
        strategy.tell(batch, mean + offsets * std)
        errors.extend(offsets)
    assert strategy.state()["miscalibration"] == strategy.miscalibration
    # Candidates without predictions (the initial design, told by other
    # means) do not count: a told point without them leaves it as it was.
    before = strategy.miscalibration
    strategy.tell(Batch(np.array([[0.5, 0.5]]), {}), np.array([1e6]))
    assert strategy.miscalibration == before


@pytest.mark.parametrize(
    ("n_points", "surprised", "smooth"),
    [(8, True, True), (8, False, False), (2, True, False), (1, True, False)],
)
def test_a_miscalibrated_model_takes_half_the_fantasies_from_the_smooth_prior(
    monkeypatch, n_points, surprised, smooth
):
    import sk_hpsearch.strategies._bayes as bayes

    flags, priors = [], []
    propose, fit = bayes._propose, bayes.fit_gp

    def spy(*args, **kwargs):
        flags.append(kwargs["smooth"])
        return propose(*args, **kwargs)

    def recording_fit(*args, prior="default", **kwargs):
        priors.append(prior)
        return fit(*args, prior=prior, **kwargs)

    monkeypatch.setattr(bayes, "_propose", spy)
    monkeypatch.setattr(bayes, "fit_gp", recording_fit)
    strategy = _strategy(n_points)
    _told(strategy, lambda b: -((b.X - 0.3) ** 2).sum(axis=1))
    while strategy.miscalibration is None:
        batch = strategy.ask(n_points)
        mean = np.asarray(batch.columns["predicted_mean"], dtype=float)
        std = np.asarray(batch.columns["predicted_std"], dtype=float)
        strategy.tell(batch, mean + (10.0 if surprised else 0.1) * std)
    assert not any(flags)
    assert strategy.miscalibration == pytest.approx(10.0 if surprised else 0.1)
    _told(strategy, lambda b: np.zeros(len(b.X)))
    assert flags[-1] is smooth
    assert priors.count("smooth") == int(smooth)


@pytest.mark.parametrize("surprised", [False, True])
def test_fantasies_believe_the_mean_from_half_the_horizon_while_calibrated(
    monkeypatch, surprised
):
    # Believer fantasies from BELIEVE_FROM * horizon on, never while the
    # model is miscalibrated (the smooth model's picks then explore).
    import sk_hpsearch.strategies._bayes as bayes

    calls = []
    propose = bayes._propose

    def spy(space, history, *args, **kwargs):
        calls.append((len(history), kwargs["believe"], kwargs["smooth"]))
        return propose(space, history, *args, **kwargs)

    monkeypatch.setattr(bayes, "_propose", spy)
    n_iter = 60
    strategy = _strategy(4, n_iter=n_iter)
    _told(strategy, lambda b: -((b.X - 0.3) ** 2).sum(axis=1))
    while len(strategy.history) < n_iter - 4:
        batch = strategy.ask(4)
        mean = np.asarray(batch.columns["predicted_mean"], dtype=float)
        std = np.asarray(batch.columns["predicted_std"], dtype=float)
        strategy.tell(batch, mean + (10.0 if surprised else 0.1) * std)
    assert {told for told, _, _ in calls} >= {25, 29, 33}
    for told, believe, smooth in calls:
        assert believe == (told >= bayes.BELIEVE_FROM * n_iter and not smooth)
    assert any(believe for _, believe, _ in calls) is not surprised


def test_a_time_boxed_search_ends_with_the_closing_exploitation(monkeypatch):
    # One second a candidate, a box of 24 s and n_iter=200: the search ends
    # after 24 candidates, and the last ceil(24 / 20) = 2 maximise the
    # predicted score, as those of a search with n_iter=24 do.
    from sk_hpsearch.loop import _loop
    from sk_hpsearch.loop._loop import SearchLoop

    clock = [0.0]
    monkeypatch.setattr(_loop.time, "monotonic", lambda: clock[0])
    calls = _record_proposals(monkeypatch)
    strategy = _strategy(n_points=1, n_iter=200)

    def evaluate(batch):
        clock[0] += len(batch)
        return -np.sum((batch.X - 0.3) ** 2, axis=1)

    loop = SearchLoop(strategy, evaluate, n_iter=200, max_time=24.0)
    assert loop.run() == "max_time"
    assert len(strategy.history) == 24
    assert strategy.horizon == 200  # the box's horizon was this run's only
    # (the proposal at 24 is the batch the time box then declines to start)
    assert calls[-3:] == [(n, "ucb", 0.0) for n in (22, 23, 24)]
    assert all(acq == "logei" for n, acq, _ in calls if n < 22)
