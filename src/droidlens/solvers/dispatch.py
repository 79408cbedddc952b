"""Choose a smoother by name."""

from __future__ import annotations

import numpy as np

from droidlens.solvers.fused import fused_lasso
from droidlens.solvers.result import SmoothingResult
from droidlens.solvers.trend import trend_filter

__all__ = ["SMOOTHERS", "smooth", "smoother_order"]

SMOOTHERS: tuple[str, ...] = ("fusedlasso", "trend1", "trend2", "trend3")

_ORDERS = {"fusedlasso": 0, "trend1": 1, "trend2": 2, "trend3": 3}


def smoother_order(smoother: str) -> int:
    """Return the polynomial degree of the named smoother, raising ValueError on an unknown name."""
    if smoother not in _ORDERS:
        raise ValueError(f"unknown smoother {smoother!r}; choose one of {SMOOTHERS}.")
    return _ORDERS[smoother]


def smooth(y: np.ndarray, *, smoother: str, lam: float) -> SmoothingResult:
    """Smooth a signal with the named smoother.

    Parameters
    ----------
    y : array_like of shape (n,)
        The signal, finite real values.
    smoother : {"fusedlasso", "trend1", "trend2", "trend3"}
        ``"fusedlasso"`` fits a piecewise-constant signal (:func:`fused_lasso`);
        ``"trendK"`` fits a piecewise polynomial of degree K (:func:`trend_filter`).
    lam : float
        Penalty weight, >= 0, in genlasso's scaling (no 1/n factor).

    Returns
    -------
    SmoothingResult

    Raises
    ------
    ValueError
        If ``smoother`` is unknown, or ``y`` or ``lam`` is invalid.
    """
    order = smoother_order(smoother)
    if order == 0:
        return fused_lasso(y, lam=lam)
    return trend_filter(y, lam=lam, order=order)
