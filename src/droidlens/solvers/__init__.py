"""droidlens.solvers."""
