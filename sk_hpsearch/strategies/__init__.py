"""Strategies: algorithms that propose points of the unit cube (ask/tell).

Random sampling, coarse-to-fine regions and Gaussian-process Bayesian
optimisation, plus the learning-curve budget wrapper that turns any of them
into asynchronous successive halving. A strategy knows the cube and the
scores, nothing of scikit-learn.
"""
