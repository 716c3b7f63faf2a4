"""
Read a search: importances, scales and the coarse-to-fine boxes
===============================================================

A coarse-to-fine search of an RBF support vector machine on the digits, then
read the way a practitioner reads a search by eye: which hyperparameters
matter (:func:`~sk_hpsearch.param_importances`), where the good candidates
lie on each parameter's own scale, and the boxes the search zoomed into.

``C`` and ``gamma`` act over orders of magnitude, so both are
:class:`~sk_hpsearch.LogUniform`; ``tol`` barely matters; ``shrinking`` is a
categorical.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from sk_hpsearch import CoarseToFineSearchCV, LogUniform, param_importances, plot_search

X, y = load_digits(return_X_y=True)
X, y = X[::3], y[::3]  # 599 images keep the example to a few seconds
space = {
    "C": LogUniform(1e-2, 1e3),
    "gamma": LogUniform(1e-5, 1e0),
    "tol": LogUniform(1e-5, 1e-1),
    "shrinking": [True, False],
}
search = CoarseToFineSearchCV(
    SVC(), space, n_iter=30, n_rounds=3, cv=3, random_state=0
).fit(X, y)
print(f"best accuracy {search.best_score_:.3f} with {search.best_params_}")

# %%
# Which hyperparameters matter
# ----------------------------
# Shares of the variance of the score over the prior, with bootstrap
# standard deviations; the last line is the interaction of the top pair.
importances = param_importances(search, random_state=0)
print(importances)

# %%
# The whole search in one figure
# ------------------------------
# Best score so far (the rounds marked), the importances, ``C`` against
# ``gamma`` with the box of each round, and each parameter on its own scale.
axes = plot_search(search)
plt.show()
