"""Both searches through Ray's joblib backend give the results of ``n_jobs=1``.

Ray is in no extra of the package (it is large); the test runs where it is
installed and is skipped elsewhere.
"""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from sk_hpsearch import CoarseToFineSearchCV, GPBayesSearchCV, LogUniform

ray = pytest.importorskip("ray")
from ray.util.joblib import register_ray  # noqa: E402

pytestmark = pytest.mark.xdist_group("ray")

TIMES = {"mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"}


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    yield
    ray.shutdown()


@pytest.mark.parametrize("cls", [CoarseToFineSearchCV, GPBayesSearchCV])
def test_same_cv_results_as_n_jobs_1(ray_cluster, cls):
    X, y = load_iris(return_X_y=True)

    def search(**kwargs):
        return cls(
            LogisticRegression(max_iter=1000),
            {"C": LogUniform(1e-3, 1e2)},
            n_iter=6,
            cv=2,
            random_state=0,
            **kwargs,
        )

    expected = search(n_jobs=1).fit(X, y).cv_results_
    with joblib.parallel_config(backend="ray"):
        got = search(n_jobs=2).fit(X, y).cv_results_
    assert got["params"] == expected["params"]
    for key in expected.keys() - TIMES - {"params"}:
        np.testing.assert_array_equal(
            np.ma.getdata(got[key]), np.ma.getdata(expected[key]), err_msg=key
        )
