"""Plot axes on a parameter's own scale: the scale of its distribution.

- :class:`~sk_hpsearch.LogUniform`: the value on a log axis.
- :class:`~sk_hpsearch.OneMinusLogUniform`: the value on a ``log10(1 - beta)``
  axis whose ticks are labelled in ``beta`` (0.9, 0.99, 0.999).
- any other distribution (a scipy law): its CDF, the cube coordinate, with
  ticks labelled by the values at the quartiles.
- a list: one band per value, in the list's order (sorted for numbers).

Only :func:`set_scale` touches matplotlib (through the Axes it is given).
"""

from __future__ import annotations

import math

import numpy as np

from sk_hpsearch.inspection._results import Column
from sk_hpsearch.space._distributions import LogUniform, OneMinusLogUniform

__all__ = ["kind", "set_scale", "to_axis", "value_to_axis"]

_QUARTILES = np.array([0.0, 0.25, 0.5, 0.75, 1.0])


def kind(column: Column) -> str:
    """``"log"``, ``"one_minus_log"``, ``"bands"`` or ``"cdf"``."""
    if column.categorical:
        return "bands"
    dist = getattr(column.dim, "dist", None)
    if isinstance(dist, OneMinusLogUniform):
        return "one_minus_log"
    if isinstance(dist, LogUniform):
        return "log"
    return "cdf"


def to_axis(column: Column, u: np.ndarray) -> np.ndarray:
    """Plot coordinates of cube coordinates ``u`` (n,) of ``column``."""
    u = np.asarray(u, dtype=float)
    scale = kind(column)
    if scale == "bands":
        m = column.dim.n_values
        return np.clip(np.floor(u * m), 0, m - 1)
    if scale == "cdf":
        return u
    return np.asarray(column.dim.decode(u), dtype=float)


def value_to_axis(column: Column, value) -> float:
    """Plot coordinate of one value in the user's units (a region's bound)."""
    scale = kind(column)
    if scale == "bands":
        return float(column.dim.index(value))
    if scale == "cdf":
        return float(column.dim.encode([value])[0])
    return float(value)


def _one_minus_log(beta):
    return -np.log10(np.clip(1.0 - np.asarray(beta, dtype=float), 1e-300, None))


def _one_minus_log_inverse(t):
    return 1.0 - 10.0 ** (-np.asarray(t, dtype=float))


def _beta_ticks(low: float, high: float) -> list[float]:
    """``1 - 10^-k`` inside ``[low, high]``, with the bounds when few."""
    first, last = (
        math.ceil(_one_minus_log(low) - 1e-9),
        math.floor(_one_minus_log(high) + 1e-9),
    )
    ticks = [float(_one_minus_log_inverse(k)) for k in range(first, last + 1)]
    if len(ticks) < 2:
        ticks = sorted({low, *ticks, high})
    return ticks


def set_scale(ax, column: Column, axis: str = "x") -> None:
    """Give ``ax``'s ``axis`` ("x" or "y") the scale of ``column``'s distribution.

    Parameters
    ----------
    ax : matplotlib Axes
    column : Column
    axis : {"x", "y"}, default="x"
    """
    set_scale_of = getattr(ax, f"set_{axis}scale")
    set_lim = getattr(ax, f"set_{axis}lim")
    set_ticks = getattr(ax, f"set_{axis}ticks")
    set_label = getattr(ax, f"set_{axis}label")
    scale = kind(column)
    name = column.label
    if scale == "log":
        set_scale_of("log")
        set_lim(*column.dim.dist.support())
        set_label(name)
    elif scale == "one_minus_log":
        low, high = column.dim.dist.support()
        set_scale_of("function", functions=(_one_minus_log, _one_minus_log_inverse))
        ticks = _beta_ticks(low, high)
        set_ticks(ticks, [f"{t:.6g}" for t in ticks])
        set_lim(low, high)
        set_label(f"{name} (log(1 - {name}) scale)")
    elif scale == "bands":
        m = column.dim.n_values
        set_ticks(range(m), [str(v) for v in column.dim.values])
        set_lim(-0.5, m - 0.5)
        span = ax.axvspan if axis == "x" else ax.axhspan
        for i in range(0, m, 2):
            span(i - 0.5, i + 0.5, color="0.93", zorder=0)
        set_label(name)
    else:
        values = column.dim.decode(_QUARTILES)
        set_ticks(_QUARTILES, [f"{v:.3g}" for v in values])
        set_lim(0.0, 1.0)
        set_label(f"{name} (CDF scale)")
