"""The one search loop and its hooks.

``ask -> evaluate -> tell -> hooks``, for the search classes (evaluation by
cross-validation) and the ask/tell optimisers (evaluation by the user's
function) alike; hooks report progress, keep a time box and stop on a
callback or a Ctrl-C.
"""
