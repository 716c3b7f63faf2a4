"""The math of Bayesian optimisation (numpy and scipy only).

Kernel and Gaussian-process fit (``_gp``), score warping (``_warping``),
acquisition functions, their optimiser and batches (``_acquisition``). The
modules take and return arrays in the unit cube and know nothing of searches
or scikit-learn (``tests/test_layers.py`` pins it).
"""
