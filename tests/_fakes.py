"""Estimators whose score is a known function of their hyperparameters."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class FunctionClassifier(ClassifierMixin, BaseEstimator):
    """Fits nothing; ``score`` is ``-f(params)`` with a known optimum.

    ``f = (log10(alpha) + 2)^2 + (beta - 0.3)^2 + (kind != "b")``, so the best
    candidate is ``alpha=1e-2, beta=0.3, kind="b"``.
    """

    def __init__(self, alpha=1.0, beta=0.5, kind="a", fail=False):
        self.alpha = alpha
        self.beta = beta
        self.kind = kind
        self.fail = fail

    def fit(self, X, y, sample_weight=None):
        if self.fail:
            raise ValueError("FunctionClassifier failed on purpose")
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def objective(self) -> float:
        return (
            (np.log10(self.alpha) + 2) ** 2
            + (self.beta - 0.3) ** 2
            + float(self.kind != "b")
        )

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y=None, sample_weight=None):
        return -self.objective()


def classification_data(n: int = 60, seed: int = 0):
    """A small two-class problem."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


class BudgetClassifier(FunctionClassifier):
    """``FunctionClassifier`` whose score improves with a training budget.

    ``score = -f(params) - 1 / n_steps``: a short run underestimates every
    candidate by the same amount, as an early epoch of a network would.
    """

    def __init__(self, alpha=1.0, beta=0.5, kind="a", fail=False, n_steps=27):
        super().__init__(alpha=alpha, beta=beta, kind=kind, fail=fail)
        self.n_steps = n_steps

    def score(self, X, y=None, sample_weight=None):
        return -self.objective() - 1.0 / self.n_steps
