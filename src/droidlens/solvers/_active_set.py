"""Exact polish of an approximate trend filtering dual by fixing its knots.

With the knot set B (rows where ``|z_j| = lam``) and their signs s fixed, the optimality
conditions are linear: ``z_B = lam * s_B`` and ``(D b)_I = 0`` off the knots, with
``b = y - D^T z``. That gives ``(D_I D_I^T) z_I = (D (y - lam D_B^T s_B))_I``, a banded
system. The knot set is corrected until ``|z_I| <= lam`` and ``s_j (D b)_j >= 0`` on B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import LinAlgError, solveh_banded

from droidlens.solvers._banded import sub_banded

__all__ = ["KnotSolution", "polish_knots", "kkt_violation"]

_RIDGE = 1e-13


@dataclass(frozen=True)
class KnotSolution:
    """Dual point from the polish and the number of knot-set corrections it took."""

    z: np.ndarray
    n_rounds: int
    violation: float


def kkt_violation(y: np.ndarray, z: np.ndarray, difference: sp.csr_matrix, lam: float) -> float:
    """Return the largest violation of the optimality conditions at dual point ``z``.

    Measures how far ``|z| <= lam`` fails, and how far ``D b`` (with ``b = y - D^T z``) is
    from zero, or has the wrong sign, where ``|z| < lam`` or ``z = +-lam``. Both are in the
    units of ``y`` relative to ``max(1, |y|_inf)`` and of ``lam`` relative to ``max(1, lam)``.
    """
    db = difference @ (y - difference.T @ z)
    box = float(np.max(np.abs(z), initial=0.0) - lam) / max(1.0, lam)
    upper = z >= lam
    lower = z <= -lam
    free = ~(upper | lower)
    wrong_sign = np.concatenate([-db[upper], db[lower], np.abs(db[free])])
    scale = max(1.0, float(np.abs(y).max()))
    return max(box, float(np.max(wrong_sign, initial=0.0)) / scale, 0.0)


def _solve_fixed_knots(
    y: np.ndarray,
    difference: sp.csr_matrix,
    gram: sp.csr_matrix,
    lam: float,
    order: int,
    on_knot: np.ndarray,
    signs: np.ndarray,
) -> np.ndarray:
    """Return the dual point with ``z = lam * signs`` on the knots and ``(D b)_j = 0`` off them.

    Raises LinAlgError if the system off the knots is not positive definite.
    """
    free = np.flatnonzero(~on_knot)
    exact = np.where(on_knot, lam * signs, 0.0)
    if free.size:
        rhs = (difference @ (y - difference.T @ exact))[free]
        system = sub_banded(gram, free, order)
        try:
            exact[free] = solveh_banded(system, rhs, check_finite=False)
        except LinAlgError:
            # For order 3 the condition number grows like the 8th power of the longest run
            # of free rows, so Cholesky can fail past a few hundred rows. A ridge of
            # _RIDGE * max diagonal restores it, and it perturbs z mainly along directions
            # that D^T nearly annihilates, so the fit moves little. The caller measures
            # the KKT violation of the result either way.
            system[-1] += _RIDGE * float(system[-1].max())
            exact[free] = solveh_banded(system, rhs, check_finite=False)
    return exact


def polish_knots(
    y: np.ndarray,
    z: np.ndarray,
    difference: sp.csr_matrix,
    gram: sp.csr_matrix,
    lam: float,
    order: int,
    *,
    on_knot: np.ndarray,
    max_rounds: int | None = None,
) -> KnotSolution | None:
    """Return the exact dual for the starting knots ``on_knot``, or None if none is consistent.

    Runs a primal active-set method on the dual box QP from ``z``, whose knots take the sign
    of ``z``. Each round either moves toward the solution for the current knots until the
    first free rows reach the box and makes them knots, or removes the knot with the most
    negative multiplier ``s_j (D b)_j``. Every round keeps ``z`` feasible and does not raise
    the dual objective, so a knot set found by adding every out-of-box row at once cannot
    send the method through hundreds of single-knot removals. ``max_rounds`` defaults to
    ``50 + len(z)``.
    """
    if max_rounds is None:
        max_rounds = 50 + z.size
    signs = np.where(z < 0, -1.0, 1.0)
    on_knot = on_knot.copy()
    current = np.where(on_knot, lam * signs, np.clip(z, -lam, lam))
    scale = max(1.0, float(np.abs(y).max()))
    for round_index in range(1, max_rounds + 1):
        try:
            exact = _solve_fixed_knots(y, difference, gram, lam, order, on_knot, signs)
        except LinAlgError:
            return None

        leaving = (~on_knot) & (np.abs(exact) > lam * (1 + 1e-12))
        if leaving.any():
            # Step from the feasible point toward the solution for these knots and stop
            # where the first free rows reach +-lam.
            direction = exact - current
            bound = np.where(direction > 0, lam, -lam)
            ratios = (bound[leaving] - current[leaving]) / direction[leaving]
            step = float(np.clip(ratios.min(), 0.0, 1.0))
            current = np.clip(current + step * direction, -lam, lam)
            reached = leaving.copy()
            reached[leaving] = ratios <= step * (1 + 1e-9) + 1e-15
            signs[reached] = np.sign(direction[reached])
            on_knot[reached] = True
            current[reached] = lam * signs[reached]
            continue

        current = np.clip(exact, -lam, lam)
        db = difference @ (y - difference.T @ current)
        multipliers = np.where(on_knot, signs * db, np.inf)
        weakest = int(np.argmin(multipliers))
        if multipliers[weakest] >= -1e-11 * scale:
            violation = kkt_violation(y, current, difference, lam)
            return KnotSolution(z=current, n_rounds=round_index, violation=violation)
        on_knot[weakest] = False
    return None
