"""
Re-tune on new data, and resume a search that died
==================================================

The data a model serves changes, so its hyperparameters are re-tuned now and
then. Here an RBF support vector machine is tuned on the first 400 digits;
later 800 digits are there, and the search is run again twice: cold, and
warm-started from the first search (``warm_start=True``). The warm search
re-evaluates the earlier best candidates first, and its Gaussian process
starts with the earlier scores as prior knowledge.

The cold search also writes a checkpoint journal: a second ``fit`` with the
journal (here of a clone) reads the finished search back without fitting
anything; a search killed half-way would resume from it the same way.
"""

import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from sk_hpsearch import GPBayesSearchCV, LogUniform

X, y = load_digits(return_X_y=True)
X, y = X[:800] / 16, y[:800]
space = {"C": LogUniform(1e-2, 1e3), "gamma": LogUniform(1e-4, 1e0)}
journal = os.path.join(tempfile.mkdtemp(), "retune.jsonl")

# %%
# Tune on the data of the first months, then on all of it, cold and warm
search = GPBayesSearchCV(SVC(), space, n_iter=12, cv=3, random_state=0)
search.fit(X[:400], y[:400])

cold = GPBayesSearchCV(
    SVC(), space, n_iter=12, cv=3, random_state=1, checkpoint=journal
).fit(X, y)
search.set_params(warm_start=True, random_state=1).fit(X, y)
print(f"rank correlation of old and new scores: {search.prior_rank_correlation_:.2f}")

# %%
# The cold search kept a journal: fitting it again fits nothing
again = clone(cold).fit(X, y)
print("rows read back from the journal:", again.n_resumed_)
assert again.cv_results_["params"] == cold.cv_results_["params"]

# %%
# The best score so far, cold and warm
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, s in (("cold", cold), ("warm start", search)):
    scores = np.maximum.accumulate(s.cv_results_["mean_test_score"])
    ax.plot(np.arange(1, len(scores) + 1), scores, marker="o", label=name)
ax.set_xlabel("candidates evaluated on the new data")
ax.set_ylabel("best CV accuracy so far")
ax.legend()
fig.tight_layout()
plt.show()
