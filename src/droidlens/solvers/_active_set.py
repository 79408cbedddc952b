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


def polish_knots(
    y: np.ndarray,
    z: np.ndarray,
    difference: sp.csr_matrix,
    gram: sp.csr_matrix,
    lam: float,
    order: int,
    *,
    on_knot: np.ndarray,
    max_rounds: int = 30,
) -> KnotSolution | None:
    """Return the exact dual for the starting knots ``on_knot``, or None if none is consistent.

    Knots take the sign of ``z``.
    """
    signs = np.sign(z)
    on_knot = on_knot.copy()
    scale = max(1.0, float(np.abs(y).max()))
    for round_index in range(1, max_rounds + 1):
        free = np.flatnonzero(~on_knot)
        exact = np.where(on_knot, lam * signs, 0.0)
        if free.size:
            rhs = (difference @ (y - difference.T @ exact))[free]
            try:
                exact[free] = solveh_banded(sub_banded(gram, free, order), rhs, check_finite=False)
            except LinAlgError:
                return None

        # Move free rows that leave the box onto knots and knots of the wrong sign off them.
        db = difference @ (y - difference.T @ exact)
        leaving = (~on_knot) & (np.abs(exact) > lam * (1 + 1e-12))
        wrong = on_knot & (signs * db < -1e-11 * scale)
        if not leaving.any() and not wrong.any():
            violation = kkt_violation(y, np.clip(exact, -lam, lam), difference, lam)
            return KnotSolution(
                z=np.clip(exact, -lam, lam), n_rounds=round_index, violation=violation
            )
        signs[leaving] = np.sign(exact[leaving])
        on_knot[leaving] = True
        on_knot[wrong] = False
    return None
