"""A library-neutral description of a hyperparameter search space.

Every benchmark problem declares its space once as a tuple of :class:`Param`;
:mod:`benchmarks.methods` translates it into each library's best native form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["float", "int", "categorical"]
Scale = Literal["linear", "log", "one_minus_log"]


@dataclass(frozen=True)
class Param:
    """One hyperparameter of a search space.

    Parameters
    ----------
    name : str
        The estimator parameter name (``set_params`` key).
    kind : {"float", "int", "categorical"}
        The type of values.
    low, high : float, default=None
        Inclusive bounds of numeric parameters.
    scale : {"linear", "log", "one_minus_log"}, default="linear"
        The scale on which the parameter matters: ``"log"`` means log10(x) is
        the natural coordinate, ``"one_minus_log"`` means log10(1 - x) is (a
        momentum-like parameter close to 1).
    choices : tuple, default=()
        The values of a categorical parameter.
    """

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    scale: Scale = "linear"
    choices: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind == "categorical":
            if not self.choices:
                raise ValueError(f"categorical {self.name!r} needs choices")
            return
        if self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"bad bounds for {self.name!r}: {self.low}, {self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"log-scale {self.name!r} needs low > 0")
        if self.scale == "one_minus_log" and (self.kind != "float" or self.high >= 1):
            raise ValueError(f"one_minus_log {self.name!r} needs floats below 1")


def floats(name: str, low: float, high: float, scale: Scale = "linear") -> Param:
    """Return a float :class:`Param`.

    Parameters
    ----------
    name : str
        Parameter name.
    low, high : float
        Inclusive bounds.
    scale : {"linear", "log", "one_minus_log"}, default="linear"
        Natural scale of the parameter.

    Returns
    -------
    Param
        The parameter description.
    """
    return Param(name, "float", low, high, scale)


def ints(name: str, low: int, high: int, scale: Scale = "linear") -> Param:
    """Return an integer :class:`Param` with inclusive bounds.

    Parameters
    ----------
    name : str
        Parameter name.
    low, high : int
        Inclusive bounds.
    scale : {"linear", "log"}, default="linear"
        Natural scale of the parameter.

    Returns
    -------
    Param
        The parameter description.
    """
    return Param(name, "int", low, high, scale)


def categorical(name: str, choices: tuple[Any, ...]) -> Param:
    """Return a categorical :class:`Param`.

    Parameters
    ----------
    name : str
        Parameter name.
    choices : tuple
        The possible values.

    Returns
    -------
    Param
        The parameter description.
    """
    return Param(name, "categorical", choices=tuple(choices))
