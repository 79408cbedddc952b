"""Difference operators, objectives and duality gaps of the smoothing problems.

For order k the penalty matrix D is the unscaled (k+1)-th difference of size (n - k - 1) x n:
rows (-1, 1) for k = 0, (1, -2, 1) for k = 1, (-1, 3, -3, 1) for k = 2, (1, -4, 6, -4, 1) for
k = 3. This is the scaling of R genlasso 1.6.1 (no 1/n factor and no spacing factor).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "difference_matrix",
    "apply_difference",
    "apply_difference_transpose",
    "solve_difference_transpose",
    "primal_objective",
    "dual_objective",
]


def difference_matrix(n: int, order: int) -> sp.csr_matrix:
    """Return the sparse (order+1)-th difference matrix of shape (n - order - 1, n)."""
    matrix = sp.identity(n, format="csr")
    for _ in range(order + 1):
        rows = matrix.shape[0] - 1
        step = sp.diags([-np.ones(rows), np.ones(rows)], [0, 1], shape=(rows, rows + 1))
        matrix = (step @ matrix).tocsr()
    return matrix


def apply_difference(b: np.ndarray, order: int) -> np.ndarray:
    """Return ``D b`` for the (order+1)-th difference D."""
    return np.diff(b, n=order + 1)


def apply_difference_transpose(u: np.ndarray, order: int) -> np.ndarray:
    """Return ``D^T u`` for the (order+1)-th difference D."""
    result = u
    for _ in range(order + 1):
        # The transpose of the first difference maps u to (-u_0, u_0 - u_1, ..., u_{m-1}).
        result = -np.diff(result, prepend=0.0, append=0.0)
    return result


def solve_difference_transpose(residual: np.ndarray, order: int) -> np.ndarray:
    """Return z with ``D^T z = residual`` for the (order+1)-th difference D.

    Forward substitution is ``order + 1`` cumulative sums. The system has a solution only
    when ``residual`` is orthogonal to the polynomials of degree ``order``; otherwise the
    result satisfies all rows but the last ``order + 1``.
    """
    z = np.asarray(residual, dtype=np.float64)
    for _ in range(order + 1):
        z = -np.cumsum(z)[:-1]
    return z


def primal_objective(y: np.ndarray, fit: np.ndarray, penalty: np.ndarray, lam: float) -> float:
    """Return ``1/2 ||y - fit||^2 + lam * ||penalty||_1``."""
    residual = y - fit
    return float(0.5 * residual @ residual + lam * np.abs(penalty).sum())


def dual_objective(y: np.ndarray, u: np.ndarray, lam: float, order: int) -> float:
    """Return the dual objective of the signal problem at ``u`` clipped to ``|u| <= lam``.

    The dual of ``min_b 1/2 ||y - b||^2 + lam ||D b||_1`` is
    ``max_{|u|_inf <= lam} 1/2 ||y||^2 - 1/2 ||y - D^T u||^2``; any feasible u gives a lower
    bound on the primal optimum.
    """
    feasible = np.clip(u, -lam, lam)
    residual = y - apply_difference_transpose(feasible, order)
    return float(0.5 * (y @ y) - 0.5 * (residual @ residual))
