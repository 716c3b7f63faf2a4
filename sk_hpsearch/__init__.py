"""Scale-aware hyperparameter search for scikit-learn.

Drop-in replacements for :class:`~sklearn.model_selection.RandomizedSearchCV`
that sample each hyperparameter on its own scale, zoom from coarse to fine, or
model the score with a Gaussian process.
"""

from sk_hpsearch._bayes import GPBayesSearchCV
from sk_hpsearch._coarse_to_fine import CoarseToFineSearchCV
from sk_hpsearch._distributions import LogUniform, OneMinusLogUniform

__all__ = [
    "CoarseToFineSearchCV",
    "GPBayesSearchCV",
    "LogUniform",
    "OneMinusLogUniform",
]
__version__ = "0.1.0"
