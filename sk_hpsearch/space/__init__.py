"""The space layer: distributions and ``param_distributions`` <-> the unit cube.

Each parameter is one coordinate of the unit cube through its distribution's
CDF (the quantile function maps back), so every layer above thinks in one
space. Nothing here imports scikit-learn's search machinery.
"""
