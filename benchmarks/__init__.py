"""Benchmarks of sk_hpsearch's searches against scikit-learn, skopt, Optuna and others.

Run ``python -m benchmarks --help`` from the repository root. The package is
organised by concern, one job per module:

``space``
    A library-neutral description of a search space (:class:`Param`).
``synthetic``
    Test functions with a known optimum, wrapped as scikit-learn estimators.
``problems``
    The registry of benchmark problems (synthetic and real tuning tasks) and
    :func:`register_problem`, the extension point for further tasks.
``real_tasks``
    The real-task suite: 13 tuning problems (5-fold CV, four metrics, 2 to 10
    hyperparameters) registered as problems.
``methods``
    The registry of search methods; each turns a :class:`Param` space into its
    library's native form and builds the search estimator.
``peers``
    HEBO, SMAC3 and Ax as ask/tell searches over the same CV objective.
``measures``
    What is measured on one fitted search: per-evaluation values, times and the
    optimiser overhead.
``runner``
    Runs problem x method x seed with pinned threads and appends raw records.
``environment``
    Library versions, date and machine description.
``report``
    Aggregates raw records into the markdown report and the PNG figures.
``suite_report``
    The real-task suite's section: Bayesmark's normalised score, mean ranks.
``cli``
    The command line.
"""
