"""Primal-dual interior-point method for the dual of a trend filtering problem.

The dual of ``min_b 1/2 ||y - b||^2 + lam ||D b||_1`` is the box-constrained quadratic
program ``min_z 1/2 z^T D D^T z - (D y)^T z`` subject to ``-lam <= z <= lam``; the primal
solution is ``b = y - D^T z``. Each Newton step solves one banded system with
``D D^T + diag(.)``, so an iteration costs O(n * order^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import LinAlgError, solveh_banded

__all__ = ["DualSolution", "solve_dual_interior_point"]

_STEP_SHRINK = 0.5
_SUFFICIENT_DECREASE = 0.01
_BARRIER_GROWTH = 2.0
_RIDGE = 1e-13


@dataclass(frozen=True)
class DualSolution:
    """Strictly feasible dual point from the interior-point method.

    ``barrier`` is the last barrier parameter, kept so that a later call can continue.
    """

    z: np.ndarray
    mu_upper: np.ndarray
    mu_lower: np.ndarray
    gap: float
    n_iter: int
    converged: bool
    barrier: float = 1.0


def _residual_norm(
    db: np.ndarray, z: np.ndarray, mu_upper: np.ndarray, mu_lower: np.ndarray, lam: float, t: float
) -> float:
    dual = -db + mu_upper - mu_lower
    centre_upper = mu_upper * (lam - z) - 1.0 / t
    centre_lower = mu_lower * (lam + z) - 1.0 / t
    return float(np.sqrt(dual @ dual + centre_upper @ centre_upper + centre_lower @ centre_lower))


def _max_step(
    z: np.ndarray,
    dz: np.ndarray,
    mu: tuple[np.ndarray, np.ndarray],
    dmu: tuple[np.ndarray, np.ndarray],
    lam: float,
) -> float:
    """Return the largest step in (0, 1] that keeps z inside the box and mu positive.

    Only the rows that a full step would carry past their bound are divided, so the ratios
    are at most 1 and a near-zero delta cannot overflow.
    """
    step = 1.0
    for values, deltas in ((mu[0], dmu[0]), (mu[1], dmu[1])):
        blocking = deltas < -values
        if blocking.any():
            step = min(step, float(np.min(-values[blocking] / deltas[blocking])))
    blocking = dz > lam - z
    if blocking.any():
        step = min(step, float(np.min((lam - z[blocking]) / dz[blocking])))
    blocking = dz < -lam - z
    if blocking.any():
        step = min(step, float(np.min((-lam - z[blocking]) / dz[blocking])))
    return 0.99 * step


def solve_dual_interior_point(
    y: np.ndarray,
    difference: sp.csr_matrix,
    gram: np.ndarray,
    lam: float,
    *,
    tol: float,
    max_iter: int,
    start: DualSolution | None = None,
) -> DualSolution:
    """Solve the dual box QP to a duality gap of ``tol`` (absolute) or stop at ``max_iter``.

    ``gram`` is ``D D^T`` in upper banded storage (see ``_banded.gram_banded``). ``start``
    continues from an earlier solution of the same problem, for example to reach a tighter
    gap. The ``n_iter`` of the result then counts only the new iterations.
    """
    m = difference.shape[0]
    width = gram.shape[0] - 1
    if start is None:
        z, mu_upper, mu_lower, t = np.zeros(m), np.ones(m), np.ones(m), 1.0
    else:
        z, mu_upper, mu_lower, t = start.z, start.mu_upper, start.mu_lower, start.barrier
    gap = np.inf
    for iteration in range(1, max_iter + 1):
        # Duality gap of the primal point b = y - D^T z and the dual point z.
        db = difference @ (y - difference.T @ z)
        gap = float(lam * np.abs(db).sum() - z @ db)
        if gap <= tol:
            return DualSolution(z, mu_upper, mu_lower, gap, iteration - 1, True, t)

        # Newton direction of the perturbed KKT conditions at barrier parameter t.
        slack_upper = lam - z
        slack_lower = lam + z
        surrogate_gap = float(mu_upper @ slack_upper + mu_lower @ slack_lower)
        t = max(_BARRIER_GROWTH * 2 * m / surrogate_gap, 1.2 * t)
        system = gram.copy()
        system[width] += mu_upper / slack_upper + mu_lower / slack_lower
        rhs = db - (1.0 / t) * (1.0 / slack_upper - 1.0 / slack_lower)
        try:
            dz = solveh_banded(system, rhs, check_finite=False)
        except LinAlgError:
            # Far inside the box the barrier terms vanish and D D^T alone is left, whose
            # condition number reaches about 1e16 for order 3 at a few hundred rows. A ridge of
            # _RIDGE * max diagonal restores Cholesky, and a second failure ends the method
            # at the current point.
            system[width] += _RIDGE * float(system[width].max())
            try:
                dz = solveh_banded(system, rhs, check_finite=False)
            except LinAlgError:
                return DualSolution(z, mu_upper, mu_lower, gap, iteration, False, t)
        dmu_upper = -mu_upper + (1.0 / t + mu_upper * dz) / slack_upper
        dmu_lower = -mu_lower + (1.0 / t - mu_lower * dz) / slack_lower

        # Backtracking line search on the residual norm.
        step = _max_step(z, dz, (mu_upper, mu_lower), (dmu_upper, dmu_lower), lam)
        norm = _residual_norm(db, z, mu_upper, mu_lower, lam, t)
        while True:
            z_new = z + step * dz
            db_new = difference @ (y - difference.T @ z_new)
            mu_upper_new = mu_upper + step * dmu_upper
            mu_lower_new = mu_lower + step * dmu_lower
            new_norm = _residual_norm(db_new, z_new, mu_upper_new, mu_lower_new, lam, t)
            if new_norm <= (1 - _SUFFICIENT_DECREASE * step) * norm:
                break
            step *= _STEP_SHRINK
            if step < 1e-12:
                # Rounding stalls the method before the gap reaches tol; keep the last point.
                return DualSolution(z, mu_upper, mu_lower, gap, iteration, False, t)
        z, mu_upper, mu_lower = z_new, mu_upper_new, mu_lower_new
    return DualSolution(z, mu_upper, mu_lower, gap, max_iter, False, t)
