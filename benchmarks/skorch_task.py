"""A skorch network as a benchmark problem: an MLP on digits.

Importing this module registers the problem ``skorch_mlp_digits`` (list it in
:data:`benchmarks.problems.PLUGIN_MODULES`); it raises ImportError, and so
stays absent, when torch or skorch is missing. :func:`make_skorch_problem`
builds the :class:`~benchmarks.problems.Problem` with other sizes.

The space is the one of the user guide (``docs/neural_networks.rst``): the
learning rate on a log scale, the SGD momentum on a ``log10(1 - beta)``
scale, the batch size and the width as log-scaled integers, the depth as a
small integer and the activation as a category. The net's ``random_state`` is
fixed, so the score is a deterministic function of the hyperparameters and
the seeds of a run vary only the search.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from torch import nn

from benchmarks.problems import Problem, register_problem
from benchmarks.space import categorical, floats, ints
from sk_hpsearch.skorch import NeuralNetClassifier

__all__ = ["PROBLEM", "DigitsMLP", "load_digits_float32", "make_skorch_problem"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class DigitsMLP(nn.Module):
    """``num_layers`` hidden layers of ``hidden_units``, then a softmax.

    Parameters
    ----------
    n_in : int, default=64
        Input features.
    n_out : int, default=10
        Classes.
    hidden_units : int, default=64
        Width of every hidden layer.
    num_layers : int, default=1
        Number of hidden layers.
    activation : {"relu", "tanh"}, default="relu"
        Non-linearity after each hidden layer.
    """

    def __init__(
        self, n_in=64, n_out=10, hidden_units=64, num_layers=1, activation="relu"
    ):
        super().__init__()
        layers, width = [], n_in
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_units), _ACTIVATIONS[activation]()]
            width = hidden_units
        layers += [nn.Linear(width, n_out), nn.Softmax(dim=-1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        """Class probabilities of the rows of ``X``."""
        return self.layers(X)


def load_digits_float32(n_samples: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1] as float32 and labels as int64.

    Parameters
    ----------
    n_samples : int, default=600
        A fixed random subset of this size (0 keeps all 1797).

    Returns
    -------
    X : ndarray of shape (n_samples, 64), dtype float32
    y : ndarray of shape (n_samples,), dtype int64
    """
    X, y = load_digits(return_X_y=True)
    if n_samples:
        keep = np.sort(np.random.RandomState(0).permutation(len(y))[:n_samples])
        X, y = X[keep], y[keep]
    return (X / 16.0).astype(np.float32), y.astype(np.int64)


def make_skorch_problem(
    n_samples: int = 600, max_epochs: int = 27, name: str = "skorch_mlp_digits"
) -> Problem:
    """The skorch MLP tuning task as a benchmark :class:`Problem`.

    Parameters
    ----------
    n_samples : int, default=600
        Digits used (a fixed subset).
    max_epochs : int, default=27
        Epochs of every fit (SGD, no internal validation split: the
        cross-validation is the validation); the problem's resource, so that
        the budget study trains on 1, 3, 9 and 27 epochs.
    name : str, default="skorch_mlp_digits"
        Problem name.

    Returns
    -------
    Problem
        A real problem (higher accuracy is better), 3-fold stratified CV.
    """

    def make_estimator() -> NeuralNetClassifier:
        return NeuralNetClassifier(
            DigitsMLP,
            optimizer=torch.optim.SGD,
            max_epochs=max_epochs,
            train_split=None,
            iterator_train__shuffle=True,
            random_state=0,
            verbose=0,
        )

    return Problem(
        name=name,
        kind="real",
        make_estimator=make_estimator,
        load_data=lambda: load_digits_float32(n_samples),
        space=(
            floats("lr", 1e-3, 0.5, "log"),
            floats("optimizer__momentum", 0.5, 0.999, "one_minus_log"),
            ints("batch_size", 16, 128, "log"),
            ints("module__hidden_units", 16, 256, "log"),
            ints("module__num_layers", 1, 3),
            categorical("module__activation", ("relu", "tanh")),
        ),
        cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
        description=(
            f"skorch MLP (SGD, {max_epochs} epochs) on {n_samples} digits, accuracy"
        ),
        resource=("max_epochs", max_epochs),
    )


#: The registered problem.
PROBLEM = register_problem(make_skorch_problem())
