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
from scipy.linalg.lapack import dpbsv

from droidlens.solvers._banded import gram_banded, sub_banded
from droidlens.solvers._operators import apply_difference, difference_matrix

__all__ = ["DualProblem", "KnotSolution", "polish_knots", "kkt_violation"]

_RIDGE = 1e-13


@dataclass(frozen=True)
class DualProblem:
    """Dual box QP of one trend filtering problem, with the products every round needs.

    ``gram`` is ``D D^T`` as a sparse matrix and ``banded`` the same in upper banded storage;
    ``dy`` is ``D y``, so that ``D b = dy - gram @ z`` for ``b = y - D^T z``.
    """

    y: np.ndarray
    lam: float
    order: int
    difference: sp.csr_matrix
    gram: sp.csr_matrix
    banded: np.ndarray
    dy: np.ndarray

    @classmethod
    def build(cls, y: np.ndarray, lam: float, order: int) -> DualProblem:
        """Return the problem for signal ``y``, penalty ``lam`` and trend order ``order``."""
        difference = difference_matrix(y.size, order)
        gram = (difference @ difference.T).tocsr()
        banded = gram_banded(difference, order)
        return cls(y, lam, order, difference, gram, banded, apply_difference(y, order))

    def penalty(self, z: np.ndarray) -> np.ndarray:
        """Return ``D b`` for the primal point ``b = y - D^T z``."""
        return self.dy - self.gram @ z


@dataclass(frozen=True)
class KnotSolution:
    """Dual point from the polish and the number of knot-set corrections it took.

    ``z`` is None when the polish found no consistent knot set; ``violation`` is then inf.
    """

    z: np.ndarray | None
    n_rounds: int
    violation: float


def kkt_violation(problem: DualProblem, z: np.ndarray) -> float:
    """Return the largest violation of the optimality conditions at dual point ``z``.

    Measures how far ``|z| <= lam`` fails, and how far ``D b`` (with ``b = y - D^T z``) is
    from zero, or has the wrong sign, where ``|z| < lam`` or ``z = +-lam``. Both are in the
    units of ``y`` relative to ``max(1, |y|_inf)`` and of ``lam`` relative to ``max(1, lam)``.
    """
    lam = problem.lam
    db = problem.penalty(z)
    box = float(np.max(np.abs(z), initial=0.0) - lam) / max(1.0, lam)
    upper = z >= lam
    lower = z <= -lam
    free = ~(upper | lower)
    wrong_sign = np.concatenate([-db[upper], db[lower], np.abs(db[free])])
    scale = max(1.0, float(np.abs(problem.y).max()))
    return max(box, float(np.max(wrong_sign, initial=0.0)) / scale, 0.0)


def _solve_fixed_knots(
    problem: DualProblem, on_knot: np.ndarray, signs: np.ndarray
) -> np.ndarray | None:
    """Return the dual point with ``z = lam * signs`` on the knots and ``(D b)_j = 0`` off them.

    Returns None if the system off the knots is not positive definite, even with a ridge.
    """
    free = np.flatnonzero(~on_knot)
    exact = np.where(on_knot, problem.lam * signs, 0.0)
    if free.size:
        rhs = problem.penalty(exact)[free]
        system = sub_banded(problem.banded, free)
        _, solution, info = dpbsv(system, rhs, lower=0)
        if info > 0:
            # For order 3 the condition number grows like the 8th power of the longest run
            # of free rows, so Cholesky can fail past a few hundred rows. A ridge of
            # _RIDGE * max diagonal restores it, and it perturbs z mainly along directions
            # that D^T nearly annihilates, so the fit moves little. The caller measures
            # the KKT violation of the result either way.
            system[-1] += _RIDGE * float(system[-1].max())
            _, solution, info = dpbsv(system, rhs, lower=0)
            if info > 0:
                return None
        exact[free] = solution
    return exact


def polish_knots(
    problem: DualProblem, z: np.ndarray, *, on_knot: np.ndarray, max_rounds: int
) -> KnotSolution:
    """Return the exact dual for the starting knots ``on_knot``, if the polish finds it.

    Runs a primal active-set method on the dual box QP from ``z``, whose knots take the sign
    of ``z``. Each round either moves toward the solution for the current knots until the
    first free rows reach the box and makes them knots, or removes the knots with negative
    multipliers ``s_j (D b)_j``. Every round keeps ``z`` feasible and does not raise the
    dual objective, so a knot set found by adding every out-of-box row at once cannot send
    the method through hundreds of single-knot removals. The result has ``z=None`` after
    ``max_rounds`` rounds without a consistent knot set, or when the system of a knot set
    is singular.
    """
    lam = problem.lam
    signs = np.where(z < 0, -1.0, 1.0)
    on_knot = on_knot.copy()
    current = np.where(on_knot, lam * signs, np.clip(z, -lam, lam))
    scale = max(1.0, float(np.abs(problem.y).max()))
    for round_index in range(1, max_rounds + 1):
        exact = _solve_fixed_knots(problem, on_knot, signs)
        if exact is None:
            return KnotSolution(z=None, n_rounds=round_index, violation=np.inf)

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
        wrong_sign = on_knot & (signs * problem.penalty(current) < -1e-11 * scale)
        if not wrong_sign.any():
            violation = kkt_violation(problem, current)
            return KnotSolution(z=current, n_rounds=round_index, violation=violation)
        on_knot[wrong_sign] = False
    return KnotSolution(z=None, n_rounds=max_rounds, violation=np.inf)
