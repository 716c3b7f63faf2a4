"""Reading a finished search: learning curves (and, beside them, plots)."""
