"""Solution paths: the exact fused lasso knots and solutions at a list of lambdas."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from droidlens.solvers._validation import check_lam, check_signal
from droidlens.solvers.dispatch import smooth, smoother_order
from droidlens.solvers.result import SmoothingResult

__all__ = ["fused_lasso_path", "solve_path"]


@njit(cache=True)
def _fusion_lambdas(y: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Return the lambdas at which neighbouring groups fuse, in increasing order.

    Between fusions, group g has the value ``mean_g + lam * (s_right - s_left) / n_g``, where
    s_left and s_right are the signs of the jumps at its edges (0 at the ends of the signal).
    Each step finds the adjacent pair whose values meet first and merges it. Groups of the
    1-D fused lasso never split, so there are exactly n - 1 fusions.
    """
    n = y.shape[0]
    total = y.copy()
    size = np.ones(n)
    following = np.arange(1, n + 1)
    right_sign = np.zeros(n)
    for i in range(n - 1):
        right_sign[i] = np.sign(y[i + 1] - y[i])
    knots = np.empty(n - 1)
    lam = 0.0
    for event in range(n - 1):
        best = np.inf
        best_group = 0
        group = 0
        left_sign = 0.0
        while following[group] < n:
            neighbour = following[group]
            slope_group = (right_sign[group] - left_sign) / size[group]
            slope_neighbour = (right_sign[neighbour] - right_sign[group]) / size[neighbour]
            gap = total[neighbour] / size[neighbour] - total[group] / size[group]
            slope = slope_neighbour - slope_group
            meet = np.inf
            if gap == 0.0:
                meet = lam
            elif slope * gap < 0.0:
                meet = max(lam, -gap / slope)
            if meet < best:
                best = meet
                best_group = group
            left_sign = right_sign[group]
            group = neighbour
        neighbour = following[best_group]
        total[best_group] += total[neighbour]
        size[best_group] += size[neighbour]
        right_sign[best_group] = right_sign[neighbour]
        following[best_group] = following[neighbour]
        knots[event] = best
        lam = best
    return knots


def fused_lasso_path(y: np.ndarray) -> np.ndarray:
    """Return the knots of the fused lasso solution path.

    Parameters
    ----------
    y : array_like of shape (n,)
        The signal, finite real values.

    Returns
    -------
    ndarray of shape (n - 1,)
        The lambdas at which two neighbouring groups fuse, in decreasing order, as the
        ``lambda`` column of R genlasso's ``fusedlasso1d`` path. For lambda between
        ``knots[j]`` and ``knots[j - 1]`` the solution has ``j + 1`` pieces; above
        ``knots[0]`` it is the mean of ``y``.

    Notes
    -----
    Exact, O(n^2) in the worst case (a few milliseconds at n = 2000). Ties in ``y``
    give knots at 0.
    """
    values = check_signal(y)
    if values.size == 1:
        return np.empty(0)
    return _fusion_lambdas(values)[::-1].copy()


def solve_path(
    y: np.ndarray, lams: Sequence[float], *, smoother: str = "fusedlasso"
) -> list[SmoothingResult]:
    """Solve one smoothing problem at each lambda in ``lams``.

    Parameters
    ----------
    y : array_like of shape (n,)
        The signal, finite real values.
    lams : sequence of float
        Penalty weights, each >= 0, in any order.
    smoother : str, default "fusedlasso"
        One of :data:`droidlens.solvers.SMOOTHERS`.

    Returns
    -------
    list of SmoothingResult
        One result per lambda, in the order of ``lams``.
    """
    values = check_signal(y)
    smoother_order(smoother)
    checked = [check_lam(lam) for lam in lams]
    return [smooth(values, smoother=smoother, lam=lam) for lam in checked]
