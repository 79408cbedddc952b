"""droidlens.fidelity."""
