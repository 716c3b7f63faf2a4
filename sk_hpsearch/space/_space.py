"""``param_distributions`` <-> the unit cube.

Every entry of ``param_distributions`` becomes one coordinate of a unit cube
through the distribution's own CDF, and comes back through its quantile
function (``ppf``). The cube is therefore "the prior's CDF": uniform sampling
in the cube is sampling from the user's distributions, and a box in the cube
is a region on the scale the user chose (decades for a ``LogUniform``).

Notation
--------
n : number of points.
D : number of columns of the joint cube.
X : ndarray of shape (n, D), values in [0, 1].

Columns
-------
A dict is one *subspace*; a list of dicts is a list of subspaces, searched
jointly. With more than one subspace, column 0 is a categorical *indicator*
of the subspace, and each subspace owns its own block of columns after it.
Columns of the other subspaces are inactive and hold ``INACTIVE`` (0.5).

Discrete values (integers, categories) own a *cell* of their column: the
interval ``[cdf(k-1), cdf(k)]`` for an integer ``k``, ``[i/m, (i+1)/m]`` for
category ``i`` of ``m``. A point is *canonical* (``snap``) when every discrete
coordinate sits at the centre of its cell, so two points that decode to the
same parameters are equal arrays.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from sk_hpsearch.space._distributions import LogUniform

__all__ = ["SearchSpace"]

INACTIVE = 0.5
# Discrete columns with at most this many values list them in ``choices``.
MAX_CHOICES = 64
# Discrete supports up to this size have their values of positive mass counted.
_MAX_COUNTED = 100_000
# Open interval used where a quantile function is infinite at 0 or 1.
_EPS = 1e-12


class _Dimension(ABC):
    """One entry of one dict: encode, decode and snap a single column."""

    name: str
    categorical: bool = False
    discrete: bool = False
    n_values: float = math.inf

    @abstractmethod
    def encode(self, values: Sequence) -> np.ndarray:
        """Cube coordinates (cell centres for discrete values) of ``values``."""

    @abstractmethod
    def decode(self, u: np.ndarray) -> list:
        """Native Python values of the coordinates ``u``."""

    @abstractmethod
    def in_support(self, value) -> bool:
        """Whether ``value`` can be drawn from this dimension."""

    @property
    def n_distinct(self) -> float:
        """Number of distinct values (``inf`` for continuous dimensions)."""
        return self.n_values

    def snap(self, u: np.ndarray) -> np.ndarray:
        return self.encode(self.decode(u))

    def choices(self) -> np.ndarray | None:
        return None

    def describe(self, low: float, high: float, weights=None):
        values = self.decode(np.array([low, high]))
        return (values[0], values[1])


class _DistributionDimension(_Dimension):
    """A distribution with ``cdf``/``ppf``: ours or any frozen scipy one."""

    def __init__(self, name: str, dist):
        self.name = name
        self.dist = dist
        if isinstance(dist, LogUniform):
            self.discrete = dist.integer
        else:
            # A frozen scipy law keeps its generator in ``dist``; a law with
            # no shape parameters, e.g. ``rv_discrete(values=...)``, is one.
            self.discrete = isinstance(dist, stats.rv_discrete) or isinstance(
                getattr(dist, "dist", None), stats.rv_discrete
            )
        low, high = _support(dist)
        self._low, self._high = float(low), float(high)
        if self.discrete and math.isfinite(low) and math.isfinite(high):
            self.n_values = int(high - low + 1)
            if self.n_values <= _MAX_COUNTED:
                # Only the integers with a positive probability are candidates.
                values = np.arange(self._low, self._high + 1)
                mass = np.asarray(dist.cdf(values)) - np.asarray(dist.cdf(values - 1))
                self.n_values = int(np.count_nonzero(mass > 0))

    def has_integer_values(self) -> bool:
        """Whether the values are integers, as the integer cells assume.

        scipy also accepts ``rv_discrete(values=...)`` with any real values:
        all of those (``xk``) are checked; other laws at 65 quantiles away from
        the tails (a heavy tail's extreme quantiles are costly in scipy).
        """
        values = getattr(self.dist, "xk", None)
        if values is None:
            values = self._ppf(np.linspace(0.005, 0.995, 65))
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        return bool(np.all(values == np.floor(values)))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        x = np.asarray(self.dist.ppf(u), dtype=float)
        bad = ~np.isfinite(x)
        if bad.any():
            x[bad] = np.asarray(
                self.dist.ppf(np.clip(u[bad], _EPS, 1 - _EPS)), dtype=float
            )
        return x

    def encode(self, values: Sequence) -> np.ndarray:
        x = np.asarray(values, dtype=float)
        if not self.discrete:
            return np.asarray(self.dist.cdf(x), dtype=float)
        upper = np.asarray(self.dist.cdf(x), dtype=float)
        lower = np.asarray(self.dist.cdf(x - 1), dtype=float)
        return (lower + upper) / 2

    def decode(self, u: np.ndarray) -> list:
        u = np.asarray(u, dtype=float)
        if not self.discrete:
            return [float(v) for v in self._ppf(u)]
        # Strictly inside (0, 1]: ppf(0) of a scipy discrete law is low - 1.
        x = self._ppf(np.clip(u, _EPS, 1.0))
        return [int(v) for v in np.clip(x, self._low, self._high)]

    def snap(self, u: np.ndarray) -> np.ndarray:
        if not self.discrete:
            return np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        return self.encode(self.decode(u))

    def choices(self) -> np.ndarray | None:
        if not self.discrete or self.n_values > MAX_CHOICES:
            return None
        values = np.arange(self._low, self._high + 1)
        centres = self.encode(values)
        width = self.dist.cdf(values) - self.dist.cdf(values - 1)
        return np.unique(centres[width > 0])

    def in_support(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self.discrete and value != math.floor(value):
            return False
        return self._low <= value <= self._high


def _support(dist) -> tuple[float, float]:
    """``dist.support()``, or ``(ppf(0), ppf(1))`` for a law without it.

    scipy's frozen laws and ours have ``support``; any other object with
    ``rvs``, ``cdf`` and ``ppf`` (the documented protocol) need not.
    """
    if hasattr(dist, "support"):
        return dist.support()
    low, high = np.asarray(dist.ppf(np.array([0.0, 1.0])), dtype=float)
    return float(low), float(high)


class _CategoricalDimension(_Dimension):
    """A list of values, each owning an equal cell."""

    categorical = True
    discrete = True

    def __init__(self, name: str, values: Sequence):
        self.name = name
        self.values = list(values)
        self.n_values = len(self.values)
        # A value listed twice (to weight it) owns two cells; both decode and
        # snap to its first cell, so that equal values are one candidate.
        self._first = np.array([self.index(v) for v in self.values])

    @property
    def n_distinct(self) -> int:
        """Number of distinct values (a value listed twice counts once)."""
        return len(set(self._first.tolist()))

    def index(self, value) -> int:
        """Position of ``value`` in the list (identity first, then ``==``)."""
        for i, v in enumerate(self.values):
            if v is value:
                return i
        for i, v in enumerate(self.values):
            try:
                if bool(v == value) and type(v) is type(value):
                    return i
            except (TypeError, ValueError):
                continue
        for i, v in enumerate(self.values):
            try:
                if bool(v == value):
                    return i
            except (TypeError, ValueError):
                continue
        raise ValueError(f"{value!r} is not one of {self.values!r}")

    def _indices(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        return np.clip(np.floor(u * self.n_values), 0, self.n_values - 1).astype(int)

    def encode(self, values: Sequence) -> np.ndarray:
        idx = np.array([self.index(v) for v in values], dtype=float)
        return (idx + 0.5) / self.n_values

    def decode(self, u: np.ndarray) -> list:
        return [self.values[i] for i in self._first[self._indices(u)]]

    def snap(self, u: np.ndarray) -> np.ndarray:
        return (self._first[self._indices(u)] + 0.5) / self.n_values

    def choices(self) -> np.ndarray:
        return (np.arange(self.n_values) + 0.5) / self.n_values

    def in_support(self, value) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def describe(self, low: float, high: float, weights=None):
        if weights is None:
            weights = np.full(self.n_values, 1.0 / self.n_values)
        return {
            _label(v): float(w)
            for v, w in zip(self.values, weights, strict=True)
            if w > 0
        }


def _label(value) -> object:
    """A readable, hashable key for a categorical value in a description."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _constant_of_invalid_law(label: str, dist) -> list | None:
    """The one value ``dist.rvs`` draws when its cdf/ppf are undefined, else None.

    scipy's cdf and ppf reject a zero ``scale`` (its support and quantiles are
    NaN) while its ``rvs`` then draws ``loc`` every time, which is what
    ``RandomizedSearchCV`` searches: such a law becomes a one-value list. Any
    other law without a finite median is a ``ValueError`` naming ``label``.
    """
    with np.errstate(invalid="ignore"):
        low, high = _support(dist)
        median = float(np.asarray(dist.ppf(0.5), dtype=float))
    if not (math.isnan(low) or math.isnan(high) or math.isnan(median)):
        return None
    problem = f"{label} has an undefined quantile function (ppf(0.5) is nan)"
    try:
        draws = np.asarray(dist.rvs(size=8, random_state=0), dtype=float)
    except Exception as exc:
        raise ValueError(
            f"{problem} and cannot be sampled ({exc}); got {dist!r}. Check "
            "its parameters."
        ) from exc
    if not (np.all(np.isfinite(draws)) and np.all(draws == draws[0])):
        raise ValueError(
            f"{problem} but draws varying values, so it cannot be mapped to "
            f"the unit cube; got {dist!r}."
        )
    return [float(draws[0])]


def _make_dimension(where: str, name, value) -> _Dimension:
    """Validate one entry of ``param_distributions`` and wrap it."""
    if not isinstance(name, str):
        raise ValueError(
            f"param_distributions{where} keys must be parameter names (str); "
            f"got {name!r}."
        )
    if isinstance(value, str | bytes) or isinstance(value, Mapping):
        raise ValueError(
            f"param_distributions{where}[{name!r}] must be a distribution or a "
            f"list of values; got {value!r}."
        )
    if hasattr(value, "rvs"):
        if not (hasattr(value, "cdf") and hasattr(value, "ppf")):
            raise ValueError(
                f"param_distributions{where}[{name!r}] has rvs but no cdf/ppf, "
                f"so it cannot be mapped to the unit cube; got {value!r}. Use a "
                "frozen scipy.stats distribution or a list of values."
            )
        constant = _constant_of_invalid_law(
            f"param_distributions{where}[{name!r}]", value
        )
        if constant is not None:
            return _CategoricalDimension(name, constant)
        dimension = _DistributionDimension(name, value)
        if dimension.discrete and not dimension.has_integer_values():
            raise ValueError(
                f"param_distributions{where}[{name!r}] is a discrete "
                "distribution whose values are not all integers, which the "
                f"cube cannot encode; got {value!r}. Pass the values as a list "
                "(a categorical) instead."
            )
        return dimension
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if isinstance(value, list | tuple) and len(value) > 0:
        return _CategoricalDimension(name, value)
    raise ValueError(
        f"param_distributions{where}[{name!r}] must be a distribution with "
        f"rvs/cdf/ppf or a non-empty list of values; got {value!r}."
    )


class SearchSpace:
    """The joint unit cube of one or several ``param_distributions`` dicts.

    Parameters
    ----------
    param_distributions : dict or list of dict
        Parameter names mapped to a distribution (with ``cdf`` and ``ppf``)
        or a list of values (categorical). In a list, an empty dict is one
        candidate, the estimator's own parameters, as in
        ``RandomizedSearchCV``; some dict must be non-empty.

    Attributes
    ----------
    subspaces : list of list of _Dimension
        The dimensions of each dict.
    n_dims : int
        Number of columns ``D`` of the joint cube.
    is_categorical : ndarray of shape (D,)
        Whether each column is categorical (compare by equality only).
    n_values : ndarray of shape (D,)
        Number of values of each discrete column (``inf`` for continuous or
        unbounded columns).
    size : float
        Number of distinct candidates (``math.inf`` unless all discrete).
    """

    def __init__(self, param_distributions):
        if isinstance(param_distributions, Mapping):
            dicts, many = [param_distributions], False
        elif isinstance(param_distributions, list | tuple) and param_distributions:
            dicts, many = list(param_distributions), True
        else:
            raise ValueError(
                "param_distributions must be a dict or a non-empty list of dicts; "
                f"got {param_distributions!r}."
            )
        self.subspaces: list[list[_Dimension]] = []
        # As in RandomizedSearchCV, an empty dict in a list is one candidate:
        # the estimator's own parameters. Some dict must still have a parameter.
        allow_empty = many and any(isinstance(d, Mapping) and d for d in dicts)
        for i, d in enumerate(dicts):
            where = f"[{i}]" if many else ""
            if not isinstance(d, Mapping) or not (d or allow_empty):
                raise ValueError(
                    f"param_distributions{where} must be a non-empty dict; got {d!r}."
                )
            self.subspaces.append(
                [_make_dimension(where, name, v) for name, v in d.items()]
            )
        self._indicator = len(self.subspaces) > 1
        start = 1 if self._indicator else 0
        self._offsets = []
        for dims in self.subspaces:
            self._offsets.append(start)
            start += len(dims)
        self.n_dims = start
        self.is_categorical = np.zeros(self.n_dims, dtype=bool)
        self.n_values = np.full(self.n_dims, math.inf)
        if self._indicator:
            self.is_categorical[0] = True
            self.n_values[0] = self.n_subspaces
        for k, dims in enumerate(self.subspaces):
            for j, dim in enumerate(dims):
                self.is_categorical[self._offsets[k] + j] = dim.categorical
                self.n_values[self._offsets[k] + j] = dim.n_values
        self.size = float(
            sum(math.prod(d.n_distinct for d in dims) for dims in self.subspaces)
        )

    @property
    def n_subspaces(self) -> int:
        """Number of dicts in ``param_distributions``."""
        return len(self.subspaces)

    def columns(self, k: int) -> slice:
        """The block of columns owned by subspace ``k``."""
        start = self._offsets[k]
        return slice(start, start + len(self.subspaces[k]))

    def _indicator_value(self, k: int) -> float:
        return (k + 0.5) / self.n_subspaces

    def subspace_of(self, X: np.ndarray) -> np.ndarray:
        """Index of the subspace of each row of ``X``, shape (n,)."""
        X = np.atleast_2d(X)
        if not self._indicator:
            return np.zeros(len(X), dtype=int)
        idx = np.floor(X[:, 0] * self.n_subspaces)
        return np.clip(idx, 0, self.n_subspaces - 1).astype(int)

    def fixed_columns(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns a point of subspace ``k`` must hold fixed, and their values.

        Returns
        -------
        mask : ndarray of shape (D,), dtype bool
            The indicator column and every column of the other subspaces.
        values : ndarray of shape (D,)
            The value each fixed column holds (free columns: ``INACTIVE``).
        """
        mask = np.ones(self.n_dims, dtype=bool)
        mask[self.columns(k)] = False
        values = np.full(self.n_dims, INACTIVE)
        if self._indicator:
            values[0] = self._indicator_value(k)
        return mask, values

    def choices(self) -> list[np.ndarray | None]:
        """Allowed coordinates of each discrete column with few values.

        Returns
        -------
        list of (ndarray or None), length D
            Cell centres for categorical columns and integer columns with at
            most ``MAX_CHOICES`` values; ``None`` for the rest.
        """
        out: list[np.ndarray | None] = []
        if self._indicator:
            out.append((np.arange(self.n_subspaces) + 0.5) / self.n_subspaces)
        for dims in self.subspaces:
            out.extend(dim.choices() for dim in dims)
        return out

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Canonical copy of ``X``: discrete columns at their cell centres.

        Inactive columns are set to ``INACTIVE`` and the indicator column to
        its cell centre.
        """
        X = np.array(np.atleast_2d(X), dtype=float)
        sub = self.subspace_of(X)
        out = np.full_like(X, INACTIVE)
        if self._indicator:
            out[:, 0] = (sub + 0.5) / self.n_subspaces
        for k, dims in enumerate(self.subspaces):
            rows = sub == k
            if not rows.any():
                continue
            for j, dim in enumerate(dims):
                c = self._offsets[k] + j
                out[rows, c] = dim.snap(X[rows, c])
        return out

    def sample(self, n: int, rng: np.random.RandomState) -> np.ndarray:
        """Draw ``n`` canonical points from the prior (uniform in the cube).

        The subspace of each point is drawn uniformly, as in
        :class:`~sklearn.model_selection.ParameterSampler`.
        """
        U = rng.uniform(size=(n, self.n_dims))
        if self._indicator:
            U[:, 0] = (rng.randint(self.n_subspaces, size=n) + 0.5) / self.n_subspaces
        return self.snap(U)

    def decode(self, X: np.ndarray) -> list[dict]:
        """Parameter dicts of the rows of ``X``, with native Python values."""
        X = np.atleast_2d(X)
        sub = self.subspace_of(X)
        params: list[dict] = [{} for _ in range(len(X))]
        for k, dims in enumerate(self.subspaces):
            rows = np.flatnonzero(sub == k)
            if not len(rows):
                continue
            for j, dim in enumerate(dims):
                values = dim.decode(X[rows, self._offsets[k] + j])
                for r, v in zip(rows, values, strict=True):
                    params[r][dim.name] = v
        return params

    def encode(self, params: Sequence[Mapping]) -> np.ndarray:
        """Canonical cube points of parameter dicts (inverse of ``decode``).

        Each dict is matched to the first subspace with the same keys whose
        supports hold every value.

        Raises
        ------
        ValueError
            If a dict fits no subspace.
        """
        X = np.full((len(params), self.n_dims), INACTIVE)
        for i, p in enumerate(params):
            k = self._match(p)
            if self._indicator:
                X[i, 0] = self._indicator_value(k)
            for j, dim in enumerate(self.subspaces[k]):
                X[i, self._offsets[k] + j] = dim.encode([p[dim.name]])[0]
        return X

    def _match(self, p: Mapping) -> int:
        for k, dims in enumerate(self.subspaces):
            if set(p) == {d.name for d in dims} and all(
                d.in_support(p[d.name]) for d in dims
            ):
                return k
        raise ValueError(f"{p!r} is not a point of param_distributions.")

    def keys(self, X: np.ndarray) -> list[tuple]:
        """Hashable keys of canonical points, equal iff the points decode equal."""
        return [tuple(row) for row in np.round(np.atleast_2d(X), 12)]

    def describe(
        self, k: int, lower: np.ndarray, upper: np.ndarray, weights=None
    ) -> dict:
        """A box of subspace ``k`` in the user's units.

        Parameters
        ----------
        k : int
            Subspace.
        lower, upper : ndarray of shape (D,)
            The box's corners in the cube.
        weights : dict of int to ndarray, default=None
            Sampling weights of the values of categorical columns.

        Returns
        -------
        dict
            Parameter name to ``(low, high)`` in the user's units, or to a
            ``{value: weight}`` dict for categorical parameters.
        """
        weights = weights or {}
        out = {}
        for j, dim in enumerate(self.subspaces[k]):
            c = self._offsets[k] + j
            out[dim.name] = dim.describe(lower[c], upper[c], weights.get(c))
        return out
