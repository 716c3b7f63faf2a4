"""A fitted search's ``cv_results_`` as points of the unit cube and scores.

Every inspection tool (importances, plots) reads a search through
:func:`read_search`: it works for sk_hpsearch's searches and for
scikit-learn's ``RandomizedSearchCV``, ``GridSearchCV`` and the halving
searches, given their distributions (``param_distributions``, or a
``param_grid`` whose lists become ordinal or categorical columns).

Notation
--------
n : number of rows of ``cv_results_`` kept (one budget level, see below).
D : number of columns of the joint cube (``SearchSpace``).
k : number of cross-validation splits.
X : (n, D) canonical cube points of the kept rows.
scores : (n,) mean test score of the chosen metric (NaN for a failed fit).
fold_scores : (n, k) its per-split values.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sk_hpsearch.space._space import SearchSpace, _CategoricalDimension, _Dimension

__all__ = ["Column", "SearchRecord", "metric_of", "read_search"]

MIN_ROWS = 10
"""With budgets, ``n_resources="auto"`` keeps the largest budget with at least
``max(MIN_ROWS, 2 (D + 1))`` rows."""


@dataclass(frozen=True)
class Column:
    """One column of the joint cube, as the inspection tools show it.

    Attributes
    ----------
    label : str
        The parameter name; ``"name [i]"`` when several dicts of a list share
        it; ``"subspace"`` for the indicator of a list of dicts.
    dim : _Dimension
        Its dimension (a categorical over the dict indices for the indicator).
    index : int
        Position in the cube.
    subspace : int or None
        The dict that owns it (None for the indicator).
    ordinal : bool
        A list of numbers (a grid, say): shown as bands in the list's order,
        modelled as ordered.
    """

    label: str
    dim: _Dimension
    index: int
    subspace: int | None
    ordinal: bool = False

    @property
    def categorical(self) -> bool:
        """Whether the column is drawn as bands (categories, ordinal lists)."""
        return bool(self.dim.categorical)


@dataclass(frozen=True)
class SearchRecord:
    """The rows of a search that the inspection tools read.

    Attributes
    ----------
    space : SearchSpace
    columns : list of Column
        One per cube column, in cube order.
    X : ndarray of shape (n, D)
    scores : ndarray of shape (n,)
    fold_scores : ndarray of shape (n, k)
    rows : ndarray of shape (n,)
        Row of ``cv_results_`` of each kept point.
    metric : str
        The metric read: ``mean_test_<metric>``.
    n_resources : float or None
        The budget level kept (None without budgets).
    """

    space: SearchSpace
    columns: list[Column]
    X: np.ndarray
    scores: np.ndarray
    fold_scores: np.ndarray
    rows: np.ndarray
    metric: str
    n_resources: float | None

    @property
    def is_model_categorical(self) -> np.ndarray:
        """Columns a surrogate compares by equality only (not the ordinal ones)."""
        return np.array([c.categorical and not c.ordinal for c in self.columns])

    def column(self, label: str) -> Column:
        """The column labelled ``label``.

        Raises
        ------
        ValueError
            If no column has that label.
        """
        for column in self.columns:
            if column.label == label:
                return column
        raise ValueError(
            f"Unknown parameter {label!r}; the search has "
            f"{[c.label for c in self.columns]!r}."
        )


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _ordered(distributions):
    """A copy where each list of numbers is sorted (its cells follow the values)."""
    if not isinstance(distributions, Mapping):
        return [_ordered(d) for d in distributions]
    out = {}
    for name, value in distributions.items():
        if isinstance(value, np.ndarray) and value.ndim == 1:
            value = value.tolist()
        if (
            isinstance(value, list | tuple)
            and value
            and all(_is_number(v) and math.isfinite(v) for v in value)
        ):
            value = sorted(value)
        out[name] = value
    return out


def _distributions(search, param_distributions):
    if param_distributions is not None:
        return param_distributions
    for attribute in ("param_distributions", "param_grid"):
        value = getattr(search, attribute, None)
        if value is not None:
            return value
    raise ValueError(
        f"{type(search).__name__} has neither param_distributions nor "
        "param_grid: pass param_distributions= (a dict or list of dicts of "
        "distributions or lists)."
    )


def _columns(space: SearchSpace) -> list[Column]:
    names = [dim.name for dims in space.subspaces for dim in dims]
    columns = []
    if space.n_subspaces > 1:
        indicator = _CategoricalDimension("subspace", list(range(space.n_subspaces)))
        columns.append(Column("subspace", indicator, 0, None))
    for k, dims in enumerate(space.subspaces):
        start = space.columns(k).start
        for j, dim in enumerate(dims):
            label = dim.name if names.count(dim.name) == 1 else f"{dim.name} [{k}]"
            ordinal = bool(dim.categorical) and all(_is_number(v) for v in dim.values)
            columns.append(Column(label, dim, start + j, k, ordinal))
    return columns


def metric_of(search, scoring: str | None) -> str:
    """The metric read: ``scoring``, else the refit metric, else the only one."""
    results = search.cv_results_
    if scoring is not None:
        if f"mean_test_{scoring}" not in results:
            found = sorted(
                m[len("mean_test_") :] for m in results if m.startswith("mean_test_")
            )
            raise ValueError(
                f"cv_results_ has no mean_test_{scoring}; got scoring={scoring!r}, "
                f"metrics: {found!r}."
            )
        return scoring
    refit = getattr(search, "refit", True)
    if isinstance(refit, str) and f"mean_test_{refit}" in results:
        return refit
    if "mean_test_score" in results:
        return "score"
    raise ValueError(
        "The search has several metrics and refit names none of them: pass "
        "scoring=<the metric's name>."
    )


def _budget_rows(results, n_resources, n_dims: int) -> tuple[np.ndarray, float | None]:
    """The rows of one budget level, and that level."""
    n = len(results["params"])
    if "n_resources" not in results:
        if n_resources not in (None, "auto", "max"):
            raise ValueError(
                f"The search has no budgets (no n_resources column); got "
                f"n_resources={n_resources!r}."
            )
        return np.arange(n), None
    budgets = np.asarray(results["n_resources"], dtype=float)
    levels = np.unique(budgets)
    if n_resources in (None, "auto"):
        need = min(n, max(MIN_ROWS, 2 * (n_dims + 1)))
        counts = np.array([np.sum(budgets == level) for level in levels])
        enough = levels[counts >= need]
        level = enough.max() if len(enough) else levels[np.argmax(counts)]
    elif n_resources == "max":
        level = levels.max()
    elif _is_number(n_resources) and float(n_resources) in levels:
        level = float(n_resources)
    else:
        raise ValueError(
            "n_resources must be 'auto', 'max' or one of the budgets "
            f"{levels.tolist()!r}; got n_resources={n_resources!r}."
        )
    return np.flatnonzero(budgets == level), float(level)


def read_search(
    search, *, param_distributions=None, scoring=None, n_resources="auto"
) -> SearchRecord:
    """Read a fitted search into cube points and scores.

    Parameters
    ----------
    search : fitted search
        Anything with ``cv_results_`` (and, unless ``param_distributions`` is
        given, ``param_distributions`` or ``param_grid``).
    param_distributions : dict or list of dict, default=None
        The distributions the candidates were drawn from.
    scoring : str, default=None
        The metric; ``None`` reads the refit metric (or the only one).
    n_resources : "auto", "max" or number, default="auto"
        With budgets (an ``n_resources`` column), the budget level to read:
        ``"auto"`` the largest with at least ``max(10, 2 (D + 1))`` rows (else
        the most populated), ``"max"`` the largest.

    Returns
    -------
    SearchRecord

    Raises
    ------
    ValueError
        If the search is not fitted, a candidate is not a point of the
        distributions, or an argument is invalid.
    """
    if not hasattr(search, "cv_results_"):
        raise ValueError(
            f"{type(search).__name__} is not fitted (no cv_results_): call fit first."
        )
    space = SearchSpace(_ordered(_distributions(search, param_distributions)))
    results = search.cv_results_
    metric = metric_of(search, scoring)
    rows, level = _budget_rows(results, n_resources, space.n_dims)
    params = [results["params"][i] for i in rows]
    try:
        X = space.encode(params)
    except ValueError as exc:
        raise ValueError(
            f"A candidate of cv_results_ is not a point of the distributions: "
            f"{exc} Pass the distributions the search sampled as "
            "param_distributions=."
        ) from exc
    scores = np.asarray(np.ma.filled(results[f"mean_test_{metric}"], np.nan), float)
    splits = sorted(
        int(name.split("_")[0][len("split") :])
        for name in results
        if name.startswith("split") and name.endswith(f"_test_{metric}")
    )
    folds = [
        np.asarray(np.ma.filled(results[f"split{s}_test_{metric}"], np.nan), float)
        for s in splits
    ]
    fold_scores = np.column_stack(folds)[rows] if folds else scores[rows, None]
    return SearchRecord(
        space=space,
        columns=_columns(space),
        X=X,
        scores=scores[rows],
        fold_scores=fold_scores,
        rows=rows,
        metric=metric,
        n_resources=level,
    )
