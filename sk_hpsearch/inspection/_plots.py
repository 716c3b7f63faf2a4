"""Plots of a fitted search, each parameter on its distribution's scale.

:func:`plot_convergence` (best score so far), :func:`plot_parameters` (scores
against each parameter, with the model's partial dependence),
:func:`plot_param_map` (two parameters, coarse-to-fine boxes),
:func:`plot_importances` (bars) and :func:`plot_search` (all of them).

matplotlib is imported only when a figure has to be created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.utils import check_random_state

from sk_hpsearch.inspection._anova import (
    activate,
    fit_surrogate,
    grid,
    main_effect,
    pair_effect,
    uniform_base,
)
from sk_hpsearch.inspection._importance import ParamImportances, param_importances
from sk_hpsearch.inspection._results import (
    Column,
    SearchRecord,
    metric_of,
    read_search,
)
from sk_hpsearch.inspection._scales import kind, set_scale, to_axis, value_to_axis

__all__ = [
    "plot_convergence",
    "plot_importances",
    "plot_param_map",
    "plot_parameters",
    "plot_search",
]

_N_BASE = 128  # uniform points averaged over for partial dependence
_N_CURVE = 40  # grid values of a partial-dependence curve
_N_MAP = 24  # grid values per axis of a partial-dependence map


def _new_axes(ax=None, **kwargs):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(**kwargs)[1]


def _generator(random_state) -> np.random.Generator:
    return np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))


def _searches(searches) -> dict:
    if isinstance(searches, Mapping):
        return dict(searches)
    if isinstance(searches, Sequence) and not isinstance(searches, str):
        return {f"{type(s).__name__} #{i}": s for i, s in enumerate(searches)}
    return {type(searches).__name__: searches}


def _full_budget(results) -> np.ndarray:
    n = len(results["params"])
    if "n_resources" not in results:
        return np.ones(n, dtype=bool)
    budgets = np.asarray(results["n_resources"], dtype=float)
    return budgets == budgets.max()


def plot_convergence(searches, ax=None, *, scoring=None):
    """Best score so far against the number of evaluations.

    Parameters
    ----------
    searches : fitted search, list or dict of them
        A dict's keys label the curves; several searches on one Axes compare
        them.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` creates a new figure.
    scoring : str, default=None
        The metric; ``None`` reads each search's refit metric.

    Returns
    -------
    matplotlib.axes.Axes
        One step line per search (labelled with its name) of the best score
        so far, its evaluations as faint dots, and, for a single search, the
        start of each coarse-to-fine round (``round``) or the end of the GP
        search's initial design (``step``) as dotted vertical lines. With
        budgets, only full-budget evaluations can be the best.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_hpsearch import CoarseToFineSearchCV, LogUniform, plot_convergence
    >>> X, y = load_iris(return_X_y=True)
    >>> space = {"C": LogUniform(1e-4, 1e2)}
    >>> search = CoarseToFineSearchCV(LogisticRegression(), space, n_iter=6,
    ...                               n_rounds=2, cv=3, random_state=0)
    >>> ax = plot_convergence(search.fit(X, y))
    >>> ax.get_xlabel()
    'evaluations'
    """
    named = _searches(searches)
    ax = _new_axes(ax)
    metrics = set()
    for i, (label, search) in enumerate(named.items()):
        metric = metric_of(search, scoring)
        metrics.add(metric)
        results = search.cv_results_
        scores = np.asarray(np.ma.filled(results[f"mean_test_{metric}"], np.nan), float)
        counted = np.where(_full_budget(results) & np.isfinite(scores), scores, -np.inf)
        best = np.maximum.accumulate(counted)
        best[np.isneginf(best)] = np.nan
        x = np.arange(1, len(scores) + 1)
        colour = f"C{i % 10}"
        ax.scatter(x, scores, s=10, color=colour, alpha=0.3)
        ax.step(x, best, where="post", color=colour, label=label)
        if len(named) == 1:
            _mark_phases(ax, results)
    ax.set_xlabel("evaluations")
    ax.set_ylabel(f"best {' / '.join(sorted(metrics))} so far")
    ax.legend()
    return ax


def _mark_phases(ax, results) -> None:
    """Dotted lines where a coarse-to-fine round or the GP's model starts."""
    if "round" in results:
        rounds = np.asarray(results["round"])
        for r in np.unique(rounds)[1:]:
            start = int(np.flatnonzero(rounds == r)[0]) + 0.5
            ax.axvline(start, color="0.5", linestyle=":", label=f"round {r}")
    elif "initial" in results:
        initial = np.asarray(results["initial"], dtype=bool)
        if initial.any() and not initial.all():
            end = int(np.flatnonzero(initial)[-1]) + 1.5
            ax.axvline(end, color="0.5", linestyle=":", label="GP model starts")


def _has_gp(search) -> bool:
    return "predicted_mean" in getattr(search, "cv_results_", {})


def _scatter(ax, record: SearchRecord, columns: Sequence[Column], rng, **kwargs):
    """Scatter the record's scores: on one column (y = score) or two (colour)."""
    xs = []
    for column in columns:
        coords = to_axis(column, record.X[:, column.index])
        if kind(column) == "bands":
            coords = coords + rng.uniform(-0.3, 0.3, size=len(coords))
        xs.append(coords)
    scores = record.scores
    failed = ~np.isfinite(scores)
    worst = np.nanmin(scores) if (~failed).any() else 0.0
    if len(columns) == 1:
        ax.scatter(xs[0][~failed], scores[~failed], s=16, color="C0", **kwargs)
        ax.scatter(xs[0][failed], np.full(failed.sum(), worst), marker="x", color="C3")
        best = np.nanargmax(scores) if (~failed).any() else None
        if best is not None:
            ax.scatter(xs[0][best], scores[best], marker="*", s=120, color="C1")
        return None
    points = ax.scatter(
        xs[0][~failed],
        xs[1][~failed],
        c=scores[~failed],
        s=24,
        edgecolors="k",
        linewidths=0.3,
        zorder=3,
        **kwargs,
    )
    ax.scatter(xs[0][failed], xs[1][failed], marker="x", color="C3", zorder=3)
    return points


def _resolve_columns(record: SearchRecord, params) -> list[Column]:
    if params is None:
        return list(record.columns)
    if isinstance(params, str):
        params = [params]
    return [record.column(p) for p in params]


def _partial_dependence(ax, surrogate, column: Column, base) -> None:
    """The model's main effect of ``column`` with a 95 % band."""
    values, _ = grid(column, _N_CURVE)
    effect = main_effect(surrogate, column, base, values)
    std = np.array(
        [
            surrogate.average(_fixed(base, column, v, surrogate.record))[1]
            for v in values
        ]
    )
    coords = to_axis(column, values)
    if kind(column) == "bands":
        for x, y, s in zip(coords, effect, std, strict=True):
            ax.fill_between(
                [x - 0.4, x + 0.4], y - 2 * s, y + 2 * s, color="C2", alpha=0.25
            )
            ax.plot([x - 0.4, x + 0.4], [y, y], color="C2", linewidth=2)
        ax.lines[-1].set_label("GP partial dependence")
        return
    ax.fill_between(coords, effect - 2 * std, effect + 2 * std, color="C2", alpha=0.25)
    ax.plot(coords, effect, color="C2", linewidth=2, label="GP partial dependence")


def _fixed(base, column: Column, value, record) -> np.ndarray:
    X = base.copy()
    X[:, column.index] = value
    return activate(record, X)


def plot_parameters(
    search,
    params=None,
    *,
    ax=None,
    partial_dependence="auto",
    param_distributions=None,
    scoring=None,
    n_resources="auto",
    random_state=0,
):
    """Scores against each parameter, on its distribution's scale.

    Parameters
    ----------
    search : fitted search
        Any search :func:`param_importances` reads.
    params : str or list of str, default=None
        The parameters to draw, one panel each; default all.
    ax : array-like of matplotlib Axes, default=None
        One Axes per parameter; ``None`` creates a figure of panels.
    partial_dependence : bool or "auto", default="auto"
        Draw a Gaussian process's partial dependence (its prediction
        averaged over the other parameters, uniformly over their priors)
        with a band of two posterior standard deviations. ``"auto"`` draws
        it for a search that has a GP (:class:`~sk_hpsearch.GPBayesSearchCV`).
    param_distributions, scoring, n_resources
        As in :func:`param_importances`.
    random_state : int, RandomState instance or None, default=0
        Seeds the model, its averaging points and the jitter of bands.

    Returns
    -------
    ndarray of matplotlib Axes
        One per parameter. The x axis is a log axis for a ``LogUniform``, a
        ``log10(1 - beta)`` axis labelled in ``beta`` for a
        ``OneMinusLogUniform``, the CDF for another distribution (ticks at
        the quartiles) and bands for a list. Failed candidates are red
        crosses at the worst score, the best a star.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_hpsearch import CoarseToFineSearchCV, LogUniform, plot_parameters
    >>> X, y = load_iris(return_X_y=True)
    >>> space = {"C": LogUniform(1e-4, 1e2)}
    >>> search = CoarseToFineSearchCV(LogisticRegression(), space, n_iter=6,
    ...                               n_rounds=2, cv=3, random_state=0)
    >>> (ax,) = plot_parameters(search.fit(X, y))
    >>> ax.get_xscale()
    'log'
    """
    record = read_search(
        search,
        param_distributions=param_distributions,
        scoring=scoring,
        n_resources=n_resources,
    )
    columns = _resolve_columns(record, params)
    if ax is None:
        import matplotlib.pyplot as plt

        ncols = min(3, len(columns))
        nrows = -(-len(columns) // ncols)
        fig, grid_axes = plt.subplots(
            nrows, ncols, figsize=(4 * ncols, 3.2 * nrows), squeeze=False
        )
        axes = grid_axes.ravel()
        for extra in axes[len(columns) :]:
            fig.delaxes(extra)
        axes = axes[: len(columns)]
    else:
        axes = np.ravel(np.asarray(ax, dtype=object))
        if len(axes) < len(columns):
            raise ValueError(f"ax has {len(axes)} Axes for {len(columns)} parameters.")
    rng = _generator(random_state)
    draw_pd = (
        _has_gp(search) if partial_dependence == "auto" else bool(partial_dependence)
    )
    surrogate = base = None
    if draw_pd:
        surrogate = fit_surrogate(record, rng=rng)
        base = uniform_base(record, _N_BASE, rng)
    for axis, column in zip(axes, columns, strict=False):
        _scatter(axis, record, [column], rng)
        if surrogate is not None:
            _partial_dependence(axis, surrogate, column, base)
        set_scale(axis, column)
        axis.set_ylabel(record.metric)
    return np.asarray(axes, dtype=object)


def _region_box(region, first: Column, second: Column):
    """``(x0, x1, y0, y1)`` of a round's region on the plot's axes, or None."""
    params = region["params"]
    if not isinstance(params, Mapping):  # a list of dicts: the columns' own dict
        if first.subspace != second.subspace or first.subspace is None:
            return None
        params = params[first.subspace]
    bounds = []
    for column in (first, second):
        bound = params.get(column.dim.name)
        if bound is None:
            return None
        if isinstance(bound, Mapping):  # categories kept with their weights
            kept = [column.dim.index(v) for v, w in bound.items() if w > 0]
            bounds.append((min(kept) - 0.45, max(kept) + 0.45))
        else:
            bounds.append(tuple(value_to_axis(column, v) for v in bound))
    return (*bounds[0], *bounds[1])


def plot_param_map(
    search,
    params=None,
    *,
    ax=None,
    partial_dependence="auto",
    param_distributions=None,
    scoring=None,
    n_resources="auto",
    random_state=0,
):
    """Two parameters against each other, coloured by score.

    Parameters
    ----------
    search : fitted search
        Any search :func:`param_importances` reads.
    params : pair of str, default=None
        The parameters of the x and y axes; default the two most important
        (:func:`param_importances`).
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` creates a new figure.
    partial_dependence : bool or "auto", default="auto"
        Shade the background with a Gaussian process's prediction averaged
        over the other parameters; ``"auto"``: for a search with a GP.
    param_distributions, scoring, n_resources
        As in :func:`param_importances`.
    random_state : int, RandomState instance or None, default=0
        Seeds the model, its averaging points and the jitter of bands.

    Returns
    -------
    matplotlib.axes.Axes
        Both axes on their distributions' scales (see
        :func:`plot_parameters`), a colour bar of the score, and for a
        :class:`~sk_hpsearch.CoarseToFineSearchCV` the region of each round
        (``regions_``) as a box labelled ``round r``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_hpsearch import CoarseToFineSearchCV, LogUniform, plot_param_map
    >>> X, y = load_iris(return_X_y=True)
    >>> space = {"C": LogUniform(1e-4, 1e2), "tol": LogUniform(1e-5, 1e-1)}
    >>> search = CoarseToFineSearchCV(LogisticRegression(), space, n_iter=8,
    ...                               n_rounds=2, cv=3, random_state=0)
    >>> ax = plot_param_map(search.fit(X, y), params=("C", "tol"))
    >>> [p.get_label() for p in ax.patches]
    ['round 1', 'round 2']
    """
    record = read_search(
        search,
        param_distributions=param_distributions,
        scoring=scoring,
        n_resources=n_resources,
    )
    if params is None:
        if len(record.columns) < 2:
            raise ValueError("plot_param_map needs a search of at least 2 parameters.")
        ranked = param_importances(
            search,
            param_distributions=param_distributions,
            scoring=scoring,
            n_resources=n_resources,
            n_bootstrap=0,
            random_state=random_state,
        )
        params = ranked.names[:2]
    if isinstance(params, str) or len(params) != 2:
        raise ValueError(f"params must be a pair of names; got params={params!r}.")
    first, second = (record.column(p) for p in params)
    ax = _new_axes(ax)
    rng = _generator(random_state)
    draw_pd = (
        _has_gp(search) if partial_dependence == "auto" else bool(partial_dependence)
    )
    if draw_pd:
        surrogate = fit_surrogate(record, rng=rng)
        base = uniform_base(record, _N_BASE, rng)
        (a, _), (b, _) = grid(first, _N_MAP), grid(second, _N_MAP)
        surface = pair_effect(surrogate, first, second, base, (a, b))
        ax.pcolormesh(
            to_axis(first, a),
            to_axis(second, b),
            surface.T,
            shading="nearest",
            cmap="viridis",
            alpha=0.45,
            zorder=0,
        )
    points = _scatter(ax, record, [first, second], rng, cmap="viridis")
    if points is not None:
        ax.figure.colorbar(points, ax=ax, label=record.metric)
    boxes = 0
    for r, region in enumerate(getattr(search, "regions_", None) or []):
        box = _region_box(region, first, second)
        if box is None:
            continue
        boxes += 1
        from matplotlib.patches import Rectangle

        x0, x1, y0, y1 = box
        ax.add_patch(
            Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                fill=False,
                linewidth=1.5,
                edgecolor=f"C{(r + 1) % 10}",
                label=f"round {region['round']}",
            )
        )
    set_scale(ax, first, "x")
    set_scale(ax, second, "y")
    if boxes:
        ax.legend(loc="best", fontsize="small")
    return ax


def plot_importances(importances, ax=None, **kwargs):
    """Parameter importances as bars with their bootstrap uncertainty.

    Parameters
    ----------
    importances : ParamImportances or fitted search
        A result of :func:`param_importances`, or a search to compute it of.
    ax : matplotlib Axes, default=None
        Where to draw; ``None`` creates a new figure.
    **kwargs
        Passed to :func:`param_importances` when given a search.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars, most important on top, with error bars of one
        bootstrap standard deviation, and a last hatched bar for the
        interaction of the top pair (``"a x b"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sk_hpsearch import plot_importances
    >>> from sk_hpsearch.inspection._importance import ParamImportances
    >>> result = ParamImportances(
    ...     ["lr", "eps"], np.array([0.9, 0.05]), np.array([0.02, 0.01]),
    ...     np.zeros((2, 0)), ("lr", "eps"), 0.01, 0.005, 1.0, "score", 50, 0, None)
    >>> ax = plot_importances(result)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['lr', 'eps', 'lr x eps']
    """
    if not isinstance(importances, ParamImportances):
        importances = param_importances(importances, **kwargs)
    ax = _new_axes(ax)
    names = [*importances.names, " x ".join(importances.interaction_pair)]
    values = np.r_[importances.importances, importances.interaction]
    errors = np.r_[importances.importances_std, importances.interaction_std]
    y = np.arange(len(names))
    bars = ax.barh(y, values, xerr=errors, color="C0", capsize=3)
    bars[-1].set_hatch("//")
    bars[-1].set_facecolor("white")
    bars[-1].set_edgecolor("C0")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.0, float(np.max(values + errors))))
    ax.set_xlabel(f"share of the variance of {importances.metric}")
    return ax


def plot_search(search, *, figure=None, random_state=0, **kwargs):
    """One figure that reads a search: convergence, importances, map, parameters.

    Parameters
    ----------
    search : fitted search
        Any search :func:`param_importances` reads.
    figure : matplotlib Figure, default=None
        Where to draw; ``None`` creates one.
    random_state : int, RandomState instance or None, default=0
        Seeds the models and the bootstrap.
    **kwargs
        ``param_distributions``, ``scoring``, ``n_resources`` as in
        :func:`param_importances`.

    Returns
    -------
    dict of str to Axes
        ``"convergence"``, ``"importances"``, ``"map"`` (absent for a single
        parameter) and ``"parameters"`` (an array: the four most important).
    """
    import matplotlib.pyplot as plt

    figure = figure if figure is not None else plt.figure(figsize=(14, 8.5))
    ranked = param_importances(search, random_state=random_state, **kwargs)
    top = ranked.names[:4]
    layout = figure.add_gridspec(2, max(3, len(top)))
    out = {
        "convergence": figure.add_subplot(layout[0, 0]),
        "importances": figure.add_subplot(layout[0, 1]),
    }
    plot_convergence(search, ax=out["convergence"], scoring=kwargs.get("scoring"))
    plot_importances(ranked, ax=out["importances"])
    if len(ranked.names) > 1:
        out["map"] = figure.add_subplot(layout[0, 2])
        plot_param_map(
            search, top[:2], ax=out["map"], random_state=random_state, **kwargs
        )
    panels = [figure.add_subplot(layout[1, i]) for i in range(len(top))]
    out["parameters"] = plot_parameters(
        search, top, ax=panels, random_state=random_state, **kwargs
    )
    figure.tight_layout()
    return out
