"""droidlens.explain."""
