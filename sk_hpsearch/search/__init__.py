"""The scikit-learn search classes: thin ``BaseSearchCV`` subclasses.

They validate arguments, build the space, the strategy and the evaluator
(the bridge to ``evaluate_candidates``), and run the one loop.
"""
