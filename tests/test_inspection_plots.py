"""The inspection plots, headless: scales, tick labels and the data drawn."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy.stats import uniform
from sklearn.base import BaseEstimator
from sklearn.model_selection import RandomizedSearchCV

from sk_hpsearch import (
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
    OneMinusLogUniform,
    param_importances,
    plot_convergence,
    plot_importances,
    plot_param_map,
    plot_parameters,
    plot_search,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

CV = [(np.array([0, 1]), np.array([2, 3])), (np.array([2, 3]), np.array([0, 1]))]
X4 = np.arange(4, dtype=float)[:, None]
SPACE = {
    "lr": LogUniform(1e-5, 1e-1),
    "momentum": OneMinusLogUniform(0.9, 0.999),
    "dropout": uniform(0, 0.5),
    "act": ["relu", "tanh"],
}


class Net(BaseEstimator):
    """A score with a known shape; fails when ``lr > 0.05``."""

    def __init__(self, lr=1e-3, momentum=0.9, dropout=0.0, act="relu"):
        self.lr = lr
        self.momentum = momentum
        self.dropout = dropout
        self.act = act

    def fit(self, X, y=None):
        if self.lr > 0.05:
            raise ValueError("diverged")
        return self

    def score(self, X, y=None):
        return (
            -((np.log10(self.lr) + 3) ** 2)
            - 0.2 * np.log10(1 - self.momentum)
            - self.dropout
            - 0.3 * (self.act == "tanh")
        )


def _fit(search):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(X4)


@pytest.fixture(scope="module")
def c2f():
    return _fit(
        CoarseToFineSearchCV(Net(), SPACE, n_iter=18, n_rounds=3, cv=CV, random_state=0)
    )


@pytest.fixture(scope="module")
def gp():
    return _fit(GPBayesSearchCV(Net(), SPACE, n_iter=14, cv=CV, random_state=0))


@pytest.fixture(scope="module")
def rand():
    return _fit(RandomizedSearchCV(Net(), SPACE, n_iter=20, cv=CV, random_state=0))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_importing_the_plots_does_not_import_matplotlib():
    code = (
        "import sys; import sk_hpsearch.inspection._plots; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_convergence_is_the_running_best_with_rounds_marked(c2f):
    ax = plot_convergence(c2f)
    scores = c2f.cv_results_["mean_test_score"]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "CoarseToFineSearchCV"]
    expected = np.fmax.accumulate(np.where(np.isnan(scores), -np.inf, scores))
    np.testing.assert_allclose(line.get_ydata(), expected)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 19))
    starts = {
        ln.get_label(): ln.get_xdata()[0]
        for ln in ax.get_lines()
        if ln.get_label().startswith("round")
    }
    assert starts == {"round 2": 6.5, "round 3": 12.5}
    assert ax.get_xlabel() == "evaluations" and ax.get_ylabel() == "best score so far"


def test_convergence_compares_searches_and_marks_the_gp_start(gp, rand):
    ax = plot_convergence({"gp": gp, "random": rand})
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels[:2] == ["gp", "random"]
    assert ax.get_lines()[0].get_color() != ax.get_lines()[1].get_color()
    ax = plot_convergence(gp)
    start = [ln for ln in ax.get_lines() if ln.get_label() == "GP model starts"]
    n_initial = int(np.sum(gp.cv_results_["initial"]))
    assert start[0].get_xdata()[0] == n_initial + 0.5


def test_parameters_are_drawn_on_their_scales(rand):
    axes = plot_parameters(rand)
    assert len(axes) == 4
    lr, momentum, dropout, act = axes
    assert lr.get_xscale() == "log"
    assert lr.get_xlim() == pytest.approx((1e-5, 1e-1))
    assert momentum.get_xscale() == "function"
    assert [t.get_text() for t in momentum.get_xticklabels()] == [
        "0.9",
        "0.99",
        "0.999",
    ]
    # the axis is linear in log10(1 - beta): 0.99 sits halfway
    to_pixels = momentum.transData.transform
    x = [to_pixels((b, 0))[0] for b in (0.9, 0.99, 0.999)]
    assert x[1] - x[0] == pytest.approx(x[2] - x[1], rel=1e-6)
    assert dropout.get_xscale() == "linear" and dropout.get_xlim() == (0, 1)
    assert [t.get_text() for t in dropout.get_xticklabels()] == [
        "0",
        "0.125",
        "0.25",
        "0.375",
        "0.5",
    ]
    assert "CDF" in dropout.get_xlabel()
    assert [t.get_text() for t in act.get_xticklabels()] == ["relu", "tanh"]
    assert act.get_xlim() == (-0.5, 1.5)
    # the points drawn are the candidates' scores at their values
    results = rand.cv_results_
    ok = ~np.isnan(results["mean_test_score"])
    points = lr.collections[0].get_offsets()
    np.testing.assert_allclose(
        points[:, 0], [p["lr"] for p, k in zip(results["params"], ok, strict=True) if k]
    )
    np.testing.assert_allclose(points[:, 1], results["mean_test_score"][ok])
    cdf = dropout.collections[0].get_offsets()[:, 0]
    np.testing.assert_allclose(
        cdf,
        [p["dropout"] / 0.5 for p, k in zip(results["params"], ok, strict=True) if k],
    )
    bands = act.collections[0].get_offsets()[:, 0]
    codes = np.array(
        [p["act"] == "tanh" for p, k in zip(results["params"], ok, strict=True) if k]
    )
    assert np.all(np.abs(bands - codes) <= 0.3)
    failed = lr.collections[1].get_offsets()
    assert len(failed) == np.sum(~ok) > 0
    assert not any(ln.get_label() == "GP partial dependence" for ln in lr.get_lines())


def test_gp_search_gets_partial_dependence_with_a_band(gp):
    _, given = plt.subplots(1, 2)
    axes = plot_parameters(gp, ["lr", "act"], ax=given)
    assert list(axes) == list(given)
    lr = axes[0]
    (pd,) = [ln for ln in lr.get_lines() if ln.get_label() == "GP partial dependence"]
    x, y = pd.get_xdata(), pd.get_ydata()
    assert np.all(np.diff(x) > 0) and x[0] >= 1e-5 and x[-1] <= 1e-1
    assert abs(np.log10(x[np.argmax(y)]) + 3) < 1.0  # the true optimum is lr = 1e-3
    band = lr.collections[-1].get_paths()[0].vertices
    assert band[:, 1].min() < y.min() and band[:, 1].max() > y.max()
    with pytest.raises(ValueError, match="ax has 1 Axes for 2 parameters"):
        plot_parameters(gp, ["lr", "act"], ax=[given[0]])
    with pytest.raises(ValueError, match="Unknown parameter 'nope'"):
        plot_parameters(gp, "nope")


def test_map_draws_the_coarse_to_fine_boxes(c2f):
    ax = plot_param_map(c2f, ("lr", "momentum"))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "function"
    boxes = {p.get_label(): p for p in ax.patches}
    assert list(boxes) == ["round 1", "round 2", "round 3"]
    for region in c2f.regions_:
        box = boxes[f"round {region['round']}"]
        (x0, x1), (y0, y1) = region["params"]["lr"], region["params"]["momentum"]
        assert box.get_x() == pytest.approx(x0) and box.get_width() == pytest.approx(
            x1 - x0
        )
        assert box.get_y() == pytest.approx(y0) and box.get_height() == pytest.approx(
            y1 - y0
        )
    points = ax.collections[0]
    ok = ~np.isnan(c2f.cv_results_["mean_test_score"])
    np.testing.assert_allclose(
        points.get_array(), c2f.cv_results_["mean_test_score"][ok]
    )
    assert ax.figure.axes[-1].get_ylabel() == "score"  # the colour bar


def test_map_defaults_to_the_top_pair_and_shades_the_gp(gp):
    ax = plot_param_map(gp)
    top = param_importances(gp, n_bootstrap=0, random_state=0).names[:2]
    assert [ax.get_xlabel().split(" (")[0], ax.get_ylabel().split(" (")[0]] == top
    assert any(type(c).__name__ == "QuadMesh" for c in ax.collections)
    with pytest.raises(ValueError, match="params must be a pair of names"):
        plot_param_map(gp, ("lr",))


def test_importances_bars_and_the_summary(rand):
    found = param_importances(rand, n_bootstrap=3, random_state=0)
    ax = plot_importances(found)
    widths = [bar.get_width() for bar in ax.patches]
    np.testing.assert_allclose(widths, [*found.importances, found.interaction])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [*found.names, " x ".join(found.interaction_pair)]
    axes = plot_search(rand)
    assert set(axes) == {"convergence", "importances", "map", "parameters"}
    assert len(axes["parameters"]) == 4
    assert axes["parameters"][0].get_xlabel().split(" (")[0] == found.names[0]
