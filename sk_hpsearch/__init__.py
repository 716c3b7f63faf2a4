"""Scale-aware hyperparameter search for scikit-learn.

Drop-in replacements for :class:`~sklearn.model_selection.RandomizedSearchCV`
that sample each hyperparameter on its own scale, zoom from coarse to fine, or
model the score with a Gaussian process; the same strategies as ask/tell
optimisers for any Python function. PyTorch networks wrapped by skorch have
their own helpers in :mod:`sk_hpsearch.skorch` (importing ``sk_hpsearch``
never imports torch).
"""

from sk_hpsearch.inspection._importance import ParamImportances, param_importances
from sk_hpsearch.inspection._learning_curves import (
    history_scorer,
    learning_curve_scorers,
    plot_learning_curves,
)
from sk_hpsearch.inspection._plots import (
    plot_convergence,
    plot_importances,
    plot_param_map,
    plot_parameters,
    plot_search,
)
from sk_hpsearch.loop._callbacks import NoImprovementStopper, TargetScoreStopper
from sk_hpsearch.loop._journal import CheckpointMismatchError, load_checkpoint
from sk_hpsearch.loop._state import SearchState
from sk_hpsearch.optimize._optimizer import BayesianOptimizer, CoarseToFineOptimizer
from sk_hpsearch.search._bayes import GPBayesSearchCV
from sk_hpsearch.search._cluster import ClusterLostError
from sk_hpsearch.search._coarse_to_fine import CoarseToFineSearchCV
from sk_hpsearch.space._distributions import LogUniform, OneMinusLogUniform

__all__ = [
    "BayesianOptimizer",
    "CheckpointMismatchError",
    "ClusterLostError",
    "CoarseToFineOptimizer",
    "CoarseToFineSearchCV",
    "GPBayesSearchCV",
    "LogUniform",
    "NoImprovementStopper",
    "OneMinusLogUniform",
    "ParamImportances",
    "SearchState",
    "TargetScoreStopper",
    "history_scorer",
    "learning_curve_scorers",
    "load_checkpoint",
    "param_importances",
    "plot_convergence",
    "plot_importances",
    "plot_learning_curves",
    "plot_param_map",
    "plot_parameters",
    "plot_search",
]
__version__ = "0.1.0"
