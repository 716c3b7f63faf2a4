"""Tune skorch networks: a seed and a device policy for every fit.

Import this module explicitly (``import sk_hpsearch`` never imports torch)::

    from sk_hpsearch.skorch import NeuralNetClassifier, NeuralNetRegressor

The two classes are skorch's, plus what a hyperparameter search needs from a
network that it fits many times, in parallel workers:

``random_state``
    Seeds torch at the start of every fit (weights, dropout, and the
    shuffling of the training batches), so that the same search with the same
    ``random_state`` gives the same ``cv_results_`` with ``n_jobs=1`` or
    ``n_jobs=8``. skorch nets have no such parameter.
``device``
    Besides skorch's values (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...):
    ``"auto"`` (CUDA when available, else CPU), ``"round-robin"`` (every
    visible GPU in turn, one per parallel worker) or a list of devices used in
    turn. The request is resolved inside each worker, when the fit starts;
    the candidate parameters, ``cv_results_`` and ``best_params_`` keep the
    request, and ``net.device`` tells where the fitted net lives.
numpy scalars
    Values drawn by ``scipy.stats`` distributions (numpy integers, for
    ``randint``) reach the module, the optimizer and the ``DataLoader`` as
    Python scalars: torch rejects a numpy ``batch_size``.

Use :class:`TunableNetMixin` to add the same to any other skorch net class.
"""

from __future__ import annotations

import numbers
import threading

import numpy as np

try:
    import skorch
    import torch
    from torch.utils.data import DataLoader
except ImportError as exc:  # pragma: no cover - the torch extra is missing
    raise ImportError(
        "sk_hpsearch.skorch needs torch and skorch. Install them with "
        "`pip install torch==2.13.0` (pin torch: unpinned, pip may pull a "
        "multi-gigabyte CUDA build) then `pip install 'sk-hpsearch[torch]'`."
    ) from exc
from sklearn.utils import check_random_state

from sk_hpsearch._devices import DEVICE_MODES, needs_slot, worker_slot
from sk_hpsearch._devices import resolve_device as _resolve_device

__all__ = [
    "NeuralNetClassifier",
    "NeuralNetRegressor",
    "TunableNetMixin",
    "resolve_device",
]

# Held while a seeded fit seeds torch's global generator and initialises its
# module, so that two fits in threads of one process do not interleave there.
_SEED_LOCK = threading.RLock()


def resolve_device(device):
    """The concrete torch device that a fit in this worker should use.

    Parameters
    ----------
    device : None, str, torch.device, list or tuple
        ``"auto"``: ``"cuda"`` when ``torch.cuda.is_available()``, else
        ``"cpu"``. ``"round-robin"``: one of ``"cuda:0"``, ``"cuda:1"``, ...
        (every visible GPU) chosen by this worker's slot, or ``"cpu"`` when
        CUDA is not available. A list or tuple: one of its devices chosen by
        this worker's slot, taken literally. Anything else is returned
        unchanged.

    Returns
    -------
    None, str or torch.device
        The device.

    Notes
    -----
    A worker's *slot* is the smallest index that no other live worker
    (process or thread) of the user on this machine holds; it is kept by a
    file lock that the operating system releases when the worker ends. So the
    ``n_jobs`` workers of a search get distinct slots, hence distinct GPUs
    while there are enough, whatever the joblib backend (``loky`` processes,
    threads, Dask workers).

    Examples
    --------
    >>> from sk_hpsearch.skorch import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in ("cpu", "cuda")
    True
    """
    n_cuda = 0
    if isinstance(device, str) and device in DEVICE_MODES:
        n_cuda = torch.cuda.device_count() if torch.cuda.is_available() else 0
    slot = worker_slot() if needs_slot(device) else 0
    return _resolve_device(device, slot=slot, n_cuda=n_cuda)


def _native(value):
    """A Python scalar for a numpy scalar; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _fit_seed(random_state) -> int | None:
    """The torch seed of one fit: the int itself, or one draw of a RandomState."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        # clone() deep-copies the RandomState: every clone draws the same seed.
        return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    raise ValueError(
        "random_state must be None, an int or a numpy RandomState; "
        f"got random_state={random_state!r}."
    )


class TunableNetMixin:
    """Seed torch and resolve the device at every fit of a skorch net.

    Put it first among the bases of a skorch net class::

        class MyNet(TunableNetMixin, skorch.NeuralNet): ...

    Parameters
    ----------
    module : torch module class or instance
        As in skorch.
    *args
        skorch's positional arguments.
    random_state : int, RandomState instance or None, default=None
        Seed of torch at the start of every fit (see Notes). ``None`` leaves
        torch's global generator alone, as skorch does.
    **kwargs
        skorch's keyword arguments. ``device`` also takes ``"auto"``,
        ``"round-robin"`` and a list of devices (see :func:`resolve_device`).

    Attributes
    ----------
    device : None, str or torch.device
        After ``initialize`` (hence ``fit``), the concrete device the net
        lives on. ``get_params()["device"]`` still returns the request.
    torch_generator_ : torch.Generator or None
        The generator that shuffles the training batches (``None`` when
        ``random_state`` is ``None``).

    Notes
    -----
    At the start of every fit (every ``initialize``), the net:

    1. resolves its ``device`` request into a concrete device, in the worker
       that runs the fit (:func:`resolve_device`);
    2. when ``random_state`` is set, derives the fit's seed (the int itself;
       one draw for a RandomState), calls ``torch.manual_seed(seed)`` and
       initialises its module, criterion and optimizer, under a lock shared by
       the threads of the process;
    3. gives the training ``DataLoader`` its own ``torch.Generator`` seeded
       with the same seed, and the validation and prediction ``DataLoader``
       another one, so that no pass over the data draws from (or depends on)
       torch's global generator, which other threads may be seeding.

    Every fit of a net with an int ``random_state`` therefore starts from the
    same weights and sees the same batches, whichever worker runs it, as a
    scikit-learn estimator with an int ``random_state`` does: candidates are
    compared under common random numbers. Layers that draw random numbers
    while training (dropout) use torch's global generator, which threads of
    one process share: with the threading backend (or Dask workers with
    several threads) they make results depend on timing; processes (the
    default ``loky`` backend) are exact.
    """

    def __init__(self, module, *args, random_state=None, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.random_state = random_state

    def __setattr__(self, name, value):
        if name == "device":  # a new request replaces the resolved one
            self.__dict__.pop("_device_request_", None)
        super().__setattr__(name, value)

    def __getstate__(self):
        state = super().__getstate__()
        request = state.get("device")
        if needs_slot(request) or (
            isinstance(request, str) and request in DEVICE_MODES
        ):
            # skorch's __setstate__ reads "device" as a torch device: give it a
            # real one, and keep the request aside (an unfitted net, say, on
            # its way to a joblib worker).
            state["_device_request_"] = request
            state["device"] = "cpu"
        return state

    def get_params(self, deep=True, **kwargs):
        """Get the parameters of the net (the ``device`` request, not its resolution).

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of sub-objects, as skorch does.
        **kwargs
            Passed on to skorch.

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep, **kwargs)
        if "_device_request_" in self.__dict__:
            params["device"] = self.__dict__["_device_request_"]
        return params

    def initialize(self):
        """Resolve the device, seed torch, then initialise as skorch does.

        Returns
        -------
        self
            The initialised net.
        """
        self._resolve_device()
        seed = _fit_seed(self.random_state)
        if seed is None:
            self.torch_generator_ = self._valid_generator_ = None
            return super().initialize()
        with _SEED_LOCK:
            torch.manual_seed(seed)
            super().initialize()
        self.torch_generator_ = torch.Generator().manual_seed(seed)
        # A DataLoader draws a base seed from its generator at every pass,
        # torch's global one by default: that draw could land between another
        # thread's manual_seed and its module's initialisation.
        self._valid_generator_ = torch.Generator().manual_seed(seed)
        return self

    def _resolve_device(self) -> None:
        request = self.__dict__.get("_device_request_", self.device)
        device = resolve_device(request)
        if device is request:
            return
        # Written to __dict__ directly: __setattr__ would forget the request.
        self.__dict__["_device_request_"] = request
        self.__dict__["device"] = device

    def get_params_for(self, prefix):
        """Init arguments of a component, as Python scalars.

        As skorch's, plus: numpy scalars become Python scalars, the
        ``DataLoader`` gets ``batch_size`` as a Python int, and, when
        ``random_state`` is set, the ``DataLoader`` gets a seeded
        ``generator`` (unless one was given): ``torch_generator_`` for
        training, a generator of its own for validation and prediction, so
        that no pass over the data draws from torch's global generator.

        Parameters
        ----------
        prefix : str
            The component, e.g. ``"module"`` or ``"iterator_train"``.

        Returns
        -------
        dict
            Keyword arguments for the component.
        """
        params = {k: _native(v) for k, v in super().get_params_for(prefix).items()}
        if prefix in ("iterator_train", "iterator_valid"):
            params.setdefault("batch_size", _native(self.batch_size))
        if prefix == "iterator_train":
            generator, iterator = (
                getattr(self, "torch_generator_", None),
                self.iterator_train,
            )
        elif prefix == "iterator_valid":
            generator, iterator = (
                getattr(self, "_valid_generator_", None),
                self.iterator_valid,
            )
        else:
            return params
        if (
            generator is not None
            and "generator" not in params
            and isinstance(iterator, type)
            and issubclass(iterator, DataLoader)
        ):
            params["generator"] = generator
        return params


_NET_DOC = """skorch's ``{name}`` with a seed and a device policy.

    Every argument, attribute and method of
    :class:`skorch.{module}.{name}`, plus ``random_state`` and
    the ``device`` requests of :class:`TunableNetMixin`.

    Parameters
    ----------
    module : torch module class or instance
        The network; its ``module__*`` parameters can be searched.
    *args
        skorch's positional arguments.
    random_state : int, RandomState instance or None, default=None
        Seed of torch at the start of every fit. Fix it (e.g. to the search's
        ``random_state``) for reproducible searches.
    **kwargs
        skorch's keyword arguments (``criterion``, ``optimizer``, ``lr``,
        ``max_epochs``, ``batch_size``, ``device``, ``module__*`` ...).
        ``device`` also takes ``"auto"``, ``"round-robin"`` and a list of
        devices.

    Attributes
    ----------
    device : None, str or torch.device
        The concrete device after ``fit``.
    torch_generator_ : torch.Generator or None
        The generator that shuffles the training batches.
    history_ : skorch.history.History
        Per-epoch records (``net.history``), as in skorch.

    See Also
    --------
    {other} : The same for {other_task}.
    TunableNetMixin : What is added, and how.

    Examples
    --------
{examples}"""


class NeuralNetClassifier(TunableNetMixin, skorch.NeuralNetClassifier):
    __doc__ = _NET_DOC.format(
        name="NeuralNetClassifier",
        module="classifier",
        other="NeuralNetRegressor",
        other_task="regression",
        examples="""\
    >>> import numpy as np
    >>> from torch import nn
    >>> from sk_hpsearch.skorch import NeuralNetClassifier
    >>> X = np.random.RandomState(0).randn(60, 4).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> class Logistic(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.linear = nn.Linear(4, 2)
    ...     def forward(self, X):
    ...         return nn.functional.softmax(self.linear(X), dim=-1)
    >>> def fit():
    ...     return NeuralNetClassifier(
    ...         Logistic, max_epochs=2, random_state=0, device="auto", verbose=0
    ...     ).fit(X, y)
    >>> net = fit()
    >>> net.device in ("cpu", "cuda"), net.get_params()["device"]
    (True, 'auto')
    >>> net.history[:, "train_loss"] == fit().history[:, "train_loss"]
    True
    """,
    )


class NeuralNetRegressor(TunableNetMixin, skorch.NeuralNetRegressor):
    __doc__ = _NET_DOC.format(
        name="NeuralNetRegressor",
        module="regressor",
        other="NeuralNetClassifier",
        other_task="classification",
        examples="""\
    >>> import numpy as np
    >>> from torch import nn
    >>> from sk_hpsearch.skorch import NeuralNetRegressor
    >>> X = np.random.RandomState(0).randn(60, 3).astype(np.float32)
    >>> y = X.sum(axis=1, keepdims=True)
    >>> net = NeuralNetRegressor(
    ...     nn.Linear, module__in_features=3, module__out_features=1,
    ...     max_epochs=3, lr=0.1, random_state=0, verbose=0,
    ... ).fit(X, y)
    >>> len(net.history), net.module_.weight.dtype
    (3, torch.float32)
    """,
    )
