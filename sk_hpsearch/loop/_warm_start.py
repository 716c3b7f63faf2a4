"""Warm starts: an earlier search's results as prior knowledge of a new one.

The earlier candidates come from a fitted search, its ``cv_results_`` or a
checkpoint journal. They are mapped into the new space (a parameter the
space no longer has is left out; one it gained takes the estimator's own
value; a value outside the new space drops the candidate, with a warning
that counts them) and handed to the strategy, which re-evaluates the best
of them first.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from sk_hpsearch.loop._journal import load_checkpoint
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import History

__all__ = ["Prior", "prior_from", "rank_agreement"]


@dataclass
class Prior:
    """Earlier candidates in the new space's cube, with their earlier scores.

    Attributes
    ----------
    X : ndarray of shape (n, D)
    scores : ndarray of shape (n,)
    n_dropped : int
        Earlier candidates that no longer fit the space.
    """

    X: np.ndarray
    scores: np.ndarray
    n_dropped: int


def _table(source) -> dict:
    if hasattr(source, "cv_results_"):
        return source.cv_results_
    if hasattr(source, "results_") and hasattr(source, "ask"):  # an optimiser
        return source.results_
    if hasattr(source, "get_params"):
        raise ValueError(
            "prior_results is an unfitted search (clone() unfits the searches "
            "among an estimator's parameters): pass its cv_results_ or a "
            f"checkpoint path instead; got prior_results={source!r}."
        )
    if isinstance(source, str | os.PathLike):
        return load_checkpoint(source)
    if isinstance(source, dict) and "params" in source:
        return source
    raise ValueError(
        "prior_results must be a fitted search or an optimiser, its results "
        "(a dict with 'params') or a checkpoint path; got "
        f"prior_results={source!r}."
    )


def prior_from(
    source, space: SearchSpace, score_key: str, defaults: dict
) -> Prior | None:
    """The earlier candidates of ``source`` that fit ``space``.

    Parameters
    ----------
    source : search, dict or path
        A fitted search, a ``cv_results_`` dict or a checkpoint journal.
    space : SearchSpace
        The new search's space.
    score_key : str
        The column of the optimised mean test score (``mean_test_score``).
    defaults : dict
        The estimator's parameters: the value of a parameter the space
        gained, for an earlier candidate that did not set it.

    Returns
    -------
    Prior or None
        None when ``source`` has no candidate.
    """
    table = _table(source)
    params = list(table["params"])
    if not params:
        return None
    if score_key not in table:
        candidates = [k for k in table if k.startswith("mean_test_") or k == "score"]
        if len(candidates) != 1:
            raise ValueError(
                f"prior_results has no {score_key!r} column to warm-start from; "
                f"it has {candidates!r}."
            )
        score_key = candidates[0]
    scores = np.asarray(table[score_key], dtype=float)
    rows = np.arange(len(params))
    if "n_resources" in table:  # budgets: the full-budget fits only
        budgets = np.asarray(table["n_resources"], dtype=float)
        rows = rows[budgets == budgets.max()]
    names = {d.name for dims in space.subspaces for d in dims}
    X, kept, n_dropped = [], [], 0
    for i in rows:
        p = {k: v for k, v in params[i].items() if k in names}
        for dims in space.subspaces:
            for dim in dims:
                if dim.name not in p and dim.name in defaults:
                    p.setdefault(dim.name, defaults[dim.name])
        try:
            x = space.encode([p])[0]
        except (ValueError, TypeError):
            try:  # a list of dicts: the gained defaults may not belong
                x = space.encode([{k: params[i][k] for k in params[i] if k in names}])[
                    0
                ]
            except (ValueError, TypeError):
                n_dropped += 1
                continue
        X.append(x)
        kept.append(scores[i])
    if n_dropped:
        warnings.warn(
            f"{n_dropped} of the {len(rows)} earlier candidates no longer fit "
            "param_distributions (a value outside a narrowed range, or a "
            "changed list) and are dropped from the warm start.",
            UserWarning,
            stacklevel=4,
        )
    if not X:
        return None
    X = space.snap(np.array(X))
    # one row per point: the latest evaluation wins
    latest = {key: j for j, key in enumerate(space.keys(X))}
    index = np.array(sorted(latest.values()))
    return Prior(X[index], np.asarray(kept, dtype=float)[index], n_dropped)


def rank_agreement(prior: Prior, history: History, space: SearchSpace):
    """Spearman correlation of earlier and new scores of re-evaluated candidates.

    Returns
    -------
    correlation : float
        NaN with fewer than 3 candidates scored (finitely) both times.
    n_pairs : int
    """
    new = {key: s for key, s in zip(space.keys(history.X), history.scores, strict=True)}
    pairs = [
        (old, new[key])
        for key, old in zip(space.keys(prior.X), prior.scores, strict=True)
        if key in new and np.isfinite(old) and np.isfinite(new[key])
    ]
    if len(pairs) < 3:
        return float("nan"), len(pairs)
    old, fresh = np.array(pairs).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: NaN
        return float(spearmanr(old, fresh).statistic), len(pairs)
