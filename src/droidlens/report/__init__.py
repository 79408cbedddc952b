"""droidlens.report."""
