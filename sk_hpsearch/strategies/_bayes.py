"""Gaussian-process Bayesian optimisation as a strategy.

Orchestration only (the math is in :mod:`sk_hpsearch.bo`): a scrambled Sobol
initial design, then at each step warp the scores, fit the GP, build the
acquisition function over the space's domain and propose a batch.
"""

from __future__ import annotations

import math
import warnings
from functools import cache

import numpy as np
from scipy.stats import qmc
from threadpoolctl import ThreadpoolController

from sk_hpsearch.bo._acquisition import Domain, make_acquisition, propose_batch
from sk_hpsearch.bo._gp import fit_gp
from sk_hpsearch.bo._warping import ScoreWarping
from sk_hpsearch.space._space import SearchSpace
from sk_hpsearch.strategies._base import Batch, History, Strategy

__all__ = ["BayesStrategy"]

RESTART_EVERY = 5
"""Once the GP has ``5 (D + 2)`` points, the hyperparameter fit also starts from
the defaults only every ``RESTART_EVERY`` steps, otherwise warm-started
alone: one new point barely moves the optimum, and the warm start is about
three times cheaper than the fresh one."""
FINAL_SHARE = 0.05
"""Share of ``n_iter`` (at least one candidate) proposed last by maximising the
predicted score: exploration has no later use then."""
COLUMNS = ("step", "initial", "acquisition_value", "predicted_mean", "predicted_std")
"""The extra result columns of every candidate."""


class BayesStrategy(Strategy):
    """Scrambled Sobol initial design, then GP-based batches.

    Parameters
    ----------
    space, history, rng, n_iter
        As in :class:`Strategy`.
    n_initial : int or "auto"
        Size of the initial design (capped by ``n_iter``); ``"auto"``:
        ``max(5, D + 1)``.
    acq_func : {"logei", "ei", "ucb", "pi"}
        Acquisition function of the steps before the last
        ``ceil(FINAL_SHARE * n_iter)`` candidates, which maximise the
        predicted score.
    n_points : int
        Points per step after the initial design.
    ucb_beta : float
        Exploration weight of ``acq_func="ucb"``.
    design : ndarray of shape (k, D), default=None
        Canonical points to use as the initial design instead of Sobol
        points (a whole grid of lists, in ``ParameterGrid`` order).
    prior : tuple of ndarray, default=None
        ``(X, scores)`` of an earlier search (a warm start). The best
        ``n_initial`` of them (fewer if fewer scored) are the initial design,
        re-evaluated first; the GP then also fits the earlier points not
        re-evaluated, their scores shifted by the median change seen on the
        re-evaluated ones, so that new scores overrule old ones.
    """

    def __init__(
        self,
        space: SearchSpace,
        history: History,
        rng: np.random.RandomState,
        n_iter: int,
        *,
        n_initial: int | str,
        acq_func: str,
        n_points: int,
        ucb_beta: float,
        design: np.ndarray | None = None,
        prior: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        super().__init__(space, history, rng, n_iter)
        if n_initial == "auto":
            n_initial = max(5, space.n_dims + 1)
        self.prior = prior
        if design is None and prior is not None:
            X, scores = prior
            order = np.argsort(-np.where(np.isfinite(scores), scores, -np.inf))
            n_best = min(n_initial, int(np.isfinite(scores).sum()))
            if n_best:
                design = X[order[:n_best]]
        self.n_initial = min(n_iter, n_initial if design is None else len(design))
        self.acq_func = acq_func
        self.n_points = n_points
        self.ucb_beta = ucb_beta
        self.step = 0
        self.gp_params = None
        self._design = design

    def batch_size(self) -> int:
        """The rest of the initial design, then ``n_points``."""
        if self._design is None:
            return self.n_initial
        return len(self._design) or self.n_points

    def state(self) -> dict:
        """Step, initial design left and the GP hyperparameters (log scale)."""
        gp = self.gp_params
        return {
            **super().state(),
            "step": self.step,
            "initial_left": None if self._design is None else len(self._design),
            "gp_params": None
            if gp is None
            else {
                "log_lengthscales": [float(v) for v in gp.log_lengthscales],
                "log_signal_var": float(gp.log_signal_var),
                "log_noise_var": float(gp.log_noise_var),
            },
        }

    def _ask(self, n: int) -> Batch | None:
        if self._design is None:
            sampler = sobol_sampler(self.space, self.rng)
            self._design = self.history.draw_new(sampler, self.n_initial)
        if len(self._design):
            X, self._design = self._design[:n], self._design[n:]
            nan = [math.nan] * len(X)
            values = ([0] * len(X), [True] * len(X), nan, nan, nan)
            return Batch(X, dict(zip(COLUMNS, values, strict=True)))
        return self._step(n)

    def cancel(self, batch: Batch) -> None:
        """Take back a batch; points of the initial design are asked again first."""
        super().cancel(batch)
        if batch.is_new and all(batch.columns.get("initial", [False])):
            self._design = np.vstack([batch.X, self._design])

    def _model_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The history's points and scores, and a warm start's earlier ones."""
        X, scores = self.history.model_data()
        if self.prior is None:
            return X, scores
        X_old, old = _calibrated_prior(self.space, self.history, self.prior)
        return np.vstack([X, X_old]), np.concatenate([scores, old])

    def _step(self, q: int) -> Batch | None:
        """One step of Bayesian optimisation: up to ``q`` points from the GP.

        With nothing told yet (an optimiser asked past its initial design
        before telling), or when the model finds nothing new, the points come
        from the prior.
        """
        self.step += 1
        n_told = len(self.history)
        X = np.empty((0, self.space.n_dims))
        history = self.history if self.prior is None else _WithPrior(self)
        if len(history.model_data()[0]):
            restart = (
                n_told < 5 * (self.space.n_dims + 2) or self.step % RESTART_EVERY == 0
            )
            final = n_told >= self.n_iter - math.ceil(FINAL_SHARE * self.n_iter)
            X, acq, mean, std, self.gp_params = _propose(
                self.space,
                history,
                q,
                self.gp_params,
                restart,
                "ucb" if final else self.acq_func,
                0.0 if final else self.ucb_beta,
                self.rng,
            )
        if not len(X):
            X = self.history.draw_new(lambda m: self.space.sample(m, self.rng), q)
            acq = mean = std = np.full(len(X), math.nan)
        values = ([self.step] * len(X), [False] * len(X), acq, mean, std)
        return Batch(X, {k: list(v) for k, v in zip(COLUMNS, values, strict=True)})


class _WithPrior:
    """The history as the GP of a warm-started strategy sees it.

    Everything is the history's, except :meth:`model_data`, which adds the
    earlier points (:meth:`BayesStrategy._model_data`).
    """

    def __init__(self, strategy: BayesStrategy):
        self._strategy = strategy
        self._history = strategy.history

    def __len__(self) -> int:
        return len(self._history)

    def model_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._strategy._model_data()

    def __getattr__(self, name):
        return getattr(self._history, name)


def _calibrated_prior(space, history, prior):
    """Earlier points not re-evaluated, scores shifted to the new data's level."""
    X, scores = prior
    new = dict(zip(space.keys(history.X), history.scores, strict=True))
    keys = space.keys(X)
    changes = [
        new[key] - old
        for key, old in zip(keys, scores, strict=True)
        if key in new and np.isfinite(new[key]) and np.isfinite(old)
    ]
    shift = float(np.median(changes)) if changes else 0.0
    keep = np.array([key not in new for key in keys], dtype=bool)
    return X[keep], scores[keep] + shift


def sobol_sampler(space: SearchSpace, rng: np.random.RandomState):
    """``sampler(m)``: the next ``m`` scrambled Sobol points, snapped."""
    sobol = qmc.Sobol(space.n_dims, scramble=True, seed=rng.randint(2**31 - 1))

    def sample(m: int) -> np.ndarray:
        with warnings.catch_warnings():
            # Balance is best at powers of two; any prefix still fills space.
            warnings.filterwarnings("ignore", message=".*balance properties.*")
            return space.snap(sobol.random(m))

    return sample


def _propose(
    space: SearchSpace,
    history: History,
    q: int,
    gp_params,
    restart: bool,
    acq_func: str,
    ucb_beta: float,
    rng: np.random.RandomState,
):
    """Fit the GP to the history and propose up to ``q`` new points.

    Returns the points, their acquisition values, the predicted mean and std
    in score units, and the fitted GP hyperparameters (to warm-start the
    next step). ``restart`` is passed to :func:`fit_gp`. With a list of
    dicts, each subspace proposes a batch and the ``q`` best acquisition
    values win. BLAS runs on one thread: the matrices are at most a few
    hundred rows, and threads cost more than they save (on a busy machine
    many times more).
    """
    with _blas_controller().limit(limits=1, user_api="blas"):
        X_model, scores = history.model_data()
        warping = ScoreWarping(scores)
        z = warping.targets
        gp = fit_gp(
            X_model, z, space.is_categorical, init=gp_params, rng=rng, restart=restart
        )
        exclude = history.excluded
        batches, values = [], []
        for k in range(space.n_subspaces):
            fixed_mask, fixed_values = space.fixed_columns(k)
            domain = Domain(
                space.is_categorical,
                space.choices(),
                space.snap,
                fixed_mask,
                fixed_values,
            )
            acq = make_acquisition(
                gp, acq_func, float(z.max()), beta=ucb_beta, domain=domain
            )
            Xk, acq_k = propose_batch(acq, q, exclude=exclude, rng=rng)
            batches.append(Xk)
            values.append(acq_k)
        X = np.vstack(batches)
        acq_values = np.concatenate(values)
        keep = np.argsort(-acq_values, kind="stable")[:q]
        X, acq_values = X[keep], acq_values[keep]
        new = history.is_new(X)
        X, acq_values = X[new], acq_values[new]
        mean_z, var_z = gp.posterior(X) if len(X) else (np.empty(0), np.empty(0))
        mean, std = warping.to_scores(mean_z, np.sqrt(var_z))
    return X, acq_values, mean, std, gp.params


@cache
def _blas_controller() -> ThreadpoolController:
    """One controller per process (building one inspects every loaded library)."""
    return ThreadpoolController()
