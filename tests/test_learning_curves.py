"""Learning curves: scorers that record them, a headless plot that draws them.

A fake estimator with a skorch-like ``history`` stands in for a net, so that
these tests need neither torch nor skorch.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_hpsearch import CoarseToFineSearchCV, LogUniform
from sk_hpsearch.inspection._learning_curves import (
    history_scorer,
    learning_curve_scorers,
    plot_learning_curves,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class CurveNet(ClassifierMixin, BaseEstimator):
    """Trains for ``max_epochs`` (or ``stop_at``); losses decay like ``rate**e``."""

    def __init__(self, rate=0.5, max_epochs=3, stop_at=None):
        self.rate = rate
        self.max_epochs = max_epochs
        self.stop_at = stop_at

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        n = min(self.max_epochs, self.stop_at or self.max_epochs)
        self.history = [
            {
                "epoch": e,
                "train_loss": self.rate**e,
                "valid_loss": self.rate**e + 0.1,
                "valid_acc": 1 - self.rate**e,
            }
            for e in range(1, n + 1)
        ]
        return self

    def score(self, X, y):
        return self.history[-1]["valid_acc"]


def _data():
    rng = np.random.RandomState(0)
    return rng.randn(30, 2), np.arange(30) % 2


HISTORY = CurveNet(rate=0.5, max_epochs=3).fit(*_data()).history


def _lines(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines()}


def test_importing_the_module_does_not_import_matplotlib():
    code = (
        "import sys; import sk_hpsearch.inspection._learning_curves; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_plot_a_history_returns_axes_with_one_line_per_key():
    ax = plot_learning_curves(HISTORY)
    lines = _lines(ax)
    assert list(lines) == ["train_loss", "valid_loss"]
    np.testing.assert_allclose(lines["train_loss"].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(lines["train_loss"].get_ydata(), [0.5, 0.25, 0.125])
    np.testing.assert_allclose(lines["valid_loss"].get_ydata(), [0.6, 0.35, 0.225])
    assert lines["train_loss"].get_linestyle() == "-"
    assert lines["valid_loss"].get_linestyle() == "--"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is not None


def test_plot_on_a_given_axes_and_other_keys():
    _, ax = plt.subplots()
    out = plot_learning_curves(HISTORY, ax=ax, keys=("valid_acc",))
    assert out is ax
    assert list(_lines(ax)) == ["valid_acc"]
    assert ax.get_ylabel() == "value"
    assert list(_lines(plot_learning_curves(HISTORY, keys="valid_acc"))) == [
        "valid_acc"
    ]


def test_plot_a_net_a_pipeline_and_a_dict_of_them():
    X, y = _data()
    fast = CurveNet(rate=0.2).fit(X, y)
    pipe = make_pipeline(StandardScaler(), CurveNet(rate=0.8)).fit(X, y)
    assert list(_lines(plot_learning_curves(fast))) == ["train_loss", "valid_loss"]
    ax = plot_learning_curves({"fast": fast, "slow": pipe})
    lines = _lines(ax)
    assert list(lines) == [
        "fast train_loss",
        "fast valid_loss",
        "slow train_loss",
        "slow valid_loss",
    ]
    assert lines["fast train_loss"].get_color() == lines["fast valid_loss"].get_color()
    assert lines["fast train_loss"].get_color() != lines["slow train_loss"].get_color()
    np.testing.assert_allclose(lines["slow train_loss"].get_ydata()[0], 0.8)


def test_keys_missing_in_some_epochs_are_nan_and_absent_keys_are_left_out():
    history = [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}]
    history[1]["valid_loss"] = 0.7
    lines = _lines(plot_learning_curves(history))
    assert np.isnan(lines["valid_loss"].get_ydata()[0])
    lines = _lines(plot_learning_curves(history[:1]))
    assert list(lines) == ["train_loss"]
    assert lines["train_loss"].get_marker() == "o"  # a single epoch shows


def test_no_requested_key_raises_with_the_available_keys():
    with pytest.raises(ValueError, match=r"available keys: \['epoch', 'train_loss'"):
        plot_learning_curves(HISTORY, keys=("nope",))


@pytest.mark.parametrize("bad", [42, "history", [1, 2], CurveNet()])
def test_not_a_history_raises_type_error(bad):
    with pytest.raises(TypeError, match="Expected a skorch History"):
        plot_learning_curves(bad)


def _search(budget=None, **params):
    """A search over ``CurveNet(**params)``; ``budget``: the search's budget options."""
    X, y = _data()
    scoring = {
        "acc": lambda est, X, y: est.score(X, y),
        "epochs": history_scorer("epoch"),
        **learning_curve_scorers(3),
    }
    search = CoarseToFineSearchCV(
        CurveNet(**params),
        {"rate": LogUniform(0.1, 0.9)},
        n_iter=4,
        n_rounds=1,
        cv=2,
        scoring=scoring,
        refit="acc",
        random_state=0,
        **(budget or {}),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return search.fit(X, y)


def test_scorers_bring_every_candidates_curves_into_cv_results():
    search = _search()
    results = search.cv_results_
    rates = np.array([p["rate"] for p in results["params"]])
    for e in (1, 2, 3):
        np.testing.assert_allclose(results[f"mean_test_train_loss@{e}"], rates**e)
        np.testing.assert_allclose(results[f"mean_test_valid_loss@{e}"], rates**e + 0.1)
    np.testing.assert_array_equal(results["mean_test_epochs"], 3)


def test_plot_the_best_candidates_of_a_search():
    search = _search()
    results = search.cv_results_
    ax = plot_learning_curves(search, candidates=2)
    lines = _lines(ax)
    order = np.argsort(results["rank_test_acc"], kind="stable")
    first, second = (f"rank {results['rank_test_acc'][i]} (#{i})" for i in order[:2])
    assert list(lines) == [
        f"{first} train_loss",
        f"{first} valid_loss",
        f"{second} train_loss",
        f"{second} valid_loss",
    ]
    assert order[0] == search.best_index_
    rate = results["params"][order[0]]["rate"]
    np.testing.assert_allclose(
        lines[f"{first} valid_loss"].get_ydata(),
        [rate + 0.1, rate**2 + 0.1, rate**3 + 0.1],
    )


def test_budgeted_candidates_are_drawn_up_to_their_budget():
    # Before: a fit stopped at 1 epoch by the budget drew a flat line to 3.
    search = _search(
        budget={"resource": "max_epochs", "min_resources": 1, "reduction_factor": 3}
    )
    results = search.cv_results_
    assert set(results["n_resources"]) == {1, 3}
    lines = _lines(plot_learning_curves(search, candidates=len(results["params"])))
    for label, line in lines.items():
        budget = int(label.split("budget ")[1].split(")")[0])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, budget + 1))
    assert any("budget 1)" in label for label in lines)


def test_plot_a_search_draws_its_refitted_best_net():
    search = _search()
    lines = _lines(plot_learning_curves(search))
    rate = search.best_params_["rate"]
    np.testing.assert_allclose(
        lines["train_loss"].get_ydata(), [rate, rate**2, rate**3]
    )


def test_early_stopped_fits_hold_their_last_value():
    search = _search(stop_at=2)
    results = search.cv_results_
    np.testing.assert_array_equal(results["mean_test_epochs"], 2)
    np.testing.assert_allclose(
        results["mean_test_train_loss@3"], results["mean_test_train_loss@2"]
    )


def test_candidates_need_recorded_curves():
    X, y = _data()
    search = CoarseToFineSearchCV(
        CurveNet(), {"rate": LogUniform(0.1, 0.9)}, n_iter=2, cv=2, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match="learning_curve_scorers"):
        plot_learning_curves(search, candidates=3)
    with pytest.raises(ValueError, match="candidates must be None or an int >= 1"):
        plot_learning_curves(search, candidates=0)


def test_history_scorer_reads_one_epoch():
    net = CurveNet(rate=0.5).fit(*_data())
    assert history_scorer("train_loss")(net) == 0.125
    assert history_scorer("train_loss", 1)(net) == 0.5
    assert history_scorer("train_loss", 10)(net) == 0.125  # after the last epoch
    assert math.isnan(history_scorer("missing")(net))
    empty = CurveNet()
    empty.history = []
    assert math.isnan(history_scorer("train_loss")(empty))
    scorer = pickle.loads(pickle.dumps(history_scorer("valid_loss", 2)))
    assert scorer(net) == pytest.approx(0.35)
    assert repr(scorer) == "history_scorer('valid_loss', epoch=2)"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key": 3}, "key must be a str"),
        ({"key": "a", "epoch": 0}, "epoch must be >= 1 or -1"),
        ({"key": "a", "epoch": 1.0}, "epoch must be an int"),
    ],
)
def test_history_scorer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        history_scorer(**kwargs)


def test_learning_curve_scorers_names():
    scorers = learning_curve_scorers(2, keys=("train_loss", "valid_acc"))
    assert list(scorers) == [
        "train_loss@1",
        "train_loss@2",
        "valid_acc@1",
        "valid_acc@2",
    ]
    for bad, match in [(0, "max_epochs must be >= 1"), (2.5, "must be an int")]:
        with pytest.raises(ValueError, match=match):
            learning_curve_scorers(bad)
    with pytest.raises(ValueError, match="keys must be a sequence of str"):
        learning_curve_scorers(2, keys="valid_loss")
