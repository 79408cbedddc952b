"""droidlens.models."""
