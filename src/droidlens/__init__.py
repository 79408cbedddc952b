"""droidlens: explain deep-learning Android malware detectors trained on API-call sequences."""

__version__ = "0.1.0"

__all__ = ["__version__"]
