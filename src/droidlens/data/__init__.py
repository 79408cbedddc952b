"""droidlens.data."""
