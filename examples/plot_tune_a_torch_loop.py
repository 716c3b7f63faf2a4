"""
Tune a hand-written PyTorch training loop (ask/tell)
====================================================

Not every model is a scikit-learn estimator: here a plain PyTorch loop trains
a small network on the digits with SGD and momentum, and
:class:`~sk_hpsearch.BayesianOptimizer` tunes it, the way the ``bayes_opt``
package tunes any Python function. The learning rate is
:class:`~sk_hpsearch.LogUniform` (each decade gets the same share of the
trials) and the momentum :class:`~sk_hpsearch.OneMinusLogUniform` (as many
trials between 0.9 and 0.99 as between 0.99 and 0.999).

``maximize`` runs the whole search; ``ask``/``tell`` hand the loop to you,
for instance to evaluate a batch on several GPUs at once.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sk_hpsearch import BayesianOptimizer, LogUniform, OneMinusLogUniform

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    torch.tensor(X / 16, dtype=torch.float32),
    torch.tensor(y),
    test_size=0.3,
    random_state=0,
)


def train_and_score(lr, momentum, hidden_units, epochs=3):
    """Train a one-hidden-layer network; return its validation accuracy."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, hidden_units),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden_units, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(
                model(X_train[batch]), y_train[batch]
            )
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        accuracy = (model(X_val).argmax(dim=1) == y_val).float().mean()
    return float(accuracy) if torch.isfinite(loss) else float("nan")  # diverged


space = {
    "lr": LogUniform(1e-4, 1.0),
    "momentum": OneMinusLogUniform(0.5, 0.999),
    "hidden_units": LogUniform(8, 256, integer=True),
}

# %%
# One call: ``maximize``
# ----------------------
# Twelve evaluations: a space-filling design, then the Gaussian process.
optimizer = BayesianOptimizer(space, n_iter=12, random_state=0, verbose=1)
optimizer.maximize(train_and_score)
print(f"best accuracy {optimizer.best_score_:.3f} with {optimizer.best_params_}")

# %%
# Your own loop: ``ask`` and ``tell``
# -----------------------------------
# Four more candidates, asked two at a time (say, one per GPU), each batch
# told back when it is done. Candidates asked and not yet told are never
# proposed twice.
for _ in range(2):
    batch = optimizer.ask(2)
    optimizer.tell(batch, [train_and_score(**params) for params in batch])
print(f"best accuracy {optimizer.best_score_:.3f} with {optimizer.best_params_}")

# %%
# Where the good learning rates lie
# ---------------------------------
# Accuracy against the learning rate on its own (log) scale, and the best
# accuracy after each evaluation.
results = optimizer.results_
lrs = np.array([p["lr"] for p in results["params"]])
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
left.scatter(lrs, results["score"], c=np.arange(len(lrs)), cmap="viridis")
left.set(xscale="log", xlabel="learning rate", ylabel="validation accuracy")
right.plot(np.arange(1, len(lrs) + 1), np.fmax.accumulate(results["score"]), "o-")
right.set(xlabel="evaluations", ylabel="best accuracy so far")
plt.show()
