"""Learning curves of the nets a search trains: recorded, then plotted.

A skorch net records one dict per epoch in ``net.history`` (``train_loss``,
``valid_loss``, ``valid_acc``, ...). After a search, the refitted best net is
at hand (``search.best_estimator_.history``). The candidates' nets are not:
scikit-learn fits them in joblib workers (other processes with the default
``loky`` backend, or other machines with Dask) and keeps only their scores.
A callback writing each history into a shared list would see only the fits of
its own process, so it is not reliable.

What travels back from every worker, on every backend, is a score. So
:func:`learning_curve_scorers` turns the history of each fitted net into
scores, one per (key, epoch): passed to a search as extra metrics, every
candidate's curve, averaged over the folds, lands in ``cv_results_`` as
``mean_test_<key>@<epoch>``. :func:`plot_learning_curves` draws histories,
nets, searches (the refitted best net, or the curves of the top candidates
from ``cv_results_``) and dicts of them.

matplotlib is imported only when a figure has to be created.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["history_scorer", "learning_curve_scorers", "plot_learning_curves"]

_CURVE_COLUMN = re.compile(r"^mean_test_(?P<key>.+)@(?P<epoch>\d+)$")
_LINESTYLES = ("-", "--", ":", "-.")


def _history_of(obj) -> list[Mapping]:
    """The list of per-epoch dicts of a history, a net, a pipeline or a search."""
    if hasattr(obj, "best_estimator_"):
        return _history_of(obj.best_estimator_)
    if hasattr(obj, "steps") and obj.steps:  # a Pipeline: its final step
        return _history_of(obj.steps[-1][1])
    history = getattr(obj, "history", None)
    if history is not None and not callable(history):
        return _history_of(history)
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        rows = list(obj)
        if all(isinstance(row, Mapping) for row in rows):
            return rows
    raise TypeError(
        "Expected a skorch History (a list of per-epoch dicts), a fitted net "
        "with a history, a Pipeline ending with one, or a fitted search with "
        f"best_estimator_; got {type(obj).__name__}."
    )


class _HistoryScorer:
    """``scorer(estimator, X, y)``: one entry of the fitted net's history."""

    def __init__(self, key: str, epoch: int = -1):
        self.key = key
        self.epoch = epoch

    def __call__(self, estimator, X=None, y=None) -> float:
        rows = _history_of(estimator)
        if not rows:
            return math.nan
        if self.epoch == -1:
            row = rows[-1]
        else:  # epochs are 1-based; after early stopping, the last one counts
            row = rows[min(self.epoch, len(rows)) - 1]
        value = row.get(self.key, math.nan)
        return float(value) if value is not None else math.nan

    def __repr__(self) -> str:
        return f"history_scorer({self.key!r}, epoch={self.epoch!r})"


def history_scorer(key: str, epoch: int = -1):
    """A scorer that reads one entry of the fitted net's history.

    Parameters
    ----------
    key : str
        The history key, e.g. ``"valid_loss"``, ``"train_loss"``,
        ``"valid_acc"``, or ``"epoch"`` (the number of epochs trained, which
        tells where early stopping ended a fit).
    epoch : int, default=-1
        The 1-based epoch; ``-1`` is the last one. After early stopping, an
        epoch beyond the last gives the last one's value.

    Returns
    -------
    callable
        ``scorer(estimator, X, y) -> float`` (NaN where the key is missing),
        picklable, usable as a metric of ``scoring``.

    Examples
    --------
    >>> from sk_hpsearch.inspection._learning_curves import history_scorer
    >>> class Net:
    ...     history = [{"epoch": 1, "valid_loss": 0.9}, {"epoch": 2, "valid_loss": 0.5}]
    >>> history_scorer("valid_loss")(Net()), history_scorer("epoch")(Net())
    (0.5, 2.0)
    """
    if not isinstance(key, str):
        raise ValueError(f"key must be a str; got key={key!r}.")
    if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer):
        raise ValueError(f"epoch must be an int; got epoch={epoch!r}.")
    if epoch != -1 and epoch < 1:
        raise ValueError(f"epoch must be >= 1 or -1 (the last); got epoch={epoch!r}.")
    return _HistoryScorer(key, int(epoch))


def learning_curve_scorers(
    max_epochs: int, keys: Sequence[str] = ("train_loss", "valid_loss")
) -> dict:
    """Scorers that bring every candidate's learning curves into ``cv_results_``.

    Parameters
    ----------
    max_epochs : int
        Record epochs ``1 .. max_epochs``.
    keys : sequence of str, default=("train_loss", "valid_loss")
        The history keys to record.

    Returns
    -------
    dict of str to callable
        ``{"<key>@<epoch>": scorer}``. Merge it with the metric to optimise
        and name that one with ``refit``::

            scoring={"accuracy": "accuracy", **learning_curve_scorers(10)}
            search = GPBayesSearchCV(net, space, scoring=scoring, refit="accuracy")

        ``cv_results_["mean_test_valid_loss@3"]`` is then each candidate's
        validation loss after 3 epochs, averaged over the folds (their
        ``rank_test_*`` columns rank losses as if higher were better: ignore
        them). Plot them with ``plot_learning_curves(search, candidates=5)``.

    Examples
    --------
    >>> from sk_hpsearch.inspection._learning_curves import learning_curve_scorers
    >>> sorted(learning_curve_scorers(2, keys=["valid_loss"]))
    ['valid_loss@1', 'valid_loss@2']
    """
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int | np.integer):
        raise ValueError(f"max_epochs must be an int; got max_epochs={max_epochs!r}.")
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be >= 1; got max_epochs={max_epochs!r}.")
    if isinstance(keys, str):
        raise ValueError(f"keys must be a sequence of str; got keys={keys!r}.")
    return {
        f"{key}@{epoch}": history_scorer(key, epoch)
        for key in keys
        for epoch in range(1, int(max_epochs) + 1)
    }


def _curves_of_history(rows: list[Mapping], keys) -> dict[str, tuple]:
    """``{key: (epochs, values)}`` for the keys present in some epoch."""
    epochs = np.array([row.get("epoch", i + 1) for i, row in enumerate(rows)])
    out = {}
    for key in keys:
        if any(key in row for row in rows):
            values = [row.get(key, math.nan) for row in rows]
            out[key] = (epochs, np.array(values, dtype=float))
    return out


def _curves_of_candidates(search, keys, n: int) -> dict[str, dict[str, tuple]]:
    """``{label: {key: (epochs, values)}}`` of the ``n`` best candidates."""
    results = search.cv_results_
    columns: dict[str, list[tuple[int, str]]] = {}
    for name in results:
        match = _CURVE_COLUMN.match(name)
        if match and match["key"] in keys:
            columns.setdefault(match["key"], []).append((int(match["epoch"]), name))
    if not columns:
        raise ValueError(
            "cv_results_ holds no learning curves of the keys "
            f"{list(keys)!r}: pass scoring={{..., **learning_curve_scorers("
            "max_epochs)}} to the search to record them."
        )
    refit = search.refit if isinstance(search.refit, str) else "score"
    rank = np.asarray(results[f"rank_test_{refit}"])
    order = np.argsort(rank, kind="stable")[: int(n)]
    trained = _epochs_budget(search)
    out = {}
    for i in order:
        budget = "" if trained is None else f", budget {trained[i]:g}"
        label = f"rank {int(rank[i])} (#{int(i)}{budget})"
        curves = {}
        for key, found in columns.items():
            found.sort()
            epochs = np.array([epoch for epoch, _ in found])
            values = np.array([results[name][i] for _, name in found], dtype=float)
            if trained is not None:  # later columns repeat the last epoch
                kept = epochs <= trained[i]
                epochs, values = epochs[kept], values[kept]
            curves[key] = (epochs, values)
        out[label] = curves
    return out


def _epochs_budget(search) -> np.ndarray | None:
    """Epochs each row of ``cv_results_`` trained, when the budget is epochs.

    With ``resource="max_epochs"`` (or ``"<step>__max_epochs"``), a row's fit
    stopped at its ``n_resources``; its curve columns beyond that only repeat
    the last epoch, so they are not drawn.
    """
    resource = getattr(search, "resource", None)
    if not isinstance(resource, str) or resource.split("__")[-1] != "max_epochs":
        return None
    budgets = search.cv_results_.get("n_resources")
    return None if budgets is None else np.asarray(budgets, dtype=float)


def _collect(obj, keys, candidates) -> dict[str, dict[str, tuple]]:
    """``{label: {key: (epochs, values)}}`` of everything ``obj`` holds."""
    if isinstance(obj, Mapping):
        out = {}
        for label, item in obj.items():
            for sub, curves in _collect(item, keys, candidates).items():
                out[f"{label}" if sub == "" else f"{label} {sub}"] = curves
        return out
    if candidates is not None and hasattr(obj, "cv_results_"):
        return _curves_of_candidates(obj, keys, candidates)
    return {"": _curves_of_history(_history_of(obj), keys)}


def plot_learning_curves(
    history_or_search,
    ax=None,
    keys: Sequence[str] = ("train_loss", "valid_loss"),
    *,
    candidates: int | None = None,
):
    """Plot per-epoch curves: of a net, of a search's best net or candidates.

    Parameters
    ----------
    history_or_search : History, net, Pipeline, search or dict
        What to plot:

        - a skorch ``History`` (or any list of per-epoch dicts), a fitted net
          (its ``history``) or a ``Pipeline`` ending with one;
        - a fitted search: the history of its refitted ``best_estimator_``
          or, with ``candidates``, the curves of its best candidates;
        - a dict of label to any of these, drawn together.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` creates a new figure.
    keys : sequence of str, default=("train_loss", "valid_loss")
        The history keys to draw (one line style each; one colour per
        history). Keys found in no epoch are left out.
    candidates : int, default=None
        For a search: draw the fold-averaged curves of its ``candidates``
        best candidates (by rank of the refit metric), recorded in
        ``cv_results_`` by :func:`learning_curve_scorers`. With a
        ``max_epochs`` budget, each row of ``cv_results_`` is one budget of a
        candidate: its curve stops at that budget and its label names it.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with one line per (history, key), labelled ``key`` or
        ``"<label> key"``.

    Raises
    ------
    ValueError
        If none of ``keys`` is found, or ``candidates`` is asked of a search
        that did not record learning curves.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sk_hpsearch.inspection._learning_curves import plot_learning_curves
    >>> history = [{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.1},
    ...            {"epoch": 2, "train_loss": 0.6, "valid_loss": 0.8}]
    >>> ax = plot_learning_curves(history)
    >>> [line.get_label() for line in ax.get_lines()]
    ['train_loss', 'valid_loss']
    """
    if isinstance(keys, str):
        keys = (keys,)
    keys = tuple(keys)
    if candidates is not None and (
        isinstance(candidates, bool) or int(candidates) != candidates or candidates < 1
    ):
        raise ValueError(
            f"candidates must be None or an int >= 1; got candidates={candidates!r}."
        )
    collected = _collect(history_or_search, keys, candidates)
    drawn = [
        (label, key, curves[key])
        for label, curves in collected.items()
        for key in keys
        if key in curves
    ]
    if not drawn:
        available = sorted(
            {k for curves in collected.values() for k in curves}
            | _available_keys(history_or_search)
        )
        raise ValueError(
            f"None of keys={list(keys)!r} was recorded; available keys: {available!r}."
        )
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    colours = {label: f"C{i % 10}" for i, label in enumerate(collected)}
    for label, key, (epochs, values) in drawn:
        ax.plot(
            epochs,
            values,
            color=colours[label],
            linestyle=_LINESTYLES[keys.index(key) % len(_LINESTYLES)],
            marker="o" if len(epochs) == 1 else None,
            label=f"{label} {key}" if label else key,
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" if all("loss" in k for _, k, _ in drawn) else "value")
    ax.legend()
    return ax


def _available_keys(obj) -> set[str]:
    """Every key of every epoch of ``obj`` (for error messages)."""
    try:
        items = obj.values() if isinstance(obj, Mapping) else [obj]
        return {k for item in items for row in _history_of(item) for k in row}
    except (TypeError, AttributeError):
        return set()
