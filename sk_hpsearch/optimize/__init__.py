"""Ask/tell optimisers: the searches' strategies for any Python function."""
