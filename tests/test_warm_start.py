"""Warm starts: an earlier search's results as the start of a new one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import uniform
from sklearn.base import clone

from sk_hpsearch import (
    BayesianOptimizer,
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
)
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._bayes import PRIOR_MIN_DISTANCE, diverse_best
from tests._fakes import FunctionClassifier, classification_data

SPACE = {"alpha": LogUniform(1e-4, 1.0), "beta": uniform(0, 1), "kind": ["a", "b"]}
SEARCHES = [GPBayesSearchCV, CoarseToFineSearchCV]


class ShiftedClassifier(FunctionClassifier):
    """``FunctionClassifier`` whose optimum moves with ``shift`` (drift)."""

    def __init__(self, alpha=1.0, beta=0.5, kind="a", fail=False, shift=0.0):
        super().__init__(alpha=alpha, beta=beta, kind=kind, fail=fail)
        self.shift = shift

    def score(self, X, y=None, sample_weight=None):
        return super().score(X, y) - self.shift * (self.beta - 0.3)


def make(cls, **kwargs):
    options = {"n_iter": 12, "cv": 3, "random_state": 0}
    options["n_initial_points" if cls is GPBayesSearchCV else "n_rounds"] = (
        4 if cls is GPBayesSearchCV else 3
    )
    return cls(FunctionClassifier(), SPACE, **{**options, **kwargs})


def diverse(results, k):
    """The best ``k`` candidates, skipping those near a better one (the GP's)."""
    cube = SearchSpace(SPACE).encode(results["params"])
    chosen = []
    for i in np.argsort(-np.asarray(results["mean_test_score"]), kind="stable"):
        far = all(
            np.linalg.norm(cube[i] - cube[j]) >= PRIOR_MIN_DISTANCE for j in chosen
        )
        if len(chosen) < k and far:
            chosen.append(i)
    return [results["params"][i] for i in chosen]


def top(results, k):
    order = np.argsort(-np.asarray(results["mean_test_score"]), kind="stable")
    return [results["params"][i] for i in order[:k]]


@pytest.mark.parametrize("cls", SEARCHES)
def test_warm_start_reevaluates_the_earlier_best_first(cls):
    X, y = classification_data()
    search = make(cls).fit(X, y)
    earlier = search.cv_results_
    k = 4  # GP: n_initial_points; coarse-to-fine: min(top_k, first round)
    if cls is GPBayesSearchCV:  # the best, one per neighbourhood
        best = diverse(earlier, k)
    else:
        best = top(earlier, k)
    search.set_params(warm_start=True, random_state=1).fit(X[:50], y[:50])
    first = search.cv_results_["params"][:k]
    assert repr(first[0]) == repr(top(earlier, 1)[0])
    assert sorted(map(repr, first[: len(best)])) == sorted(map(repr, best))
    assert search.n_prior_ == 12
    assert search.n_prior_reevaluated_ == len(best)
    # the scores do not depend on the data: old and new ranks agree exactly
    assert search.prior_rank_correlation_ == pytest.approx(1.0)
    assert search.n_prior_dropped_ == 0


@pytest.mark.parametrize("cls", SEARCHES)
def test_prior_results_accepts_a_search_its_results_or_a_checkpoint(cls, tmp_path):
    X, y = classification_data()
    path = tmp_path / "earlier.jsonl"
    earlier = make(cls, checkpoint=path).fit(X, y)
    runs = [
        make(cls, random_state=1, prior_results=source).fit(X, y)
        for source in (earlier, earlier.cv_results_, path, str(path))
    ]
    for run in runs[1:]:
        assert run.cv_results_["params"] == runs[0].cv_results_["params"]


def test_cold_search_has_no_prior_attributes():
    X, y = classification_data()
    search = make(GPBayesSearchCV).fit(X, y)
    assert search.prior_rank_correlation_ is None
    assert search.n_prior_ == 0
    # warm_start on a first fit is a plain fit
    again = make(GPBayesSearchCV, warm_start=True).fit(X, y)
    assert again.cv_results_["params"] == search.cv_results_["params"]


def test_warm_gp_reaches_the_cold_best_sooner_under_drift():
    X, y = classification_data()
    old = GPBayesSearchCV(
        ShiftedClassifier(), SPACE, n_iter=20, cv=3, random_state=0
    ).fit(X, y)
    drifted = ShiftedClassifier(shift=0.2)
    cold = GPBayesSearchCV(drifted, SPACE, n_iter=20, cv=3, random_state=1).fit(X, y)
    warm = GPBayesSearchCV(
        drifted, SPACE, n_iter=20, cv=3, random_state=1, prior_results=old
    ).fit(X, y)

    def best_after(search, n):
        return np.max(search.cv_results_["mean_test_score"][:n])

    # the re-evaluated earlier best beat the cold initial design ...
    assert best_after(warm, 5) > best_after(cold, 5)
    # ... and the search ends about as well
    assert warm.best_score_ >= cold.best_score_ - 0.01
    assert 0 < warm.prior_rank_correlation_ <= 1


def test_changed_space_maps_earlier_candidates_and_counts_the_dropped():
    X, y = classification_data()
    earlier = make(CoarseToFineSearchCV).fit(X, y)
    alphas = np.array([p["alpha"] for p in earlier.cv_results_["params"]])
    n_out = int((alphas < 1e-2).sum())
    assert 0 < n_out < 12
    narrowed = {
        "alpha": LogUniform(1e-2, 1.0),  # narrowed
        "kind": ["a", "b"],  # beta dropped
        "fail": [False],  # added: the estimator's value (False) fits
    }
    search = CoarseToFineSearchCV(
        FunctionClassifier(),
        narrowed,
        n_iter=6,
        cv=3,
        random_state=0,
        prior_results=earlier,
    )
    with pytest.warns(UserWarning, match=rf"{n_out} of the 12 earlier candidates"):
        search.fit(X, y)
    assert search.n_prior_dropped_ == n_out
    assert search.n_prior_ <= 12 - n_out  # projections may coincide
    assert set(search.cv_results_["params"][0]) == {"alpha", "kind", "fail"}


def test_gp_fits_earlier_points_shifted_to_the_new_level():
    from sk_hpsearch.space._space import SearchSpace
    from sk_hpsearch.strategies._base import History
    from sk_hpsearch.strategies._bayes import BayesStrategy

    space = SearchSpace({"a": uniform(0, 1)})
    prior_X = np.array([[0.1], [0.5], [0.9]])
    prior_scores = np.array([1.0, 3.0, 2.0])
    strategy = BayesStrategy(
        space,
        History(space),
        np.random.RandomState(0),
        10,
        n_initial=2,
        acq_func="logei",
        n_points=1,
        ucb_beta=4.0,
        prior=(prior_X, prior_scores),
    )
    batch = strategy.ask(2)
    np.testing.assert_allclose(batch.X[:, 0], [0.5, 0.9])  # the best two first
    strategy.tell(batch, np.array([13.0, 12.0]))  # the data moved up by 10
    X, scores, earlier = strategy._model_data()
    np.testing.assert_array_equal(earlier, [False, False, True])
    np.testing.assert_allclose(X[:, 0], [0.5, 0.9, 0.1])
    np.testing.assert_allclose(scores, [13.0, 12.0, 11.0])  # new overrule old


def test_invalid_prior_results_is_named():
    X, y = classification_data()
    with pytest.raises(ValueError, match="prior_results"):
        make(GPBayesSearchCV, prior_results=3).fit(X, y)
    with pytest.raises(ValueError, match="prior_results must be a fitted search"):
        make(GPBayesSearchCV, prior_results={"a": 1}).fit(X, y)


def test_warm_start_is_part_of_the_checkpoint_key(tmp_path):
    X, y = classification_data()
    earlier = make(GPBayesSearchCV).fit(X, y)
    path = tmp_path / "warm.jsonl"
    warm = make(GPBayesSearchCV, prior_results=earlier, checkpoint=path).fit(X, y)
    header = json.loads(path.read_text().splitlines()[0])
    assert header["key"]["prior"]
    # clone() unfits a search given as prior_results: its cv_results_ survive
    with pytest.raises(ValueError, match="unfitted search"):
        clone(warm).fit(X, y)
    warm.set_params(prior_results=earlier.cv_results_)
    resumed = clone(warm).fit(X, y)
    assert resumed.n_resumed_ == 12
    with pytest.raises(ValueError, match="earlier results of the warm start"):
        make(GPBayesSearchCV, checkpoint=path).fit(X, y)
    assert math.isfinite(warm.prior_rank_correlation_)


@pytest.mark.parametrize("name", ["BayesianOptimizer", "CoarseToFineOptimizer"])
def test_optimizer_prior_results_proposes_the_earlier_best_first(name, tmp_path):
    import sk_hpsearch

    cls = getattr(sk_hpsearch, name)
    space = {"x": LogUniform(1e-3, 1e3)}

    def f(x):
        return -((np.log10(x) - 1) ** 2)

    path = tmp_path / "earlier.jsonl"
    earlier = cls(space, n_iter=8, random_state=0, checkpoint=path).maximize(f)
    for source in (earlier, earlier.results_, path):
        warm = cls(space, n_iter=8, random_state=1, prior_results=source)
        assert warm.ask(1) == [earlier.best_params_]
    with pytest.raises(ValueError, match="prior_results must be"):
        cls(space, n_iter=8, prior_results=3).ask()


CUBE = {"x": uniform(0, 1), "y": uniform(0, 1), "z": uniform(0, 1)}


def _bowl(cx, cy, tilt=0.0):
    def f(x, y, z):
        return -((x - cx) ** 2 + (y - cy) ** 2 + (z - 0.5) ** 2) + tilt * x

    return f


def _warm_and_cold(seed, f_old, f_new, n_iter=12):
    old = BayesianOptimizer(CUBE, n_iter=25, random_state=seed)
    old.maximize(f_old)
    runs = []
    for prior in (None, old):
        opt = BayesianOptimizer(
            CUBE, n_iter=n_iter, random_state=seed + 100, prior_results=prior
        )
        opt.maximize(f_new)
        runs.append(opt)
    return runs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gp_warm_start_is_not_misled_when_the_optimum_moved(seed):
    # The earlier search exploited a corner the new data no longer favours.
    # The earlier points once dragged the GP there (best -0.45 to -0.10 for
    # these seeds, against about 0.0 to 0.07 cold); a warm start must not do
    # worse than a cold one when the data reordered the candidates.
    cold, warm = _warm_and_cold(seed, _bowl(0.8, 0.7), _bowl(0.15, 0.25, 0.3))
    assert warm.best_score_ >= cold.best_score_ - 0.01


def test_gp_learns_how_much_the_earlier_scores_count():
    # The "which search" column's lengthscale: long when the earlier and the
    # new scores agree, short when the optimum moved.
    lengthscales = {}
    for name, f_new in (("same", _bowl(0.8, 0.7)), ("moved", _bowl(0.15, 0.25))):
        _, warm = _warm_and_cold(0, _bowl(0.8, 0.7), f_new, n_iter=10)
        params = warm._strategy.gp_params
        assert len(params.log_lengthscales) == len(CUBE) + 1
        lengthscales[name] = params.log_lengthscales[-1]
    assert lengthscales["same"] > lengthscales["moved"] + 1.0


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 12), st.just(2)), elements=st.floats(0, 1)
    ),
    st.integers(1, 6),
    st.floats(0, 0.8),
    st.data(),
)
def test_diverse_best_takes_the_best_one_per_neighbourhood(X, n, min_distance, data):
    scores = np.array(
        data.draw(
            st.lists(
                st.floats(-10, 10) | st.just(math.nan), min_size=len(X), max_size=len(X)
            )
        )
    )
    chosen = diverse_best(X, scores, n, min_distance)
    finite = np.isfinite(scores)
    assert len(chosen) <= min(n, finite.sum())
    if finite.any():
        assert len(chosen) >= 1
        np.testing.assert_array_equal(
            chosen[0], X[np.nanargmax(np.where(finite, scores, np.nan))]
        )
    for i in range(len(chosen)):
        for j in range(i):
            assert np.linalg.norm(chosen[i] - chosen[j]) >= min_distance
    if min_distance == 0:  # plain top n
        assert len(chosen) == min(n, finite.sum())


def test_gp_warm_start_in_a_list_of_dicts_space():
    # the indicator column joins each subspace's fixed columns
    space = [
        {"kind": ["a"], "x": uniform(0, 1)},
        {"kind": ["b"], "y": LogUniform(1e-3, 1.0), "z": [1, 2, 3]},
    ]

    def f(kind, x=None, y=None, z=None):
        return -((x - 0.3) ** 2) if kind == "a" else -abs(np.log10(y) + 1) - z

    old = BayesianOptimizer(space, n_iter=12, random_state=0)
    old.maximize(f)
    new = BayesianOptimizer(space, n_iter=12, random_state=1, prior_results=old)
    new.maximize(f)
    assert len(new.results_["params"]) == 12
    strategy = new._strategy
    assert len(strategy.gp_params.log_lengthscales) == strategy.space.n_dims + 1
    assert new.best_score_ >= old.best_score_ - 1e-3


def test_a_warm_started_batch_fits_the_smooth_model_on_both_searches(monkeypatch):
    # With the gate at 0 every batch after 16 predictions takes half its
    # fantasy picks from the smooth model, fitted on the new and the earlier
    # rows with the "which search" column; its incumbent is the best new score.
    import sk_hpsearch.strategies._bayes as bayes

    priors = []
    fit = bayes.fit_gp

    def recording_fit(X, *args, prior="default", **kwargs):
        priors.append((prior, X.shape[1]))
        return fit(X, *args, prior=prior, **kwargs)

    monkeypatch.setattr(bayes, "MISCALIBRATION_GATE", 0.0)
    monkeypatch.setattr(bayes, "fit_gp", recording_fit)
    space = {name: uniform(0, 1) for name in "ab"}

    def bowl(a, b):
        return -((a - 0.3) ** 2) - (b - 0.6) ** 2

    first = BayesianOptimizer(space, n_iter=20, random_state=1).maximize(bowl)
    opt = BayesianOptimizer(
        space, n_iter=40, random_state=0, prior_results=first.results_
    )
    seen = []
    for _ in range(5):
        batch = opt.ask(8)
        assert len(batch) == len({tuple(p.values()) for p in batch})
        assert not {tuple(p.values()) for p in batch} & set(seen)
        seen += [tuple(p.values()) for p in batch]
        opt.tell(batch, [bowl(**p) for p in batch])
    # Three columns: the two parameters and the "which search" indicator.
    assert ("smooth", 3) in priors
