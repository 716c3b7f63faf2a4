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
from sk_hpsearch.bo._gp import fit_gp, standardize_scores
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
"""Share of the candidates the search is expected to end with (``n_iter``, or
fewer under a time box: :attr:`Strategy.horizon`), at least one, proposed last
by maximising the predicted score: exploration has no later use then."""
BELIEVE_FROM = 0.5
"""Share of the horizon from which a batch's fantasy picks believe the
posterior mean at the earlier picks (the Kriging believer) instead of
averaging over posterior draws, while the model is calibrated. Draws that
score well send the picks away from the incumbent, which explores; the
believer's picks stay around the optimum at the model's uncertainty, where
the sequential search's acquisition picks are, and they pin it down. Over
40 seeds of 128 evaluations in batches of 8 this divided the regret at
128 evaluations by 2.5 on hartmann6 (37 seeds of 40 better) and 1.7 on
mlp (geometric means), and left adam and levy10 level
(``docs/benchmarks.md``, "Believer fantasies in the second half");
believing from the first model batch on cost levy10 2.1 times."""
PRIOR_MIN_DISTANCE = 0.2
"""A warm start's initial design skips an earlier candidate closer than this
(Euclidean, in the cube) to a better one it already re-evaluates: an earlier
search that exploited its best region has many near-copies of its best, and
re-evaluating them all tells the new search little."""
NEW, EARLIER = 0.25, 0.75
"""Cube values of the "which search" indicator column of a warm start's GP (the
cell centres of a two-valued categorical)."""
COLUMNS = ("step", "initial", "acquisition_value", "predicted_mean", "predicted_std")
"""The extra result columns of every candidate."""
MISCALIBRATION_WINDOW = 16
"""How many of the latest predictions :attr:`BayesStrategy.miscalibration` pools."""
MISCALIBRATION_GATE = 2.0
"""From this miscalibration on, a batch of more than two points takes half of
its fantasy picks from the smooth model (``fit_gp(prior="smooth")``). A
calibrated model's median standardised error is 0.67; over 12 seeds of
128-evaluation batch runs of 8 the median of the last 16 reached 2 on
levy10 in every run, on adam and hartmann6 in 2 runs and on mlp in 1
(``docs/benchmarks.md``, "Miscalibrated batches")."""


class BayesStrategy(Strategy):
    """Scrambled Sobol initial design, then GP-based batches.

    Parameters
    ----------
    space, history, rng, n_iter
        As in :class:`Strategy`.
    n_initial : int or "auto"
        Size of the initial design (capped by ``n_iter``); ``"auto"``:
        ``max(5, D + 1)``. A first ``ask(n)`` for more points than the design
        has gets further Sobol points up to ``n``.
    acq_func : {"logei", "ei", "ucb", "pi"}
        Acquisition function of the steps before the last
        ``ceil(FINAL_SHARE * horizon)`` candidates, which maximise the
        predicted score (``horizon``: :attr:`Strategy.horizon`).
    n_points : int
        Points per step after the initial design.
    ucb_beta : float
        Exploration weight of ``acq_func="ucb"``.
    design : ndarray of shape (k, D), default=None
        Canonical points to use as the initial design instead of Sobol
        points (a whole grid of lists, in ``ParameterGrid`` order).
    prior : tuple of ndarray, default=None
        ``(X, scores)`` of an earlier search (a warm start). The initial
        design re-evaluates the best of them, at most one per neighbourhood
        (:data:`PRIOR_MIN_DISTANCE`), filled up with Sobol points. The GP then
        also fits the earlier points not re-evaluated, their scores shifted by
        the median change seen on the re-evaluated ones, with a "which
        search" indicator column whose fitted lengthscale decides how much
        they count (see :func:`_propose`), so that new scores overrule old
        ones.
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
            design = self._prior_design(prior, min(n_iter, n_initial))
        self.n_initial = min(n_iter, n_initial if design is None else len(design))
        self.acq_func = acq_func
        self.n_points = n_points
        self.ucb_beta = ucb_beta
        self.step = 0
        self.gp_params = None
        self._design = design
        self._sobol = None
        self._errors: list[float] = []

    def _prior_design(self, prior: tuple[np.ndarray, np.ndarray], n: int):
        """A warm start's initial design: ``n`` points, the earlier best first.

        The earlier candidates are taken best first, skipping any closer than
        :data:`PRIOR_MIN_DISTANCE` to one already taken, so that the design
        does not spend its evaluations on one cluster the earlier search
        exploited; Sobol points fill what the earlier candidates leave.
        """
        X, scores = prior
        best = diverse_best(X, scores, n, PRIOR_MIN_DISTANCE)
        if len(best) < n:
            again = set(self.space.keys(best))
            drawn = self.history.draw_new(sobol_sampler(self.space, self.rng), n)
            drawn = drawn[[key not in again for key in self.space.keys(drawn)]]
            best = np.vstack([best, drawn[: n - len(best)]])
        return best

    def batch_size(self) -> int:
        """The rest of the initial design, then ``n_points``."""
        if self._design is None:
            return self.n_initial
        return len(self._design) or self.n_points

    @property
    def miscalibration(self) -> float | None:
        """Median standardised error of the latest predictions, or None.

        ``|score - predicted_mean| / predicted_std`` of the last
        :data:`MISCALIBRATION_WINDOW` told candidates that the GP proposed
        (None until there are that many). About 0.67 when the model is
        calibrated; large when its scores surprise it, as on a surface
        rougher than the kernel allows.
        """
        if len(self._errors) < MISCALIBRATION_WINDOW:
            return None
        return float(np.median(self._errors[-MISCALIBRATION_WINDOW:]))

    def tell(self, batch: Batch, scores: np.ndarray) -> None:
        """Record the scores, and the standardised errors of their predictions."""
        super().tell(batch, scores)
        mean = _float_column(batch, "predicted_mean")
        std = _float_column(batch, "predicted_std")
        scores = np.asarray(scores, dtype=float)
        ok = np.isfinite(mean) & np.isfinite(std) & (std > 0) & np.isfinite(scores)
        self._errors.extend(np.abs(scores[ok] - mean[ok]) / std[ok])
        del self._errors[:-MISCALIBRATION_WINDOW]

    def state(self) -> dict:
        """Step, initial design left, GP hyperparameters (log scale), miscalibration."""
        gp = self.gp_params
        return {
            **super().state(),
            "miscalibration": self.miscalibration,
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
            self._sobol = sobol_sampler(self.space, self.rng)
            self._design = self.history.draw_new(self._sobol, self.n_initial)
        if len(self._design):
            first = not len(self.history) and not len(self.history.pending)
            X, self._design = self._design[:n], self._design[n:]
            if first:
                X = np.vstack([X, self._more_design(X, n - len(X))])
            nan = [math.nan] * len(X)
            values = ([0] * len(X), [True] * len(X), nan, nan, nan)
            return Batch(X, dict(zip(COLUMNS, values, strict=True)))
        return self._step(n)

    def _more_design(self, X: np.ndarray, m: int) -> np.ndarray:
        """``m`` further Sobol points, new and not in ``X`` (the first batch).

        A first batch asked for more points than the design has is filled up:
        with nothing scored there is no model to ask, and workers left idle
        would wait for the whole batch anyway. A later batch of the design
        keeps its size (measured: filling it with Sobol points too, on a
        10-dimensional problem whose 11-point design spans two batches of 8,
        cost the search 3.5 times its median regret at 128 evaluations).
        """
        if m <= 0:
            return np.empty((0, self.space.n_dims))
        if self._sobol is None:  # a design given (grid or warm start)
            self._sobol = sobol_sampler(self.space, self.rng)
        taken = set(self.space.keys(X))
        more = self.history.draw_new(self._sobol, m + len(X))
        return more[[key not in taken for key in self.space.keys(more)]][:m]

    def cancel(self, batch: Batch) -> None:
        """Take back a batch; points of the initial design are asked again first."""
        super().cancel(batch)
        if batch.is_new and all(batch.columns.get("initial", [False])):
            self._design = np.vstack([batch.X, self._design])

    def _model_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The GP's points, scores, and which rows an earlier search scored.

        Without a warm start the third item is None; with one, the earlier
        points not re-evaluated follow the history's (their scores shifted to
        the new data's level) and the mask marks them.
        """
        X, scores = self.history.model_data()
        if self.prior is None:
            return X, scores, None
        X_old, old = _calibrated_prior(self.space, self.history, self.prior)
        earlier = np.r_[np.zeros(len(X), dtype=bool), np.ones(len(X_old), dtype=bool)]
        return np.vstack([X, X_old]), np.concatenate([scores, old]), earlier

    def _step(self, q: int) -> Batch | None:
        """One step of Bayesian optimisation: up to ``q`` points from the GP.

        With nothing told yet (an optimiser asked past its initial design
        before telling), or when the model finds nothing new, the points come
        from the prior.
        """
        self.step += 1
        n_told = len(self.history)
        X = np.empty((0, self.space.n_dims))
        X_model, scores, earlier = self._model_data()
        if len(X_model):
            restart = (
                n_told < 5 * (self.space.n_dims + 2) or self.step % RESTART_EVERY == 0
            )
            final = n_told >= self.horizon - math.ceil(FINAL_SHARE * self.horizon)
            miscalibration = self.miscalibration
            smooth = q > 2 and (miscalibration or 0.0) >= MISCALIBRATION_GATE
            believe = not smooth and n_told >= BELIEVE_FROM * self.horizon
            X, acq, mean, std, self.gp_params = _propose(
                self.space,
                self.history,
                (X_model, scores, earlier),
                q,
                self.gp_params,
                restart,
                "ucb" if final else self.acq_func,
                0.0 if final else self.ucb_beta,
                self.rng,
                smooth=smooth,
                believe=believe,
            )
        if not len(X):
            X = self.history.draw_new(lambda m: self.space.sample(m, self.rng), q)
            acq = mean = std = np.full(len(X), math.nan)
        values = ([self.step] * len(X), [False] * len(X), acq, mean, std)
        return Batch(X, {k: list(v) for k, v in zip(COLUMNS, values, strict=True)})


def _float_column(batch: Batch, name: str) -> np.ndarray:
    """Column ``name`` of ``batch`` as floats, NaN where missing (or no column)."""
    values = batch.columns.get(name, [None] * len(batch.X))
    return np.array([math.nan if v is None else float(v) for v in values])


def diverse_best(
    X: np.ndarray, scores: np.ndarray, n: int, min_distance: float
) -> np.ndarray:
    """Up to ``n`` of the best scored points, pairwise at least ``min_distance`` apart.

    Parameters
    ----------
    X : ndarray of shape (m, D)
        Cube points.
    scores : ndarray of shape (m,)
        Their scores; non-finite ones are never taken.
    n : int
    min_distance : float
        Euclidean distance in the cube below which a point counts as a
        repeat of a better one already taken.

    Returns
    -------
    ndarray of shape (k, D), k <= n
        Best first.
    """
    finite = np.isfinite(scores)
    order = np.argsort(-np.where(finite, scores, -np.inf), kind="stable")
    chosen: list[int] = []
    for i in order[: int(finite.sum())]:
        if len(chosen) == n:
            break
        if (
            not chosen
            or np.min(np.linalg.norm(X[chosen] - X[i], axis=1)) >= min_distance
        ):
            chosen.append(i)
    return X[chosen]


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
    model_data: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    q: int,
    gp_params,
    restart: bool,
    acq_func: str,
    ucb_beta: float,
    rng: np.random.RandomState,
    *,
    smooth: bool = False,
    believe: bool = False,
):
    """Fit the GP to the model data and propose up to ``q`` new points.

    ``model_data`` is ``(X, scores, earlier)``: with a warm start, ``earlier``
    marks the rows an earlier search scored, and the GP sees one more
    column, a categorical "which search" indicator. Its lengthscale, fitted
    with the others, is how much the earlier scores say about the new ones:
    long when both agree, short (the earlier rows then barely move the
    prediction) when the new data reordered the candidates. Candidates are
    proposed for the new search only (the column held at "new") and the
    incumbent of the acquisition is the best new score.

    Returns the points, their acquisition values, the predicted mean and std
    in score units, and the fitted GP hyperparameters (to warm-start the
    next step). ``restart`` is passed to :func:`fit_gp`. With a list of
    dicts, each subspace proposes a batch and the ``q`` best acquisition
    values win. BLAS runs on one thread: the matrices are at most a few
    hundred rows, and threads cost more than they save (on a busy machine
    many times more).

    With ``smooth``, a second GP with the smooth prior
    (``fit_gp(prior="smooth")``, Matern-5/2, on the standardised scores
    without warping) proposes half of each batch's fantasy picks
    (``propose_batch(explore=...)``). With ``believe``, the fantasy picks
    condition on the posterior mean (``propose_batch(believe=True)``).
    """
    X_model, scores, earlier = model_data
    with _blas_controller().limit(limits=1, user_api="blas"):
        warping = ScoreWarping(scores)
        z = warping.targets
        is_categorical, choices, snap = (
            space.is_categorical,
            space.choices(),
            space.snap,
        )
        exclude = history.excluded
        incumbent = float(z.max())
        if earlier is not None:
            X_model = np.column_stack([X_model, np.where(earlier, EARLIER, NEW)])
            is_categorical = np.r_[is_categorical, True]
            choices = [*choices, np.array([NEW, EARLIER])]
            snap = _snap_with_indicator(space.snap)
            exclude = np.column_stack([exclude, np.full(len(exclude), NEW)])
            if (~earlier).any():
                incumbent = float(z[~earlier].max())
        gp = fit_gp(
            X_model, z, is_categorical, init=gp_params, rng=rng, restart=restart
        )
        smooth_gp = None
        if smooth:
            z_smooth = standardize_scores(scores)
            smooth_gp = fit_gp(
                X_model, z_smooth, is_categorical, rng=rng, nu=2.5, prior="smooth"
            )
            # The gate needs 16 predictions told: a warm start has new rows.
            smooth_incumbent = float(
                z_smooth.max() if earlier is None else z_smooth[~earlier].max()
            )
        batches, values = [], []
        for k in range(space.n_subspaces):
            fixed_mask, fixed_values = space.fixed_columns(k)
            if earlier is not None:
                fixed_mask = np.r_[fixed_mask, True]
                fixed_values = np.r_[fixed_values, NEW]
            domain = Domain(is_categorical, choices, snap, fixed_mask, fixed_values)
            acq = make_acquisition(
                gp, acq_func, incumbent, beta=ucb_beta, domain=domain
            )
            explore = (
                None
                if smooth_gp is None
                else make_acquisition(
                    smooth_gp,
                    acq_func,
                    smooth_incumbent,
                    beta=ucb_beta,
                    domain=domain,
                )
            )
            Xk, acq_k = propose_batch(
                acq, q, exclude=exclude, rng=rng, explore=explore, believe=believe
            )
            batches.append(Xk)
            values.append(acq_k)
        X = np.vstack(batches)
        acq_values = np.concatenate(values)
        keep = np.argsort(-acq_values, kind="stable")[:q]
        X, acq_values = X[keep], acq_values[keep]
        mean_z, var_z = gp.posterior(X) if len(X) else (np.empty(0), np.empty(0))
        X = X[:, : space.n_dims]
        new = history.is_new(X)
        X, acq_values = X[new], acq_values[new]
        mean, std = warping.to_scores(mean_z[new], np.sqrt(var_z[new]))
    return X, acq_values, mean, std, gp.params


def _snap_with_indicator(snap):
    """``snap`` of the space's columns; the last (indicator) column as is."""

    def snap_all(X: np.ndarray) -> np.ndarray:
        return np.column_stack([snap(X[:, :-1]), X[:, -1]])

    return snap_all


@cache
def _blas_controller() -> ThreadpoolController:
    """One controller per process (building one inspects every loaded library)."""
    return ThreadpoolController()
