"""Both searches tune skorch networks, reproducibly, on the requested device.

Tiny nets, at most 3 epochs, a hundred or two samples: the whole file runs in
seconds once torch is imported (the loky tests also start two workers).
"""

from __future__ import annotations

import pickle
import runpy
import sys
import warnings
from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest

skorch = pytest.importorskip("skorch")
torch = pytest.importorskip("torch")

import cloudpickle  # noqa: E402
from joblib import parallel_backend  # noqa: E402
from scipy.stats import randint  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from torch import nn  # noqa: E402

import sk_hpsearch.skorch as sk_skorch  # noqa: E402
from sk_hpsearch import (  # noqa: E402
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
    OneMinusLogUniform,
)
from sk_hpsearch.inspection._learning_curves import (  # noqa: E402
    history_scorer,
    learning_curve_scorers,
    plot_learning_curves,
)
from sk_hpsearch.skorch import (  # noqa: E402
    NeuralNetClassifier,
    NeuralNetRegressor,
    TunableNetMixin,
    resolve_device,
)

# loky workers must rebuild MLP from this test module, which they may not be
# able to import: send its classes by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

SEARCHES = [CoarseToFineSearchCV, GPBayesSearchCV]
EXTRA = {CoarseToFineSearchCV: {"n_rounds": 2}, GPBayesSearchCV: {}}
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class MLP(nn.Module):
    """A small MLP that insists on receiving native Python values."""

    def __init__(
        self,
        n_in=16,
        n_out=3,
        hidden_units=8,
        num_layers=1,
        activation="relu",
        softmax=True,
    ):
        super().__init__()
        assert type(hidden_units) is int, type(hidden_units)
        assert type(num_layers) is int, type(num_layers)
        assert type(activation) is str, type(activation)
        layers, width = [], n_in
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_units), ACTIVATIONS[activation]()]
            width = hidden_units
        layers.append(nn.Linear(width, n_out))
        if softmax:
            layers.append(nn.Softmax(dim=-1))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        return self.layers(X)


SPACE = {
    "lr": LogUniform(1e-3, 3e-1),
    "optimizer__momentum": OneMinusLogUniform(0.5, 0.99),
    "batch_size": LogUniform(8, 64, integer=True),
    "module__hidden_units": LogUniform(4, 16, integer=True),
    "module__num_layers": randint(1, 3),
    "module__activation": ["relu", "tanh"],
}
NATIVE = {
    "lr": float,
    "optimizer__momentum": float,
    "batch_size": int,
    "module__hidden_units": int,
    "module__num_layers": int,
    "module__activation": str,
}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny nets train many times faster on one thread (and none oversubscribe)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    """150 digits of classes 0-2, 16 pixels (4x4 pooled), float32 / int64."""
    X, y = load_digits(n_class=3, return_X_y=True)
    X = X.reshape(-1, 8, 8)[:, ::2, ::2].reshape(-1, 16)[:150] / 16.0
    return X.astype(np.float32), y[:150].astype(np.int64)


def classifier(cls=NeuralNetClassifier, **params):
    defaults = dict(
        optimizer=torch.optim.SGD,
        max_epochs=2,
        batch_size=32,
        iterator_train__shuffle=True,
        verbose=0,
    )
    return cls(MLP, **{**defaults, **params})


@pytest.mark.parametrize("search_cls", SEARCHES)
def test_search_tunes_plain_skorch_classifier_with_native_values(search_cls, digits):
    X, y = digits
    net = classifier(skorch.NeuralNetClassifier)
    search = search_cls(
        net,
        SPACE,
        n_iter=4,
        cv=2,
        random_state=0,
        error_score="raise",
        **EXTRA[search_cls],
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    for params in [*search.cv_results_["params"], search.best_params_]:
        assert {k: type(v) for k, v in params.items()} == NATIVE
    module = search.best_estimator_.module_
    assert isinstance(module, MLP)
    best = search.best_params_
    assert (
        search.best_estimator_.optimizer_.param_groups[0]["momentum"]
        == (best["optimizer__momentum"])
    )
    assert len(search.best_estimator_.history) == 2


@pytest.mark.parametrize("search_cls", SEARCHES)
def test_search_tunes_skorch_regressor(search_cls, digits):
    X, _ = digits
    y = X[:, :1] * 2.0 - 1.0  # a float32 column
    net = NeuralNetRegressor(
        MLP,
        module__n_out=1,
        module__softmax=False,
        optimizer=torch.optim.SGD,
        max_epochs=2,
        verbose=0,
        random_state=0,
    )
    space = {k: v for k, v in SPACE.items() if k != "module__activation"}
    search = search_cls(
        net,
        space,
        n_iter=3,
        cv=2,
        random_state=0,
        error_score="raise",
        **EXTRA[search_cls],
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.predict(X[:5]).shape == (5, 1)


def _scores(search) -> dict:
    results = search.cv_results_
    keys = [k for k in results if k.startswith(("split", "mean_test", "rank_test"))]
    return {k: np.asarray(results[k]) for k in keys} | {"params": results["params"]}


@pytest.mark.parametrize("search_cls", SEARCHES)
def test_same_random_state_same_cv_results_with_one_or_two_workers(search_cls, digits):
    X, y = digits
    net = classifier(random_state=0, device="round-robin")
    results = []
    for n_jobs in (1, 2):
        search = search_cls(
            net,
            SPACE,
            n_iter=4,
            cv=2,
            random_state=1,
            n_jobs=n_jobs,
            error_score="raise",
            **EXTRA[search_cls],
        ).fit(X, y)
        results.append(_scores(search))
    one, two = results
    assert one["params"] == two["params"]
    for key in one:
        if key != "params":
            np.testing.assert_array_equal(one[key], two[key], err_msg=key)


def test_threading_backend_gives_the_same_cv_results(digits):
    X, y = digits
    net = classifier(random_state=0)
    results = []
    for n_jobs in (1, 2):
        with parallel_backend("threading", n_jobs=n_jobs):
            search = GPBayesSearchCV(net, SPACE, n_iter=4, cv=2, random_state=1)
            results.append(_scores(search.fit(X, y)))
    for key in results[0]:
        if key != "params":
            np.testing.assert_array_equal(results[0][key], results[1][key])


def test_random_state_seeds_weights_and_batches(digits):
    X, y = digits
    a = classifier(random_state=3).fit(X, y)
    b = classifier(random_state=3).fit(X, y)
    c = classifier(random_state=4).fit(X, y)
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]
    assert a.history[:, "train_loss"] != c.history[:, "train_loss"]
    for p, q in zip(a.module_.parameters(), b.module_.parameters(), strict=True):
        assert torch.equal(p, q)
    assert isinstance(a.torch_generator_, torch.Generator)
    # refitting the same object starts again from the same seed
    assert a.fit(X, y).history[:, "train_loss"] == b.history[:, "train_loss"]


def test_random_state_none_leaves_torch_alone(digits):
    X, y = digits
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    net = classifier(random_state=None).fit(X, y)
    assert net.torch_generator_ is None
    assert not torch.equal(torch.random.get_rng_state(), state)  # skorch drew


def test_random_state_accepts_a_random_state_instance(digits):
    X, y = digits
    net = classifier(random_state=np.random.RandomState(0))
    a, b = clone(net).fit(X, y), clone(net).fit(X, y)
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]


def test_bad_random_state_is_rejected_at_fit(digits):
    X, y = digits
    net = classifier(random_state="zero")  # stored as is: no check in __init__
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        net.fit(X, y)


def test_random_state_is_a_parameter_that_clones_and_searches():
    net = classifier(random_state=7)
    assert net.get_params()["random_state"] == 7
    assert clone(net).random_state == 7
    assert net.set_params(random_state=8).random_state == 8


def test_numpy_values_reach_torch_as_python_scalars(digits):
    X, y = digits
    net = classifier(random_state=0).set_params(
        batch_size=np.int64(16),  # torch's DataLoader rejects a numpy int
        module__hidden_units=np.int64(8),
        module__num_layers=np.int32(2),
        module__activation=np.str_("tanh"),
    )
    net.fit(X, y)
    assert net.get_params()["batch_size"] == np.int64(16)  # stored as given
    assert net.module_.layers[0].out_features == 8
    plain = skorch.NeuralNetClassifier(MLP, batch_size=np.int64(16), verbose=0)
    with pytest.raises((AssertionError, ValueError)):
        plain.fit(X, y)


@pytest.mark.parametrize("request_", ["auto", "round-robin", ["cpu"], ("cpu", "cpu")])
def test_device_request_resolves_in_fit_and_stays_a_parameter(request_, digits):
    X, y = digits
    net = classifier(device=request_, max_epochs=1).fit(X, y)
    assert net.device == "cpu"  # no CUDA here
    assert net.get_params()["device"] == request_
    assert clone(net).device == request_
    assert next(net.module_.parameters()).device.type == "cpu"
    restored = pickle.loads(pickle.dumps(net))
    assert restored.device == "cpu" and restored.get_params()["device"] == request_
    np.testing.assert_array_equal(restored.predict(X), net.predict(X))


@pytest.mark.parametrize("request_", ["auto", "round-robin", ["cpu", "cpu"]])
def test_unfitted_net_with_a_device_request_pickles(request_, digits):
    X, y = digits
    net = classifier(device=request_, max_epochs=1)
    for copy in (pickle.loads(pickle.dumps(net)), deepcopy(net)):
        assert copy.get_params()["device"] == request_
        assert copy.fit(X, y).device == "cpu"
        assert copy.get_params()["device"] == request_


def test_setting_the_device_replaces_the_request(digits):
    X, y = digits
    net = classifier(device="auto", max_epochs=1).fit(X, y)
    net.set_params(device="cpu")
    assert net.get_params()["device"] == "cpu"
    net.device = "round-robin"
    assert net.get_params()["device"] == "round-robin"


def test_searched_device_keeps_requests_in_results(digits):
    X, y = digits
    space = {"device": ["auto", "round-robin"], "lr": LogUniform(1e-2, 1e-1)}
    search = GPBayesSearchCV(
        classifier(random_state=0),
        space,
        n_iter=3,
        n_initial_points=2,
        cv=2,
        random_state=0,
    ).fit(X, y)
    assert {p["device"] for p in search.cv_results_["params"]} <= {
        "auto",
        "round-robin",
    }
    assert search.best_params_["device"] in ("auto", "round-robin")
    assert search.best_estimator_.device == "cpu"
    assert (
        search.best_estimator_.get_params()["device"] == search.best_params_["device"]
    )


@pytest.mark.parametrize(
    ("request_", "expected"),
    [("auto", "cuda"), ("round-robin", "cuda:{}"), (["cuda:5"], "cuda:5")],
)
def test_resolve_device_with_cuda(monkeypatch, request_, expected):
    from sk_hpsearch._devices import worker_slot

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device(request_) == expected.format(worker_slot() % 2)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [("auto", "cpu"), ("round-robin", "cpu"), ("cuda:1", "cuda:1"), (None, None)],
)
def test_resolve_device_without_cuda_falls_back_to_cpu(monkeypatch, request_, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(request_) == expected


def test_mixin_adds_seed_and_devices_to_another_net_class(digits):
    X, y = digits

    class BinaryNet(TunableNetMixin, skorch.NeuralNetBinaryClassifier):
        pass

    def make():
        return BinaryNet(
            MLP,
            module__n_out=1,
            module__softmax=False,
            max_epochs=2,
            device="auto",
            random_state=0,
            verbose=0,
        )

    yb = (y == 0).astype(np.float32)
    a, b = make().fit(X, yb), make().fit(X, yb)
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]
    assert a.device == "cpu" and a.get_params()["device"] == "auto"


def test_learning_curves_of_candidates_and_best_net(digits):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = digits
    scoring = {
        "accuracy": "accuracy",
        "epochs": history_scorer("epoch"),
        **learning_curve_scorers(2),
    }
    search = CoarseToFineSearchCV(
        classifier(random_state=0),
        SPACE,
        n_iter=3,
        n_rounds=1,
        cv=2,
        scoring=scoring,
        refit="accuracy",
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # losses "ranked" as scores
        search.fit(X, y)
    results = search.cv_results_
    assert (results["mean_test_epochs"] == 2).all()
    for i in range(3):
        assert results["mean_test_valid_loss@2"][i] > 0
    ax = plot_learning_curves(search, candidates=2)
    labels = [line.get_label() for line in ax.get_lines()]
    best = f"rank 1 (#{search.best_index_})"
    assert labels[:2] == [f"{best} train_loss", f"{best} valid_loss"]
    assert len(labels) == 4
    np.testing.assert_allclose(
        ax.get_lines()[1].get_ydata(),
        [results[f"mean_test_valid_loss@{e}"][search.best_index_] for e in (1, 2)],
    )
    ax2 = plot_learning_curves(search)  # the refitted best net
    history = search.best_estimator_.history
    np.testing.assert_allclose(ax2.get_lines()[0].get_ydata(), history[:, "train_loss"])
    plt.close("all")


@pytest.mark.parametrize("search_cls", SEARCHES)
def test_max_epochs_budget_replays_the_shorter_fit_of_a_seeded_net(search_cls, digits):
    X, y = digits
    search = search_cls(
        classifier(random_state=0, max_epochs=3),
        SPACE,
        n_iter=3,
        cv=2,
        random_state=0,
        scoring={"accuracy": "accuracy", **learning_curve_scorers(1)},
        refit="accuracy",
        resource="max_epochs",
        min_resources=1,
        reduction_factor=3,
        **EXTRA[search_cls],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X, y)
    results = search.cv_results_
    budgets = np.asarray(results["n_resources"])
    assert set(budgets.tolist()) == {1, 3}
    assert [p["max_epochs"] for p in results["params"]] == budgets.tolist()
    assert search.best_params_["max_epochs"] == 3
    assert len(search.best_estimator_.history) == 3
    # A candidate trained again on 3 epochs first replays its 1-epoch fit.
    rows: dict = {}
    for i, params in enumerate(results["params"]):
        key = tuple(sorted((k, v) for k, v in params.items() if k != "max_epochs"))
        rows.setdefault(key, {})[params["max_epochs"]] = i
    climbed = [r for r in rows.values() if set(r) == {1, 3}]
    assert climbed
    for r in climbed:
        for split in ("split0", "split1"):
            column = results[f"{split}_test_train_loss@1"]
            assert column[r[1]] == column[r[3]]


def test_example_runs_and_prints_its_table(capsys):
    example = Path(__file__).resolve().parents[1] / "examples" / "skorch_mlp.py"
    main = runpy.run_path(str(example), run_name="skorch_mlp")["main"]
    argv = ["--n-iter", "2", "--max-epochs", "2", "--n-jobs", "1", "--device", "auto"]
    rows = main(argv)
    names = [row["search"] for row in rows]
    assert names[:3] == [
        "RandomizedSearchCV",
        "CoarseToFineSearchCV",
        "GPBayesSearchCV",
    ]
    assert len(names) == 5  # and the two budgeted searches
    for row in rows:
        assert 0 <= row["test"] <= 1
        assert row["epochs"] <= 2 * 3 * 2 + 2
    assert rows[0]["epochs"] == 2 * 3 * 2 + 2  # every fit trains every epoch
    assert "best CV acc" in capsys.readouterr().out


def test_module_all_lists_public_names():
    assert sorted(sk_skorch.__all__) == sk_skorch.__all__
    for name in sk_skorch.__all__:
        assert getattr(sk_skorch, name).__doc__
