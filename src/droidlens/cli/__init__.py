"""droidlens.cli."""
