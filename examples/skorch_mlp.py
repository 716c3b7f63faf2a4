"""Tune a PyTorch MLP on digits through skorch: three searches, one budget.
========================================================================

The network's hyperparameters are sampled on their natural scales: the
learning rate log-uniformly, the momentum so that ``log10(1 - beta)`` is
uniform, the batch size and the width as log-uniform integers, the depth
uniformly, the activation from a list. ``RandomizedSearchCV``,
``CoarseToFineSearchCV`` and ``GPBayesSearchCV`` get the same space, the same
number of candidates, the same folds and the same seed; the net's own
``random_state`` makes every fit reproducible. With ``--budget`` (the
default), two more rows show sk_hpsearch's searches with a learning-curve
budget: every candidate first trains a few epochs, and only the promising
ones train on to ``--max-epochs``.

The table shows the best cross-validated accuracy, the accuracy of the
refitted net on a held-out quarter, the wall time and the number of epochs
trained in all (every fit of every fold, plus the refit).

Run with ``python examples/skorch_mlp.py`` (a few minutes on 2 CPU cores);
``--device auto`` trains on a GPU when there is one, ``--plot curves.png``
saves the learning curves of the best nets.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import randint
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from torch import nn

from sk_hpsearch import (
    CoarseToFineSearchCV,
    GPBayesSearchCV,
    LogUniform,
    OneMinusLogUniform,
    history_scorer,
    plot_learning_curves,
)
from sk_hpsearch.skorch import NeuralNetClassifier

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}

SPACE = {
    "lr": LogUniform(1e-3, 0.5),  # log10(lr) is uniform
    "optimizer__momentum": OneMinusLogUniform(0.5, 0.999),  # log10(1 - beta)
    "batch_size": LogUniform(16, 256, integer=True),
    "module__hidden_units": LogUniform(16, 256, integer=True),
    "module__num_layers": randint(1, 3),  # 1 or 2 hidden layers
    "module__activation": ["relu", "tanh"],
}


class MLP(nn.Module):
    """``num_layers`` hidden layers of ``hidden_units``; returns logits."""

    def __init__(
        self, n_in=64, n_out=10, hidden_units=64, num_layers=1, activation="relu"
    ):
        super().__init__()
        layers, width = [], n_in
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_units), ACTIVATIONS[activation]()]
            width = hidden_units
        layers.append(nn.Linear(width, n_out))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        return self.layers(X)


def load_data(seed: int):
    """Digits scaled to [0, 1] as float32, labels as int64; a stratified split."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)


def make_net(max_epochs: int, device: str, seed: int) -> NeuralNetClassifier:
    """The net every search starts from."""
    return NeuralNetClassifier(
        MLP,
        criterion=nn.CrossEntropyLoss,  # on logits; predict_proba applies softmax
        optimizer=torch.optim.SGD,
        max_epochs=max_epochs,
        iterator_train__shuffle=True,
        device=device,
        random_state=seed,  # every fit seeds torch: reproducible searches
        verbose=0,
    )


def searches(net, args) -> dict:
    """The searches compared, each with the same candidates budget and seed."""
    common = dict(
        n_iter=args.n_iter,
        cv=3,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        # Accuracy is optimised; the epochs each fit trained are recorded.
        scoring={"accuracy": "accuracy", "epochs": history_scorer("epoch")},
        refit="accuracy",
    )
    out = {
        "RandomizedSearchCV": RandomizedSearchCV(net, SPACE, **common),
        "CoarseToFineSearchCV": CoarseToFineSearchCV(net, SPACE, **common),
        "GPBayesSearchCV": GPBayesSearchCV(net, SPACE, **common),
    }
    if args.budget:
        budget = dict(
            resource="max_epochs",
            min_resources=1,
            reduction_factor=3,
        )
        out["CoarseToFine, budget"] = CoarseToFineSearchCV(
            net, SPACE, **common, **budget
        )
        out["GPBayes, budget"] = GPBayesSearchCV(net, SPACE, **common, **budget)
    return out


def epochs_trained(search) -> int:
    """Epochs of every fit of every fold, plus those of the refit."""
    results = search.cv_results_
    folds = sum(
        np.sum(results[f"split{k}_test_epochs"]) for k in range(search.n_splits_)
    )
    return int(folds) + len(search.best_estimator_.history)


def main(argv: list[str] | None = None) -> list[dict]:
    """Run every search and print a table; return its rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=10, help="candidates")
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument(
        "--device",
        default="cpu",
        help='"cpu" (default), "cuda", "auto" (cuda if available), '
        '"round-robin" (every GPU in turn), "cuda:1", ...',
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        help="parallel fits (default: all cores; use 1 or 2 on one GPU)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--budget",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run sk_hpsearch's searches with a learning-curve budget",
    )
    parser.add_argument("--plot", metavar="PNG", help="save the best nets' curves")
    args = parser.parse_args(argv)

    X_train, X_test, y_train, y_test = load_data(args.seed)
    net = make_net(args.max_epochs, args.device, args.seed)
    print(
        f"skorch MLP on digits: n_iter={args.n_iter}, max_epochs={args.max_epochs}, "
        f"3-fold CV, random_state={args.seed}, device={args.device}, "
        f"n_jobs={args.n_jobs}"
    )
    header = (
        f"{'search':<22} {'best CV acc':>11} {'test acc':>9} {'time (s)':>9} "
        f"{'epochs':>7}  best"
    )
    print(header)
    rows, fitted = [], {}
    for name, search in searches(net, args).items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        row = {
            "search": name,
            "best_cv": search.best_score_,
            "test": search.score(X_test, y_test),
            "seconds": seconds,
            "epochs": epochs_trained(search),
            "best_params": search.best_params_,
        }
        rows.append(row)
        fitted[name] = search
        params = ", ".join(
            f"{k.split('__')[-1]}={v:.3g}"
            if isinstance(v, float)
            else f"{k.split('__')[-1]}={v}"
            for k, v in row["best_params"].items()
        )
        print(
            f"{name:<22} {row['best_cv']:>11.4f} {row['test']:>9.4f} "
            f"{seconds:>9.1f} {row['epochs']:>7}  {params}"
        )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = plot_learning_curves(fitted)  # each search's refitted best net
        ax.figure.set_size_inches(9, 5)
        ax.set_title("Learning curves of the best nets (refitted on the training set)")
        ax.figure.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"learning curves saved to {args.plot}")
    return rows


if __name__ == "__main__":
    main()
