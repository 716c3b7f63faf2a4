"""The gallery's ``examples/plot_*.py`` run headless and draw their figures.

The other examples take minutes and are run by their own tests
(``tests/test_readme.py``, ``tests/test_skorch.py``).
"""

from __future__ import annotations

import runpy
import warnings
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_gallery_example_runs_and_draws(path):
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        namespace = runpy.run_path(str(path), run_name="__main__")
    assert plt.get_fignums(), f"{path.name} drew no figure"
    assert "search" in namespace or "optimizer" in namespace
    plt.close("all")
