"""Scale-aware distributions for hyperparameters.

A learning rate between 1e-4 and 1 should be sampled so that each decade
(1e-4..1e-3, ..., 0.1..1) gets the same share of the trials; a momentum
between 0.9 and 0.999 so that 0.9..0.99 gets as many as 0.99..0.999. These two
classes say so, and behave like frozen :mod:`scipy.stats` distributions where
scikit-learn looks (``rvs(size=None, random_state=None)``), so they also work
unchanged in :class:`~sklearn.model_selection.RandomizedSearchCV`.

Both expose vectorised ``cdf`` and ``ppf``: the search space maps every value to
the unit interval through ``cdf`` and back through ``ppf``, so "the right
scale" is a property of the distribution the user chose.

This module imports nothing from scikit-learn.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["LogUniform", "OneMinusLogUniform"]


def _check_random_state(random_state):
    """Return a numpy random generator for ``random_state`` (scipy's rules)."""
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, numbers.Integral):
        return np.random.RandomState(random_state)
    if isinstance(random_state, np.random.RandomState | np.random.Generator):
        return random_state
    raise ValueError(
        "random_state must be None, an int, a numpy RandomState or Generator; "
        f"got random_state={random_state!r}."
    )


def _check_bound(name: str, value, owner: str) -> float:
    """Validate one finite real bound and return it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{owner}: {name} must be a real number; got {name}={value!r}."
        )
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite; got {name}={value!r}.")
    return float(value)


def _as_output(values: np.ndarray, size, dtype) -> object:
    """Native Python scalar when ``size`` is None, else an array of ``dtype``."""
    if size is None:
        return dtype(values.reshape(-1)[0])
    return values.astype(dtype)


def _construct(cls, args: tuple, kwargs: dict):
    """Rebuild a distribution from its arguments (used by pickle)."""
    return cls(*args, **kwargs)


class _UnitIntervalDistribution:
    """Shared behaviour: inverse-CDF sampling, value semantics, immutability.

    Subclasses implement ``cdf``, ``ppf`` and ``_key``; ``rvs`` draws
    ``ppf(U)`` with ``U`` uniform on [0, 1).
    """

    __slots__ = ()

    def rvs(self, size=None, random_state=None):
        """Draw random values.

        Parameters
        ----------
        size : int or tuple of int, default=None
            Output shape. ``None`` returns one native Python scalar.
        random_state : int, RandomState, Generator or None, default=None
            Source of randomness; ``None`` uses numpy's global RandomState,
            as scipy does.

        Returns
        -------
        float, int or ndarray
            The draws.
        """
        rng = _check_random_state(random_state)
        u = np.asarray(rng.uniform(0.0, 1.0, size=1 if size is None else size))
        return _as_output(np.asarray(self.ppf(u)), size, self._dtype)

    def support(self) -> tuple:
        """Return the smallest and largest value that can be drawn.

        Returns
        -------
        low, high : float or int
            The bounds.
        """
        return self.low, self.high

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable.")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable.")

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._key))

    def __reduce__(self):
        return _construct, (type(self), self._args, self._kwargs)

    def __repr__(self) -> str:
        args = [repr(a) for a in self._args]
        args += [f"{k}={v!r}" for k, v in self._kwargs.items()]
        return f"{type(self).__name__}({', '.join(args)})"


class LogUniform(_UnitIntervalDistribution):
    """Log-uniform distribution: ``log10(x)`` is uniform on the log range.

    Use it for a hyperparameter whose effect spans orders of magnitude, such as
    a learning rate, a regularisation strength ``C`` or an SVM's ``gamma``:
    each decade gets the same share of the samples.

    Parameters
    ----------
    low : float
        Smallest value, > 0.
    high : float
        Largest value, > ``low``.
    integer : bool, default=False
        Draw integers. The support is then every integer in [low, high] (both
        must be integral), and each integer ``k`` has a probability
        proportional to the log-width of its rounding cell
        ``[k - 0.5, k + 0.5]``: the distribution is a log-uniform on
        ``[low - 0.5, high + 0.5]`` rounded to the nearest integer. Use it
        for hidden units or a number of trees.

    Attributes
    ----------
    low : float or int
        Smallest value.
    high : float or int
        Largest value.
    integer : bool
        Whether draws are integers.

    See Also
    --------
    OneMinusLogUniform : For a momentum or an exponential-average beta.
    scipy.stats.loguniform : The continuous case without integers.

    Examples
    --------
    >>> from sk_hpsearch import LogUniform
    >>> lr = LogUniform(1e-4, 1e-1)
    >>> value = lr.rvs(random_state=0)
    >>> 1e-4 <= value <= 1e-1, type(value).__name__
    (True, 'float')
    >>> LogUniform(16, 512, integer=True).rvs(size=3, random_state=0)
    array([106, 189, 128])
    """

    __slots__ = ("_hi", "_high", "_integer", "_lo", "_low")

    def __init__(self, low, high, *, integer: bool = False):
        owner = "LogUniform"
        lo = _check_bound("low", low, owner)
        hi = _check_bound("high", high, owner)
        if lo <= 0:
            raise ValueError(f"{owner}: low must be > 0; got low={low!r}.")
        if hi <= lo:
            raise ValueError(
                f"{owner}: high must be > low; got low={low!r}, high={high!r}."
            )
        if not isinstance(integer, bool | np.bool_):
            raise ValueError(f"{owner}: integer must be a bool; got {integer!r}.")
        if integer:
            for name, raw, value in (("low", low, lo), ("high", high, hi)):
                if value != math.floor(value):
                    raise ValueError(
                        f"{owner}: with integer=True, {name} must be integral; "
                        f"got {name}={raw!r}."
                    )
            lo, hi = int(lo), int(hi)
        set_ = object.__setattr__
        set_(self, "_low", lo)
        set_(self, "_high", hi)
        set_(self, "_integer", bool(integer))
        # Bounds, in natural log, of the continuous log-uniform behind the draws.
        edge = 0.5 if integer else 0.0
        set_(self, "_lo", math.log(lo - edge))
        set_(self, "_hi", math.log(hi + edge))

    low = property(lambda self: self._low, doc="Smallest value.")
    high = property(lambda self: self._high, doc="Largest value.")
    integer = property(lambda self: self._integer, doc="Whether draws are integers.")

    @property
    def _dtype(self):
        return int if self._integer else float

    @property
    def _args(self) -> tuple:
        return (self._low, self._high)

    @property
    def _kwargs(self) -> dict:
        return {"integer": True} if self._integer else {}

    @property
    def _key(self) -> tuple:
        return (self._low, self._high, self._integer)

    def _continuous_cdf(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            logx = np.log(np.where(x > 0, x, np.nan))
        u = (logx - self._lo) / (self._hi - self._lo)
        return np.where(x > 0, np.clip(u, 0.0, 1.0), 0.0)

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """Cumulative distribution function, vectorised.

        Parameters
        ----------
        x : array-like
            Values.

        Returns
        -------
        ndarray
            ``P(X <= x)``, in [0, 1].
        """
        x = np.asarray(x, dtype=float)
        if self._integer:
            x = np.floor(x) + 0.5
        return self._continuous_cdf(x)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Quantile function (inverse of ``cdf``), vectorised.

        Parameters
        ----------
        q : array-like
            Probabilities in [0, 1]; values outside give NaN.

        Returns
        -------
        ndarray
            The smallest value ``x`` with ``cdf(x) >= q``; integers (as an
            integer array) when ``integer=True``.
        """
        q = np.asarray(q, dtype=float)
        inside = (q >= 0) & (q <= 1)
        qc = np.clip(q, 0.0, 1.0)
        x = np.exp(self._lo + qc * (self._hi - self._lo))
        if not self._integer:
            x = np.clip(x, self._low, self._high)
            x = np.where(qc == 0, self._low, np.where(qc == 1, self._high, x))
            return np.where(inside, x, np.nan)
        k = np.clip(np.ceil(x - 0.5), self._low, self._high)
        # Round-off at a cell edge: step to the smallest k with cdf(k) >= q.
        k = np.where((k > self._low) & (self.cdf(k - 1) >= qc), k - 1, k)
        k = np.where((k < self._high) & (self.cdf(k) < qc), k + 1, k)
        if not inside.all():
            return np.where(inside, k, np.nan)
        return k.astype(np.int64)


class OneMinusLogUniform(_UnitIntervalDistribution):
    """Distribution of ``x`` where ``log10(1 - x)`` is uniform.

    Use it for a momentum term or an exponential-average ``beta``: its effect
    grows like ``1 / (1 - beta)``, so ``OneMinusLogUniform(0.9, 0.999)``
    spends as many samples on 0.99..0.999 as on 0.9..0.99.

    Parameters
    ----------
    low : float
        Smallest value, in [0, 1).
    high : float
        Largest value, in (low, 1).

    Attributes
    ----------
    low : float
        Smallest value.
    high : float
        Largest value.

    See Also
    --------
    LogUniform : For values spanning orders of magnitude.

    Examples
    --------
    >>> from sk_hpsearch import OneMinusLogUniform
    >>> beta = OneMinusLogUniform(0.9, 0.999)
    >>> draws = beta.rvs(size=10_000, random_state=0)
    >>> round(float((draws > 0.99).mean()), 1)
    0.5
    """

    __slots__ = ("_hi", "_high", "_lo", "_low")

    def __init__(self, low, high):
        owner = "OneMinusLogUniform"
        lo = _check_bound("low", low, owner)
        hi = _check_bound("high", high, owner)
        if not 0 <= lo < 1:
            raise ValueError(f"{owner}: low must be in [0, 1); got low={low!r}.")
        if not lo < hi < 1:
            raise ValueError(
                f"{owner}: high must be in (low, 1); got low={low!r}, high={high!r}."
            )
        set_ = object.__setattr__
        set_(self, "_low", lo)
        set_(self, "_high", hi)
        # Natural log of (1 - x) at the two ends: _lo > _hi.
        set_(self, "_lo", math.log1p(-lo))
        set_(self, "_hi", math.log1p(-hi))

    low = property(lambda self: self._low, doc="Smallest value.")
    high = property(lambda self: self._high, doc="Largest value.")
    _dtype = float

    @property
    def _args(self) -> tuple:
        return (self._low, self._high)

    @property
    def _kwargs(self) -> dict:
        return {}

    @property
    def _key(self) -> tuple:
        return (self._low, self._high)

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """Cumulative distribution function, vectorised.

        Parameters
        ----------
        x : array-like
            Values.

        Returns
        -------
        ndarray
            ``P(X <= x)``, in [0, 1].
        """
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            log1mx = np.log1p(-np.minimum(x, 1.0))
        u = (self._lo - log1mx) / (self._lo - self._hi)
        return np.where(x >= 1, 1.0, np.clip(u, 0.0, 1.0))

    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Quantile function (inverse of ``cdf``), vectorised.

        Parameters
        ----------
        q : array-like
            Probabilities in [0, 1]; values outside give NaN.

        Returns
        -------
        ndarray
            The value ``x`` with ``cdf(x) == q``.
        """
        q = np.asarray(q, dtype=float)
        qc = np.clip(q, 0.0, 1.0)
        x = -np.expm1(self._lo + qc * (self._hi - self._lo))
        x = np.clip(x, self._low, self._high)
        x = np.where(qc == 0, self._low, np.where(qc == 1, self._high, x))
        return np.where((q >= 0) & (q <= 1), x, np.nan)
